"""Git plumbing on a user's checkout, for the local platform.

Only object and ref commands run (ls-tree, cat-file, hash-object, write-tree,
commit-tree, update-ref): they run no hooks, and they never touch the working tree,
the index or the checked-out branch. A temporary index file builds the bot's trees.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.platforms.base import PlatformError

TIMEOUT = 120


@dataclass(frozen=True)
class TreeItem:
    path: str
    mode: str
    sha: str
    size: int | None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_email: str
    message: str


class Git:
    """One checkout (``root`` holds ``.git``, a folder or a worktree's file)."""

    def __init__(self, root: Path, author: tuple[str, str] = ("dockmend", "dockmend@localhost")) -> None:
        self.root = root
        self.author = author

    def run(self, *args: str, data: bytes | None = None, env: Mapping[str, str] | None = None) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.root), *args],
                input=data,
                capture_output=True,
                check=False,
                timeout=TIMEOUT,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PlatformError(f"{self.root.name}: git {args[0]} failed: {exc}") from None
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip().splitlines()
            raise PlatformError(f"{self.root.name}: git {args[0]}: {detail[-1] if detail else 'failed'}")
        return proc.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode(errors="replace").strip()

    def git_dir(self) -> Path:
        return Path(self.text("rev-parse", "--absolute-git-dir"))

    def resolve(self, ref: str) -> str | None:
        try:
            return self.text("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") or None
        except PlatformError:
            return None

    def symbolic(self, ref: str) -> str | None:
        try:
            return self.text("symbolic-ref", "--quiet", "--short", ref) or None
        except PlatformError:
            return None

    def tree(self, ref: str) -> list[TreeItem]:
        items = []
        for entry in self.run("ls-tree", "-r", "-l", "-z", ref).split(b"\0"):
            if not entry:
                continue
            meta, path = entry.split(b"\t", 1)
            mode, kind, sha, size = meta.decode().split()
            if kind == "blob":  # submodules ("commit") have no content here
                items.append(TreeItem(path.decode(errors="replace"), mode, sha, None if size == "-" else int(size)))
        return items

    def blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha)

    def commits(self, ref: str, exclude: str) -> list[CommitInfo]:
        """Commits reachable from ``ref`` but not from ``exclude``, newest first."""
        out = self.run("log", "-z", "--format=%H%x01%P%x01%ae%x01%B", ref, f"^{exclude}", "--")
        found = []
        for record in out.decode(errors="replace").split("\0"):
            if record.strip():
                sha, parents, email, message = record.lstrip("\n").split("\x01", 3)
                found.append(CommitInfo(sha, tuple(parents.split()), email, message.strip()))
        return found

    def message(self, sha: str) -> str:
        return self.text("log", "-1", "--format=%B", sha)

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.run("merge-base", "--is-ancestor", older, newer)
        except PlatformError:
            return False
        return True

    def commit(self, base: str, files: Sequence[tuple[str, str, bytes]], message: str) -> str:
        """A commit on ``base`` whose tree is base's with ``files`` ((path, mode, content)) set."""
        with tempfile.TemporaryDirectory(prefix="dockmend-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", base, env=env)
            for path, mode, content in files:
                sha = self.run("hash-object", "-w", "--stdin", data=content).decode().strip()
                self.run("update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}", env=env)
            tree = self.run("write-tree", env=env).decode().strip()
        name, email = self.author
        identity = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        return self.run("commit-tree", tree, "-p", base, data=message.encode(), env=identity).decode().strip()

    def set_branch(self, branch: str, sha: str, expected: str | None) -> None:
        """Point ``branch`` at ``sha`` only if it is still at ``expected`` (None: absent)."""
        self.run("update-ref", f"refs/heads/{branch}", sha, expected or "")

    def delete_branch(self, branch: str, expected: str) -> None:
        self.run("update-ref", "-d", f"refs/heads/{branch}", expected)

    def checked_out(self) -> set[str]:
        """Branches checked out in any worktree: their refs must not move under the user."""
        out = self.text("worktree", "list", "--porcelain")
        return {line.removeprefix("branch refs/heads/") for line in out.splitlines() if line.startswith("branch ")}
