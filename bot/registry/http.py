"""HTTP to registries: retries with backoff and jitter, ``Retry-After``, error classes.

429, 5xx and timeouts are retried; when the attempts run out the registry is
*unavailable* (try the file again later). A connection refused, reset or dropped is an
outage too, retried the same way, when the host is one that should answer (a public
registry, one the configuration names, or one that answered earlier in the run); a host
that could not be connected to then stays down until the run tries the files that needed
it again, at its end (``RegistryClient.forget_outages``). Anything else
that cannot be connected to (an unknown private host, no such name, a TLS failure, a bad
URL) makes the image *unreachable* (a finding), and so does a host the egress policy
refuses (:mod:`bot.registry.egress`) or an answer over the size cap. One :meth:`Retrying.send`,
its retries and waits included, runs under a total deadline. Messages name the host only:
URLs never carry credentials, and headers are never shown.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bot.httpwait import retry_after, warn_wait
from bot.registry.egress import DEADLINE, MAX_BODY, BodyTooLarge, EgressRefused, deadline, read_whole
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
    dead: dict[str, str] = field(default_factory=dict)  # hosts no retry can reach (DNS, TLS): unreachable
    down: dict[str, str] = field(default_factory=dict)  # hosts that refused or dropped us to the end: unavailable
    listener: Callable[[str, int | None], None] | None = None  # hears (host label, status) of every request: metrics
    label: Callable[[str], str] = lambda host: "other"  # the host as a metrics label: a bounded set
    expected: Callable[[str], bool] = lambda host: True  # a host that should answer: refused is an outage
    answered: set[str] = field(default_factory=set)  # hosts that answered this run
    deadline: float = DEADLINE  # seconds for one send, its retries and waits included
    max_body: int = MAX_BODY  # bytes of one answer

    def send(self, method: str, url: str, headers: Mapping[str, str]) -> httpx.Response:
        host = urlsplit(url).netloc
        if host in self.dead:
            raise ImageUnreachable(self.dead[host])
        if host in self.down:
            raise RegistryUnavailable(self.down[host])
        why = ""
        end = time.monotonic() + self.deadline
        with deadline(self.deadline):
            for attempt in range(self.attempts):
                response, why = self._once(method, url, headers, host)
                if response is not None and response.status_code not in RETRY_STATUSES:
                    return response
                delay = self._delay(response, attempt)
                if delay is None or attempt == self.attempts - 1 or time.monotonic() + delay >= end:
                    break
                warn_wait(log, f"registry {host}", why, delay, attempt + 2, self.attempts)
                self.sleep(delay)
        late = why == "timeout" and time.monotonic() >= end
        if late:
            why = f"no complete answer within {self.deadline:g}s"
        message = f"registry {host} is unavailable ({why}); try again later"
        if late or why in _CONNECTION_FAILURES:
            self.down[host] = message
        raise RegistryUnavailable(message)

    def _once(self, method: str, url: str, headers: Mapping[str, str], host: str) -> tuple[httpx.Response | None, str]:
        try:
            request = self.http.build_request(method, url, headers=dict(headers))
            response = read_whole(self.http.send(request, stream=True), self.max_body)
        except EgressRefused as exc:
            self.dead[host] = str(exc)
            raise ImageUnreachable(str(exc)) from None
        except BodyTooLarge as exc:
            self._heard(host, None)
            raise ImageUnreachable(f"registry {host}: {exc}") from None
        except httpx.TimeoutException:
            self._heard(host, None)
            return None, "timeout"
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            self._heard(host, None)
            if _permanent(exc) or not (host in self.answered or self.expected(host)):
                self.dead[host] = f"registry {host} cannot be reached ({_kind(exc)})"
                raise ImageUnreachable(self.dead[host]) from None
            # a registry that should answer: refused, reset, dropped, or its name not
            # resolved (no network, a DNS outage) is an outage, never a finding
            return None, _kind(exc)
        self._heard(host, response.status_code)
        self.answered.add(host)
        log.debug("%s %s -> %s", method, _path(url), response.status_code)
        return response, f"HTTP {response.status_code}"

    def _heard(self, host: str, status: int | None) -> None:
        if self.listener is not None:
            self.listener(self.label(host), status)

    def _delay(self, response: httpx.Response | None, attempt: int) -> float | None:
        wait = retry_after(response.headers.get("Retry-After")) if response is not None else None
        if wait is None:
            backoff = min(self.base_delay * 2.0**attempt, self.max_delay)
            return backoff + self.rng.uniform(0, backoff / 2)
        return wait if wait <= self.max_delay else None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"  # queries may carry scopes, nothing secret, but stay short


NAME_NOT_RESOLVED = "name resolution failed"
_CONNECTION_FAILURES = frozenset(
    {"ConnectError", "ReadError", "WriteError", "RemoteProtocolError", "NetworkError", NAME_NOT_RESOLVED}
)


def _causes(exc: BaseException) -> list[BaseException]:
    """The cause chain: httpx -> httpcore -> the socket's own error."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def _permanent(exc: Exception) -> bool:
    """A failure no retry mends: a bad URL or protocol, TLS. (A name that does not resolve
    may be a DNS outage or no network at all: whether it is an outage depends on the host.)"""
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return True
    return any(isinstance(seen, ssl.SSLError) for seen in _causes(exc))


def _kind(exc: Exception) -> str:
    if any(isinstance(seen, socket.gaierror) for seen in _causes(exc)):
        return NAME_NOT_RESOLVED
    return type(exc).__name__
