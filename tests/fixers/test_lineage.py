"""The shared lineage index answers as a per-stage copy of the parent's definitions would."""

from __future__ import annotations

import random

import pytest

from fixers.lineage import INHERITED, ROOT, LineageIndex, Tree


def test_a_chain_sees_its_ancestors_and_its_own_earlier_positions() -> None:
    tree = Tree([None, 0, 1, None])  # 0 <- 1 <- 2, and 3 alone
    index = LineageIndex(tree)
    index.add("g", ROOT, 0)
    index.add("a", 0, 2)
    index.add("b", 1, 0)
    index.add("a", 1, 5)  # already defined by the parent: the parent's stays
    index.add("c", 2, 3)
    assert [index.first("a", n) for n in (0, 1, 2, 3)] == [2, INHERITED, INHERITED, None]
    assert [index.first("b", n) for n in (0, 1, 2, 3)] == [None, 0, INHERITED, None]
    assert [index.first("g", n) for n in (0, 1, 2, 3)] == [INHERITED] * 4
    assert (index.before("c", 2, 3), index.before("c", 2, 4)) == (False, True)


def test_an_ancestor_added_late_covers_its_descendants() -> None:
    index = LineageIndex(Tree([None, 0, 0]))
    index.add("k", 1, 4)
    index.add("k", 2, 1)
    index.add("k", 0, 7)
    assert [index.first("k", n) for n in (0, 1, 2)] == [7, INHERITED, INHERITED]


def _naive(parents: list[int | None], adds: list[list[tuple[str, int]]]) -> list[dict[str, int]]:
    """What the index replaces: each stage copies its parent's ``{key: first position}``."""
    ends: list[dict[str, int]] = []
    for node, parent in enumerate(parents):
        seen = {key: INHERITED for key in (ends[parent] if parent is not None else {})}
        for key, position in adds[node]:
            seen.setdefault(key, position)
        ends.append(seen)
    return ends


@pytest.mark.parametrize("seed", range(20))
def test_the_same_answers_as_copying_parent_by_parent(seed: int) -> None:
    rng = random.Random(seed)
    stages = rng.randint(1, 40)
    parents = [rng.choice([None, *range(node)]) if node else None for node in range(stages)]
    adds = [[(f"k{rng.randrange(8)}", position) for position in range(rng.randint(0, 6))] for _ in parents]
    index = LineageIndex(Tree(parents))
    for node, pairs in enumerate(adds):
        for key, position in pairs:
            index.add(key, node, position)
    expected = _naive(parents, adds)
    for node in range(stages):
        assert {f"k{k}": index.first(f"k{k}", node) for k in range(8)} == {
            f"k{k}": expected[node].get(f"k{k}") for k in range(8)
        }
