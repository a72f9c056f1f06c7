"""The GitLab emulator's HTTP side: one handler; faults are injected before any work is done,
but for a lost answer (the work is done, then the connection drops)."""

from __future__ import annotations

import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from tests.emulators.faults import Fault, FaultKind
from tests.emulators.gitlab_api import Reply

if TYPE_CHECKING:
    from tests.emulators.gitlab import GitLabEmulator

RATE_LIMIT = 2000  # requests per minute announced in RateLimit-* headers


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitLab behind nginx
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
        pass

    def _serve(self, method: str) -> None:
        em: GitLabEmulator = self.server.emulator  # type: ignore[attr-defined]
        raw_path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        base = f"http://{self.headers.get('Host')}{em.prefix}"
        if raw_path in (f"{em.prefix}/_emulator/state", "/_emulator/state"):
            return self._send(Reply(200, em.state()), method)
        api = f"{em.prefix}/api/v4"
        if not raw_path.startswith(api + "/"):
            return self._send(Reply(404, {"error": "404 Not Found"}), method)
        fault = em.faults.decide(method, raw_path) if em.faults else None
        if fault is not None and not fault.after:
            return self._fault(fault, method)
        reply = em.handle(method, raw_path[len(api) :], query, body, self.headers, base)
        if fault is not None:  # the work is done, the answer is lost
            self.close_connection = True
            return
        self._send(reply, method)

    def _fault(self, fault: Fault, method: str) -> None:
        if fault.kind == FaultKind.DROP:  # no answer at all: the client sees the connection close
            self.close_connection = True
            return
        if fault.kind == FaultKind.TOO_MANY_REQUESTS:  # GitLab's throttle answers in plain text
            reply = Reply(429, b"Retry later", content_type="text/plain", headers={"RateLimit-Remaining": "0"})
            reply.headers["RateLimit-Name"] = "throttle_authenticated_api"
        elif fault.kind == FaultKind.SECONDARY_RATE_LIMIT:
            reply = Reply(403, {"message": "403 Forbidden - rate limited, retry later"})
        else:
            reply = Reply(fault.status, {"message": f"{fault.status} Service unavailable"})
        reply.headers |= fault.headers()
        self._send(reply, method)

    def _send(self, reply: Reply, method: str) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        reset = int(time.time()) // 60 * 60 + 60
        headers = {
            "Content-Type": reply.content_type,
            "Content-Length": str(len(payload)),
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Observed": "1",
            "RateLimit-Remaining": str(RATE_LIMIT - 1),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
            **reply.headers,
        }
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD" and reply.status not in (204, 304):
            self.wfile.write(payload)
