"""DM102: bump a base to the newest compatible tag, and refresh a pinned digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fixers.base import Context, Fix, FixResult, ImageUnreachable, Risk
from fixers.document import Document

if TYPE_CHECKING:
    from fixers.baseimages import Bump, Site

CODE = "DM102"
NAME = "bump-base-tag"
RISK = Risk.REVIEW
GUIDELINE = "Security fixes arrive as rebuilt tags and new patch releases; keep compatibility within a tag line"
MESSAGE = "a newer compatible base image exists"
EXPLANATION = """\
Upstream images receive security fixes as rebuilds of the same tag (a new digest) and
as new patch releases. A Dockerfile pinned to `tag@sha256:…` or to a full version such
as `3.11.2-slim` stops receiving them. dockmend proposes the newest tag of the same
line: same prefix, same suffix (`-slim-bookworm` stays), same precision (`3.12` may
become `3.13` only when minor updates are allowed, never `3.13.1`), no pre-releases,
and refreshes a pinned digest when its tag was rebuilt. By default only patch and
digest updates are proposed (`images.update_types`); minor and major moves are
opt-in, as is leaving a stale line (`images.stale_after_days`: the line's newest image
is older than that while a newer line has a strictly newer image). Leaving a stale line
moves to the newest line of the same major version; to another major only when
`update_types` allows `major` (`node:20.11.0-alpine` never becomes `node:21.0.0-alpine`
by default). These change what is built: review them, and let the tests run."""
NEEDS_NETWORK = True


def _message(site: Site, bump: Bump) -> str:
    from fixers import baseimages

    old = site.written.with_(site.written.tag, site.written.digest)
    if bump.tag == site.written.tag and bump.digest:
        new = f"@{baseimages.short(bump.digest)}"
        old = f"{site.written.name}:{site.written.tag}@{baseimages.short(site.written.digest or '')}"
    else:
        new = site.written.with_(bump.tag, baseimages.short(bump.digest) if bump.digest else None)
    return f"{bump.kind} update: {old} → {new} ({bump.reason})"


def fix(doc: Document, ctx: Context) -> FixResult:
    if ctx.resolver is None:
        return FixResult()
    from fixers import baseimages  # with its tag arithmetic: loaded only when a registry is at hand

    changes, found = [], {}
    for site in baseimages.sites(doc):
        try:
            bump = baseimages.choose_bump(ctx.resolver, site.written, site.platform, ctx.policy)
        except ImageUnreachable:
            continue  # DM207 reports it; RegistryUnavailable goes up: the file is tried again later
        if bump is not None:
            changes.append((site, bump.tag, bump.digest))
            found[(site.start, site.end)] = (site, bump)
    fixes = []
    for key, edit in baseimages.edits(changes).items():
        site, bump = found[key]
        fixes.append(Fix(site.line, _message(site, bump), [edit]))
    return FixResult(fixes=fixes)
