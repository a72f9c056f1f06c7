"""What one client may cost the web app: body size and time, header time, login guesses.

* :class:`RequestLimits` (ASGI middleware) refuses a request head over
  ``max_header_bytes`` (431; uvicorn's own check only sees heads that arrive in pieces)
  and a body over ``max_body_bytes`` before any handler reads it: at once by its
  ``Content-Length``, else when the streamed bytes pass the limit (413); a body that does
  not arrive within ``body_timeout`` is a 408. A refused request closes its connection.
* :class:`HeaderDeadline` is uvicorn's h11 protocol with the timeout uvicorn lacks: a
  connection that has not sent a whole request head within ``header_timeout`` seconds
  (after connecting, or after starting one) is closed. Idle keep-alive connections are
  closed by uvicorn's own ``timeout_keep_alive``.
* :class:`LoginThrottle` counts ``POST /login`` attempts per client address and in total
  over a sliding minute; past either, 429 with ``Retry-After``. Memory is bounded: at
  most :data:`MAX_CLIENTS` addresses are remembered (the oldest are forgotten first).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import h11
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.settings.web import WebLimits

MAX_CLIENTS = 10_000
WINDOW = 60.0  # seconds


class RequestLimits:
    def __init__(self, app: ASGIApp, limits: WebLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if head > self.limits.max_header_bytes:
            await _refuse(send, 431, f"request head over {self.limits.max_header_bytes} bytes")
            return
        cap = self.limits.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            await _refuse(send, 413, f"request body over {cap} bytes")
            return
        refused: list[int] = []
        capped = _capped(receive, cap, time.monotonic() + self.limits.body_timeout, refused)
        await self.app(scope, capped, _closing(send, refused))


def _capped(receive: Receive, cap: int, end: float, refused: list[int]) -> Receive:
    """``receive`` that raises 413 past ``cap`` bytes and 408 past ``end`` (the handler
    reading the body gets the HTTPException, which the app turns into the answer)."""
    seen, done = 0, False

    async def capped() -> Message:
        nonlocal seen, done
        if done:
            return await receive()  # after the body: disconnect notices, no deadline
        try:
            message = await asyncio.wait_for(receive(), timeout=max(end - time.monotonic(), 0.001))
        except TimeoutError:
            refused.append(408)
            raise HTTPException(408, "the request body did not arrive in time") from None
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                refused.append(413)
                raise HTTPException(413, f"request body over {cap} bytes")
            done = not message.get("more_body", False)
        return message

    return capped


def _closing(send: Send, refused: list[int]) -> Send:
    """After a refused body the connection is closed with the answer: the rest of the body
    is never read (uvicorn would otherwise read and discard it to reuse the connection)."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start" and refused:
            message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
        await send(message)

    return closing


async def _refuse(send: Send, status: int, reason: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = reason.encode()
    head = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    head.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": head + (headers or [])})
    await send({"type": "http.response.body", "body": body})


class HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol; ``header_timeout`` is set by :func:`protocol_with_deadline`."""

    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            if self._head_timer is None:
                self._arm()  # a new request has begun (or is dripping in)
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def protocol_with_deadline(seconds: float) -> type[HeaderDeadline]:
    return type("HeaderDeadlineProtocol", (HeaderDeadline,), {"header_timeout": seconds})


class LoginThrottle:
    def __init__(self, per_client: int, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client = per_client
        self.total = total
        self.clock = clock
        self._all: deque[float] = deque()
        self._clients: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, client: str) -> float | None:
        """Count an attempt; None if it may go on, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            mine = self._clients.pop(client, None) or deque()
            self._clients[client] = mine  # most recent last
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            for seen, limit in ((mine, self.per_client), (self._all, self.total)):
                while seen and seen[0] <= now - WINDOW:
                    seen.popleft()
                if len(seen) >= limit:
                    return max(seen[0] + WINDOW - now, 1.0)
            mine.append(now)
            self._all.append(now)
            return None


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(math.ceil(seconds))}


def uvicorn_options(limits: WebLimits) -> dict[str, Any]:
    """The uvicorn.Config keywords that bound connections and their time."""
    return {
        "timeout_keep_alive": limits.idle_timeout,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "limit_concurrency": limits.max_connections,
        "http": protocol_with_deadline(limits.header_timeout),
    }
