"""Real git objects for the forge emulators: one bare repository per project.

The emulators answer HTTP from these repositories, so blobs, trees, commits and refs
are what git computes (shas included), never invented. Git runs as a subprocess on
bare repositories only; nothing is checked out.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

BOT = ("dockmend[bot]", "dockmend@users.noreply.example")
SEED_AUTHOR = ("Seed Author", "seed@example.com")


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str  # "100644", "100755", "040000", "120000"
    type: str  # "blob" | "tree" | "commit"
    sha: str
    size: int | None


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author_name: str
    author_email: str
    date: str  # ISO 8601


class GitStore:
    """Bare repositories under ``root``, named by their full names (``org/repo``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()  # git's ref and index updates are not for concurrent writers

    def path(self, full_name: str) -> Path:
        return self.root / f"{full_name}.git"

    def git(self, full_name: str, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path(full_name)), *args],
            input=data,
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.root), **(env or {})},
        )
        if proc.returncode != 0:
            raise GitError(f"git {' '.join(args[:2])}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode()

    def create(self, full_name: str, files: dict[str, bytes] | None = None, branch: str = "main") -> str | None:
        """A new repository; with ``files``, their initial commit on ``branch`` (returned)."""
        with self.lock:
            self.path(full_name).parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["git", "init", "-q", "--bare", "-b", branch, str(self.path(full_name))],
                check=True,
                capture_output=True,
            )
            if files is None:
                return None
            tree = self.write_tree(full_name, None, {p: (self.blob_mode(p, c), c) for p, c in files.items()})
            sha = self.commit(full_name, tree, (), "Initial commit", SEED_AUTHOR)
            self.set_ref(full_name, branch, sha)
            return sha

    def seed(self, seed_dir: Path, depth: int) -> list[str]:
        """Create a repository for each folder ``depth`` levels down (``owner/repo``)."""
        names = []
        for folder in sorted(p for p in seed_dir.glob("/".join(["*"] * depth)) if p.is_dir()):
            name = folder.relative_to(seed_dir).as_posix()
            files = {f.relative_to(folder).as_posix(): f.read_bytes() for f in folder.rglob("*") if f.is_file()}
            self.create(name, files or None)
            names.append(name)
        return names

    @staticmethod
    def blob_mode(path: str, content: bytes) -> str:
        return "100755" if path.endswith(".sh") or content.startswith(b"#!") else "100644"

    def exists(self, full_name: str) -> bool:
        return self.path(full_name).is_dir()

    def branches(self, full_name: str) -> dict[str, str]:
        out = self.git(full_name, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
        return dict(line.split(" ", 1) for line in out.splitlines() if line)

    def head(self, full_name: str, branch: str) -> str | None:
        return self.branches(full_name).get(branch)

    def set_ref(self, full_name: str, branch: str, sha: str) -> None:
        with self.lock:
            self.git(full_name, "update-ref", f"refs/heads/{branch}", sha)

    def delete_ref(self, full_name: str, branch: str) -> None:
        with self.lock:
            self.git(full_name, "update-ref", "-d", f"refs/heads/{branch}")

    def tree(self, full_name: str, ref: str, recursive: bool = True) -> list[TreeEntry]:
        args = ["ls-tree", "-l", "-z", *(["-r", "-t"] if recursive else []), ref]
        entries = []
        for item in self.git(full_name, *args).split("\0"):
            if not item:
                continue
            meta, path = item.split("\t", 1)
            mode, kind, sha, size = meta.split()
            entries.append(TreeEntry(path, mode, kind, sha, None if size == "-" else int(size)))
        return entries

    def blob(self, full_name: str, sha: str) -> bytes:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path(full_name)), "cat-file", "blob", sha], capture_output=True, check=False
        )
        if proc.returncode != 0:
            raise GitError(f"no blob {sha}")
        return proc.stdout

    def read(self, full_name: str, ref: str, path: str) -> bytes | None:
        found = [e for e in self.tree(full_name, ref) if e.path == path and e.type == "blob"]
        return self.blob(full_name, found[0].sha) if found else None

    def commit_info(self, full_name: str, sha: str) -> Commit:
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%B"
        out = self.git(full_name, "show", "-s", f"--format={fmt}", sha)
        h, tree, parents, name, email, date, message = out.split("\0", 6)
        return Commit(h, tree, tuple(parents.split()), message.rstrip("\n"), name, email, date)

    def log(self, full_name: str, ref: str, exclude: str | None = None) -> list[Commit]:
        """Commits reachable from ``ref`` and not from ``exclude``, newest first."""
        args = ["rev-list", ref, *([f"^{exclude}"] if exclude else [])]
        return [self.commit_info(full_name, sha) for sha in self.git(full_name, *args).split()]

    def write_blob(self, full_name: str, data: bytes) -> str:
        return self.git(full_name, "hash-object", "-w", "--stdin", data=data).strip()

    def write_tree(self, full_name: str, base_tree: str | None, changes: dict[str, tuple[str, bytes] | None]) -> str:
        """A tree: ``base_tree`` with files set to ``(mode, content)`` or removed (None).

        A few git processes whatever the number of files (one ``hash-object`` over files
        in a scratch folder, one ``update-index``): seeding 10,000 files stays quick."""
        with self.lock, tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if base_tree:
                self.git(full_name, "read-tree", base_tree, env=env)
            added = sorted((path, change) for path, change in changes.items() if change is not None)
            scratch = []
            for n, (_, (_, content)) in enumerate(added):
                scratch.append(Path(tmp) / f"blob{n}")
                scratch[-1].write_bytes(content)
            paths = "".join(f"{f}\n" for f in scratch).encode()
            shas = self.git(full_name, "hash-object", "-w", "--stdin-paths", data=paths).split() if added else []
            # mode 0 removes an entry (--force-remove needs a work tree)
            lines = [f"0 {'0' * 40}\t{path}\n" for path, change in sorted(changes.items()) if change is None]
            lines += [f"{mode} {sha}\t{path}\n" for (path, (mode, _)), sha in zip(added, shas, strict=True)]
            if lines:
                self.git(full_name, "update-index", "--add", "--index-info", data="".join(lines).encode(), env=env)
            return self.git(full_name, "write-tree", env=env).strip()

    def commit(
        self, full_name: str, tree: str, parents: tuple[str, ...], message: str, author: tuple[str, str] = BOT
    ) -> str:
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
        }
        args = ["commit-tree", tree, *(a for p in parents for a in ("-p", p))]
        return self.git(full_name, *args, data=message.encode(), env=env).strip()

    def commit_files(
        self,
        full_name: str,
        branch: str,
        parent: str,
        changes: dict[str, tuple[str, bytes] | None],
        message: str,
        author: tuple[str, str] = BOT,
    ) -> str:
        """One commit on ``parent`` with ``changes``, then ``branch`` points at it."""
        with self.lock:
            tree = self.write_tree(full_name, self.commit_info(full_name, parent).tree, changes)
            sha = self.commit(full_name, tree, (parent,), message, author)
            self.set_ref(full_name, branch, sha)
            return sha


class GitError(Exception):
    """A git command failed (a missing object, a bad ref)."""
