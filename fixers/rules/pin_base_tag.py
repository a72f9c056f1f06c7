"""DM101: pin an untagged or ``latest`` base to the version tag that builds the same image."""

from __future__ import annotations

from fixers.base import Context, Fix, FixResult, ImageUnreachable, Risk
from fixers.document import Document

CODE = "DM101"
NAME = "pin-base-tag"
RISK = Risk.SAFE
GUIDELINE = "Reuse upstream images with a tag that is not latest"
MESSAGE = "the base image is untagged or latest"
EXPLANATION = """\
`FROM image` and `FROM image:latest` build whatever the upstream published last: a
new major version can arrive unannounced and break the build or the application.
dockmend pins the base to a version tag (by default the major.minor line, such as
`alpine:3.20`, else the most specific version tag) that points to the very image the
file builds today, so nothing built changes; within that line, upstream security fixes
still arrive as rebuilt tags and new patch releases (DM102 proposes those). With
`images.pin_digests` the pin also carries the digest (`alpine:3.20@sha256:…`), and the
build becomes reproducible. Bases that cannot be resolved are reported by DM207."""
NEEDS_NETWORK = True


def fix(doc: Document, ctx: Context) -> FixResult:
    if ctx.resolver is None:
        return FixResult()
    from fixers import baseimages  # with its tag arithmetic: loaded only when a registry is at hand

    changes, lines = [], {}
    for site in baseimages.sites(doc):
        if not baseimages.needs_pin(site.written):
            continue
        try:
            pin = baseimages.choose_pin(ctx.resolver, site.written, site.platform, ctx.policy)
        except ImageUnreachable:
            continue  # DM207 reports it; RegistryUnavailable goes up: the file is tried again later
        if pin is None:
            continue
        changes.append((site, pin.tag, pin.digest))
        lines[(site.start, site.end)] = (site, pin)
    fixes = []
    for key, edit in baseimages.edits(changes).items():
        site, pin = lines[key]
        old = site.written.with_(site.written.tag or None, site.written.digest)
        message = f"pin {old} to {site.written.name}:{pin.tag}, the same image ({baseimages.short(pin.builds)})"
        fixes.append(Fix(site.line, message, [edit]))
    return FixResult(fixes=fixes)
