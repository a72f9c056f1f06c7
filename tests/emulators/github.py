"""A GitHub REST v3 emulator backed by real bare git repositories.

``python -m tests.emulators.github --port P --seed DIR`` serves the repositories of
``DIR/owner/repo/`` (each folder's files become the initial commit on ``main``) and
prints its base URL (``http://127.0.0.1:P/api/v3``, the GitHub Enterprise layout that
PyGithub's ``base_url`` expects). Tests start :class:`GitHubEmulator` in a thread and
drive it through its methods: humans pushing commits, merging or closing pull requests,
faults, rate limits. ``GET /_emulator/state`` shows requests, branches, pulls, commits.

An optional ``DIR/github.json`` sets repository fields by full name, e.g.
``{"acme/old": {"archived": true}, "acme/app": {"topics": ["docker"]}}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.platforms.licenses import identify
from tests.emulators.faults import Faults
from tests.emulators.github_http import Credential
from tests.emulators.github_json import Account, Comment, Issue, Pull, RepoMeta, now
from tests.emulators.github_server import Handler
from tests.emulators.gitstore import GitStore, TreeEntry

HUMAN = ("Jane Human", "jane@example.com")
LICENSE_FILES = ("license", "licence", "copying", "unlicense")
# a licence text GitHub recognises, for seeding
MIT_LICENSE = """MIT License

Copyright (c) 2024 Acme

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


@dataclass
class GitHubApp:
    app_id: int
    public_key: str  # PEM; the JWTs of POST /app/installations/{id}/access_tokens are checked with it
    installations: dict[str, int] = field(default_factory=dict)  # account login -> installation id
    # "Only select repositories" installs: account login -> the repository names given to
    # the App (absent: all repositories). GET /installation/repositories lists these only;
    # the organisation's listing still shows its public repositories, which the token
    # cannot write to (403 "Resource not accessible by integration").
    selected: dict[str, set[str]] = field(default_factory=dict)
    slug: str = "dockmend"
    token_ttl: int = 3600


@dataclass(frozen=True)
class Recorded:
    method: str
    template: str  # the path as written in the OpenAPI description
    status: int
    body: Any


