"""Recognise a repository's licence file and name it by its SPDX id.

Only well-known texts are recognised, and only when nothing in the file points
elsewhere: a file that matches two licences, a known variant (advertising or patent
clauses, "Commons Clause", linking exceptions, source-available terms) or is much
longer than the licence it quotes gives None. The GPL family is named by the licence
text alone, which cannot tell "-only" from "-or-later": the ids are the ones GitHub
reports (``GPL-3.0``, ``LGPL-2.1``, …). Files are read with a size limit, inside the
repository only, and never executed.
"""

from __future__ import annotations

import re
from collections.abc import Set
from pathlib import Path

from fixers.lazyre import LazyPattern
from fixers.records import record

MAX_LICENSE_FILE = 256 * 1024
_FILE_NAME = LazyPattern(r"^(?:un)?(?:licen[cs]e|copying)(?:\.lesser)?(?:\.md|\.markdown|\.txt|\.rst)?$", re.I)
_GNU_HEADER = LazyPattern(
    r"gnu (general|lesser general|library general|affero general) public license "
    r"version (\d(?: \d)?) (february 1989|june 1991|february 1999|29 june 2007|19 november 2007)"
)
# (title, version, date) -> (SPDX id, words of the canonical text)
_GNU = {
    ("general", "1", "february 1989"): ("GPL-1.0", 2080),
    ("general", "2", "june 1991"): ("GPL-2.0", 2990),
    ("general", "3", "29 june 2007"): ("GPL-3.0", 5700),
    ("library general", "2", "june 1991"): ("LGPL-2.0", 4215),
    ("lesser general", "2 1", "february 1999"): ("LGPL-2.1", 4415),
    ("lesser general", "3", "29 june 2007"): ("LGPL-3.0", 1245),
    ("affero general", "3", "19 november 2007"): ("AGPL-3.0", 5580),
}
# Terms that make a file something other than the plain licence it quotes.
_NOT_PLAIN = (
    "commons clause",
    "business source license",
    "server side public license",
    "elastic license",
    "classpath exception",
    "linking exception",
    "runtime library exception",
)


@record(frozen=True)
class _Rule:
    """A licence text from its first words (after title and copyright lines) to its
    last; the words between must be about as many as in the canonical text."""

    spdx: str
    start: str  # seeing it commits to the licence's family
    end: str
    words: int  # from start to end in the canonical text, normalised
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    after: int = 20  # words allowed after the end (a URL, an unfilled appendix)


_PREFIX = 120  # words allowed before the start: a title and copyright lines
_MIT_GRANT = "permission is hereby granted free of charge to any person obtaining a copy"
_MIT_NOTICE = "this permission notice shall be included in all copies"
_ISC_GRANT = "permission to use copy modify and or distribute this software for any purpose with or without fee"
_BSD = "redistribution and use in source and binary forms with or without modification are permitted"
_BSD_THIRD = "endorse or promote products derived from this software"
_BSD_OTHER = ("advertising", "acknowledg", "patent")
_DEALINGS = "other dealings in the software"
_ISC_END = "use or performance of this software"
_RULES = (
    _Rule("Apache-2.0", "apache license version 2 0", "end of terms and conditions", 1431, after=200),
    _Rule("MIT", _MIT_GRANT, _DEALINGS, 163, (_MIT_NOTICE,), ("advertising", "good not evil")),
    _Rule("ISC", _ISC_GRANT, _ISC_END, 110, ("provided that the above copyright notice",)),
    _Rule("0BSD", _ISC_GRANT, _ISC_END, 98, (), ("provided that the above copyright notice",)),
    _Rule("BSD-2-Clause", _BSD, "possibility of such damage", 186, (), (_BSD_THIRD, *_BSD_OTHER)),
    _Rule("BSD-3-Clause", _BSD, "possibility of such damage", 217, (_BSD_THIRD,), _BSD_OTHER),
    _Rule("Unlicense", "this is free and unencumbered software released into the public domain", _DEALINGS, 191),
    _Rule("MPL-2.0", "mozilla public license version 2 0", "mozilla public license v 2 0", 2426),
    _Rule("EPL-1.0", "eclipse public license v 1 0", "resulting litigation", 1718),
    _Rule("EPL-2.0", "eclipse public license v 2 0", "notices of copyright ownership", 2161),
    _Rule("BSL-1.0", "boost software license version 1 0", _DEALINGS, 214),
    _Rule("CC0-1.0", "cc0 1 0 universal", "use of the work", 1084),
)


def normalise(text: str) -> str:
    """Lower-case words only: punctuation, markup and line wrapping do not matter."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def identify(text: str) -> str | None:
    """The SPDX id of a licence file's text, or None unless confidently recognised."""
    words = normalise(text)
    if any(term in words for term in _NOT_PLAIN):
        return None
    gnu = {_GNU[m[1], m[2], m[3]] for m in _GNU_HEADER.finditer(words)}
    canonical = sum(length for _, length in gnu)
    if gnu and _count(words) > canonical + 80 + canonical // 10:
        return None  # more than the licence and a preface: exceptions, other terms
    found = {spdx for spdx, _ in gnu}
    for start in {rule.start for rule in _RULES if rule.start in words}:
        family = {rule.spdx for rule in _RULES if rule.start == start and _matches(rule, words)}
        if not family:
            return None  # a variant, or a licence with more terms in it
        found |= family
    return _single(found)


def _count(words: str) -> int:
    return len(words.split())


def _matches(rule: _Rule, words: str) -> bool:
    first, last = words.find(rule.start), words.rfind(rule.end)
    if first < 0 or last < first:
        return False
    body, tail = words[first : last + len(rule.end)], words[last + len(rule.end) :]
    return (
        abs(_count(body) - rule.words) <= 6 + rule.words // 50
        and _count(words[:first]) <= _PREFIX
        and _count(tail) <= rule.after
        and all(phrase in body for phrase in rule.required)
        and not any(phrase in words for phrase in rule.forbidden)
    )


def _single(found: Set[str | None]) -> str | None:
    # LGPL-3.0 is GPL-3.0 plus permissions: its projects must ship both texts.
    if found == {"GPL-3.0", "LGPL-3.0"}:
        return "LGPL-3.0"
    return next(iter(found)) if len(found) == 1 else None


def license_of(root: Path) -> str | None:
    """The licence of the repository at ``root``, from its top-level licence files
    (LICENSE, COPYING, COPYING.LESSER, …): all must be recognised and agree."""
    try:
        names = sorted(entry.name for entry in root.iterdir() if _FILE_NAME.match(entry.name) and entry.is_file())
    except OSError:
        return None
    return _single({identify(text) if (text := read_limited(root, name)) else None for name in names})


def read_limited(root: Path, name: str) -> str | None:
    """A file directly under ``root`` (a link must stay inside it), if small enough."""
    base = root.resolve()
    path = (base / name).resolve()
    try:
        if not path.is_relative_to(base) or not path.is_file() or path.stat().st_size > MAX_LICENSE_FILE:
            return None
        with path.open("rb") as handle:
            data = handle.read(MAX_LICENSE_FILE + 1)
    except OSError:
        return None
    return None if len(data) > MAX_LICENSE_FILE else data.decode("utf-8", errors="replace")
