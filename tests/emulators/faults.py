"""Fault injection for the forge emulators: the outages a bot meets in real life.

An HTTP handler calls :meth:`Faults.decide` before answering and acts on the
:class:`Fault` it gets back (``None``: answer normally). Draws come from one seeded
``random.Random``, so a failing test replays the same faults. Rates are
probabilities per request; they are checked in a fixed order, each with its own draw.

A :class:`Trigger` is the exact-point variant: from the n-th request matching a method
and a path pattern on, a given fault, k times in a row, and first a callback (the crash
tests ``kill -9`` the client there).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"  # 502/503 with a JSON message
    SECONDARY_RATE_LIMIT = "secondary_rate_limit"  # 403 + Retry-After (GitHub's abuse limit)
    TOO_MANY_REQUESTS = "too_many_requests"  # 429 + Retry-After
    DROP = "drop"  # close the connection without an answer
    # GitHub's legacy abuse-detection 403, no Retry-After; the body as GitHub sent it, quoted
    # with its headers in nf-core/tools#970 ("You have triggered an abuse detection
    # mechanism ...", X-RateLimit-Remaining 4513 of 5000: not the primary limit) and
    # jcabi/jcabi-github#1325 ("... Please wait a few minutes before you try again.")
    ABUSE_DETECTION = "abuse_detection"


SHARED_KINDS = frozenset(FaultKind) - {FaultKind.ABUSE_DETECTION}  # what both emulators draw


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 0  # 0 for DROP
    retry_after: int | None = None  # seconds, for the rate limits
    after: bool = False  # DROP only: the request is handled, then the answer is lost

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


@dataclass
class Trigger:
    """Requests matching ``method`` ("" any) and ``path`` (a regex searched in the path),
    from the ``nth`` (1-based) on, ``times`` in a row, meet ``fault``; ``callback`` runs
    first (the crash tests ``kill -9`` the client there)."""

    method: str
    path: str
    callback: Callable[[], None] | None = None
    fault: Fault = Fault(FaultKind.DROP)  # after=True: the work is done, the answer lost
    nth: int = 1
    times: int = 1
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if (self.method and method != self.method) or not re.search(self.path, path):
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times

    @property
    def spent(self) -> bool:
        return self.seen >= self.nth + self.times - 1


@dataclass
class Faults:
    """What goes wrong, how often. All zero: nothing does."""

    latency: float = 0.0  # seconds slept before every answer
    server_error_rate: float = 0.0
    secondary_rate_limit_rate: float = 0.0
    too_many_requests_rate: float = 0.0
    drop_rate: float = 0.0
    # the request is applied but its answer is lost (the connection drops): a retried
    # POST then meets its own earlier success
    lost_answer_rate: float = 0.0
    abuse_detection_rate: float = 0.0  # GitHub only (FaultKind.ABUSE_DETECTION)
    retry_after: int = 0  # seconds sent in Retry-After (tests use 0 or 1)
    seed: int = 0
    # only requests whose method is in this set are faulted (empty: every method)
    methods: frozenset[str] = frozenset()
    triggers: list[Trigger] = field(default_factory=list)
    rng: random.Random = field(init=False, repr=False)
    injected: list[tuple[str, str, FaultKind]] = field(default_factory=list, repr=False)
    lost_answers: int = 0  # how many of the injected DROPs came after the work was done
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def uniform(cls, rate: float, seed: int = 0, retry_after: int = 0) -> Faults:
        """``rate`` of each kind of failure (the reliability tests use 0.05)."""
        return cls(
            server_error_rate=rate,
            secondary_rate_limit_rate=rate,
            too_many_requests_rate=rate,
            drop_rate=rate,
            retry_after=retry_after,
            seed=seed,
        )

    def decide(self, method: str, path: str) -> Fault | None:
        """Sleep the latency, then draw this request's fault (recorded in ``injected``)."""
        if self.latency:
            time.sleep(self.latency)
        trigger = self._trigger(method, path)
        if trigger is not None:
            if trigger.callback is not None:
                trigger.callback()  # outside the lock: it may wait for the client to die
            self._note(method, path, trigger.fault)
            return trigger.fault
        if self.methods and method not in self.methods:
            return None
        with self._lock:
            fault = self._draw()
        if fault is not None:
            self._note(method, path, fault)
        return fault

    def _note(self, method: str, path: str, fault: Fault) -> None:
        with self._lock:
            self.injected.append((method, path, fault.kind))
            self.lost_answers += fault.after

    def _trigger(self, method: str, path: str) -> Trigger | None:
        with self._lock:  # every trigger counts every request, whichever one fires
            hits = [t for t in self.triggers if t.matches(method, path)]
        return hits[0] if hits else None

    def _draw(self) -> Fault | None:
        if self.rng.random() < self.server_error_rate:
            return Fault(FaultKind.SERVER_ERROR, self.rng.choice((502, 503)))
        if self.rng.random() < self.secondary_rate_limit_rate:
            return Fault(FaultKind.SECONDARY_RATE_LIMIT, 403, self.retry_after)
        if self.rng.random() < self.too_many_requests_rate:
            return Fault(FaultKind.TOO_MANY_REQUESTS, 429, self.retry_after)
        if self.rng.random() < self.drop_rate:
            return Fault(FaultKind.DROP)
        if self.rng.random() < self.lost_answer_rate:
            return Fault(FaultKind.DROP, after=True)
        if self.abuse_detection_rate and self.rng.random() < self.abuse_detection_rate:  # no draw at 0
            return Fault(FaultKind.ABUSE_DETECTION, 403)
        return None

    def count(self, kind: FaultKind | None = None) -> int:
        return sum(1 for _, _, k in self.injected if kind is None or k == kind)
