"""The GitLab emulator's world: groups, projects, users and merge requests, over real git.

Repositories are bare git repositories (:class:`GitStore`), so every sha the emulator
returns is what git computes. The seed folder maps to namespaces: a folder holding a
regular file (or a ``.project`` marker) is a project, the folders above it are groups
and subgroups. ``.project`` may hold JSON settings (``archived``, ``topics``,
``description``, ``forked_from``, ``default_branch``); it is not committed, and a
folder holding only that marker is an empty project.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.emulators.gitlab_git import ProjectGit
from tests.emulators.gitlab_model import ApiError, Group, Issue, MergeRequest, Project, User
from tests.emulators.gitstore import GitStore

MARKER = ".project"


class World(ProjectGit):
    """Everything the emulator knows. Not thread-safe: the server serialises requests."""

    def __init__(self, root: Path) -> None:
        self.store = GitStore(root)
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self.users: dict[int, User] = {}
        self.merge_requests: list[MergeRequest] = []
        self.issues: list[Issue] = []
        self._fork_paths: dict[int, str] = {}
        self._ids = {"group": 0, "project": 100, "mr": 1000, "note": 5000, "user": 0, "issue": 9000}
        # GitLab's listing limits, lowered by tests to keep them fast: above ``totals_limit``
        # records no X-Total, X-Total-Pages nor rel="last"; offsets past ``max_offset`` are
        # refused for project listings (see gitlab_groups.group_projects)
        self.totals_limit = 10_000
        self.max_offset = 50_000
        for username, name in (
            ("dockmend-bot", "dockmend bot"),
            ("alice", "Alice"),
            ("bob", "Bob"),
            ("carol", "Carol"),
        ):
            self.add_user(username, name, bot=username.endswith("-bot"))

    def next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def add_user(self, username: str, name: str, bot: bool = False) -> User:
        user = User(self.next_id("user"), username, name, f"{username}@example.com", bot=bot)
        self.users[user.id] = user
        return user

    # ---- seeding -------------------------------------------------------------------
    def seed(self, seed_dir: Path) -> None:
        for child in sorted(p for p in seed_dir.iterdir() if p.is_dir()):
            self._seed_folder(child, None)
        for project_id, origin in self._fork_paths.items():  # forks name their origin by path
            self.projects[project_id].forked_from_id = self.project(origin).id

    def _seed_folder(self, folder: Path, parent: Group | None) -> None:
        if any(p.is_file() for p in folder.iterdir()):
            if parent is None:
                raise ValueError(f"{folder}: a project needs a group above it")
            self._seed_project(folder, parent)
            return
        group = self.add_group(folder.name, parent)
        for child in sorted(p for p in folder.iterdir() if p.is_dir()):
            self._seed_folder(child, group)

    def _seed_project(self, folder: Path, group: Group) -> None:
        marker = folder / MARKER
        settings = json.loads(marker.read_text() or "{}") if marker.is_file() else {}
        files = {
            f.relative_to(folder).as_posix(): f.read_bytes()
            for f in sorted(folder.rglob("*"))
            if f.is_file() and f != marker
        }
        project = self.add_project(
            group,
            folder.name,
            files or None,
            description=settings.get("description"),
            topics=list(settings.get("topics", [])),
            archived=bool(settings.get("archived", False)),
            default_branch=settings.get("default_branch", "main"),
        )
        if settings.get("forked_from"):
            self._fork_paths[project.id] = settings["forked_from"]

    def add_group(self, path: str, parent: Group | None = None) -> Group:
        full = f"{parent.full_path}/{path}" if parent else path
        group = Group(self.next_id("group"), path, full, parent.id if parent else None)
        self.groups[group.id] = group
        return group

    def add_project(
        self, group: Group, path: str, files: dict[str, bytes] | None, default_branch: str = "main", **attrs: object
    ) -> Project:
        project = Project(self.next_id("project"), path, group, default_branch=default_branch, **attrs)  # type: ignore[arg-type]
        self.projects[project.id] = project
        self.store.create(project.full_path, files, branch=default_branch)
        return project

    # ---- look-ups ------------------------------------------------------------------
    def group(self, ident: str) -> Group:
        for group in self.groups.values():
            if str(group.id) == ident or group.full_path.lower() == ident.lower():
                return group
        raise ApiError(404, "404 Group Not Found")

    def project(self, ident: str) -> Project:
        for project in self.projects.values():
            if str(project.id) == ident or project.full_path.lower() == ident.lower():
                return project
        raise ApiError(404, "404 Project Not Found")

    def subgroups(self, group: Group) -> list[Group]:
        found = [group]
        for child in self.groups.values():
            if child.parent_id == group.id:
                found += self.subgroups(child)
        return found

    def ancestry(self, group: Group) -> list[Group]:
        """The group and its parents, top-level first."""
        parent = self.groups[group.parent_id] if group.parent_id else None
        return [*(self.ancestry(parent) if parent else []), group]

    def user(self, ident: int | str) -> User | None:
        for user in self.users.values():
            if str(user.id) == str(ident) or user.username.lower() == str(ident).lower():
                return user
        return None

    def mr(self, project: Project, iid: str) -> MergeRequest:
        for mr in self.merge_requests:
            if mr.project_id == project.id and str(mr.iid) == iid:
                return mr
        raise ApiError(404, "404 Not found")
