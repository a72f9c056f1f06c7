"""How long a server asks us to wait (``Retry-After``, rate-limit reset headers), and how
fast to call a forge so that its rate limit is never met (:class:`Pacer`).

One reading for every client (registries over httpx, GitHub over PyGithub, GitLab over
requests); each client keeps its own retry loop and bounds."""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_log = logging.getLogger(__name__)

Listener = Callable[[int | None, int | None], None]
"""Hears one API answer: its HTTP status (None: no answer came) and the rate-limit remaining, if sent."""


def retry_after(value: str | None, *, epoch: bool = False, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait, never negative, or None when the header is absent or unreadable.

    ``value`` is delta-seconds or an HTTP date (``Retry-After``); with ``epoch`` it is a
    Unix time to wait until (``X-RateLimit-Reset``, ``RateLimit-Reset``)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(when.timestamp() - now(), 0.0)
    return max(number - now(), 0.0) if epoch else max(number, 0.0)


def paced_wait(remaining: int | None, reset_in: float | None, reserve: int, cap: float) -> float:
    """Seconds to wait before the next call so that what is left of a rate-limit window
    lasts until it resets: nothing while more than ``reserve`` calls are left (or nothing
    is known), then the time to the reset shared out over the calls left, at most ``cap``."""
    if remaining is None or reset_in is None or remaining > reserve or reset_in <= 0:
        return 0.0
    return float(min(cap, reset_in / max(remaining, 1)))


class Pacer:
    """The pace of one API client, shared by every thread that calls through it.

    Two brakes: a fixed spacing between requests (and between writes), and back-pressure
    from the rate-limit headers (:func:`paced_wait`) once the reserve is reached. Each call
    takes the next free slot under a lock and sleeps outside it, so N threads together
    keep the pace one thread would. ``listeners`` hear every answer (the service's metrics).
    """

    def __init__(
        self,
        reserve: int = 0,
        cap: float = 3600.0,
        *,
        between_requests: float | None = None,
        between_writes: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        listeners: list[Listener] | None = None,
        name: str = "",
    ) -> None:
        self.name = name  # "GitHub", "GitLab": what a long pause is logged as
        self.reserve, self.cap = reserve, cap
        self.between_requests, self.between_writes = between_requests or 0.0, between_writes or 0.0
        self.clock, self.sleep = clock, sleep
        self.remaining: int | None = None
        self.reset: float | None = None  # Unix time the window resets
        self.listeners = [] if listeners is None else listeners  # shared with the client's owner
        self._lock = threading.Lock()
        self._last_call = -math.inf  # when the latest call started (or is due to start)
        self._last_write = -math.inf

    def before(self, write: bool = False) -> float:
        """Wait until this call may start; the seconds waited.

        A call starts ``spacing`` after the one before it (not after its own arrival), so a
        caller that is slow anyway loses no time to the brakes."""
        with self._lock:
            now = self.clock()
            reset_in = None if self.reset is None else self.reset - now
            spacing = max(paced_wait(self.remaining, reset_in, self.reserve, self.cap), self.between_requests)
            start = max(now, self._last_call + spacing)
            if write:
                start = max(start, self._last_write + self.between_writes)
                self._last_write = start
            self._last_call = start
        if start - now > LONG_PAUSE:
            why = (
                "rate limit nearly used up"
                if self.remaining is not None and self.remaining <= self.reserve
                else "pacing"
            )
            warn_wait(_log, self.name or "API", why, start - now)
        if start > now:
            self.sleep(start - now)
        return start - now

    def answered(self, status: int | None, remaining: str | None, reset: str | None) -> None:
        """Note one answer (``status`` None: none came) and its rate-limit headers, if any."""
        left = _integer(remaining)
        with self._lock:
            # a refusal's "0 left" is waited out by the retry layer, which knows its Retry-After
            if left is not None and status is not None and status < 500 and status not in (403, 429):
                self.remaining = left
                self.reset = _integer(reset) if reset else self.reset
        for listener in list(self.listeners):
            listener(status, left)


def _integer(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None  # GitHub has been seen sending floats
    except ValueError:
        return None


LONG_PAUSE = 5.0  # seconds: a pacing pause longer than this is worth a WARNING


def warn_wait(log: logging.Logger, what: str, reason: str, wait: float, attempt: int = 0, attempts: int = 0) -> None:
    """One WARNING for a retry or a wait: what is waited for, why, and until when (UTC)."""
    until = datetime.now(UTC) + timedelta(seconds=wait)
    tries = f" (attempt {attempt} of {attempts})" if attempts else ""
    log.warning("%s: %s; waiting %.1f s, until %s UTC%s", what, reason, wait, f"{until:%H:%M:%S}", tries)
