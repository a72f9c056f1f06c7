"""HTTP to registries: retries with backoff and jitter, ``Retry-After``, error classes.

429, 5xx and timeouts are retried; when the attempts run out the registry is
*unavailable* (try the file again later). A connection that cannot be made at all (no
such host, refused, TLS failure) makes the image *unreachable* (a finding). Messages
name the host only: URLs never carry credentials, and headers are never shown.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bot.httpwait import retry_after
from fixers.base import ImageUnreachable, RegistryUnavailable

log = logging.getLogger("dockmend.registry")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Retrying:
    http: httpx.Client
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0  # a longer Retry-After gives up at once: the file is retried later
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    dead: dict[str, str] = field(default_factory=dict)  # hosts that could not be reached this run
    listener: Callable[[str, int | None], None] | None = None  # hears (host, status) of every request: metrics

    def send(self, method: str, url: str, headers: Mapping[str, str]) -> httpx.Response:
        host = urlsplit(url).netloc
        if host in self.dead:
            raise ImageUnreachable(self.dead[host])
        for attempt in range(self.attempts):
            response, why = self._once(method, url, headers, host)
            if response is not None and response.status_code not in RETRY_STATUSES:
                return response
            delay = self._delay(response, attempt)
            if delay is None or attempt == self.attempts - 1:
                break
            log.debug("registry %s: %s, retrying in %.1fs", host, why, delay)
            self.sleep(delay)
        raise RegistryUnavailable(f"registry {host} is unavailable ({why}); try again later")

    def _once(self, method: str, url: str, headers: Mapping[str, str], host: str) -> tuple[httpx.Response | None, str]:
        try:
            response = self.http.request(method, url, headers=dict(headers))
        except httpx.TimeoutException:
            self._heard(host, None)
            return None, "timeout"
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            self._heard(host, None)
            self.dead[host] = f"registry {host} cannot be reached ({type(exc).__name__})"
            raise ImageUnreachable(self.dead[host]) from None
        self._heard(host, response.status_code)
        log.debug("%s %s -> %s", method, _path(url), response.status_code)
        return response, f"HTTP {response.status_code}"

    def _heard(self, host: str, status: int | None) -> None:
        if self.listener is not None:
            self.listener(host, status)

    def _delay(self, response: httpx.Response | None, attempt: int) -> float | None:
        wait = retry_after(response.headers.get("Retry-After")) if response is not None else None
        if wait is None:
            backoff = min(self.base_delay * 2.0**attempt, self.max_delay)
            return backoff + self.rng.uniform(0, backoff / 2)
        return wait if wait <= self.max_delay else None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"  # queries may carry scopes, nothing secret, but stay short
