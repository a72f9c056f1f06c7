"""A client that is slow on purpose, sends too much or guesses the login token must not
exhaust the service: real uvicorn on 127.0.0.1, raw sockets for the slow clients."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from bot.service.web.app import create_app
from bot.service.web.limits import MAX_CLIENTS, LoginThrottle
from bot.settings.web import Secret, ServiceSettings, WebLimits, WebSettings
from tests.service.web.apps import TOKEN
from tests.service.web.fakes import FakeServices
from tests.service.web.serving import serve

LIMITS = WebLimits(
    max_body_bytes=64 * 1024, body_timeout=1.0, header_timeout=1.0, idle_timeout=1, login_attempts_per_client=5,
    login_attempts_total=8,
)  # fmt: skip


def web_app(limits: WebLimits = LIMITS) -> FastAPI:
    return create_app(ServiceSettings(WebSettings(api_token=Secret(TOKEN), limits=limits)), FakeServices())


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(web_app(), LIMITS) as url:
        yield url


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed ``sock`` (reading whatever it sent first)."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds}s")
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_a_connection_that_sends_nothing_is_closed(base: str) -> None:
    with connect(base) as sock:
        assert closed_within(sock, 5) < 3


def test_a_dripped_request_head_is_closed_at_the_header_timeout(base: str) -> None:
    with connect(base) as sock:
        started = time.monotonic()
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)  # 13 s for the whole head
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed_within(sock, 5)
        assert time.monotonic() - started < 4


def test_an_idle_keep_alive_connection_is_closed(base: str) -> None:
    with connect(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed_within(sock, 5) < 3


def test_many_idle_connections_do_not_stop_health_checks(base: str) -> None:
    idle = [connect(base) for _ in range(200)]
    try:
        started = time.monotonic()
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1
        time.sleep(2)  # past the header timeout: every idle one is gone
        assert all(closed_within(sock, 3) < 3 for sock in idle)
    finally:
        for sock in idle:
            sock.close()


def test_a_body_declared_too_large_is_refused_before_it_is_sent(base: str) -> None:
    with connect(base) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 314572800\r\n\r\n"
        )
        sock.settimeout(3)
        assert sock.recv(65536).startswith(b"HTTP/1.1 413")


def test_a_streamed_body_is_refused_when_it_passes_the_limit(base: str) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(300 * 16):  # 300 MiB without a Content-Length
            sent += 65536
            yield b"t" * 65536

    try:
        reply = httpx.post(f"{base}/login", content=body(), timeout=10)
        assert reply.status_code == 413
    except httpx.HTTPError:
        pass  # the server may close before the client finishes writing: refused either way
    assert sent < 64 * 1024 * 1024


def test_a_body_that_does_not_arrive_in_time_is_refused(base: str) -> None:
    with connect(base) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\ntoken="
        )
        sock.settimeout(5)
        started = time.monotonic()
        assert sock.recv(65536).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 3


def test_login_guesses_are_throttled_with_retry_after() -> None:
    with serve(web_app(), LIMITS) as url:
        statuses = [httpx.post(f"{url}/login", data={"token": f"guess-{n}"}).status_code for n in range(7)]
        assert statuses == [401] * 5 + [429] * 2
        reply = httpx.post(f"{url}/login", data={"token": TOKEN}, follow_redirects=False)
        assert reply.status_code == 429  # the right token too: a guesser cannot tell
        assert 1 <= int(reply.headers["Retry-After"]) <= 60


def test_the_global_login_limit_holds_across_clients() -> None:
    now = [0.0]
    throttle = LoginThrottle(per_client=5, total=8, clock=lambda: now[0])
    assert [throttle.attempt(f"10.0.0.{n}") for n in range(8)] == [None] * 8
    assert throttle.attempt("10.0.0.99") == 60.0
    now[0] = 60.5
    assert throttle.attempt("10.0.0.99") is None  # the window slid


def test_the_throttle_remembers_a_bounded_number_of_clients() -> None:
    throttle = LoginThrottle(per_client=5, total=10**9)
    for n in range(MAX_CLIENTS + 500):
        throttle.attempt(f"client-{n}")
    assert len(throttle._clients) == MAX_CLIENTS


def test_an_oversized_request_head_is_refused(base: str) -> None:
    with connect(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"z" * (32 * 1024) + b"\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(65536).split(b" ", 2)[1] in (b"400", b"431")  # 400: uvicorn's check, 431: ours


def test_an_oversized_head_in_pieces_is_refused_by_uvicorn(base: str) -> None:
    with connect(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        for _ in range(40):
            time.sleep(0.005)
            try:
                sock.sendall(b"z" * 1024)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(5)
        assert sock.recv(65536).startswith(b"HTTP/1.1 400")
