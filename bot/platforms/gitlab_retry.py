"""Bounded retries for GitLab's HTTP API, below python-gitlab (a ``requests`` session).

A 429, a 5xx, a 403 that carries ``Retry-After`` and a dropped connection are retried
with bounded waits (``Retry-After`` or ``RateLimit-Reset`` honoured up to a cap, else
exponential backoff with jitter); when the attempts run out the request raises
:class:`PlatformUnavailable` ("try again later"), which python-gitlab lets through.
Messages name the method and path only: no query, no header, no token.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from bot.httpwait import retry_after
from bot.platforms.base import PlatformUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to insist on one HTTP request before saying "try again later"."""

    attempts: int = 8  # tries per request, the first included
    base_delay: float = 1.0  # first backoff, doubled per attempt, with jitter
    max_delay: float = 120.0  # the longest single wait, Retry-After included
    sleep: Callable[[float], None] = time.sleep  # tests pass a recorder: no real waiting

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)))


class RetryingSession(requests.Session):
    """A requests session that outlasts rate limits, 5xx answers and dropped connections."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.policy = policy

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        where = f"{method!s} {urlsplit(str(url)).path}"  # no query, no credentials
        failure = ""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                response = super().request(method, url, *args, **kwargs)
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
                log.warning(
                    "GitLab %s: %s; retry %d of %d in %.1f s", where, failure, attempt, self.policy.attempts - 1, wait
                )
                self.policy.sleep(wait)
        raise PlatformUnavailable(f"GitLab {where}: {failure} after {self.policy.attempts} attempts; try again later")

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
