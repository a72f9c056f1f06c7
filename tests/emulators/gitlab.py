"""A GitLab REST v4 emulator for the tests: the subset dockmend uses, over real git.

Standalone: ``python -m tests.emulators.gitlab --port P --seed DIR`` prints its base URL
(give it to ``gitlab.Gitlab(url=...)``). In tests: ``GitLabEmulator(seed, root).start()``
serves from a thread. Tokens come in ``PRIVATE-TOKEN`` or ``Authorization: Bearer``.
``GET /_emulator/state`` shows requests, branches, commits and merge requests; the
Python methods below play the humans (commits, merges, closes) and set faults.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.emulators import gitlab_groups, gitlab_issues, gitlab_mr, gitlab_repo
from tests.emulators.faults import Faults
from tests.emulators.gitlab_api import Reply, Req, Route, parse_body
from tests.emulators.gitlab_http import Handler
from tests.emulators.gitlab_model import ApiError, MergeRequest, Project, User, now
from tests.emulators.gitlab_world import World
from tests.emulators.gitstore import GitError

TOKEN = "glpat-emulator-token"


ROUTES: list[Route] = [*gitlab_groups.ROUTES, *gitlab_repo.ROUTES, *gitlab_mr.ROUTES, *gitlab_issues.ROUTES]


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a raw path; each ``:param`` is one percent-encoded segment."""
    parts = path.split("/")
    for route in ROUTES:
        template = route[1].split("/")
        if route[0] != method or len(template) != len(parts):
            continue
        args = {t[1:]: unquote(s) for t, s in zip(template, parts, strict=True) if t.startswith(":")}
        if all(t == s or t.startswith(":") for t, s in zip(template, parts, strict=True)):
            return route, args
    return None


