"""Where the registry client may connect, and how long and how much it may read.

A Dockerfile names the registry its base comes from, so without a policy a FROM line
turns the bot into a proxy into the company network. The :class:`Egress` policy admits
a host when it is on the default list of public registries (:data:`PUBLIC_REGISTRIES`),
named by the configuration (a ``registries:`` section, its mirror) or listed in
``registries.allow``. Plain HTTP only to a host the configuration names as plain HTTP.

Admitted is not enough: the address the name resolves to must be public (not loopback,
link-local, private, shared, multicast, reserved or unspecified) unless the host is
configured *exactly* (a section, a mirror, or an ``allow`` entry without a wildcard).
The check runs in the connection itself (:class:`GuardedBackend`): the name is resolved
once, every address checked, and the socket connects to the checked address, so a DNS
answer that changes between check and use (rebinding) cannot switch it; TLS still
verifies the certificate for the name.

Every request runs under a total deadline (:func:`deadline`): each socket read and
write waits at most what is left of it, so a server that drips one byte at a time
cannot hold a run; bodies are read in chunks up to a size cap (:func:`read_capped`).

Over 300 lines: the egress policy and the transport that enforces it on the resolved
address are one security boundary, kept in one place to review.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import httpcore
import httpx

# The public registries, their token services and the CDNs their blobs redirect to.
PUBLIC_REGISTRIES = (
    "docker.io",
    "registry-1.docker.io",
    "index.docker.io",
    "auth.docker.io",
    "production.cloudflare.docker.com",
    "ghcr.io",
    "pkg-containers.githubusercontent.com",
    "quay.io",
    "cdn.quay.io",
    "cdn01.quay.io",
    "cdn02.quay.io",
    "cdn03.quay.io",
    "gcr.io",
    "*.gcr.io",
    "*.pkg.dev",
    "registry.k8s.io",
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
    "public.ecr.aws",
    "registry.gitlab.com",
    "gitlab.com",
    "nvcr.io",
    "registry.access.redhat.com",
    "registry.redhat.io",
)
DEADLINE = 60.0  # seconds for one request, from connecting to its last body byte
MAX_BODY = 8 * 1024 * 1024  # bytes of one answer (manifests, tag-list pages, config blobs, tokens)
Resolve = Callable[[str, int], list[str]]


class EgressRefused(Exception):
    """A host or address the policy does not admit; the message says which and why."""


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Egress:
    """Which hosts the registry client may reach. Hosts are ``name`` or ``name:port``;
    a pattern without a port admits every port; ``*`` matches within the name."""

    patterns: tuple[str, ...] = PUBLIC_REGISTRIES  # admitted, at public addresses only
    exact: frozenset[str] = frozenset()  # configured by name: any address, plain HTTP too

    @classmethod
    def of(cls, configured: Iterable[str], allow: Iterable[str] = ()) -> Egress:
        allow = tuple(_normal(a) for a in allow)
        exact = {_normal(h) for h in configured} | {a for a in allow if "*" not in a}
        return cls(PUBLIC_REGISTRIES + allow, frozenset(exact))

    def check_url(self, url: httpx.URL) -> None:
        """Raise :class:`EgressRefused` unless ``url`` may be requested at all."""
        netloc = _netloc(url.host, url.port)
        if not self.admits(netloc):
            raise EgressRefused(f"registry host {netloc} not allowed: not a known public registry, not configured")
        if url.scheme == "http" and not self._named(netloc, self.exact):
            raise EgressRefused(f"registry host {netloc} not allowed: plain HTTP to a host not configured by name")
        if url.scheme not in ("http", "https"):
            raise EgressRefused(f"registry host {netloc} not allowed: scheme {url.scheme!r}")

    def admits(self, netloc: str) -> bool:
        return self._named(netloc, self.exact) or any(_match(p, netloc) for p in self.patterns)

    def check_address(self, host: str, port: int, address: str) -> None:
        if self._named(_netloc(host, port), self.exact):
            return
        why = inward(address)
        if why:
            raise EgressRefused(f"registry host {_netloc(host, port)} not allowed: resolves to {why} ({address})")

    @staticmethod
    def _named(netloc: str, names: frozenset[str]) -> bool:
        return netloc in names or _host(netloc) in names


def _netloc(host: str, port: int | None) -> str:
    host = host.lower()
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None or port in (80, 443) else f"{shown}:{port}"


def _normal(netloc: str) -> str:
    """Lower case, without a default port: how :func:`_netloc` shows a URL's host."""
    netloc = netloc.lower()
    return _host(netloc) if _has_port(netloc) and netloc.rsplit(":", 1)[1] in ("80", "443") else netloc


