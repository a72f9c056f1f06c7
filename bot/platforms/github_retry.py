"""Waiting out GitHub's rate limits and outages, within bounds.

GitHub says "slow down" three ways: the primary limit (``X-RateLimit-Remaining: 0``
until ``X-RateLimit-Reset``), the secondary limit (403 or 429, usually with
``Retry-After``), and plain outages (5xx, dropped connections). All three are waited
out here, one policy for every call, so a run slows down instead of failing; when a
wait would exceed the bound the call raises :class:`PlatformUnavailable` ("try again
later"), never a repository error. This is the only retry layer: PyGithub's own
``retry`` stays off so that the bounds below are the real ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
from github import GithubException

from bot.httpwait import retry_after, warn_wait
from bot.platforms.base import PlatformError, PlatformUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: without Retry-After, wait at least a minute


class RequestFailed(PlatformError):
    """GitHub refused the request (404, 403 without a rate limit, 409, 422…)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # tries per call, whatever went wrong
    backoff: float = 1.0  # first wait after a 5xx or a dropped connection; doubles each time
    max_backoff: float = 60.0
    max_wait: float = 3600.0  # the longest single rate-limit wait (a primary window); longer: unavailable
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)  # Unix time, for reset headers


def rate_limit_wait(exc: GithubException, now: float) -> float | None:
    """Seconds to wait when ``exc`` is a rate limit (primary or secondary), else None."""
    if exc.status not in (403, 429):
        return None
    headers = {key.lower(): value for key, value in (exc.headers or {}).items()}
    asked = retry_after(headers.get("retry-after"))
    if asked is not None:
        return asked
    reset = retry_after(headers.get("x-ratelimit-reset"), epoch=True, now=lambda: now)
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return reset
    message = str((exc.data or {}).get("message", "") if isinstance(exc.data, dict) else "").lower()
    # the legacy wording of the secondary limit: "You have triggered an abuse detection
    # mechanism ..." (403, no Retry-After, the primary limit far from spent)
    if exc.status == 429 or "rate limit" in message or "abuse detection" in message:
        return SECONDARY_DEFAULT_WAIT
    return None  # a 403 that is a refusal, not a limit


def _backoff(policy: RetryPolicy, attempt: int) -> float:
    return float(min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1)))


def describe(exc: GithubException) -> str:
    """A one-line reason from GitHub's answer (its message and those of its ``errors``:
    never headers), e.g. '422 Validation Failed (Draft pull requests are not supported ...)'."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or "").strip().replace("\n", " ")
    details = [str(e.get("message")) for e in data.get("errors") or () if isinstance(e, dict) and e.get("message")]
    text = f"{message} ({'; '.join(details)})" if details else message
    return f"{exc.status} {text}" if text else str(exc.status)


def retrying(policy: RetryPolicy, what: str, call: Callable[[], T]) -> T:
    """``call()``, retried on rate limits, 5xx and network errors; ``what`` names it in errors."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except GithubException as exc:
            wait = rate_limit_wait(exc, policy.clock())
            if wait is None and exc.status < 500:
                raise RequestFailed(f"{what}: {describe(exc)}", exc.status) from None
            if wait is not None and wait > policy.max_wait:
                raise PlatformUnavailable(f"{what}: rate limited for {wait:.0f}s more") from None
            reason = describe(exc)
            wait = _backoff(policy, attempt) if wait is None else wait
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            reason, wait = type(exc).__name__, _backoff(policy, attempt)
        if attempt == policy.attempts:
            raise PlatformUnavailable(f"{what}: GitHub unavailable after {attempt} attempts ({reason})")
        warn_wait(log, f"GitHub {what}", reason, wait, attempt + 1, policy.attempts)
        policy.sleep(wait)
    raise AssertionError("unreachable")
