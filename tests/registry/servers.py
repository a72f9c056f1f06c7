"""Real servers for the registry tests: Debian's docker-registry (anonymous, htpasswd or
token auth), a small token server (RS256 JWTs, as Docker Hub's), and a stub registry
for what distribution 2.8 does not do (pagination, 429, 5xx)."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

USER, PASSWORD = "ci-bot", "s3cret-Pa55word"
SERVICE, ISSUER = "test-registry", "test-issuer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def registry_binary() -> str | None:
    return shutil.which("docker-registry")


@dataclass
class Registry:
    url: str
    auth: str  # "anonymous", "basic", "bearer"
    process: subprocess.Popen[bytes]


@contextmanager
def run_registry(root: Path, auth: str, token_url: str | None = None) -> Iterator[Registry]:
    """docker-registry on a free port of 127.0.0.1, storage under ``root``."""
    binary = registry_binary()
    assert binary, "docker-registry is not installed"
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "test-http-secret"},
    }
    if auth == "basic":
        hashed = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], check=True, capture_output=True).stdout
        (root / "htpasswd").write_bytes(hashed)
        config["auth"] = {"htpasswd": {"realm": "test", "path": str(root / "htpasswd")}}
    elif auth == "bearer":
        assert token_url
        config["auth"] = {
            "token": {
                "realm": token_url,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(root / "cert.pem"),
            }
        }
    (root / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    process = subprocess.Popen(
        [binary, "serve", str(root / "config.yml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process)
        yield Registry(url, auth, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/v2/", timeout=1).status_code in (200, 401):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("docker-registry did not start")


# -- token server --------------------------------------------------------------------


@dataclass
class TokenServer:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    denied_repositories: set[str] = field(default_factory=set)


def write_certificate(root: Path) -> Any:
    """An RSA key and a self-signed certificate (the registry's rootcertbundle)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    root.mkdir(parents=True, exist_ok=True)
    (root / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


@contextmanager
def run_token_server(root: Path) -> Iterator[TokenServer]:
    import jwt

    key, x5c = write_certificate(root)
    server_state = TokenServer("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            authorized = self.headers.get("Authorization") == "Basic " + base64.b64encode(
                f"{USER}:{PASSWORD}".encode()
            ).decode("ascii")
            server_state.requests.append({"scope": query.get("scope", []), "authorized": authorized})
            if self.headers.get("Authorization") and not authorized:
                self._reply(401, {"details": "bad credentials"})
                return
            access = []
            for scope in query.get("scope", []):
                kind, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                if authorized and name not in server_state.denied_repositories:
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "sub": USER if authorized else "",
                "aud": query.get("service", [""])[0],
                "exp": now + 300,
                "nbf": now - 10,
                "iat": now,
                "jti": uuid.uuid4().hex,
                "access": access,
            }
            token = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
            self._reply(200, {"token": token, "access_token": token, "expires_in": 300})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with _serve(Handler) as url:
        server_state.url = f"{url}/token"
        yield server_state


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- stub registry -------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Stub:
    """Answers from a script: ``routes[(method, path_with_query)]`` is a list of replies,
    used in order (the last one repeats). ``{base}`` in a header is the stub's URL."""

    url: str = ""
    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def add(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def answer(self, method: str, path: str) -> Reply:
        replies = self.routes.get((method, path)) or self.routes.get((method, urlsplit(path).path))
        if not replies:
            return Reply(404, {"errors": [{"code": "NAME_UNKNOWN"}]})
        return replies.pop(0) if len(replies) > 1 else replies[0]


@contextmanager
def run_stub() -> Iterator[Stub]:
    stub = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _handle(self, method: str) -> None:
            stub.seen.append(Seen(method, self.path, dict(self.headers)))
            reply = stub.answer(method, self.path)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value.replace("{base}", stub.url))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_HEAD(self) -> None:
            self._handle("HEAD")

    with _serve(Handler) as url:
        stub.url = url
        yield stub
