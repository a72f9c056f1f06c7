"""Hostile servers on 127.0.0.1 for the security tests: each records every request it
gets (so a test can assert that nothing reached it) and answers as its script says."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


Script = Callable[[Request, socket.socket, "Server"], None]  # writes the answer to the socket


@dataclass
class Server:
    port: int
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    sent: int = 0  # bytes a script reported sending

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}"


@contextmanager
def hostile(script: Script) -> Iterator[Server]:
    """A threaded HTTP/1.1 server whose answers ``script`` writes by hand."""
    state = Server(0)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            state.connections += 1
            sock: socket.socket = self.request
            sock.settimeout(10)
            while (request := _read_head(sock)) is not None:
                state.requests.append(request)
                try:
                    script(request, sock, state)
                except OSError:
                    return  # the client went away: what the refusal tests want

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _read_head(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(4096)
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Request(method, path, headers)


def answer(sock: socket.socket, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
    head = {"Content-Length": str(len(body)), **(headers or {})}
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in head.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def drip(sock: socket.socket, data: bytes, every: float, server: Server) -> None:
    """Send ``data`` one byte at a time, ``every`` seconds apart (until the client leaves)."""
    for byte in data:
        sock.sendall(bytes([byte]))
        server.sent += 1
        time.sleep(every)
