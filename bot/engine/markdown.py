"""Repository-controlled text in request bodies, made inert for CommonMark and for
GitHub's and GitLab's HTML.

Messages quote Dockerfiles (an ARG default, a path, a label value): whoever can push a
Dockerfile chooses that text. It must not open HTML (a tracking ``<img>``), a link or an
image (phishing), or notify people (``@org/team``). Code spans are found the CommonMark
way (a backtick string is closed only by one of the same length) and written again with
a fence longer than any backtick run inside, so that what looks like code here is code
there; outside code, ``&``, ``<``, ``>``, ``[``, ``]``, stray backticks and backslashes are
escaped and
mentions are put in code spans (neither forge notifies from code).
"""

from __future__ import annotations

import re

_TICKS = re.compile(r"`+")
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9_.-]+)?")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "[": "\\[", "]": "\\]", "`": "\\`"})


def code_spans(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is_code, content) pieces, as CommonMark reads code spans: a run
    of n backticks opens a span closed by the next run of exactly n; an unclosed run is
    literal text. Span content is returned without its backticks."""
    pieces: list[tuple[bool, str]] = []
    runs = list(_TICKS.finditer(text))
    pos, i = 0, 0
    while i < len(runs):
        opening = runs[i]
        closing = next((j for j in range(i + 1, len(runs)) if len(runs[j].group()) == len(opening.group())), None)
        if closing is None:
            i += 1
            continue
        if opening.start() > pos:
            pieces.append((False, text[pos : opening.start()]))
        content = text[opening.end() : runs[closing].start()]
        if len(content) >= 2 and content[0] == " " and content[-1] == " " and content.strip(" "):
            content = content[1:-1]  # CommonMark strips one space from each side
        pieces.append((True, content))
        pos, i = runs[closing].end(), closing + 1
    if pos < len(text):
        pieces.append((False, text[pos:]))
    return pieces


def code(text: object) -> str:
    """``text`` as one inline code span (whitespace collapsed), whatever it contains."""
    value = " ".join(str(text).split())
    ticks = "`" * (max((len(run) for run in _TICKS.findall(value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value else ""
    return f"{ticks}{pad}{value}{pad}{ticks}"


def text(value: str) -> str:
    """Plain text (no code spans in it): HTML, links and escapes made literal, mentions inert."""
    out, last = [], 0
    for match in _MENTION.finditer(value):
        out += [value[last : match.start()].translate(_ESCAPES), code(match.group())]
        last = match.end()
    out.append(value[last:].translate(_ESCAPES))
    return "".join(out)


def md(value: object) -> str:
    """Repository-controlled Markdown-ish text: its code spans kept as code, the rest inert."""
    return "".join(code(content) if is_code else text(content) for is_code, content in code_spans(str(value)))


def cell(value: object) -> str:
    """Like :func:`md`, on one line, for a table cell (``|`` escaped, code spans included)."""
    return md(" ".join(str(value).split())).replace("|", "\\|")
