"""The registry-backed fixers (DM101 pin, DM102 bump, DM207 unreachable) over the corpus,
against Debian's ``docker-registry`` on 127.0.0.1.

The registry is seeded with every base image the corpus names (literally, or through an
``ARG`` default) by tag, under its own repository path, and every registry host the corpus names is pointed at it
as a mirror. Each tag gets its own small image; so that DM101 and DM102 have something to
do, ``X.Y`` also gets ``X.Y.0`` (the same image), ``X.Y.Z`` a newer ``X.Y.Z+1``, and an
image named without a tag a ``1.0.0`` beside ``latest``. What this measures is the engine
with its look-ups: the time, how many registry requests they take (each tag list and
digest is asked once per run), and what the fixers make of it. The fixes counted are
those of this seeded registry, not of the real one.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from bot.registry.auth import CredentialStore, DockerConfig
from bot.registry.client import RegistryClient
from bot.settings.registry_access import RegistrySettings
from fixers.base import Context
from fixers.engine import FileReport, run_fixers
from fixers.images import DOCKER_HUB, InvalidReference, parse
from fixers.registry import FIXERS, by_name
from tests.registry.push import Pusher, Spec, push_image
from tests.registry.servers import registry_binary, run_registry

FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.I | re.M)
ARG = re.compile(r"^\s*ARG\s+(\w+)=(\S+)", re.I | re.M)
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
PATCH = re.compile(r"^(\d+)\.(\d+)\.(\d+)(.*)$")
MINOR = re.compile(r"^(\d+)\.(\d+)(\D.*)?$")
REGISTRY_CODES = ("DM101", "DM102", "DM207")


def wanted(files: list[Path]) -> dict[tuple[str, str], set[str]]:
    """(registry, repository) -> the tags the corpus names: literal references, and those
    an ``ARG`` default completes (as the fixers read them)."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        stages = {m.lower() for m in re.findall(r"\bAS\s+(\S+)", text, re.I)}
        defaults = {name: value.strip("\"'") for name, value in ARG.findall(text)}
        for raw in FROM.findall(text):
            written = _expand(raw, defaults)
            if "$" in written or written.lower() in stages or written.lower() == "scratch":
                continue
            try:
                ref = parse(written)
            except InvalidReference:
                continue
            if ref.digest is None:
                found[(ref.registry, ref.repository)].add(ref.tag or "latest")
    return found


def _expand(written: str, defaults: dict[str, str]) -> str:
    """``${NAME}``/``$NAME`` replaced by the ``ARG`` default; ``$`` where there is none."""
    return VARIABLE.sub(lambda m: defaults.get(m[1] or m[2], "$"), written)


def seed(pusher: Pusher, images: dict[tuple[str, str], set[str]]) -> int:
    """Push an image per tag (and the extra tags of the module docstring); the tags pushed."""
    created, pushed = datetime(2024, 1, 1, tzinfo=UTC), 0
    for (registry, repository), tags in sorted(images.items()):
        for tag in sorted(tags):
            same = [tag]
            minor, patch = MINOR.match(tag), PATCH.match(tag)
            if tag == "latest":
                same.append("1.0.0")
            elif patch is None and minor is not None:
                same.append(f"{minor[1]}.{minor[2]}.0{minor[3] or ''}")
            push_image(pusher, repository, Spec(created, f"{registry}/{repository}:{tag}"), same)
            pushed += len(same)
            if patch is not None:
                newer = f"{patch[1]}.{patch[2]}.{int(patch[3]) + 1}{patch[4]}"
                push_image(pusher, repository, Spec(created, f"{registry}/{repository}:{newer}"), [newer])
                pushed += 1
    return pushed


def client_for(url: str, hosts: set[str]) -> RegistryClient:
    """A registry client that takes every host the corpus names to the local registry."""
    registries = {host: {"mirror": url} for host in hosts}
    settings = RegistrySettings.from_config(registries, {}, None)
    return RegistryClient(settings, CredentialStore(settings, DockerConfig(None, None)))


def run(files: list[Path]) -> list[str]:
    """The report lines: seeding, the engine with look-ups, registry requests, fixes."""
    if registry_binary() is None:
        return ["registry               docker-registry is not installed (apt-get install docker-registry)"]
    images = wanted(files)
    hosts = {registry for registry, _ in images} | {DOCKER_HUB}
    with tempfile.TemporaryDirectory(prefix="corpus-registry-") as tmp, run_registry(Path(tmp), "anonymous") as reg:
        pusher = Pusher(reg.url)
        started = time.perf_counter()
        try:
            pushed = seed(pusher, images)
        finally:
            pusher.http.close()
        seeding = time.perf_counter() - started
        asked: Counter[str] = Counter()
        with client_for(reg.url, hosts) as client:
            client.retrying.listener = lambda host, status: asked.update([str(status)])
            context = Context(offline=False, resolver=client)
            data = [(str(f), f.read_bytes()) for f in files]
            fixers, names = list(FIXERS.values()), by_name()
            started = time.perf_counter()
            reports: list[FileReport] = [run_fixers(path, raw, context, fixers, names) for path, raw in data]
            wall = time.perf_counter() - started
    fixes = Counter(f.code for r in reports for f in r.fixes if f.code in REGISTRY_CODES)
    findings = Counter(f.code for r in reports for f in r.findings if f.code in REGISTRY_CODES)
    later = sum(r.retry_later is not None for r in reports)
    return [
        f"registry seeded        {len(images)} repositories on {len(hosts)} hosts, {pushed} tags in {seeding:.1f} s",
        f"engine with look-ups   {wall:.2f} s ({len(files) / wall:.0f} files/s)",
        f"registry requests      {sum(asked.values())} ({', '.join(f'{s} {n}' for s, n in sorted(asked.items()))}); "
        f"{sum(asked.values()) / max(1, len(images)):.1f} per repository named",
        "registry fixes         " + (", ".join(f"{c} {n}" for c, n in sorted(fixes.items())) or "none"),
        "registry findings      " + (", ".join(f"{c} {n}" for c, n in sorted(findings.items())) or "none"),
        f"files to try later     {later}",
    ]
