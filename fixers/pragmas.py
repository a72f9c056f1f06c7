"""Suppression comments: ``# dockmend ignore=CODE,…`` directly above an instruction, and
``# dockmend ignore-file=CODE,…`` anywhere. Codes or names, any case."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fixers.document import Document
from fixers.lazyre import LazyPattern

_PRAGMA = LazyPattern(r"^#\s*dockmend\s+(ignore|ignore-file)\s*=\s*([\w\-, ]+)", re.I)


def parse(comment: str, names: Mapping[str, str]) -> tuple[str, set[str]] | None:
    """``("ignore" | "ignore-file", codes)`` of one comment line, or None; names map to codes."""
    match = _PRAGMA.match(comment.strip())
    if not match:
        return None
    items = {item.strip() for item in match.group(2).split(",") if item.strip()}
    return match.group(1).lower(), {names.get(item.lower(), item.upper()) for item in items}


def file_codes(doc: Document, names: Mapping[str, str]) -> set[str]:
    """Codes switched off for the whole file."""
    found: set[str] = set()
    for _, comment in doc.comments:
        parsed = parse(comment, names)
        if parsed and parsed[0] == "ignore-file":
            found |= parsed[1]
    return found


def codes_above(doc: Document, line: int, names: Mapping[str, str]) -> set[str]:
    """Codes switched off by the comment block directly above the instruction at ``line``."""
    inst = doc.instruction_at(line)
    above = (inst.start_line if inst else line) - 1
    found: set[str] = set()
    while above >= 1 and doc.line_text(above).lstrip().startswith("#"):
        parsed = parse(doc.line_text(above), names)
        if parsed and parsed[0] == "ignore":
            found |= parsed[1]
        above -= 1
    return found
