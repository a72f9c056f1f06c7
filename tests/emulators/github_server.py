"""The GitHub emulator's HTTP side: routing, auth, faults, rate limits, ETags, recording."""

from __future__ import annotations

import hashlib
import json
import re
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.emulators import (
    github_routes_app,
    github_routes_git,
    github_routes_issues,
    github_routes_pulls,
    github_routes_search,
)
from tests.emulators.faults import Fault, FaultKind
from tests.emulators.github_http import DOCS, Call, Credential, HttpError, Reply, not_found
from tests.emulators.github_json import Urls

if TYPE_CHECKING:
    from tests.emulators.github import GitHubEmulator

Route = tuple[str, str, "re.Pattern[str]", Callable[[Call], Reply], bool]
GREEDY = ("ref", "basehead", "tree_sha", "path", "branch")  # these may hold slashes
PUBLIC = ("/rate_limit",)
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
ABUSE = "You have triggered an abuse detection mechanism. Please wait a few minutes before you try again."
ABUSE_DOCS = "https://developer.github.com/v3/#abuse-rate-limits"  # the documentation_url it came with


def _compile(template: str) -> re.Pattern[str]:
    def param(m: re.Match[str]) -> str:
        return f"(?P<{m[1]}>{'.+' if m[1] in GREEDY else '[^/]+'})"

    return re.compile("^" + re.sub(r"\{(\w+)\}", param, template) + "$")


ROUTES: list[Route] = [
    (method, template, _compile(template), handler, jwt_route)
    for routes, jwt_route in (
        (github_routes_app.JWT_ROUTES, True),
        (github_routes_app.ROUTES, False),
        (github_routes_git.ROUTES, False),
        (github_routes_pulls.ROUTES, False),
        (github_routes_issues.ROUTES, False),
        (github_routes_search.ROUTES, False),
    )
    for method, template, handler in routes
]


