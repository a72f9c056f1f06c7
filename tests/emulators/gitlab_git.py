"""Git for the GitLab emulator: one bare repository per project, through :class:`GitStore`."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from tests.emulators.gitlab_model import ApiError, Change, Project
from tests.emulators.gitstore import Commit, GitError, GitStore, TreeEntry


class ProjectGit:
    """Git operations on a project's repository; answers are what git computes."""

    store: GitStore

    def git(self, project: Project, *args: str) -> str:
        return self.store.git(project.full_path, *args)

    def branches(self, project: Project) -> dict[str, str]:
        return self.store.branches(project.full_path)

    def empty(self, project: Project) -> bool:
        return not self.branches(project)

    def resolve(self, project: Project, ref: str | None) -> str | None:
        """A branch, tag, sha or ``HEAD`` to a commit sha; None when unknown."""
        ref = project.default_branch if ref in (None, "", "HEAD") else ref
        assert ref is not None
        branch = self.branches(project).get(ref)
        if branch:
            return branch
        try:
            return self.git(project, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip() or None
        except GitError:
            return None

    def commit(self, project: Project, sha: str) -> Commit:
        return self.store.commit_info(project.full_path, sha)

    def details(self, project: Project, sha: str) -> tuple[Commit, tuple[str, str, str]]:
        """A commit and its committer (name, e-mail, date), in one git call."""
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
        h, tree, parents, name, email, date, c_name, c_email, c_date, message = self.git(
            project, "show", "-s", f"--format={fmt}", sha
        ).split("\0", 9)
        commit = Commit(h, tree, tuple(parents.split()), message.rstrip("\n"), name, email, date)
        return commit, (c_name, c_email, c_date)

    def shas(self, project: Project, ref: str, exclude: str | None = None) -> list[str]:
        """Commits reachable from ``ref`` and not from ``exclude``, newest first."""
        return self.git(project, "rev-list", ref, *([f"^{exclude}"] if exclude else [])).split()

    def tree(self, project: Project, sha: str, recursive: bool = True) -> list[TreeEntry]:
        return self.store.tree(project.full_path, sha, recursive)

    def files(self, project: Project, sha: str | None) -> dict[str, TreeEntry]:
        if sha is None:
            return {}
        return {e.path: e for e in self.tree(project, sha) if e.type == "blob"}

    def blob(self, project: Project, sha: str) -> bytes:
        try:
            return self.store.blob(project.full_path, sha)
        except GitError:
            raise ApiError(404, "404 Blob Not Found") from None

    def merge_base(self, project: Project, a: str, b: str) -> str | None:
        try:
            return self.git(project, "merge-base", a, b).strip() or None
        except GitError:
            return None

    def log(self, project: Project, ref: str, exclude: str | None = None) -> list[Commit]:
        return self.store.log(project.full_path, ref, exclude)

    def numstat(self, project: Project, old: str | None, new: str) -> tuple[int, int]:
        args = ["diff", "--numstat", old, new] if old else ["show", "--numstat", "--format=", new]
        adds = dels = 0
        for line in self.git(project, *args).splitlines():
            a, d, _ = line.split("\t", 2)
            adds += int(a) if a.isdigit() else 0
            dels += int(d) if d.isdigit() else 0
        return adds, dels

    def write_commit(
        self,
        project: Project,
        parent: str | None,
        changes: dict[str, Change],
        message: str,
        author: tuple[str, str],
        committer: tuple[str, str],
    ) -> str:
        base_tree = self.commit(project, parent).tree if parent else None
        tree = self.write_tree(project, base_tree, changes)
        return self.commit_tree(project, tree, (parent,) if parent else (), message, author, committer)

    def write_tree(self, project: Project, base_tree: str | None, changes: dict[str, Change]) -> str:
        """``base_tree`` with files set or removed, through a private index: ``--index-info``
        works in a bare repository, where ``update-index --force-remove`` does not."""
        lines = []
        for path, change in sorted(changes.items()):
            if change is None:
                lines.append(f"0 {'0' * 40}\t{path}")
            else:
                lines.append(f"{change[0]} {self.store.write_blob(project.full_path, change[1])}\t{path}")
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if base_tree:
                self.store.git(project.full_path, "read-tree", base_tree, env=env)
            data = "".join(f"{line}\n" for line in lines).encode()
            self.store.git(project.full_path, "update-index", "--index-info", data=data, env=env)
            return self.store.git(project.full_path, "write-tree", env=env).strip()

    def commit_tree(
        self,
        project: Project,
        tree: str,
        parents: tuple[str, ...],
        message: str,
        author: tuple[str, str],
        committer: tuple[str, str],
    ) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.store.root),
        }
        args = ["git", "--git-dir", str(self.store.path(project.full_path)), "commit-tree", tree]
        args += [a for p in parents for a in ("-p", p)]
        proc = subprocess.run(args, input=message.encode(), capture_output=True, check=True, env=env)
        return proc.stdout.decode().strip()

    def merge_tree(self, project: Project, ours: str, theirs: str) -> str:
        """The tree of merging ``theirs`` into ``ours`` (git merge-tree --write-tree)."""
        try:
            return self.git(project, "merge-tree", "--write-tree", ours, theirs).split()[0]
        except GitError:
            raise ApiError(406, "Merge request is not mergeable") from None
