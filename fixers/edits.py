"""Span edits on a document's text. Never re-serialise a whole file."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from fixers.records import record


class EditConflict(Exception):
    """Two edits overlap; the fixer that made them is dropped for the file."""


@record(frozen=True, order=True)
class Edit:
    start: int  # offset in Document.text (BOM excluded)
    end: int  # exclusive; start == end inserts
    text: str

    @classmethod
    def insert(cls, offset: int, text: str) -> Edit:
        return cls(offset, offset, text)

    @classmethod
    def delete(cls, start: int, end: int) -> Edit:
        return cls(start, end, "")


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    ordered = sorted(edits)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end or (after.start == before.start and before.end > before.start):
            raise EditConflict(f"edits overlap at offsets {before.start} and {after.start}")
    for edit in ordered:
        if not 0 <= edit.start <= edit.end <= len(text):
            raise EditConflict(f"edit {edit.start}:{edit.end} outside the text")
    parts, pos = [], 0
    for edit in ordered:
        parts.append(text[pos : edit.start])
        parts.append(edit.text)
        pos = edit.end
    parts.append(text[pos:])
    return "".join(parts)


@record(frozen=True)
class LineShift:
    """How one applied edit moved line numbers, to map later lines back."""

    first: int  # first line the edit touched
    old_last: int  # last old line it replaced
    new_last: int  # last new line it produced

    def back(self, line: int) -> int:
        if line <= self.first:
            return line
        if line <= self.new_last:
            return min(line, self.old_last) if line <= self.old_last else self.first
        return line - (self.new_last - self.old_last)


def shifts(text: str, edits: Iterable[Edit]) -> list[LineShift]:
    """The line shifts of ``edits`` on ``text``, last edit first (to map back in order)."""
    result = []
    first, counted = 1, 0  # the line at offset ``counted``: newlines counted once, in order
    for edit in sorted(edits):
        first += text.count("\n", counted, edit.start)
        counted = edit.start
        old_last = first + text.count("\n", edit.start, edit.end)
        new_last = first + edit.text.count("\n")
        result.append(LineShift(first, old_last, new_last))
    result.reverse()
    return result


def map_back(line: int, steps: list[list[LineShift]]) -> int:
    """Map a line of the latest text back to the original through applied steps."""
    for step in reversed(steps):
        for shift in reversed(step):
            line = shift.back(line)
    return line
