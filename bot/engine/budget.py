"""The requests a run may still open, shared by the repositories worked on at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence


class Budget:
    """The requests the run may still open, shared by the threads of a target, and handed
    out as a one-at-a-time run would: in the listing's order. A repository asks for one
    when a plan of its own may open a request; while what its predecessors still being
    worked on could take leaves none for it, it waits for them to finish. So the cap picks
    the same repositories whatever the timing (and waits only when the cap is near)."""

    def __init__(self, left: int, order: Sequence[str], per_repo: int) -> None:
        self.left = left
        self.per_repo = max(1, per_repo)
        self.index = {name: n for n, name in enumerate(order)}
        self.busy = set(self.index.values())  # listing positions not finished yet
        self.cond = threading.Condition()

    def take(self, full_name: str) -> bool:
        me = self.index.get(full_name, -1)
        with self.cond:
            self.cond.wait_for(lambda: self.left - self._before(me) * self.per_repo > 0 or not self._before(me))
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    def _before(self, me: int) -> int:
        return sum(1 for n in self.busy if n < me)

    def give_back(self) -> None:
        with self.cond:
            self.left += 1
            self.cond.notify_all()

    def finished(self, full_name: str) -> None:
        with self.cond:
            self.busy.discard(self.index.get(full_name, -1))
            self.cond.notify_all()
