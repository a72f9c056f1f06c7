"""The platform interface: what dockmend needs from GitHub, GitLab or a local folder.

Each platform implements small, idempotent primitives; the manners of a good bot
(find by branch first, never touch a branch with human commits, respect a closed
request, rebase, close when fixed) live once, in :mod:`bot.engine.changes`, on top of them.
Platforms raise :class:`PlatformError` for a repository-level failure and
:class:`PlatformUnavailable` for an outage or rate limit that outlasted the retries
("try again later", never "repository broken").
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.httpwait import Listener
from fixers.base import RepoInfo

if TYPE_CHECKING:  # `dockmend fix` reads a checkout's metadata without the settings models
    from bot.settings.targets import Target


BOUND = "<="  # a remembered marker that is a time: any listed time up to it is the bot's own doing


def bound_marker(when: dt.datetime) -> str:
    """The marker a forge says after the bot's own writes when their answers give the time
    the listing's marker can have reached by them, and no later (GitLab)."""
    return BOUND + when.isoformat()


def same_marker(remembered: str, listed: str | None) -> bool:
    """The listing's marker says nothing happened since ``remembered`` was noted: the same
    value, or, for a :func:`bound_marker`, a time at or before the bound."""
    if listed is None:
        return False
    if remembered == listed:
        return True
    if not remembered.startswith(BOUND):
        return False
    try:
        bound, now = dt.datetime.fromisoformat(remembered[len(BOUND) :]), dt.datetime.fromisoformat(listed)
    except ValueError:
        return False
    return bound.tzinfo is not None and now.tzinfo is not None and now <= bound


class PlatformError(Exception):
    """A repository or request could not be handled (not found, forbidden, invalid)."""


class PlatformUnavailable(PlatformError):
    """The forge is down or rate-limited beyond the retries: try again later."""


class Refused(PlatformError):
    """The forge refused a write by a rule of the repository (a ruleset, branch protection,
    required signatures): the repository's outcome for this run, not retried in it."""


class BranchExists(PlatformError):
    """``write_branch`` was to create the branch, but it exists with other commits."""


@dataclass(frozen=True)
class Repo:
    platform: str  # the configured platform name
    full_name: str  # "acme/api", "group/sub/app", or the checkout folder name
    id: str  # the forge's id (GitHub "owner/name", GitLab numeric id), or the folder path
    default_branch: str
    url: str  # web URL, shown in bodies and labels
    head_sha: str | None = None  # default-branch head when the listing carries it
    # What the listing says changes with every push (GitHub ``pushed_at``, GitLab
    # ``last_activity_at``, a checkout's head): equal to the last run's, nothing was pushed.
    marker: str | None = None
    archived: bool = False
    fork: bool = False
    empty: bool = False
    template: bool = False
    disabled: bool = False
    topics: tuple[str, ...] = ()
    description: str | None = None


def skip_reason(target: Target, repo: Repo) -> str | None:
    """Why ``target`` leaves ``repo`` out, or None to scan it (the forges apply it to their
    listings; the run applies it again, for the local platform and for a reason to report)."""
    checks = (
        (repo.archived and not target.include_archived, "archived"),
        (repo.fork and not target.include_forks, "fork"),
        (repo.disabled, "disabled"),
        (repo.template, "template"),
        (repo.empty, "empty"),
        (not any(fnmatch.fnmatchcase(repo.full_name, g) for g in target.include), "not included"),
        (any(fnmatch.fnmatchcase(repo.full_name, g) for g in target.exclude), "excluded"),
        (bool(target.topics) and not set(target.topics) & set(repo.topics), "no matching topic"),
    )
    return next((why for hit, why in checks if hit), None)


@dataclass(frozen=True)
class RepoFile:
    path: str
    sha: str  # blob sha: the key of the contents cache
    size: int | None = None
    mode: str = "100644"


@dataclass(frozen=True)
class FileUpdate:
    path: str
    content: bytes
    mode: str = "100644"  # keep "100755" for scripts


@dataclass(frozen=True)
class Tip:
    """A branch's head commit, and its root tree when the same answer gives it."""

    sha: str
    tree: str | None = None


@dataclass(frozen=True)
class BranchHead:
    """The bot branch as it is: its head and the commits it has beyond the default branch."""

    sha: str
    base_sha: str  # the parent of the oldest commit beyond the default branch
    authors: tuple[str, ...]  # author e-mail of each of those commits
    message: str  # the head commit's message (carries the plan's fingerprint)


class RequestState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # closed without merge
    MERGED = "merged"


@dataclass(frozen=True)
class ChangeRequest:
    id: str  # GitHub PR number, GitLab MR iid, local folder path
    url: str
    state: RequestState
    branch: str
    title: str
    body: str
    labels: tuple[str, ...] | None = None  # None: the platform does not say


