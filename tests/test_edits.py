from __future__ import annotations

import pytest

from fixers.edits import Edit, EditConflict, apply_edits, map_back, shifts


def test_apply_edits_in_any_order() -> None:
    text = "abcdef"
    assert apply_edits(text, [Edit(4, 5, "E"), Edit.insert(0, ">"), Edit.delete(1, 2)]) == ">acdEf"


def test_overlapping_edits_conflict() -> None:
    with pytest.raises(EditConflict):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


def test_map_back_through_inserted_and_deleted_lines() -> None:
    text = "l1\nl2\nl3\nl4\n"
    edits = [Edit.insert(3, "new\nnew\n"), Edit.delete(9, 12)]  # add 2 lines after l1, drop l4
    new = apply_edits(text, edits)
    assert new == "l1\nnew\nnew\nl2\nl3\n"
    steps = [shifts(text, edits)]
    assert [map_back(n, steps) for n in (1, 4, 5)] == [1, 2, 3]


def test_shifts_are_the_edits_lines_last_first() -> None:
    text = "a\nb\nc\nd\ne\n"
    edits = [Edit(6, 8, "x\ny\nz\n"), Edit.insert(0, "#\n"), Edit.delete(2, 6), Edit.insert(8, "")]
    assert [(s.first, s.old_last, s.new_last) for s in shifts(text, edits)] == [
        (5, 5, 5),  # the empty insert at "e"
        (4, 5, 7),  # "d\n" became three lines
        (2, 4, 2),  # "b\nc\n" deleted
        (1, 1, 2),  # a line inserted before "a"
    ]
