"""Tag versioning: which tags are versions, which are compatible, what counts as an update.

``3.12.1-slim-bookworm`` is release ``(3, 12, 1)`` and suffix ``slim-bookworm``. An
update keeps the prefix (``v``), the suffix and the precision: ``3.12-slim`` may become
``3.13-slim``, never ``3.13.1-slim`` nor ``3.13-alpine``. Pre-releases, moving tags
(``latest``, ``edge``, codenames) and build tags that look like commit hashes are not
versions. Pure functions: the fixers use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fixers.records import record

UPDATE_TYPES = ("digest", "patch", "minor", "major")
_TAG = re.compile(r"(?P<prefix>[vV]?)(?P<release>\d+(?:\.\d+)*)(?P<rest>.*)")
_PRE_AFTER_RELEASE = re.compile(r"[-_.]?(?:a|b|alpha|beta|rc|pre|preview|dev|c)\.?\d*(?:$|[-_.])", re.I)
_PRE_WORD = re.compile(r"(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary|insiders?|unstable)\.?\d*", re.I)
_BUILD = re.compile(r"_(\d+)(?=$|-)")
_HASH = re.compile(r"(?:sha-|g)?[0-9a-f]{7,40}")
_MAX_COMPONENT = 10**9


@record(frozen=True)
class Version:
    tag: str
    prefix: str  # "" or "v"
    release: tuple[int, ...]
    suffix: str  # after the release, without the separator: "slim-bookworm"
    separator: str  # "-" or "_" or ""
    date: bool  # 20240115, 2024.01.15: every newer date is a "patch" of the same line
    prerelease: bool
    build: bool = False  # the last release number is a build ("24.0.2_12-jdk": Temurin's)

    @property
    def precision(self) -> int:
        return len(self.release)

    @property
    def line_key(self) -> tuple[str, str, str, int, bool, bool]:
        """Tags with equal keys are the same kind of tag, so one may replace the other."""
        return (self.prefix, self.separator, self.suffix, self.precision, self.date, self.build)


def _looks_like_hash(text: str) -> bool:
    return bool(_HASH.fullmatch(text)) and any(c.isalpha() for c in text) and any(c.isdigit() for c in text)


def _is_date(release: tuple[int, ...], raw: str) -> bool:
    if len(release) == 1:
        return len(raw) == 8 and 1990 <= release[0] // 10000 <= 2200
    return 1990 <= release[0] <= 2200 and len(release) >= 2 and 1 <= release[1] <= 12


def parse(tag: str) -> Version | None:
    """The tag as a version, or None for moving tags (``latest``, ``bookworm``) and build ids."""
    match = _TAG.fullmatch(tag)
    if not match or _looks_like_hash(tag):
        return None
    raw, rest = match.group("release"), match.group("rest")
    release = tuple(int(part) for part in raw.split("."))
    build = _BUILD.match(rest)
    if build:
        release, rest = (*release, int(build.group(1))), rest[build.end() :]
    if any(part >= _MAX_COMPONENT for part in release) and len(raw) != 8:
        return None  # a build number or a timestamp, not a release
    separator, suffix = "", rest
    if rest[:1] in ("-", "_"):
        separator, suffix = rest[0], rest[1:]
    elif rest and not _PRE_AFTER_RELEASE.match(rest):
        return None  # "3.12x": not a shape we understand
    tokens = [t for t in re.split(r"[-_.]", suffix) if t]
    if any(_looks_like_hash(t) and len(t) >= 7 for t in tokens):
        return None
    prerelease = bool(rest and _PRE_AFTER_RELEASE.match(rest)) or any(_PRE_WORD.fullmatch(t) for t in tokens)
    date = _is_date(release, raw)
    return Version(tag, match.group("prefix"), release, suffix, separator, date, prerelease, build is not None)


def versions(tags: Iterable[str], include_prereleases: bool = False) -> list[Version]:
    """The version tags among ``tags``, oldest first."""
    found = [v for v in map(parse, tags) if v is not None and (include_prereleases or not v.prerelease)]
    return sorted(found, key=sort_key)


def sort_key(version: Version) -> tuple[tuple[int, ...], str]:
    return (version.release, version.tag)


def update_type(old: Version, new: Version) -> str | None:
    """``major``/``minor``/``patch`` for a newer compatible ``new``; None if not an update."""
    if old.line_key != new.line_key or new.release <= old.release:
        return None
    if old.date:
        return "patch"
    for index, (a, b) in enumerate(zip(old.release, new.release, strict=True)):
        if a != b:
            return ("major", "minor")[index] if index < 2 else "patch"
    return None


def line_of(version: Version) -> tuple[int, ...]:
    """The release line a tag belongs to: major.minor (or the major for ``3``)."""
    return version.release if version.date else version.release[:2]


def newest_update(current: Version, candidates: Iterable[Version], allowed: Iterable[str]) -> Version | None:
    """The newest candidate that is an update of ``current`` of an allowed type."""
    kinds = set(allowed)
    best: Version | None = None
    for candidate in candidates:
        kind = update_type(current, candidate)
        if kind in kinds and not candidate.prerelease and (best is None or sort_key(candidate) > sort_key(best)):
            best = candidate
    return best


def pin_preference(version: Version, precision: int) -> tuple[int, int, int, int, str]:
    """Sort key (smallest first) among tags of one digest: numbers before dates, plain tags
    before suffixed ones, then the policy's precision, then the most specific."""
    exact = 0 if version.precision == precision else 1
    return (int(version.date), int(bool(version.suffix)), exact, -version.precision, version.tag)


PRECISIONS = {"major": 1, "minor": 2, "patch": 3}