@dataclass(frozen=True)
class ChangePlan:
    """One request for one repository: what to commit and how to explain it."""

    branch: str  # deterministic: "dockmend/remediate"
    base_branch: str
    base_sha: str  # the default-branch head the files were read at
    files: tuple[FileUpdate, ...]
    title: str
    body: str
    commit_message: str
    fingerprint: str  # of the fix set: same fixes, same fingerprint
    labels: tuple[str, ...] = ()
    findings: str = ""  # digest of what the body's checklist reports (refreshes the body when it changes)
    reviewers: tuple[str, ...] = ()
    team_reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # platform-specific options


class Platform(Protocol):
    """A forge or a folder. Every verb is safe to repeat."""

    name: str
    bot_email: str  # the author e-mail of the bot's commits: anything else is a human

    def list_repos(self, target: Target) -> Iterator[Repo]:
        """Repositories of the target (filters of ``Target`` applied where the listing allows)."""

    def list_files(self, repo: Repo, ref: str) -> Sequence[RepoFile]:
        """Every file at ``ref`` (a sha or branch), in one recursive tree call."""

    def tree_of(self, repo: Repo, ref: str) -> str | None:
        """The root tree sha of the last ``list_files(repo, ref)``, when its answer gave one
        (no call: None when unknown)."""

    def read_file(self, repo: Repo, file: RepoFile) -> bytes:
        """A file's bytes by blob sha (callers cache by sha)."""

    def repo_metadata(self, repo: Repo) -> RepoInfo:
        """URL, description, topics and licence SPDX id, for DM105 labels."""

    def marker(self, repo: Repo) -> str | None:
        """``Repo.marker`` as it is now (one call): read after the bot's own writes, so that
        the next run does not take them for someone's push."""

    def branch_head(self, repo: Repo, branch: str) -> BranchHead | None:
        """The bot branch, or None when it does not exist."""

    def branch_tip(self, repo: Repo, branch: str) -> Tip | None:
        """The commit a branch points at (one call), or None when it does not exist."""

    def read_at(self, repo: Repo, files: Mapping[str, str]) -> str | None:
        """The default branch's commit at which ``files`` (path -> blob sha, as listed)
        were read, when the forge's answers to the scan's reads named it (GitLab's files
        API does; a written file the scan did not read, its blob found in the cache, is
        read here). None when the forge's reads name no commit: the caller asks
        :meth:`branch_tip`. Raises PlatformUnavailable when a file is not as listed any
        more (the branch moved during the scan)."""

    def write_branch(self, repo: Repo, plan: ChangePlan, force: bool) -> str:
        """One commit with ``plan.files`` on ``plan.base_sha``; create the branch, or move it
        there when ``force`` (the branch holds only the bot's commits). Without ``force``,
        :class:`BranchExists` when the branch is there with other commits (a retry that
        finds its own commit there is no error). Returns the commit sha."""

    def delete_branch(self, repo: Repo, branch: str) -> None:
        """Delete the branch; no error when it is already gone."""

    def find_request(self, repo: Repo, branch: str) -> ChangeRequest | None:
        """The newest request from ``branch`` in any state, or None."""

    def open_request(self, repo: Repo, plan: ChangePlan) -> ChangeRequest:
        """Open a request from ``plan.branch`` with its title, body, labels, reviewers."""

    def update_request(
        self, repo: Repo, request: ChangeRequest, title: str, body: str, labels: Sequence[str] = ()
    ) -> ChangeRequest:
        """Change an open request's title and body, and add ``labels`` it lacks."""

    def close_request(self, repo: Repo, request: ChangeRequest, comment: str) -> None:
        """Comment, then close the request (the bot's own, no longer needed)."""

    def comment(self, repo: Repo, request: ChangeRequest, text: str) -> None:
        """Add a comment to the request."""

    def listen(self, listener: Listener) -> None:
        """Tell ``listener`` (the service's metrics) about every HTTP answer."""


@dataclass(frozen=True)
class Issue:
    """An open issue of the bot (the status issue)."""

    id: str  # GitHub number, GitLab iid
    url: str
    title: str
    body: str


@runtime_checkable
class IssueTracker(Protocol):
    """A forge with issues (GitHub, GitLab): the status issue's primitives. A local folder has none."""

    def find_issue(self, repo: Repo, marker: str) -> Issue | None:
        """The bot's own open issue whose body holds ``marker`` (the oldest, if several), or None.
        Found by its author and the marker, never by its title."""

    def open_issue(self, repo: Repo, title: str, body: str) -> Issue:
        """Open an issue as the bot."""

    def update_issue(self, repo: Repo, issue: Issue, title: str, body: str) -> Issue:
        """Change the issue's title and body."""

    def surveyed(self, repo: Repo, prefix: str, issues: bool) -> tuple[str, ...] | None:
        """The bodies of the bot's open requests from branches beginning with ``prefix`` (and,
        with ``issues``, of its open issues) in ``repo``, as the organisation-wide look-up
        answered them (no call of its own for the repository); None when that look-up is
        off or did not answer completely."""