class GitHubEmulator:
    """State of the emulated GitHub, plus the knobs tests turn."""

    def __init__(
        self,
        root: Path,
        tokens: Iterable[str] = ("test-token",),
        faults: Faults | None = None,
        app: GitHubApp | None = None,
        bot_login: str = "dockmend-bot",
    ) -> None:
        self.store = GitStore(root)
        self.lock = threading.RLock()
        self.faults = faults or Faults()
        self.tree_limit: int | None = None  # recursive trees over this many entries come back truncated
        self.app = app
        self.ids = itertools.count(1000)
        self.accounts: dict[str, Account] = {}
        self.credentials = {token: Credential(bot_login) for token in tokens}
        self.account(bot_login, "User")
        self.repos: dict[str, RepoMeta] = {}
        self.pulls: dict[str, dict[int, Pull]] = {}
        self.comments: dict[str, list[Comment]] = {}
        self.issues: dict[str, dict[int, Issue]] = {}  # plain issues (the status issue), by number
        self.labels: dict[str, dict[str, int]] = {}
        self.numbers: dict[str, int] = {}
        self.rate_used: dict[str, int] = {}
        self.rate_limit = 5000
        self.rate_reset = int(time.time()) + 3600
        self._derived: dict[tuple[str, str | None, str | None, bool], tuple[int, str | None]] = {}
        self.search_calls: list[float] = []  # times of the last minute's searches (30 a minute)
        self.search_incomplete = False  # answer incomplete_results: true (GitHub timed out)
        # commits GitHub signed: "commits created through the API by a GitHub App without a
        # custom author or committer are signed and verified by GitHub" and attributed to the
        # App's bot account (docs.github.com, About commit signature verification: signature
        # verification for bots); with an explicit author they are not (grafana/pyroscope-
        # dotnet#386: "push_files (git data API) is never signed ... rejected with ...
        # Repository rule violations found — Commits must have verified signatures").
        self.signed: set[str] = set()
        # renamed repositories, old full name -> new (``rename``): GitHub answers the old name
        # with 301 (reads) or 307 (writes), ``Location`` and the body {"message": "Moved
        # Permanently", "url": <the same call on the new place>, "documentation_url":
        # ".../best-practices-for-using-the-rest-api#follow-redirects"} (quoted from real
        # answers in node-gh/gh#579 (301, a GET) and a 307 to a contents PUT in a public
        # issue; GitHub's changelog 2015-07-21 "automatic redirects for renamed
        # repositories"). GitHub's Location names /repositories/{id}/..., which is not in the
        # official subset these routes keep to: here it names /repos/{new owner}/{new name}/...
        self.renamed: dict[str, str] = {}
        self.exhausted = 0  # answers still to refuse with the primary rate limit
        self.exhausted_reset_in = 0
        self.requests: list[tuple[str, str, int]] = []  # method, path with query, status
        self.responses: list[Recorded] = []
        self.errors: list[str] = []  # tracebacks of emulator bugs (answered 500)
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- setup ---------------------------------------------------------------------------

    def rename(self, old: str, new: str) -> None:
        """Rename (or transfer) ``old`` to ``new``: the old name answers 301/307 from now on."""
        with self.lock:
            owner, name = new.split("/")
            self.account(owner)
            meta = self.repos.pop(old)
            meta.owner, meta.name = owner, name
            self.repos[new] = meta
            target = self.store.path(new)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.store.path(old).rename(target)
            for kept in (self.pulls, self.comments, self.labels, self.numbers):
                if old in kept:
                    kept[new] = kept.pop(old)
            self.renamed = {k: (new if v == old else v) for k, v in self.renamed.items()}
            self.renamed[old] = new

    def account(self, login: str, kind: str = "Organization") -> Account:
        if login not in self.accounts:
            self.accounts[login] = Account(login, next(self.ids), kind)
        return self.accounts[login]

    def add_repo(self, full_name: str, files: dict[str, bytes] | None = None, **fields: Any) -> RepoMeta:
        """A repository with ``files`` committed on its default branch (None: empty)."""
        owner, name = full_name.split("/")
        with self.lock:
            self.account(owner, "User" if fields.pop("owner_type", "Organization") == "User" else "Organization")
            meta = RepoMeta(owner, name, next(self.ids), **fields)
            self.store.create(full_name, files, branch=meta.default_branch)
            self.repos[full_name] = meta
            return meta

    def seed(self, seed_dir: Path) -> list[str]:
        extra_file = seed_dir / "github.json"
        extra = json.loads(extra_file.read_text()) if extra_file.is_file() else {}
        names = []
        for folder in sorted(p for p in seed_dir.glob("*/*") if p.is_dir()):
            files = {f.relative_to(folder).as_posix(): f.read_bytes() for f in folder.rglob("*") if f.is_file()}
            name = folder.relative_to(seed_dir).as_posix()
            self.add_repo(name, files or None, **extra.get(name, {}))
            names.append(name)
        return names

    def add_token(self, token: str, login: str = "dockmend-bot", write: bool = True) -> None:
        self.account(login, "User")
        self.credentials[token] = Credential(login, write)

    # -- what humans and time do ---------------------------------------------------------

    def human_commit(
        self,
        full_name: str,
        branch: str,
        files: dict[str, bytes | None],
        message: str = "A human change",
        author: tuple[str, str] = HUMAN,
    ) -> str:
        """A commit on ``branch`` (created from the default branch if missing)."""
        with self.lock:
            parent = self.store.head(full_name, branch) or self.store.head(
                full_name, self.repos[full_name].default_branch
            )
            assert parent, f"{full_name} is empty"
            changes = {p: None if c is None else (self.store.blob_mode(p, c), c) for p, c in files.items()}
            sha = self.store.commit_files(full_name, branch, parent, changes, message, author)
            self.pushed(full_name, branch)
            return sha

    def merge_pull(self, full_name: str, number: int, squash: bool = True) -> str:
        """Merge the pull request into its base (a squash or a merge commit)."""
        with self.lock:
            p = self.pulls[full_name][number]
            assert p.state == "open", f"pull {number} is {p.state}"
            base = self.store.head(full_name, p.base)
            tree = self.store.git(full_name, "merge-tree", "--write-tree", base or "", p.head_sha).split()[0]
            parents = (base,) if squash else (base, p.head_sha)
            sha = self.store.commit(full_name, tree, tuple(x for x in parents if x), f"{p.title} (#{number})", HUMAN)
            self.store.set_ref(full_name, p.base, sha)
            self.pushed(full_name, p.base)
            p.state, p.merged_at, p.closed_at, p.updated_at = "closed", now(), now(), now()
            p.merge_commit_sha, p.merged_by = sha, self.account("jane", "User").login
            return sha

    def close_pull(self, full_name: str, number: int) -> None:
        with self.lock:
            p = self.pulls[full_name][number]
            p.state, p.closed_at, p.updated_at = "closed", now(), now()

    def delete_branch(self, full_name: str, branch: str) -> None:
        with self.lock:
            self.store.delete_ref(full_name, branch)
            self.pushed(full_name, branch)

    def set_default_branch(self, full_name: str, branch: str) -> None:
        self.repos[full_name].default_branch = branch

    def set_faults(self, faults: Faults | None) -> None:
        self.faults = faults or Faults()

    def exhaust_rate_limit(self, answers: int, reset_in: int = 0) -> None:
        """The next ``answers`` requests meet the primary rate limit (reset ``reset_in`` s away)."""
        with self.lock:
            self.exhausted, self.exhausted_reset_in = answers, reset_in

    def branch_moved(self, full_name: str, branch: str) -> None:
        """Keep open pulls' head and base shas in step with their branches."""
        sha = self.store.head(full_name, branch)
        for p in self.pulls.get(full_name, {}).values():
            if p.state != "open":
                continue
            if p.head == branch:
                if sha is None:  # GitHub closes a pull whose head branch was deleted
                    p.state, p.closed_at = "closed", now()
                else:
                    p.head_sha = sha
            if p.base == branch and sha:
                p.base_sha = sha

    # -- derived values -------------------------------------------------------------------

    def derived(self, full_name: str) -> tuple[int, str | None]:
        """Size in whole kilobytes, rounded down (a small repository says 0, like a README of
        13 bytes on GitHub), 0 until computed; and the licence SPDX id. Cached by head."""
        meta = self.repos[full_name]
        head = self.store.head(full_name, meta.default_branch)
        key = (full_name, head, meta.license, meta.size_computed)
        if key not in self._derived:
            if head is None:
                self._derived[key] = (0, meta.license or None)
            else:
                entries = self.store.tree(full_name, head)
                size = sum(e.size or 0 for e in entries if e.type == "blob") // 1024 if meta.size_computed else 0
                self._derived[key] = (size, self._license(full_name, meta.license, entries))
        return self._derived[key]

    def _license(self, full_name: str, forced: str | None, entries: list[TreeEntry]) -> str | None:
        if forced is not None:
            return forced or None  # "" means "no licence"
        for e in entries:
            if e.type == "blob" and "/" not in e.path and e.path.lower().startswith(LICENSE_FILES):
                found = identify(self.store.blob(full_name, e.sha).decode("utf-8", "replace"))
                if found:
                    return found
        return None

    def pushed(self, full_name: str, branch: str) -> None:
        self.repos[full_name].pushed_at = now()
        self.branch_moved(full_name, branch)

    def rate(self, credential: Credential | None, count: bool) -> tuple[int, int, int]:
        """(limit, used, reset) of the credential's hourly window; ``count`` spends one."""
        key = "" if credential is None else f"{credential.login}/{credential.owner}"
        with self.lock:
            self.rate_used[key] = self.rate_used.get(key, 0) + (1 if count else 0)
            return self.rate_limit, self.rate_used[key], self.rate_reset

    def rate_headers(self, credential: Credential, count: bool) -> dict[str, str]:
        limit, used, reset = self.rate(credential, count)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
        }

    def record(self, method: str, template: str, status: int, body: Any) -> None:
        with self.lock:
            self.responses.append(Recorded(method, template, status, body))

    def next_number(self, full_name: str) -> int:
        self.numbers[full_name] = self.numbers.get(full_name, 0) + 1
        return self.numbers[full_name]

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": [{"method": m, "path": p, "status": s} for m, p, s in self.requests],
                "branches": {name: self.store.branches(name) for name in self.repos},
                "pulls": {
                    name: [{**vars(p), "merged": p.merged_at is not None} for p in pulls.values()]
                    for name, pulls in self.pulls.items()
                },
                "commits": {
                    name: [vars(c) for c in self.store.log(name, "--branches")] if self.store.branches(name) else []
                    for name in self.repos
                },
                "comments": {name: [vars(c) for c in cs] for name, cs in self.comments.items()},
                "faults": [list(x) for x in self.faults.injected],
            }

    def writes(self) -> list[tuple[str, str]]:
        """Successful write requests (method, path), for "a second run writes nothing"."""
        return [(m, p) for m, p, s in self.requests if m != "GET" and s < 400]

    # -- serving --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None, "not started"
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v3"

    def start(self, port: int = 0) -> GitHubEmulator:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="github-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @contextmanager
    def running(self) -> Iterator[GitHubEmulator]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


def app_keypair() -> tuple[str, str]:
    """A fresh RSA key for a test GitHub App: (private PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.github", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=Path, help="folder of owner/repo/ folders")
    parser.add_argument("--token", action="append", help="a valid token (repeatable; default: test-token)")
    parser.add_argument("--data", type=Path, help="where the bare repositories live (default: a temp folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="github-emulator-") as tmp:
        emulator = GitHubEmulator(args.data or Path(tmp), tokens=args.token or ("test-token",))
        if args.seed:
            emulator.seed(args.seed)
        emulator.start(args.port)
        print(emulator.url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            emulator.stop()


if __name__ == "__main__":
    main()
