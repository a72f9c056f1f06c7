"""The GitLab emulator's records: users, groups, projects, merge requests, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

Change = tuple[str, bytes] | None  # (mode, content) or removal


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    state: str = "active"
    bot: bool = False


@dataclass
class Group:
    id: int
    path: str
    full_path: str
    parent_id: int | None
    description: str = ""
    created_at: str = field(default_factory=now)

    @property
    def name(self) -> str:
        return self.path.replace("-", " ").title()


@dataclass
class Project:
    id: int
    path: str
    group: Group
    description: str | None = None
    topics: list[str] = field(default_factory=list)
    archived: bool = False
    forked_from_id: int | None = None
    upstream_readable: bool = True  # False: the token cannot read the project it was forked from
    default_branch: str = "main"
    created_at: str = field(default_factory=now)
    last_activity_at: str = field(default_factory=now)
    creator_id: int = 1

    @property
    def full_path(self) -> str:
        return f"{self.group.full_path}/{self.path}"

    @property
    def name(self) -> str:
        return self.path


@dataclass
class Note:
    id: int
    body: str
    author_id: int
    created_at: str = field(default_factory=now)


@dataclass
class MergeRequest:
    id: int
    iid: int
    project_id: int
    title: str
    description: str
    source_branch: str
    target_branch: str
    author_id: int
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    state: str = "opened"  # opened | closed | merged | locked
    remove_source_branch: bool | None = None
    squash: bool = False
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    merged_at: str | None = None
    merged_by_id: int | None = None
    closed_at: str | None = None
    closed_by_id: int | None = None
    merge_commit_sha: str | None = None
    last_sha: str | None = None  # the source head when the branch is gone
    commits_at_merge: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def draft(self) -> bool:
        return self.title.lower().startswith(("draft:", "[draft]", "(draft)"))


class ApiError(Exception):
    """An answer other than success: the handler turns it into a JSON error."""

    def __init__(self, status: int, message: object, key: str = "message") -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.key = key


@dataclass
class Issue:
    """A project's issue (the status issue): numbered by ``iid`` within its project."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str | None
    author_id: int
    labels: list[str] = field(default_factory=list)
    state: str = "opened"  # opened | closed
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    closed_at: str | None = None
    closed_by_id: int | None = None
