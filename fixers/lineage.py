"""What is defined along a stage's lineage, kept once for the whole file, never per stage.

A stage starts with what its parent had at its end and adds its own definitions (ENV and
ARG values, names). Copying the parent's definitions into every stage costs the number
of stages times the number of definitions: quadratic along a chain of stages, each
``FROM`` the previous. Here the stages form a tree (the file's global scope at its root),
numbered depth-first so that a stage's ancestors are the nodes whose span holds its
number. Each key keeps only its outermost defining nodes: their spans are disjoint and
sorted, so "where is this key first defined along this stage's lineage?" is one bisect.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Sequence

from fixers.records import field, record

ROOT = -1  # the global scope (before the first FROM): every stage's first ancestor
INHERITED = -1  # a key defined by an ancestor: before every position of the stage itself


class Tree:
    """Stages as a tree, numbered depth-first: ``node`` is in the subtree of ``top``
    when ``enter[top] <= enter[node] < leave[top]``."""

    def __init__(self, parents: Sequence[int | None]) -> None:
        """``parents[i]``: the stage stage ``i`` is built FROM, or None (under the root)."""
        children: dict[int, list[int]] = {ROOT: []}
        for node, parent in enumerate(parents):
            children.setdefault(node, [])
            children[ROOT if parent is None else parent].append(node)
        self.enter: dict[int, int] = {}
        self.leave: dict[int, int] = {}
        todo: list[tuple[int, bool]] = [(ROOT, False)]
        while todo:
            node, done = todo.pop()
            if done:
                self.leave[node] = len(self.enter)
                continue
            self.enter[node] = len(self.enter)
            todo.append((node, True))
            todo += [(child, False) for child in reversed(children[node])]


@record
class _Spans:
    """One key's outermost defining nodes: their ``enter`` numbers (sorted) and, at the
    same place, (``leave``, node, first position in that node)."""

    enters: list[int] = field(default_factory=list)
    rest: list[tuple[int, int, int]] = field(default_factory=list)


class LineageIndex:
    """For each key, the first position it is defined at along each stage's lineage.

    Filled parents first (as a file is read), the answers are those of a per-stage copy
    of the parent's ``{key: position}`` extended by the stage's own definitions."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._keys: dict[Hashable, _Spans] = {}

    def add(self, key: Hashable, node: int, position: int) -> None:
        """``key`` defined in ``node`` at ``position`` (counted within the node)."""
        if self.first(key, node) is not None:
            return  # defined earlier along the lineage: the first stays
        spans = self._keys.setdefault(key, _Spans())
        enter, leave = self.tree.enter[node], self.tree.leave[node]
        at = bisect_right(spans.enters, enter)
        end = bisect_right(spans.enters, leave - 1, at)  # descendants' spans, now inside this one
        spans.enters[at:end] = [enter]
        spans.rest[at:end] = [(leave, node, position)]

    def first(self, key: Hashable, node: int) -> int | None:
        """Where ``key`` is first defined along ``node``'s lineage: :data:`INHERITED` (by an
        ancestor), a position in ``node`` itself, or None (not defined)."""
        spans = self._keys.get(key)
        if spans is None:
            return None
        enter = self.tree.enter[node]
        at = bisect_right(spans.enters, enter) - 1
        if at < 0 or spans.rest[at][0] <= enter:
            return None
        _, owner, position = spans.rest[at]
        return position if owner == node else INHERITED

    def before(self, key: Hashable, node: int, count: int) -> bool:
        """``key`` is defined along ``node``'s lineage before ``node``'s position ``count``."""
        found = self.first(key, node)
        return found is not None and found < count
