"""`dockmend resolve IMAGE`: what dockmend knows of an image, to debug a pin or a bump."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from bot.registry.client import RegistryClient, resolver_from_config
from bot.settings.config import Config
from fixers import baseimages, versioning
from fixers.base import ImagePolicy, ResolveError
from fixers.images import InvalidReference, parse, split


def run_resolve(
    image: str,
    cfg: Config,
    out: TextIO,
    *,
    env: Mapping[str, str] | None = None,
    docker_config: Path | None = None,
    cache_path: Path | None = None,
    platform: str | None = None,
) -> int:
    """Print the image's tags, digests and dockmend's pin and bump; 0, or 1 if unresolved.
    ``cfg`` is a :class:`bot.settings.config.Config` (``registries``, and ``images`` if present)."""
    try:
        written = split(image)
        ref = parse(image)
    except InvalidReference as exc:
        print(f"error: {exc}", file=out)
        return 1
    policy = cfg.images
    with resolver_from_config(
        cfg.registries, path=cfg.path, env=env, docker_config=docker_config, cache_path=cache_path
    ) as client:
        try:
            _report(client, written, ref.name, platform, policy, out)
        except ResolveError as exc:
            print(f"error: {exc}", file=out)
            return 1
    return 0


def _report(
    client: RegistryClient, written: Any, name: str, platform: str | None, policy: ImagePolicy, out: TextIO
) -> None:
    mirror = client.settings.entry(client.endpoint(written.name).registry).mirror
    reference = written.digest or written.tag or "latest"
    print(f"image:      {name}" + (f" (via the mirror {mirror})" if mirror else ""), file=out)
    print(f"reference:  {reference} -> {client.digest(written.name, reference)}", file=out)
    for plat, digest in client.platforms(written.name, reference).items():
        print(f"  {plat:<20} {digest}", file=out)
    tags = client.tags(written.name)
    found = versioning.versions(tags)
    pre = [v.tag for v in versioning.versions(tags, include_prereleases=True) if v.prerelease]
    moving = sorted(set(tags) - {v.tag for v in found} - set(pre))
    print(f"tags:       {len(tags)} ({len(found)} versions)", file=out)
    print(f"versions:   {' '.join(v.tag for v in found) or '-'}", file=out)
    print(f"skipped:    pre-releases: {' '.join(pre) or '-'}; not versions: {' '.join(moving) or '-'}", file=out)
    print(
        f"policy:     pin {policy.pin}, digests {'on' if policy.pin_digests else 'off'}, "
        f"updates {', '.join(sorted(policy.update_types))}",
        file=out,
    )
    _decisions(client, written, platform, policy, out)


def _decisions(client: RegistryClient, written: Any, platform: str | None, policy: ImagePolicy, out: TextIO) -> None:
    if baseimages.needs_pin(written):
        pin = baseimages.choose_pin(client, written, platform, policy)
        text = written.with_(pin.tag, pin.digest) if pin else "none: no version tag has the same digest"
        print(f"pin (DM101):  {text}", file=out)
        if pin is None:
            return
        written = split(written.with_(pin.tag, pin.digest))
    bump = baseimages.choose_bump(client, written, platform, policy)
    text = f"{written.with_(bump.tag, bump.digest)} ({bump.kind}: {bump.reason})" if bump else "none"
    print(f"bump (DM102): {text}", file=out)
