"""How long a server asks us to wait: ``Retry-After`` and rate-limit reset headers.

One reading for every client (registries over httpx, GitHub over PyGithub, GitLab over
requests); each client keeps its own retry loop and bounds."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable


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
