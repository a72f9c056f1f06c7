"""The safety gate: a rewrite is kept only if the result is still the same build.

It must re-parse with the BuildKit parser and with dockerfile-parse, keep the stages,
heredoc bodies, comments and parser directives, and keep the line-ending style.
Idempotence (a fixed point) is checked by the engine, which reruns the fixers.
"""

from __future__ import annotations

import io
from collections import Counter

from fixers.base import FileChange
from fixers.buildkit import Budget
from fixers.document import Document, DocumentError, TooComplex
from fixers.lazyre import LazyPattern

_TAG_OR_DIGEST = LazyPattern(r"(@[^@/]+|:[^:/@]+)$")


class GateError(Exception):
    """A rewrite that fails the gate; its fixer is dropped for the file."""


def _repository(image: str) -> str:
    while True:
        stripped = _TAG_OR_DIGEST.sub("", image)
        if stripped == image:
            return image.lower()
        image = stripped


def _stages(doc: Document) -> list[tuple[str | None, str, str | None]]:
    return [(s.name, _repository(s.base), s.platform) for s in doc.stages]


def _heredocs(doc: Document) -> Counter[str]:
    return Counter(h.content for inst in doc.instructions for h in inst.heredocs)


def _dfp_from_count(text: str) -> int:
    import logging

    from dockerfile_parse import DockerfileParser  # only when there is a rewrite to check

    logging.getLogger("dockerfile_parse").setLevel(logging.ERROR)
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
    return sum(1 for item in parser.structure if item["instruction"] == "FROM")


def _line_endings(doc: Document) -> tuple[int, int]:
    crlf = doc.text.count("\r\n")
    return crlf, doc.text.count("\n") - crlf


def check(before: Document, text: str, budget: Budget | None = None) -> Document:
    """Parse ``text`` (the rewrite of ``before``) and verify it keeps the build.

    A parse over ``budget`` raises :class:`TooComplex` (the file's budget is spent: not
    the rewrite's fault alone)."""
    try:
        after = Document.parse(text, bom=before.bom, budget=budget)
    except TooComplex:
        raise
    except DocumentError as exc:
        raise GateError(f"the result does not parse: {exc}") from None
    try:
        if _dfp_from_count(text) != _dfp_from_count(before.text):
            raise GateError("dockerfile-parse sees a different number of stages")
    except GateError:
        raise
    except Exception as exc:  # dockerfile-parse raises assorted errors on odd input
        raise GateError(f"dockerfile-parse fails on the result: {exc}") from None
    if _stages(after) != _stages(before):
        raise GateError("the stages changed")
    if _heredocs(after) != _heredocs(before):
        raise GateError("a heredoc body changed")
    if Counter(c for _, c in after.comments) != Counter(c for _, c in before.comments):
        raise GateError("a comment changed")
    if after.directives != before.directives:
        raise GateError("a parser directive changed")
    crlf, lf = _line_endings(before)
    new_crlf, new_lf = _line_endings(after)
    if (lf == 0 and new_lf) or (crlf == 0 and new_crlf):
        raise GateError("the line-ending style changed")
    return after


def check_file_change(change: FileChange) -> None:
    """Changes to other files are limited to inserting ``exec `` once."""
    after, start = change.after, 0
    while (i := after.find(b"exec ", start)) >= 0:
        if after[:i] + after[i + 5 :] == change.before:
            return
        start = i + 1
    raise GateError(f"{change.path}: only inserting 'exec ' is allowed")
