"""Real servers on 127.0.0.1 for tests: the app under uvicorn, and a response-URL recorder."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi import FastAPI

from bot.service.web.app import server
from bot.settings.web import WebLimits, WebSettings


@contextmanager
def serve(app: FastAPI, limits: WebLimits | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port (with the service's connection ``limits``);
    yield its base URL; stop it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = server(app, WebSettings(listen=f"127.0.0.1:{port}", limits=limits or WebLimits()))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=15)
        sock.close()


class Recorder:
    """An HTTP server that records the JSON bodies POSTed to it (a chat response URL)."""

    def __init__(self) -> None:
        self.posts: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                recorder.posts.put((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        return self.posts.get(timeout=timeout)

    def empty_for(self, seconds: float) -> bool:
        try:
            self.posts.get(timeout=seconds)
        except queue.Empty:
            return True
        return False
