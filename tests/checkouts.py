"""Real git checkouts for the local-platform tests, and a platform that records its writes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from bot.platforms.local import LocalPlatform

HUMAN = ("Human Dev", "dev@example.com")
WRITES = ("write_branch", "delete_branch", "open_request", "update_request", "close_request", "comment")


def git(root: Path, *args: str, author: tuple[str, str] = HUMAN) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0],
        "GIT_COMMITTER_EMAIL": author[1],
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def checkout(parent: Path, name: str, files: dict[str, str | bytes], origin: str | None = None) -> Path:
    """A git checkout ``parent/name`` on ``main`` with ``files`` in its first commit."""
    root = parent / name
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    if origin:
        git(root, "remote", "add", "origin", origin)
    commit(root, files, "Initial commit")
    return root


def commit(root: Path, files: dict[str, str | bytes], message: str, author: tuple[str, str] = HUMAN) -> str:
    """A commit by ``author`` on the checked-out branch, through the working tree."""
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        if path.endswith(".sh"):
            target.chmod(0o755)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, author=author)
    return git(root, "rev-parse", "HEAD").strip()


def commit_on(root: Path, branch: str, files: dict[str, str], message: str) -> str:
    """A human commit on another branch, without checking it out (plumbing)."""
    parent = git(root, "rev-parse", f"refs/heads/{branch}").strip()
    index = root / ".git" / "test-index"
    env_index = {"GIT_INDEX_FILE": str(index)}
    try:
        subprocess.run(["git", "-C", str(root), "read-tree", parent], check=True, env={**os.environ, **env_index})
        for path, content in files.items():
            sha = (
                subprocess.run(
                    ["git", "-C", str(root), "hash-object", "-w", "--stdin"],
                    input=content.encode(),
                    check=True,
                    capture_output=True,
                )
                .stdout.decode()
                .strip()
            )
            subprocess.run(
                ["git", "-C", str(root), "update-index", "--add", "--cacheinfo", f"100644,{sha},{path}"],
                check=True,
                env={**os.environ, **env_index},
            )
        tree = (
            subprocess.run(
                ["git", "-C", str(root), "write-tree"], check=True, capture_output=True, env={**os.environ, **env_index}
            )
            .stdout.decode()
            .strip()
        )
    finally:
        index.unlink(missing_ok=True)
    sha = git(root, "commit-tree", tree, "-p", parent, "-m", message).strip()
    git(root, "update-ref", f"refs/heads/{branch}", sha)
    return sha


def refs(root: Path) -> str:
    return git(root, "for-each-ref", "--format=%(refname) %(objectname)")


def state(root: Path) -> dict[str, Any]:
    """Everything the local platform may write: refs, and the request files (with mtimes)."""
    folder = root / ".git" / "dockmend"
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} if folder.is_dir() else {}
    return {"refs": refs(root), "files": files, "head": git(root, "symbolic-ref", "HEAD"), "status": status(root)}


def status(root: Path) -> str:
    return git(root, "status", "--porcelain")


class Recorder:
    """A platform that passes every call through and remembers the writes that went through
    (a refused one, such as creating a branch that exists, changed nothing)."""

    def __init__(self, inner: LocalPlatform) -> None:
        self.inner = inner
        self.name = inner.name
        self.bot_email = inner.bot_email
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name in WRITES:

            def record(*args: Any, **kwargs: Any) -> Any:
                done = attr(*args, **kwargs)
                self.writes.append(name)
                return done

            return record
        return attr
