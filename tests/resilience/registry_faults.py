"""A registry that goes down or fails now and then, and an organisation that needs it.

:class:`FaultyMirror` is a small threaded HTTP proxy in front of Debian's docker-registry:
the configuration's ``registries: docker.io: mirror:`` points at it, so every look-up of
the base-image fixers goes through it. It answers from the registry, or meets the
:class:`~tests.emulators.faults.Faults` the forge emulators use (5xx, 429 with
``Retry-After``, a dropped connection); :meth:`FaultyMirror.stop` leaves nothing
listening on its port (a registry process stopped), :meth:`FaultyMirror.start` brings
it back on the same port.

:data:`ORG` holds repositories whose Dockerfiles the registry-backed fixers act on (DM101
pins ``alpine``, DM102 bumps ``alpine:3.18.0`` and ``python:3.11.2-slim-bookworm``, the
images of :mod:`tests.registry.catalog`) and two that need no registry (``FROM scratch``,
no Dockerfile). :func:`final_state` is :func:`tests.resilience.org.final_state` over it.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.emulators.faults import FaultKind, Faults
from tests.integration import forges
from tests.integration.estate import README, TIDY, Kind, Pattern, Project
from tests.integration.forges import Forge
from tests.registry.servers import free_port
from tests.resilience import org

# what the fixers make of each file with the registry (excerpts are not checked here)
PIN = Pattern({"Dockerfile": 'FROM alpine\nRUN apk add curl\nUSER 1000\nCMD ["curl", "--version"]\n'}, {})  # DM101
BUMP = Pattern(  # DM102, and DM104/DM106 that need no registry
    {
        "Dockerfile": "FROM python:3.11.2-slim-bookworm\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\nUSER 1000\nCMD python -m api\n",
        "requirements.txt": "flask==3.0.3\n",
    },
    {},
)
PATCH = Pattern({"Dockerfile": 'FROM alpine:3.18.0\nRUN apk add curl\nUSER 1000\nCMD ["curl"]\n'}, {})  # DM102
SCRATCH = Pattern({"Dockerfile": "FROM scratch\nCOPY app /app\nUSER 1000\nCMD /app --serve\n", "app": "#!\n"}, {})
ORG = (
    Project("pinned", Kind.FIXES, {"": PIN}, README),
    Project("bumped", Kind.FIXES, {"": BUMP}, README, subgroup="services"),
    Project("monorepo", Kind.FIXES, {"app": PATCH, "static": SCRATCH}, README),  # one file needs it, one not
    Project("clean", Kind.CLEAN, {"": TIDY}, README),  # alpine:3.20: looked up, nothing to do
    Project("static", Kind.FIXES, {"": SCRATCH}, README),  # FROM scratch: no look-up
    Project("docs", Kind.NO_DOCKERFILE, extra={"README.md": "# Docs\n"}),
)
NEEDS_REGISTRY = ("pinned", "bumped", "monorepo", "clean")
NO_REGISTRY = ("static", "docs")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"})


@contextmanager
def started(kind: str, tmp: Path) -> Iterator[Forge]:
    """A fresh emulator of ``kind`` holding :data:`ORG`, running."""
    with forges.started(kind, tmp, ORG) as forge:
        yield forge


def final_state(forge: Forge) -> dict[str, Any]:
    """:func:`tests.resilience.org.final_state` over :data:`ORG`."""
    return org.final_state(forge, ORG)


class FaultyMirror:
    """A proxy to ``upstream`` (GET and HEAD, as the registry client reads) on a fixed port."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: Faults | None = None
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request that reached it
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        mirror = self

        class Handler(_Handler):
            owner = mirror

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        """Nothing listens on the port afterwards: connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def note(self, method: str, path: str) -> None:
        with self._lock:
            self.seen.append((method, path))


@contextmanager
def mirror_of(upstream: str) -> Iterator[FaultyMirror]:
    mirror = FaultyMirror(upstream)
    mirror.start()
    try:
        yield mirror
    finally:
        mirror.stop()


class _Handler(BaseHTTPRequestHandler):
    owner: FaultyMirror

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        self.owner.note(method, self.path)
        faults = self.owner.faults
        fault = faults.decide(method, self.path) if faults is not None else None
        if fault is not None and fault.kind is FaultKind.DROP:
            if fault.after:
                self._forward(method)  # the registry answered; the answer is lost on the way
            self.close_connection = True  # closed without a status line
            return
        if fault is not None:
            body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": fault.kind.value}]}).encode()
            self._reply(fault.status, {"Content-Type": "application/json", **fault.headers()}, body, method)
            return
        status, headers, body = self._forward(method)
        self._reply(status, headers, body, method)

    def _forward(self, method: str) -> tuple[int, dict[str, str], bytes]:
        upstream = http.client.HTTPConnection(self.owner.upstream, timeout=10)
        try:
            wanted = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request(method, self.path, headers=wanted)
            response = upstream.getresponse()
            body = response.read()
            headers = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            if method == "HEAD":  # what a GET would carry
                headers["Content-Length"] = response.getheader("Content-Length", "0")
            return response.status, headers, body
        finally:
            upstream.close()

    def _reply(self, status: int, headers: dict[str, str], body: bytes, method: str) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)
