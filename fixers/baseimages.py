"""What DM101/DM102/DM207 share: where each stage's base image is written, and the
pin and bump decisions (pure logic over :class:`fixers.base.ImageResolver`).

A base is edited where its text lives: in the FROM (``FROM python:latest``), in a global
ARG's default (``ARG BASE=python:latest`` / ``FROM ${BASE}``) or in the default of an ARG
holding only the tag (``FROM python:${PY}``). Stage references, ``scratch`` and
anything else built from variables are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from fixers import versioning
from fixers.base import ImagePolicy, ImageResolver, ImageUnreachable
from fixers.document import Document, Instruction
from fixers.edits import Edit
from fixers.images import InvalidReference, Written, split
from fixers.records import record
from fixers.versioning import Version

MAX_PROBES = 40  # digest look-ups to find the version tag of a `latest`
_FROM_IMAGE = re.compile(r"\s*\S+\s+(?:--\S+\s+)*(\S+)")
_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@record(frozen=True)
class Site:
    line: int  # the FROM's first line (suppression comments apply to it)
    start: int  # span in doc.text of the text to rewrite
    end: int
    written: Written  # the base as written, variables substituted
    tag_only: bool  # the span holds only the tag (FROM name:${TAG})
    platform: str | None  # a literal --platform; None if absent or a variable

    @property
    def name(self) -> str:
        return self.written.name

    def text(self, tag: str | None, digest: str | None) -> str:
        if self.tag_only:
            return (tag or "") + (f"@{digest}" if digest else "")
        return self.written.with_(tag, digest)

    def edit(self, tag: str | None, digest: str | None) -> Edit:
        return Edit(self.start, self.end, self.text(tag, digest))


def _span(doc: Document, inst: Instruction, start: int, end: int, expected: str) -> tuple[int, int] | None:
    """The span in doc.text of logical[start:end], if it lies on one line as written."""
    offsets = inst.logical.offsets
    lo, hi = offsets[start], offsets[end - 1] + 1
    return (lo, hi) if doc.text[lo:hi] == expected else None


def _arg_value(doc: Document, name: str) -> tuple[Instruction, int, int] | None:
    """Where the default of the global ARG ``name`` (the one FROM sees) is written."""
    value = doc.global_args.get(name)
    if not value:
        return None
    pattern = re.compile(rf"(?<!\S){re.escape(name)}=([\"']?)({re.escape(value)})\1(?=\s|$)")
    for inst in reversed([i for i in doc.instructions if i.stage == -1 and i.keyword == "ARG"]):
        if any(a.partition("=")[0] == name for a in inst.args):
            match = pattern.search(inst.logical.text)
            return (inst, match.start(2), match.end(2)) if match else None
    return None


def _where(doc: Document, base: str, inst: Instruction) -> tuple[Instruction, int, int, bool] | None:
    """Where ``base`` is written: (instruction, logical start, end, whether it is only the tag)."""
    whole, refs = _VAR.fullmatch(base), list(_VAR.finditer(base))
    last = refs[-1] if refs else None
    if whole:
        found = _arg_value(doc, whole.group(1) or whole.group(2))
        return (*found, False) if found else None
    if last is not None:
        head = base[: last.start()]
        if last.end() != len(base) or not head.endswith(":") or "$" in head:
            return None
        found = _arg_value(doc, last.group(1) or last.group(2))
        return (*found, True) if found else None
    match = _FROM_IMAGE.match(inst.logical.text)
    return (inst, match.start(1), match.end(1), False) if match and match.group(1) == base else None


def _site(doc: Document, index: int) -> Site | None:
    stage = doc.stages[index]
    if stage.parent is not None or stage.is_scratch or "$" in stage.base_resolved:
        return None
    inst = doc.instructions[stage.from_index]
    where = _where(doc, stage.base, inst)
    try:
        written = split(stage.base_resolved)
    except InvalidReference:
        return None
    if where is None:
        return None
    holder, lo, hi, tag_only = where
    span = _span(doc, holder, lo, hi, holder.logical.text[lo:hi])
    if span is None:
        return None
    platform = stage.platform.lower() if stage.platform and "$" not in stage.platform else None
    return Site(inst.start_line, span[0], span[1], written, tag_only, platform)


def sites(doc: Document) -> list[Site]:
    found = (_site(doc, index) for index in range(len(doc.stages)))
    return [site for site in found if site is not None]


def edits(changes: Iterable[tuple[Site, str | None, str | None]]) -> dict[tuple[int, int], Edit]:
    """One edit per span; a span two stages would rewrite differently is left alone."""
    found: dict[tuple[int, int], Edit | None] = {}
    for site, tag, digest in changes:
        edit = site.edit(tag, digest)
        key = (site.start, site.end)
        found[key] = edit if found.get(key, edit) == edit else None
    return {k: e for k, e in found.items() if e is not None}


def short(digest: str) -> str:
    return digest[:19] + "…"


# -- DM101: pin ------------------------------------------------------------------


@record(frozen=True)
class Pin:
    tag: str
    digest: str | None  # written after the tag (kept, or added by pin_digests)
    builds: str  # the digest the file builds today


def needs_pin(written: Written) -> bool:
    return written.tag in (None, "latest") and not (written.tag is None and written.digest)


def _probe_order(found: Sequence[Version]) -> list[Version]:
    return sorted(found, key=lambda v: (bool(v.suffix), v.date, tuple(-r for r in v.release), v.tag))


def _related(match: Version, found: Sequence[Version]) -> list[Version]:
    def kin(v: Version) -> bool:
        same = (v.prefix, v.separator, v.suffix, v.date) == (match.prefix, match.separator, match.suffix, match.date)
        n = min(v.precision, match.precision)
        return same and v.release[:n] == match.release[:n]

    return [v for v in found if kin(v) and v.tag != match.tag]


def choose_pin(resolver: ImageResolver, written: Written, platform: str | None, policy: ImagePolicy) -> Pin | None:
    """The version tag whose digest is the one ``written`` builds today, or None."""
    builds = written.digest or resolver.digest(written.name, written.tag or "latest")
    found = versioning.versions(resolver.tags(written.name))
    same = _first_same(resolver, written.name, builds, _probe_order(found)[:MAX_PROBES])
    if same is None:
        return None
    matches = [same] + [v for v in _related(same, found) if _digest_or_none(resolver, written.name, v.tag) == builds]
    best = min(matches, key=lambda v: versioning.pin_preference(v, versioning.PRECISIONS[policy.pin]))
    digest = written.digest
    if digest is None and policy.pin_digests:
        digest = resolver.digest(written.name, builds, platform) if platform else builds
    return Pin(best.tag, digest, builds)


def _digest_or_none(resolver: ImageResolver, name: str, tag: str) -> str | None:
    try:
        return resolver.digest(name, tag)
    except ImageUnreachable:
        return None  # a tag listed but gone: not a candidate


def _first_same(resolver: ImageResolver, name: str, builds: str, order: Sequence[Version]) -> Version | None:
    return next((v for v in order if _digest_or_none(resolver, name, v.tag) == builds), None)


# -- DM102: bump -----------------------------------------------------------------


@record(frozen=True)
class Bump:
    tag: str
    digest: str | None
    kind: str  # digest, patch, minor, major
    reason: str


def _refreshed(resolver: ImageResolver, written: Written, tag: str, platform: str | None) -> str:
    """The digest to write for ``tag``, in the style the file uses (index or platform)."""
    assert written.tag is not None and written.digest is not None
    for style in (None, platform) if platform else (None,):
        if resolver.digest(written.name, written.tag, style) == written.digest:
            return resolver.digest(written.name, tag, style)
    return resolver.digest(written.name, tag, platform)


def choose_bump(
    resolver: ImageResolver,
    written: Written,
    platform: str | None,
    policy: ImagePolicy,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Bump | None:
    if written.tag is None:
        return None
    current = versioning.parse(written.tag)
    target, kind, reason = written.tag, "digest", "the tag was rebuilt, usually for security fixes"
    if current is not None and not current.prerelease:
        found = versioning.versions(resolver.tags(written.name))
        best = versioning.newest_update(current, found, policy.update_types)
        stale = _stale(resolver, written, current, best, found, platform or policy.platform, policy, now)
        if stale is not None:
            best, reason = stale
        elif best is not None:
            reason = f"newer {versioning.update_type(current, best)} release"
        if best is not None:
            target, kind = best.tag, versioning.update_type(current, best) or "patch"
    if target == written.tag and (written.digest is None or "digest" not in policy.update_types):
        return None
    digest = _refreshed(resolver, written, target, platform) if written.digest else None
    if target == written.tag and digest == written.digest:
        return None
    return Bump(target, digest, kind, reason)


def _stale(
    resolver: ImageResolver,
    written: Written,
    current: Version,
    best: Version | None,
    found: Sequence[Version],
    platform: str,
    policy: ImagePolicy,
    now: Callable[[], datetime],
) -> tuple[Version, str] | None:
    """A move off the current line when its newest image is older than the policy allows."""
    if policy.stale_after_days is None or (best and versioning.line_of(best) != versioning.line_of(current)):
        return None
    # Leaving a stale line is a minor move by itself; a major one only when majors are allowed.
    allowed = {"minor"} | ({"major"} & set(policy.update_types))
    newer = [v for v in found if versioning.update_type(current, v) in allowed]
    if not newer:
        return None
    same_major = [v for v in newer if v.release[0] == current.release[0]]
    target = max(same_major or newer, key=versioning.sort_key)
    here = _age(resolver, written.name, (best or current).tag, platform, now)
    if here is None or here <= policy.stale_after_days:
        return None
    there = _age(resolver, written.name, target.tag, platform, now)
    if there is None or there >= here:
        return None  # the other line is no fresher: moving would gain nothing
    line = (best or current).tag
    return target, f"stale line: the newest {line} image is {here} days old, {target.tag} is {there} days old"


def _age(resolver: ImageResolver, name: str, tag: str, platform: str, now: Callable[[], datetime]) -> int | None:
    created = resolver.config(name, tag, platform).created
    return None if created is None else (now() - created).days