def _match(pattern: str, netloc: str) -> bool:
    """``name:port`` patterns match the port too; ``name`` patterns any port."""
    return fnmatchcase(netloc if _has_port(pattern) else _host(netloc), pattern)


def _has_port(netloc: str) -> bool:
    return ":" in netloc.rsplit("]", 1)[-1]


def _host(netloc: str) -> str:
    return netloc.rsplit(":", 1)[0] if _has_port(netloc) else netloc


def inward(address: str) -> str | None:
    """Why ``address`` is not a public one (None: it is)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, test in (
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("the unspecified address", ip.is_unspecified),
        ("a private address", ip.is_private),
        ("a reserved address", ip.is_reserved or not ip.is_global),
    ):
        if test:
            return kind
    return None


# -- the deadline of the request running on this thread --------------------------------

_local = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of the requests made inside waits at most what is left."""
    outer = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds if outer is None else min(outer, time.monotonic() + seconds)
    try:
        yield
    finally:
        _local.deadline = outer


def _left(timeout: float | None) -> float | None:
    end: float | None = getattr(_local, "deadline", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class BodyTooLarge(Exception):
    pass


def read_capped(response: httpx.Response, cap: int = MAX_BODY) -> bytes:
    """The streamed body, refused as soon as it passes ``cap`` bytes (or says it will)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap and response.request.method != "HEAD":
        raise BodyTooLarge(f"the answer is {int(declared)} bytes, over the {cap}-byte limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(64 * 1024):  # decoded: a compressed bomb stops at the cap too
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge(f"the answer passed the {cap}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def read_whole(response: httpx.Response, cap: int = MAX_BODY) -> httpx.Response:
    """A streamed response read under the cap, as a response with its content in memory."""
    try:
        body = read_capped(response, cap)
    finally:
        response.close()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _FRAMING]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)


_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})


# -- the connection: resolve once, check, connect to the checked address ---------------


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self.inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with the address check and the deadline."""

    def __init__(
        self, egress: Egress, resolve: Resolve = system_resolve, inner: httpcore.NetworkBackend | None = None
    ) -> None:
        self.egress = egress
        self.resolve = resolve
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host}: no address")
        for address in addresses:  # every answer: a mixed answer must not pass by luck of the order
            self.egress.check_address(host, port, address)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(address, port, _left(timeout), local_address, socket_options)
                return _Stream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """Checks every request (redirect hops and token services included) against the
    policy before it is sent; connects through :class:`GuardedBackend`."""

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__()
        self.egress = backend.egress
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=100, keepalive_expiry=5.0, network_backend=backend
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.egress.check_url(request.url)
        return super().handle_request(request)


def guarded_client(
    egress: Egress, resolve: Resolve = system_resolve, inner: httpcore.NetworkBackend | None = None
) -> httpx.Client:
    """The registry client's HTTP client: redirects are followed hop by hop through the
    policy (httpx drops the Authorization header when a hop leaves the origin). ``inner``
    is the socket backend under the checks (tests record connections with it).

    ``HTTP(S)_PROXY`` from the environment is not used: a proxy would resolve and connect
    itself, past the address checks."""
    transport = GuardedTransport(GuardedBackend(egress, resolve, inner))
    return httpx.Client(
        transport=transport, follow_redirects=True, timeout=httpx.Timeout(20.0), max_redirects=5, trust_env=False
    )