def match(method: str, path: str) -> tuple[Route, dict[str, str]]:
    for route in ROUTES:
        found = route[2].match(path)
        if found and route[0] == method:
            return route, found.groupdict()
    raise not_found()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like GitHub: PyGithub reuses its connection
    disable_nagle_algorithm = True  # headers and body leave in two writes: no 40 ms delayed-ACK stall
    server_version = "GitHubEmulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``emulator.requests`` instead."""

    @property
    def em(self) -> GitHubEmulator:
        return self.server.emulator  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self.serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def serve(self) -> None:
        split = urlsplit(self.path)
        path, query = unquote(split.path), dict(parse_qsl(split.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path == "/_emulator/state":
            self.send(Reply(self.em.state()), None)
            return
        fault = self.em.faults.decide(self.command, path)
        if fault is not None and fault.kind != FaultKind.DROP:
            self.log(self.path, fault.status)
            self.send(_fault_reply(fault), None)
            return
        if fault is not None and not fault.after:
            self.drop(self.path)
            return
        template, credential, reply = self.answer(path, query, raw)
        if fault is not None:  # the work is done, the answer is lost
            self.drop(self.path)
            return
        self.send(reply, credential, template, logged=True)

    def answer(self, path: str, query: dict[str, str], raw: bytes) -> tuple[str | None, Credential | None, Reply]:
        template, credential = None, None
        try:
            if not path.startswith("/api/v3/"):
                raise not_found()
            api_path = path.removeprefix("/api/v3")
            (_, template, _, handler, jwt_route), params = match(self.command, api_path)
            credential = self.authenticate(jwt_route, api_path)
            self.check_rate_limit(credential)
            self.moved(params, api_path, query)
            body = _json(raw)
            host = self.headers.get("Host") or urlsplit(self.em.url).netloc
            urls = Urls(f"http://{host}")
            with self.em.lock:
                call = Call(self.em, urls, self.command, api_path, params, query, body, credential)
                return template, credential, handler(call)
        except HttpError as exc:
            return template, credential, Reply(exc.body(), exc.status, exc.headers)
        except Exception:  # an emulator bug: answer 500 and keep it for the test to see
            self.em.errors.append(traceback.format_exc())
            return template, credential, Reply({"message": "emulator error", "documentation_url": DOCS}, 500)

    def moved(self, params: dict[str, str], api_path: str, query: dict[str, str]) -> None:
        """A renamed repository's old name: 301 for a read, 307 for a write (``em.renamed``)."""
        old = f"{params.get('owner')}/{params.get('repo')}"
        new = self.em.renamed.get(old)
        if new is None:
            return
        rest = api_path.removeprefix(f"/repos/{params['owner']}/{params['repo']}")
        tail = f"?{urlencode(query)}" if query else ""
        location = f"{urlsplit(self.em.url).scheme}://{self.headers.get('Host')}/api/v3/repos/{new}{rest}{tail}"
        status = 301 if self.command in ("GET", "HEAD") else 307
        guide = "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"
        raise HttpError(status, "Moved Permanently", {"Location": location}, url=location, documentation_url=guide)

    def authenticate(self, jwt_route: bool, api_path: str) -> Credential | None:
        scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
        if jwt_route:
            if scheme.lower() != "bearer":
                raise HttpError(401, "A JSON web token could not be decoded")
            github_routes_app.check_jwt(self.em, value.strip())
            return None
        if not scheme and api_path in PUBLIC:
            return None
        if not scheme:
            raise HttpError(401, "Requires authentication")
        credential = self.em.credentials.get(value.strip()) if scheme.lower() in ("token", "bearer") else None
        if credential is None or (credential.expires is not None and credential.expires < time.time()):
            raise HttpError(401, "Bad credentials")
        return credential

    def check_rate_limit(self, credential: Credential | None) -> None:
        with self.em.lock:
            if self.em.exhausted <= 0 or credential is None:
                return
            self.em.exhausted -= 1
            limit, _, _ = self.em.rate(credential, count=False)
            headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": str(limit),
                "X-RateLimit-Reset": str(int(time.time()) + self.em.exhausted_reset_in),
                "X-RateLimit-Resource": "core",
            }
        raise HttpError(403, f"API rate limit exceeded for user {credential.login}.", headers)

    def send(
        self, reply: Reply, credential: Credential | None, template: str | None = None, logged: bool = False
    ) -> None:
        """Answer (a 304 for a GET whose ETag the client sent); ``logged``: recorded in
        ``requests`` with the status sent, before the client can read the answer."""
        headers = {"X-GitHub-Media-Type": "github.v3; format=json", **reply.headers}
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        status = reply.status
        if self.command == "GET" and status == 200:
            etag = f'W/"{hashlib.sha256(payload).hexdigest()[:40]}"'
            headers["ETag"] = etag
            if etag in (self.headers.get("If-None-Match") or "").split(", "):
                status, payload = 304, b""  # a conditional hit costs no rate limit, like GitHub's
        if credential is not None and "X-RateLimit-Remaining" not in headers:
            headers.update(self.em.rate_headers(credential, count=status != 304))
        if template is not None:
            self.em.record(self.command, template, reply.status, reply.body)
        if logged:
            self.log(self.path, status)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def drop(self, path: str) -> None:
        self.log(path, 0)
        self.close_connection = True

    def log(self, path: str, status: int) -> None:
        with self.em.lock:
            self.em.requests.append((self.command, path, status))


def _json(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise HttpError(400, "Problems parsing JSON") from None


def _fault_reply(fault: Fault) -> Reply:
    if fault.kind == FaultKind.SERVER_ERROR:
        return Reply({"message": "Server Error", "documentation_url": DOCS}, fault.status)
    if fault.kind == FaultKind.ABUSE_DETECTION:  # 403, and no Retry-After
        return Reply({"message": ABUSE, "documentation_url": ABUSE_DOCS}, 403)
    return Reply({"message": SECONDARY, "documentation_url": DOCS}, fault.status, fault.headers())