class GitLabEmulator:
    """The server, its world, and the test-facing controls."""

    def __init__(
        self,
        seed: Path | None = None,
        root: Path | None = None,
        port: int = 0,
        prefix: str = "",
        tokens: dict[str, str] | None = None,
        faults: Faults | None = None,
    ) -> None:
        self._tmp = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gitlab-emulator-")
            root = Path(self._tmp.name)
        self.world = World(root)
        if seed is not None:
            self.world.seed(seed)
        self.prefix = prefix.rstrip("/")
        self.tokens = tokens or {TOKEN: "dockmend-bot"}
        self.faults = faults
        self.forbidden: set[str] = set()  # project paths the token may not see (403)
        self.lock = threading.RLock()
        self.requests: list[dict[str, Any]] = []
        self.recorded: list[tuple[str, str, int, Any]] = []  # (method, template, status, body)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.emulator = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL for ``gitlab.Gitlab(url=...)``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def start(self) -> GitLabEmulator:
        self._thread = threading.Thread(target=self.server.serve_forever, name="gitlab-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> GitLabEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- serving -------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, body: bytes, headers: Any, base: str) -> Reply:
        found = match(method, path)
        template = found[0][1] if found else path
        with self.lock:  # one request at a time: the world and git refs are not for concurrent writers
            try:
                reply = self._answer(found, method, path, query, body, headers, base)
            except ApiError as err:
                reply = Reply(err.status, {err.key: err.message})
            except GitError as err:
                reply = Reply(400, {"message": str(err)})
            self.requests.append({"method": method, "path": path, "query": query, "status": reply.status})
            self.recorded.append((method, template, reply.status, reply.body))
        return reply

    def _answer(
        self,
        found: tuple[Route, dict[str, str]] | None,
        method: str,
        path: str,
        query: str,
        body: bytes,
        headers: Any,
        base: str,
    ) -> Reply:
        user = self._authenticate(headers)
        if found is None:
            raise ApiError(404, "404 Not Found", key="error")
        (_, template, handler), args = found
        if "id" in args and template.startswith("/projects/") and self._forbidden(args["id"]):
            raise ApiError(403, "403 Forbidden")
        req = Req(method, path, args, parse_qs(query, keep_blank_values=True), parse_body(body, headers), user, base)
        return handler(self.world, req)

    def _forbidden(self, ident: str) -> bool:
        try:
            return self.world.project(ident).full_path in self.forbidden
        except ApiError:
            return False

    def _authenticate(self, headers: Any) -> User:
        token = headers.get("PRIVATE-TOKEN") or ""
        bearer = headers.get("Authorization") or ""
        if not token and bearer.lower().startswith("bearer "):
            token = bearer[7:].strip()
        user = self.world.user(self.tokens[token]) if token in self.tokens else None
        if user is None:
            raise ApiError(401, "401 Unauthorized")
        return user

    # ---- test controls -------------------------------------------------------------
    def project(self, path: str) -> Project:
        return self.world.project(path)

    def merge_requests(self, path: str) -> list[MergeRequest]:
        p = self.project(path)
        return [mr for mr in self.world.merge_requests if mr.project_id == p.id]

    def set_faults(self, faults: Faults | None) -> None:
        self.faults = faults

    def commit(
        self,
        path: str,
        branch: str,
        files: dict[str, bytes | str | None],
        message: str = "A human change",
        author: tuple[str, str] = ("Alice", "alice@example.com"),
    ) -> str:
        """A human pushes one commit to ``branch`` (the default branch moving, or the bot's branch)."""
        with self.lock:
            p = self.project(path)
            parent = self.world.branches(p).get(branch)
            old = self.world.files(p, parent)
            changes = {
                f: None
                if c is None
                else (old[f].mode if f in old else "100644", c.encode() if isinstance(c, str) else c)
                for f, c in files.items()
            }
            sha = self.world.write_commit(p, parent, changes, message, author, author)
            self.world.store.set_ref(p.full_path, branch, sha)
            p.last_activity_at = now()
            return sha

    def set_default_branch(self, path: str, branch: str) -> None:
        with self.lock:
            self.project(path).default_branch = branch

    def merge(self, path: str, iid: int, by: str = "alice", squash: bool = False) -> str:
        with self.lock:
            mr = self.world.mr(self.project(path), str(iid))
            return gitlab_mr.merge(self.world, mr, self._user(by), squash)

    def close(self, path: str, iid: int, by: str = "alice") -> None:
        with self.lock:
            gitlab_mr.close(self.world, self.world.mr(self.project(path), str(iid)), self._user(by))

    def _user(self, username: str) -> User:
        user = self.world.user(username)
        assert user is not None, username
        return user

    def state(self) -> dict[str, Any]:
        with self.lock:
            w = self.world
            return {
                "requests": list(self.requests),
                "faults": [list(f) for f in self.faults.injected] if self.faults else [],
                "projects": {p.full_path: self._project_state(p) for p in w.projects.values()},
            }

    def _project_state(self, p: Project) -> dict[str, Any]:
        w = self.world
        branches = w.branches(p)
        return {
            "id": p.id,
            "default_branch": p.default_branch,
            "branches": branches,
            "commits": {
                b: [{"sha": c.sha, "author_email": c.author_email, "message": c.message} for c in w.log(p, sha)]
                for b, sha in branches.items()
            },
            "merge_requests": [
                {
                    **{k: getattr(mr, k) for k in ("iid", "state", "title", "source_branch", "target_branch")},
                    **{k: getattr(mr, k) for k in ("labels", "assignee_ids", "reviewer_ids", "remove_source_branch")},
                    "description": mr.description,
                    "notes": [n.body for n in mr.notes],
                }
                for mr in w.merge_requests
                if mr.project_id == p.id
            ],
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="GitLab REST v4 emulator for dockmend's tests")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=Path, help="folder of group/subgroup/project/ folders")
    parser.add_argument("--root", type=Path, help="where the bare repositories go (default: a temporary folder)")
    parser.add_argument("--prefix", default="", help="serve below a path, like a self-managed GitLab at /gitlab")
    parser.add_argument("--token", default=TOKEN, help="the token that authenticates as dockmend-bot")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="rate of each kind of fault (0.05 = 5%%)")
    parser.add_argument("--fault-seed", type=int, default=0)
    args = parser.parse_args(argv)
    faults = Faults.uniform(args.fault_rate, seed=args.fault_seed) if args.fault_rate else None
    emulator = GitLabEmulator(args.seed, args.root, args.port, args.prefix, {args.token: "dockmend-bot"}, faults)
    print(emulator.url, flush=True)
    try:
        emulator.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.server.server_close()


if __name__ == "__main__":
    main()
