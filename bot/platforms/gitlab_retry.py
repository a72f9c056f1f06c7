"""Bounded retries for GitLab's HTTP API, below python-gitlab (a ``requests`` session).

A 429, a 5xx, a 403 that carries ``Retry-After`` and a dropped connection are retried
with bounded waits (``Retry-After`` or ``RateLimit-Reset`` honoured up to a cap, else
exponential backoff with jitter); when the attempts run out the request raises
:class:`PlatformUnavailable` ("try again later"), which python-gitlab lets through.
Messages name the method and path only: no query, no header, no token.

The session also paces itself (:class:`~bot.httpwait.Pacer`): the configured pauses
between requests and writes, and back-pressure from ``RateLimit-Remaining`` /
``RateLimit-Reset`` once the reserve is reached, shared by every thread that calls it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from bot.httpwait import Listener, Pacer, retry_after, warn_wait
from bot.platforms.base import PlatformUnavailable

if TYPE_CHECKING:
    from bot.settings.targets import PlatformSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to insist on one HTTP request before saying "try again later"."""

    attempts: int = 8  # tries per request, the first included
    base_delay: float = 1.0  # first backoff, doubled per attempt, with jitter
    max_delay: float = 120.0  # the longest single wait, Retry-After and pacing included
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)  # tests pass a recorder
    clock: Callable[[], float] = field(default=time.time, repr=False)  # Unix time, for RateLimit-Reset
    seconds_between_requests: float = 0.0
    seconds_between_writes: float = 0.0
    rate_limit_reserve: int = 100  # requests left below which they are spread out until the reset

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)))


class RetryingSession(requests.Session):
    """A requests session that outlasts rate limits, 5xx answers and dropped connections."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.policy = policy
        self.pacer = Pacer(
            policy.rate_limit_reserve,
            policy.max_delay,
            between_requests=policy.seconds_between_requests,
            between_writes=policy.seconds_between_writes,
            clock=policy.clock,
            sleep=policy.sleep,
            name="GitLab",
        )

    def listen(self, listener: Listener) -> None:
        """Tell ``listener`` about every answer (and every request that got none)."""
        self.pacer.listeners.append(listener)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        where = f"{method!s} {urlsplit(str(url)).path}"  # no query, no credentials
        failure = ""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                response = self._send(method, url, *args, **kwargs)
            except requests.exceptions.SSLError:
                raise  # a configuration problem: retrying will not help
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                failure, wait = type(exc).__name__, self.policy.backoff(attempt)
            else:
                found = self._wait(response, attempt)
                if found is None:
                    return response
                failure, wait = f"HTTP {response.status_code}", found
                response.close()
            if attempt < self.policy.attempts:
                warn_wait(log, f"GitLab {where}", failure, wait, attempt + 1, self.policy.attempts)
                self.policy.sleep(wait)
        raise PlatformUnavailable(f"GitLab {where}: {failure} after {self.policy.attempts} attempts; try again later")

    def _send(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """One HTTP request, paced, its answer noted."""
        verb = method.decode() if isinstance(method, bytes) else method
        self.pacer.before(write=verb.upper() not in ("GET", "HEAD"))
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException:
            self.pacer.answered(None, None, None)
            raise
        headers = response.headers
        self.pacer.answered(response.status_code, headers.get("RateLimit-Remaining"), headers.get("RateLimit-Reset"))
        return response

    def _wait(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this answer, or None to keep it."""
        status = response.status_code
        asked = retry_after(response.headers.get("Retry-After"))
        if status == 429 and asked is None:
            asked = retry_after(response.headers.get("RateLimit-Reset"), epoch=True)
        if not (status == 429 or status >= 500 or (status == 403 and asked is not None)):
            return None
        wait = asked if asked is not None else self.policy.backoff(attempt)
        return min(self.policy.max_delay, wait)


def policy_from_settings(settings: PlatformSettings) -> RetryPolicy:
    """The retry bounds and the pace of a ``type: gitlab`` platform entry."""
    pace = settings.pace()
    return RetryPolicy(
        seconds_between_requests=pace.seconds_between_requests,
        seconds_between_writes=pace.seconds_between_writes,
        rate_limit_reserve=pace.rate_limit_reserve,
    )
