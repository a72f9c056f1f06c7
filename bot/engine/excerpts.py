"""Short before/after excerpts of a file's change, as unified-diff hunks for ```diff blocks."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

CONTEXT = 1


@dataclass(frozen=True)
class Hunk:
    old_start: int  # 0-based, context included
    old_end: int
    lines: tuple[str, ...]  # "@@ … @@", then " ", "-", "+" lines without line breaks


def hunks(before: bytes, after: bytes) -> list[Hunk]:
    old = before.decode("utf-8", "replace").splitlines()
    new = after.decode("utf-8", "replace").splitlines()
    found = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines = [f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@"]
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [f" {line}" for line in old[a1:a2]]
                continue
            lines += [f"-{line}" for line in old[a1:a2]]
            lines += [f"+{line}" for line in new[b1:b2]]
        found.append(Hunk(i1, i2, tuple(lines)))
    return found


def around(before: bytes, after: bytes, spans: Sequence[tuple[int, int]]) -> list[Hunk]:
    """Only the changes that touch the given 1-based, inclusive line spans of the old file
    (a fix's instructions), or sit right before or after them; else the nearest hunk.

    The other changes are left out by diffing the old file against a copy that has only
    the chosen changes applied, so that a fix's excerpt shows that fix."""
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    partial: list[str] = []  # lines with their line breaks: the untouched end of the file stays as it is
    chosen = False
    for tag, a1, a2, b1, b2 in _opcodes(old, new):
        # a change of the span's lines, or lines inserted right before or after it
        touches = tag != "equal" and any(
            (a1 < end and a2 > start - 1) if a2 > a1 else start - 1 <= a1 <= end for start, end in spans
        )
        partial += new[b1:b2] if touches else old[a1:a2]
        chosen = chosen or touches
    if chosen:
        return hunks(before, "".join(partial).encode())
    every = hunks(before, after)
    first = min((start for start, _ in spans), default=1) - 1
    return [min(every, key=lambda h: (abs(h.old_start - first), h.old_start))] if every else []


def _opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """The diff's opcodes, a block that replaces n lines by n lines cut into one per line:
    two fixes on neighbouring lines (a FROM and the RUN under it) are two changes."""
    found: list[tuple[str, int, int, int, int]] = []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "replace" and a2 - a1 == b2 - b1 > 1:
            found += [("replace", a1 + k, a1 + k + 1, b1 + k, b1 + k + 1) for k in range(a2 - a1)]
        else:
            found.append((tag, a1, a2, b1, b2))
    return found


def render(selected: Sequence[Hunk], max_lines: int) -> tuple[str, int]:
    """The hunks' text, cut at ``max_lines``; returns (text, lines left out)."""
    lines = [line for hunk in selected for line in hunk.lines]
    shown = lines[:max_lines]
    return "\n".join(shown), len(lines) - len(shown)


def fence(text: str) -> str:
    """A code fence longer than any backtick run in ``text`` (content cannot close it)."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)
