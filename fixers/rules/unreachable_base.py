"""DM207: a base image that cannot be resolved, or a `latest` that no version tag matches."""

from __future__ import annotations

from fixers.base import Context, Finding, FixResult, ImageUnreachable, Risk
from fixers.document import Document

CODE = "DM207"
NAME = "unreachable-base"
RISK = Risk.REPORT
GUIDELINE = "Reuse upstream images with a tag that is not latest"
MESSAGE = "the base image cannot be resolved"
EXPLANATION = """\
dockmend looks every base image up in its registry to pin and bump it. This check
reports a base it could not resolve: the repository or tag does not exist, access is
denied (add credentials under `registries:` or in Docker's config.json), or the
registry cannot be reached. It also reports an untagged or `latest` base for which no
version tag points to the same image, so DM101 cannot pin it without changing what is
built: choose a version tag by hand. A registry that is only busy or failing (429,
5xx) is not reported: the file is tried again later."""
NEEDS_NETWORK = True


def fix(doc: Document, ctx: Context) -> FixResult:
    if ctx.resolver is None or ctx.offline:
        return FixResult()
    from fixers import baseimages  # with its tag arithmetic: loaded only when a registry is at hand

    findings = []
    for site in baseimages.sites(doc):
        written = site.written
        try:
            ctx.resolver.digest(written.name, written.digest or written.tag or "latest")
            unpinnable = baseimages.needs_pin(written) and not written.digest
            if unpinnable and baseimages.choose_pin(ctx.resolver, written, site.platform, ctx.policy) is None:
                what = written.with_(written.tag, None)
                findings.append(Finding(CODE, NAME, site.line, f"no version tag builds the same image as {what}"))
        except ImageUnreachable as exc:
            findings.append(Finding(CODE, NAME, site.line, str(exc)))
        # RegistryUnavailable goes up: the whole file is tried again later, never half-checked
    return FixResult(findings=findings)
