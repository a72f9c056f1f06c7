"""DM108: the deprecated MAINTAINER becomes the OCI ``authors`` label (hadolint DL4000)."""

from __future__ import annotations

import re

from fixers.base import Context, Fix, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.edits import Edit
from fixers.rules.add_labels import AUTHORS, _literal, _origins, _quote

CODE = "DM108"
NAME = "maintainer-label"
RISK = Risk.SAFE
GUIDELINE = "Define image metadata with LABEL"
MESSAGE = "MAINTAINER is deprecated: use the org.opencontainers.image.authors label"
EXPLANATION = """\
`MAINTAINER` has been deprecated since Docker 1.13 (hadolint DL4000): it writes the
image's `Author` field, which registries, scanners and `docker inspect` users no longer
look at. The OCI annotation `org.opencontainers.image.authors` carries the same text
where tools read it:

    MAINTAINER Jane Doe <jane@example.com>

becomes

    LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"

The value is kept exactly (MAINTAINER expands no variable: a `$` stays a `$`). When the
stage already sets that label to the same value, the MAINTAINER line is removed; when
it sets a different value, both are left for you to reconcile. The image's config
changes: `Author` is empty and the label is set. Nothing built changes."""
NEEDS_NETWORK = False


def fix(doc: Document, ctx: Context) -> FixResult:
    result = FixResult()
    for stage in doc.stages:
        for inst in stage.instructions:
            if inst.keyword == "MAINTAINER" and inst.args and not inst.heredocs:
                fix_ = _fix(doc, stage, inst)
                if fix_ is not None:
                    result.fixes.append(fix_)
    return result


def _fix(doc: Document, stage: Stage, inst: Instruction) -> Fix | None:
    value = inst.args[0]
    existing = _authors(doc, stage)
    if existing is not None:
        if existing != value:
            return None  # two different answers: a person decides
        return Fix(inst.start_line, "remove MAINTAINER: the authors label already says the same", [_removal(inst)])
    quoted = _quote(value, doc.escape)
    if quoted is None or _comment_inside(doc, inst):
        return None
    first = doc.line_text(inst.start_line)
    match = re.match(rf"[ \t]*{re.escape(inst.raw_keyword)}", first)
    if match is None:
        return None
    keyword = "label" if inst.raw_keyword.islower() else "LABEL"
    edit = Edit(inst.start + match.end() - len(inst.raw_keyword), inst.header_end, f"{keyword} {AUTHORS}={quoted}")
    return Fix(inst.start_line, f"MAINTAINER as the label {AUTHORS}", [edit])


def _authors(doc: Document, stage: Stage) -> str | None:
    """The authors label the stage (or a stage it is built FROM) sets, if readable."""
    found = None
    for origin in _origins(doc, stage)[0]:
        for inst in origin.instructions:
            if inst.keyword != "LABEL" or len(inst.args) % 2:
                continue
            for key, value in zip(inst.args[::2], inst.args[1::2], strict=True):
                if (_literal(key, doc.escape) or "").lower() == AUTHORS:
                    found = _literal(value, doc.escape) or "\0"  # unreadable: never equal
    return found


def _comment_inside(doc: Document, inst: Instruction) -> bool:
    lines = range(inst.start_line + 1, inst.header_end_line + 1)
    return any(doc.line_text(n).lstrip().startswith("#") for n in lines)


def _removal(inst: Instruction) -> Edit:
    return Edit(inst.start, inst.end, "")
