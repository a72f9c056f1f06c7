"""Rescans that cost nothing when nothing changed.

A weekly run over thousands of repositories must not read them all again: the forge's
rate limit, not the CPU, bounds the bot. After a completed scan the runner remembers,
per repository, three things (in the state database, see :mod:`bot.service.memory`):

* the listing's change marker (GitHub ``pushed_at``, GitLab ``last_activity_at``, a
  checkout's head), as it is after the bot's own writes so they do not count as a push
  (GitHub's pull request answer carries ``pushed_at``; GitLab's write answers give the
  time the marker can have reached by them, kept as a bound: see
  :func:`bot.platforms.base.same_marker`);
* the scan key: dockmend's version and every setting that shapes the fixes and requests;
* the registry look-ups the fixers made, each with a hash of its answer.

The next run skips the repository when the listing shows the same marker, the scan key
is the same, and every look-up, asked again (once per image per run, through the run's
resolver), gives the same answer. Anything else, or any doubt, means a full scan.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot import __version__
from bot.platforms.base import Repo
from bot.settings.config import Config
from bot.settings.targets import TargetSettings
from fixers import records
from fixers.base import ImageConfig, ImageResolver, ImageUnreachable

T = TypeVar("T")


@dataclass(frozen=True)
class Seen:
    """What a completed scan of one repository depended on."""

    marker: str
    scan_key: str
    lookups: Mapping[str, str]  # a look-up (JSON: method and arguments) -> hash of its answer


class Memory(Protocol):
    """Where the runner keeps :class:`Seen` between runs (the state database)."""

    def seen(self, repo: Repo) -> Seen | None:
        """The last completed scan of ``repo``, or None."""

    def remember(self, repo: Repo, seen: Seen, head_sha: str | None) -> None:
        """Record a completed scan (``head_sha``: the default-branch head it read)."""


def canonical(value: object) -> object:
    """``value`` as JSON-able data that is the same in every process: sets sorted (their
    iteration order changes with the hash seed), dataclasses, records and mappings as sorted dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if records.is_record(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in records.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def digest(value: object) -> str:
    text = json.dumps(canonical(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def target_key(config: Config, settings: TargetSettings, offline: bool) -> str:
    """Every input of a target's fixes and requests except the repositories, the registry and
    the codes ignored per repository (and the forge's address: the same names on another
    server are other repositories). Once per target and run: it reads the body template."""
    platform = config.platforms.get(settings.target.platform)
    forge = (platform.type, platform.url, str(platform.path or "")) if platform is not None else None
    template = _file_digest(settings.template) if settings.template else None
    # when the target runs changes nothing it writes
    wanted = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name != "schedule"}
    target_config = config.for_target(settings)
    shaping = (target_config.labels, target_config.select, target_config.ignore, target_config.images)
    # "stale after N days" changes its answer with the calendar alone: look again weekly
    week = date.today().isocalendar()[:2] if target_config.images.stale_after_days else None
    return f"{__version__}:{digest((forge, wanted, shaping, template, offline, week))}"


def scan_key(target: str, ignored: frozenset[str]) -> str:
    """A repository's key: its target's, and the codes ignored for it from chat."""
    return f"{target}:{digest(ignored)}"


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


class RecordingResolver:
    """An :class:`ImageResolver` that notes every look-up and a hash of its answer.

    A look-up that fails with :class:`ImageUnreachable` is noted too (its answer is the
    failure); a :class:`~fixers.base.RegistryUnavailable` is not, since the repository is
    then scanned again anyway."""

    def __init__(self, inner: ImageResolver) -> None:
        self.inner = inner
        self.lookups: dict[str, str] = {}
        self._lock = threading.Lock()

    def tags(self, image: str) -> Sequence[str]:
        return self._noted(["tags", image], lambda: self.inner.tags(image))

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        return self._noted(
            ["digest", image, reference, platform], lambda: self.inner.digest(image, reference, platform)
        )

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        return self._noted(
            ["config", image, reference, platform], lambda: self.inner.config(image, reference, platform)
        )

    def _noted(self, key: list[Any], call: Callable[[], T]) -> T:
        name = json.dumps(key)
        try:
            answer = call()
        except ImageUnreachable as exc:
            self._note(name, digest(("unreachable", str(exc))))
            raise
        self._note(name, digest(answer))
        return answer

    def _note(self, name: str, value: str) -> None:
        with self._lock:
            self.lookups[name] = value


def same_answers(resolver: ImageResolver | None, lookups: Mapping[str, str]) -> bool:
    """Ask every look-up again: True when each answer hashes as before."""
    if lookups and resolver is None:
        return False  # offline now, online then: the fixes may differ
    probe = RecordingResolver(resolver) if resolver is not None else None
    for name, expected in lookups.items():
        if probe is None or not _ask(probe, name):
            return False
        if probe.lookups.get(name) != expected:
            return False
    return True


def _ask(probe: RecordingResolver, name: str) -> bool:
    try:
        method, *args = json.loads(name)
        if method == "tags":
            probe.tags(*args)
        elif method == "digest":
            probe.digest(*args)
        elif method == "config":
            probe.config(*args)
        else:
            return False
    except ImageUnreachable:
        return True  # noted by the probe: compared by the caller
    except Exception:  # a registry outage, a malformed note: scan again, never skip on doubt
        return False
    return True
