"""GitHub (and GitHub Enterprise) through PyGithub: the platform primitives, nothing more.

Reads are one call where GitHub allows it: a listing page per 100 repositories, one
recursive tree per repository, one blob per file, one compare for the bot branch.
Commits go through the Git Data API (blobs, a tree on the base tree, a commit on
``plan.base_sha``, then the ref), never a clone. Every call runs under
:func:`~bot.platforms.github_retry.retrying`; writes that may have succeeded before
their answer was lost are made safe to repeat (a ref or pull request that already
exists is found and reused, a comment is not posted twice).

Over 300 lines: one Platform implementation is one class (every primitive of
bot.platforms.base over PyGithub); splitting it would scatter one contract.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from github import Github, InputGitAuthor, InputGitTreeElement
from github.GitCommit import GitCommit
from github.Issue import Issue as GitHubIssue
from github.PullRequest import PullRequest
from github.Repository import Repository

from bot.httpwait import Listener
from bot.platforms.base import (
    BranchExists,
    BranchHead,
    ChangePlan,
    ChangeRequest,
    Issue,
    PlatformError,
    Refused,
    Repo,
    RepoFile,
    RequestState,
    Tip,
    skip_reason,
)
from bot.platforms.github_auth import Clients, Tuning, clients_from_settings
from bot.platforms.github_moves import Moved, following
from bot.platforms.github_retry import RequestFailed, retrying
from bot.platforms.github_survey import ISSUES, branch_prefix, search
from bot.platforms.survey import Survey
from bot.settings.targets import Target
from fixers.base import RepoInfo

if TYPE_CHECKING:
    from bot.settings.targets import PlatformSettings

T = TypeVar("T")
P = ParamSpec("P")
log = logging.getLogger(__name__)
# what ``_repo`` and ``_info`` read of a listed repository: kept with the page's ETag
LISTED_FIELDS = (
    "name", "full_name", "default_branch", "html_url", "archived", "fork", "is_template", "disabled",
    "topics", "description", "pushed_at", "license",
)  # fmt: skip
BOT_NAME = "dockmend[bot]"
BOT_EMAIL = "dockmend[bot]@users.noreply.github.com"


def _relocating(
    method: Callable[Concatenate[GitHubPlatform, Repo, P], T],
) -> Callable[Concatenate[GitHubPlatform, Repo, P], T]:
    """A call that met a renamed repository's redirect is repeated once at its new name
    (the repository is re-resolved in between: :mod:`~bot.platforms.github_moves`)."""

    @functools.wraps(method)
    def call(self: GitHubPlatform, repo: Repo, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, repo, *args, **kwargs)
        except Moved as moved:
            self._relocate(repo, moved)
        return method(self, repo, *args, **kwargs)

    return call


class GitHubPlatform:
    def __init__(
        self, name: str, clients: Clients, bot_name: str = BOT_NAME, bot_email: str = BOT_EMAIL, survey: bool = True
    ) -> None:
        self.name = name
        self.survey = survey  # False: every repository's requests and branch are looked up
        self.bot_name = bot_name
        self.bot_email = bot_email
        self.tuning = clients.tuning
        self._clients = clients
        self._policy = clients.tuning.retry
        # what the listing says for DM105, kept small (not PyGithub's objects: thousands of them)
        self._listed: dict[str, RepoInfo] = {}
        # answers that spare a call later: the root tree of each listing by branch name, the
        # tree of each default-branch head read (a commit's parent tree), and the repository's
        # pushed_at as a pull request call after the bot's last push answered it
        self._trees: dict[tuple[str, str], str] = {}
        self._commit_trees: dict[str, str] = {}
        self._pushed: dict[str, str] = {}
        # each listing page's ETag and items: the next run asks with If-None-Match, and
        # GitHub does not count a 304 against the rate limit (``dockmend serve`` keeps them)
        self._pages: dict[tuple[str, int], tuple[str, tuple[dict[str, Any], ...], bool]] = {}
        # which repositories have a request of the bot: one search per owner (github_survey)
        self._survey = Survey()
        self._author: str | None = None
        self._slug: str | None = None  # the App's slug (one call, when first needed)
        self._created: set[tuple[str, str]] = set()  # branches this process created (full name, branch)
        self._moved: dict[str, str] = {}  # renamed repositories: listed full name -> where it is now
        self._user: str | None = None  # a token's login (one call, when first needed)

    def listen(self, listener: Listener) -> None:
        """Tell ``listener`` (the service's metrics) about every HTTP answer."""
        self._clients.listen(listener)

    def __repr__(self) -> str:
        return f"GitHubPlatform({self.name!r}, {self._clients!r})"

    def _retry(self, what: str, call: Callable[[], T]) -> T:
        return retrying(self._policy, what, call)

    def _where(self, repo: Repo) -> str:
        """The repository's full name now (a rename seen during this process moves it)."""
        return self._moved.get(repo.full_name, repo.full_name)

    def _gh(self, repo: Repo) -> Repository:
        where = self._where(repo)
        return self._clients.for_owner(where.split("/")[0]).get_repo(where)  # lazy: no request

    def _relocate(self, repo: Repo, moved: Moved) -> None:
        """Ask where the repository is now (the one redirect followed on purpose) and keep it."""
        where = self._where(repo)
        client = self._clients.for_owner(where.split("/")[0])

        def get() -> str:
            with following():
                _, data = client.requester.requestJsonAndCheck("GET", f"/repos/{where}")
            return str(data["full_name"])

        new = self._retry(f"{where}: moved ({moved.status})", get)
        if new.lower() == where.lower():  # redirected, yet the same repository: not a rename
            raise PlatformError(f"{where}: GitHub redirected a call to {moved.location}")
        log.info("%s: renamed or transferred to %s; asking there", where, new)
        self._moved[repo.full_name] = new

    # -- reading ------------------------------------------------------------------------

    def list_repos(self, target: Target) -> Iterator[Repo]:
        self._survey.forget(target.owner)  # this run's search, not a former run's
        for gh in self._listing(target.owner):
            repo = self._repo(gh)
            reason = skip_reason(target, repo)
            if reason:
                log.debug("%s: skipped (%s)", repo.full_name, reason)
                continue
            self._listed[repo.full_name] = _info(gh)
            yield repo

    def _listing(self, owner: str) -> Iterator[Repository]:
        client = self._clients.for_owner(owner)
        if self._clients.is_app:  # the installation's own repositories, never the org's public ones
            yield from self._pages_of(client, owner, "/installation/repositories", "all")
            return
        path, kind = f"/orgs/{owner}/repos", "all"
        try:
            page = self._page(client, owner, path, kind, 0)
        except RequestFailed as exc:
            if exc.status != 404:
                raise
            path, kind = f"/users/{owner}/repos", "owner"  # a user, not an organisation
            page = self._page(client, owner, path, kind, 0)
        yield from self._pages_of(client, owner, path, kind, page)

    def _pages_of(
        self, client: Github, owner: str, path: str, kind: str, page: tuple[list[Repository], bool] | None = None
    ) -> Iterator[Repository]:
        page = page or self._page(client, owner, path, kind, 0)
        number = 0
        while True:
            repos, more = page
            yield from repos
            if not more:
                return
            number += 1
            page = self._page(client, owner, path, kind, number)

    def _page(self, client: Github, owner: str, path: str, kind: str, number: int) -> tuple[list[Repository], bool]:
        """One page of the listing, and whether its ``Link`` names a next one; asked with
        the ETag of the last answer when there is one (PyGithub's own pages cannot send a
        header)."""
        kept = self._pages.get((path, number))
        headers = {"If-None-Match": kept[0]} if kept else {}
        parameters = {"type": kind, "per_page": self.tuning.per_page, "page": number + 1}

        def get() -> tuple[dict[str, Any], Any]:
            return client.requester.requestJsonAndCheck("GET", path, parameters=parameters, headers=headers)

        answer, data = self._retry(f"list repositories of {owner}", get)
        if data is None and kept is not None:  # 304 Not Modified: the page as it was
            _, items, more = kept
        else:
            listed = data.get("repositories", ()) if isinstance(data, dict) else data or ()  # an installation's
            items = tuple({key: item.get(key) for key in LISTED_FIELDS} for item in listed)
            said = {k.lower(): str(v) for k, v in answer.items()}
            more = 'rel="next"' in said.get("link", "")
            if "etag" in said:
                self._pages[(path, number)] = (said["etag"], items, more)
        return [client.create_from_raw_data(Repository, dict(item)) for item in items], more

    def _repo(self, gh: Repository) -> Repo:
        return Repo(
            platform=self.name,
            full_name=gh.full_name,
            id=gh.full_name,
            default_branch=gh.default_branch,
            url=gh.html_url,
            archived=gh.archived,
            fork=gh.fork,
            # not from ``size``: computed hourly, 0 for a new push and for a small repository;
            # an empty one answers 409 to its tree (``list_files``: no files)
            template=bool(gh.is_template),
            disabled=bool(gh.disabled),
            topics=tuple(gh.topics or ()),
            description=gh.description,
            marker=_marker(gh),
        )

    @_relocating
    def list_files(self, repo: Repo, ref: str) -> Sequence[RepoFile]:
        gh = self._gh(repo)
        try:
            tree = self._retry(f"{repo.full_name}: tree of {ref}", lambda: gh.get_git_tree(ref, recursive=True))
        except RequestFailed as exc:
            if exc.status == 409:  # GitHub's answer for an empty repository
                return []
            raise
        self._trees[(repo.full_name, ref)] = tree.sha
        if tree.truncated:  # over GitHub's limits (100,000 entries): walk it folder by folder
            log.info("%s: the tree is too large for one call; walking it", repo.full_name)
            return list(self._walk(repo, gh, tree.sha, ""))
        return [RepoFile(e.path, e.sha, e.size, e.mode) for e in tree.tree if e.type == "blob"]

    def tree_of(self, repo: Repo, ref: str) -> str | None:
        return self._trees.get((repo.full_name, ref))

    def _walk(self, repo: Repo, gh: Repository, sha: str, prefix: str) -> Iterator[RepoFile]:
        tree = self._retry(f"{repo.full_name}: tree {prefix or '/'}", lambda: gh.get_git_tree(sha))
        for entry in tree.tree:
            if entry.type == "blob":
                yield RepoFile(f"{prefix}{entry.path}", entry.sha, entry.size, entry.mode)
            elif entry.type == "tree":
                yield from self._walk(repo, gh, entry.sha, f"{prefix}{entry.path}/")

    @_relocating
    def read_file(self, repo: Repo, file: RepoFile) -> bytes:
        gh = self._gh(repo)
        blob = self._retry(f"{repo.full_name}: {file.path}", lambda: gh.get_git_blob(file.sha))
        return base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode()

    @_relocating
    def marker(self, repo: Repo) -> str | None:
        answered = self._pushed.pop(repo.full_name, None)
        if answered is not None:  # a pull request call after the bot's last push told it
            return answered
        fresh = self._retry(f"{repo.full_name}: read", lambda: self._gh(repo).pushed_at)
        return fresh.isoformat() if fresh else None

    def _answered(self, repo: Repo, pull: PullRequest) -> None:
        """Keep the repository's ``pushed_at`` a pull request answer carries (its base repository)."""
        pushed = pull.base.repo.pushed_at if pull.base.repo.full_name == self._where(repo) else None
        if pushed is not None:
            self._pushed[repo.full_name] = pushed.isoformat()

    def _push(self, repo: Repo) -> None:
        """A push moves ``pushed_at``: what an earlier answer said is out of date."""
        self._pushed.pop(repo.full_name, None)

    @_relocating
    def repo_metadata(self, repo: Repo) -> RepoInfo:
        listed = self._listed.get(repo.full_name)
        if listed is not None:
            return listed
        gh = self._gh(repo)
        return self._retry(f"{repo.full_name}: metadata", lambda: _info(gh))

    @_relocating
    def branch_head(self, repo: Repo, branch: str) -> BranchHead | None:
        if self._surveyed_nothing(repo, branch):
            return None
        gh = self._gh(repo)

        def compare() -> BranchHead:
            # the answer itself, not ``comparison.commits`` (a list PyGithub would fetch again);
            # its first page holds up to 250 commits, and a bot branch has one
            answer = gh.compare(repo.default_branch, branch).raw_data
            commits = answer.get("commits") or []  # oldest first: the commits beyond the default branch
            if not commits:  # level with (or behind) the default branch
                base = answer["merge_base_commit"]
                return BranchHead(base["sha"], base["sha"], (), base["commit"]["message"])
            authors = tuple(self._author_of(c) for c in commits)
            head = commits[-1]
            return BranchHead(head["sha"], commits[0]["parents"][0]["sha"], authors, head["commit"]["message"])

        try:
            return self._retry(f"{repo.full_name}: branch {branch}", compare)
        except RequestFailed as exc:
            if exc.status in (404, 409):  # no such branch; 409: an empty repository has none
                return None
            raise

    def _author_of(self, commit: Mapping[str, Any]) -> str:
        """A compared commit's author e-mail; ``bot_email`` for the App's own commits. GitHub
        attributes an App's commit made without author or committer to the App's bot account:
        the REST commit's ``author.login`` is ``<slug>[bot]`` (PyGithub: ``Commit.author.login``)
        and its git author e-mail ``<id>+<slug>[bot]@users.noreply.github.com``."""
        email = str(commit["commit"]["author"]["email"])
        if not self._clients.is_app:
            return email
        bot = f"{self._clients_slug()}[bot]"
        login = (commit.get("author") or {}).get("login")
        noreply = re.fullmatch(rf"(?:\d+\+)?{re.escape(bot)}@users\.noreply\.github\.com", email, re.I)
        return self.bot_email if login == bot or noreply else email

    def _clients_slug(self) -> str:
        if self._slug is None:
            self._slug = self._clients.app_slug()
        return self._slug

    def read_at(self, repo: Repo, files: Mapping[str, str]) -> str | None:
        return None  # a blob's answer names no commit: the write's parent is one branch read

    @_relocating
    def branch_tip(self, repo: Repo, branch: str) -> Tip | None:
        gh = self._gh(repo)
        try:
            answer = self._retry(f"{repo.full_name}: branch {branch}", lambda: gh.get_branch(branch).raw_data)
        except RequestFailed as exc:
            if exc.status in (404, 409):
                return None
            raise
        sha, tree = answer["commit"]["sha"], answer["commit"]["commit"]["tree"]["sha"]
        if len(self._commit_trees) > 10_000:  # only read back by the write that follows
            self._commit_trees.clear()
        self._commit_trees[sha] = tree
        return Tip(sha, tree)

    # -- writing ------------------------------------------------------------------------

    @_relocating
    def write_branch(self, repo: Repo, plan: ChangePlan, force: bool) -> str:
        gh, what = self._gh(repo), f"{repo.full_name}: {plan.branch}"
        # one date for the whole write: a retried commit gets the same sha
        when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        # An App names no author nor committer: GitHub then signs the commit and attributes it
        # to the App's bot account ("require signed commits" refuses any other commit of an
        # App). A token's commits carry the configured identity (GitHub does not sign them).
        author = None if self._clients.is_app else InputGitAuthor(self.bot_name, self.bot_email, when)
        elements = [
            InputGitTreeElement(f.path, f.mode, "blob", sha=self._blob(gh, what, f.content)) for f in plan.files
        ]
        parent = self._parent(repo, gh, what, plan.base_sha)
        tree = self._retry(what, lambda: gh.create_git_tree(elements, parent.tree))
        if author is None:
            commit = self._retry(what, lambda: gh.create_git_commit(plan.commit_message, tree, [parent]))
        else:
            commit = self._retry(
                what, lambda: gh.create_git_commit(plan.commit_message, tree, [parent], author=author, committer=author)
            )
        self._push(repo)
        self._survey.written(repo.full_name)  # from now on, its branch is looked up
        try:
            self._point(gh, what, (repo.full_name, plan.branch), commit.sha, force)
        except RequestFailed as exc:
            if _ruled(exc):  # nothing was written: no branch to clean up, nothing to retry
                raise Refused(str(exc)) from None
            raise
        return commit.sha

    def _parent(self, repo: Repo, gh: Repository, what: str, sha: str) -> GitCommit:
        """The base commit with its tree: from the head read just before, else one call."""
        tree = self._commit_trees.pop(sha, None)
        if tree is None:
            return self._retry(what, lambda: gh.get_git_commit(sha))
        client = self._clients.for_owner(self._where(repo).split("/")[0])
        return client.create_from_raw_data(GitCommit, {"sha": sha, "tree": {"sha": tree}})

    def _blob(self, gh: Repository, what: str, content: bytes) -> str:
        encoded = base64.b64encode(content).decode()
        return self._retry(what, lambda: gh.create_git_blob(encoded, "base64")).sha

    def _point(self, gh: Repository, what: str, where: tuple[str, str], sha: str, force: bool) -> None:
        """Create the branch ``where`` (full name, branch) at ``sha``, or (``force``) move it there."""
        branch = where[1]
        if not force:
            try:
                self._retry(what, lambda: gh.create_git_ref(f"refs/heads/{branch}", sha))
                self._created.add(where)
                return
            except RequestFailed as exc:
                if exc.status != 422 or _ruled(exc):  # 422: it exists, perhaps from our own attempt
                    raise
        ref = gh.get_git_ref(f"heads/{branch}")
        try:
            current = self._retry(what, lambda: ref.object.sha)  # completing the ref gives it its API URL
        except RequestFailed as exc:
            if exc.status != 404:
                raise
            self._retry(what, lambda: gh.create_git_ref(f"refs/heads/{branch}", sha))
            return
        if current == sha:
            return
        if not force:
            raise BranchExists(f"{what}: the branch already exists (at {current[:12]})")
        self._retry(what, lambda: ref.edit(sha, force=True))

    @_relocating
    def delete_branch(self, repo: Repo, branch: str) -> None:
        ref, what = self._gh(repo).get_git_ref(f"heads/{branch}"), f"{repo.full_name}: delete {branch}"
        self._push(repo)
        try:
            self._retry(what, lambda: ref.object.sha)
            self._retry(what, ref.delete)
        except RequestFailed as exc:
            if _ruled(exc):  # a ruleset keeps the branch ("deletion")
                raise Refused(str(exc)) from None
            if exc.status not in (404, 422):  # already gone
                raise

    @_relocating
    def find_request(self, repo: Repo, branch: str) -> ChangeRequest | None:
        if self._surveyed_nothing(repo, branch):
            return None
        pulls = self._find(repo, branch, "all")
        return _request(max(pulls, key=lambda p: p.number)) if pulls else None

    def _surveyed_nothing(self, repo: Repo, branch: str) -> bool:
        """The owner's search names no pull request of the bot in ``repo`` (github_survey)."""
        prefix = branch_prefix(branch)
        owner = repo.full_name.split("/")[0]
        return self.survey and bool(prefix) and self._survey.knows_nothing(owner, prefix, repo.full_name, self._search)

    def _search(self, owner: str, prefix: str) -> Mapping[str, tuple[str, ...]] | None:
        """The owner's repositories with a pull request of the bot from ``prefix`` (one search)."""
        client = self._clients.for_owner(owner)

        def fetch(parameters: dict[str, Any]) -> dict[str, Any]:
            def get() -> dict[str, Any]:
                _, data = client.requester.requestJsonAndCheck("GET", "/search/issues", parameters=parameters)
                return dict(data)

            return self._retry(f"search the pull requests of {owner}", get)

        return search(fetch, owner, prefix, self._bot_author(client), self.tuning.per_page)

    def _bot_author(self, client: Github) -> str:
        """The search's ``author:``: an App's bot account is ``app/<slug>`` (one call for the
        slug); a token's requests are its user's, ``@me``."""
        if self._author is None:
            self._author = f"app/{self._clients_slug()}" if self._clients.is_app else "@me"
        return self._author

    # -- the status issue -------------------------------------------------------------

    def surveyed(self, repo: Repo, prefix: str, issues: bool) -> tuple[str, ...] | None:
        if not self.survey or not prefix:
            return None
        owner = repo.full_name.split("/")[0]
        pulls = self._survey.bodies(owner, prefix, repo.full_name, self._search)
        mine = self._survey.bodies(owner, ISSUES, repo.full_name, self._search) if issues else ()
        return None if pulls is None or mine is None else (*pulls, *mine)

    @_relocating
    def find_issue(self, repo: Repo, marker: str) -> Issue | None:
        owner = repo.full_name.split("/")[0]
        if self.survey and self._survey.knows_nothing(owner, ISSUES, repo.full_name, self._search):
            return None  # the owner's search names no issue of the bot there
        gh, creator = self._gh(repo), self._login()
        # PyGithub sends a login given as text as it is (its hint names NamedUser only)
        listing = gh.get_issues(state="open", creator=creator, sort="created", direction="asc")  # type: ignore[arg-type]
        found = self._retry(f"{repo.full_name}: issues of {creator}", lambda: list(listing))
        # the listing holds the bot's pull requests too: their bodies never carry the marker
        mine = [i for i in found if marker in (i.body or "")]
        return _issue(mine[0]) if mine else None

    def _login(self) -> str:
        """The bot's login, as issues name their author: ``<slug>[bot]`` for an App (one call
        for the slug), the token's user otherwise (one call)."""
        if self._clients.is_app:
            return f"{self._clients_slug()}[bot]"
        if self._user is None:
            client = self._clients.for_owner("")
            self._user = self._retry("who am I", lambda: client.get_user().login)
        return self._user

    @_relocating
    def open_issue(self, repo: Repo, title: str, body: str) -> Issue:
        gh = self._gh(repo)
        return _issue(self._retry(f"{repo.full_name}: open an issue", lambda: gh.create_issue(title=title, body=body)))

    @_relocating
    def update_issue(self, repo: Repo, issue: Issue, title: str, body: str) -> Issue:
        found = self._gh(repo).get_issue(int(issue.id))
        self._retry(f"{repo.full_name}#{issue.id}: update", lambda: found.edit(title=title, body=body))
        return _issue(found)

    def _find(self, repo: Repo, branch: str, state: str) -> list[PullRequest]:
        owner, gh = self._where(repo).split("/")[0], self._gh(repo)
        listing = gh.get_pulls(state=state, head=f"{owner}:{branch}", sort="created", direction="desc")
        return self._retry(f"{repo.full_name}: pull requests from {branch}", lambda: listing.get_page(0))

    @_relocating
    def open_request(self, repo: Repo, plan: ChangePlan) -> ChangeRequest:
        what = f"{repo.full_name}: pull request from {plan.branch}"
        try:
            pull = self._create_pull(repo, plan, what)
        except RequestFailed as exc:
            existing = self._find(repo, plan.branch, "open") if exc.status == 422 else []
            if not existing:  # 422 "already exists": our own earlier attempt went through
                self._abandon(repo, plan.branch)
                raise
            pull = existing[0]
        self._created.discard((repo.full_name, plan.branch))
        self._answered(repo, pull)
        self._decorate(repo, pull, plan)
        opened = _request(pull)  # as created: the labels came after
        return dataclasses.replace(opened, labels=tuple(dict.fromkeys((*(opened.labels or ()), *plan.labels))))

    def _abandon(self, repo: Repo, branch: str) -> None:
        """The request was refused: the branch this process created for it goes too (no
        branch without its request; the refusal is the repository's outcome)."""
        if (repo.full_name, branch) in self._created:
            self._created.discard((repo.full_name, branch))
            self.delete_branch(repo, branch)

    def _create_pull(self, repo: Repo, plan: ChangePlan, what: str) -> PullRequest:
        """The pull request, as a draft when asked; ready for review where the repository's
        plan has no drafts (422 "Draft pull requests are not supported in this repository.")."""
        gh = self._gh(repo)

        def create(draft: bool) -> PullRequest:
            return gh.create_pull(plan.base_branch, plan.branch, title=plan.title, body=plan.body, draft=draft)

        try:
            return self._retry(what, lambda: create(plan.draft))
        except RequestFailed as exc:
            if not (plan.draft and exc.status == 422 and "draft pull requests are not supported" in str(exc).lower()):
                raise
        log.info("%s: drafts are not supported there; opened ready for review", what)
        return self._retry(what, lambda: create(False))

    def _decorate(self, repo: Repo, pull: PullRequest, plan: ChangePlan) -> None:
        what = f"{repo.full_name}#{pull.number}"
        if plan.labels:
            self._retry(f"{what}: labels", lambda: pull.add_to_labels(*plan.labels))
        # a reviewer or assignee GitHub refuses must cost neither the request nor the other
        # (422 "Reviews may only be requested from collaborators ...")
        if plan.reviewers or plan.team_reviewers:
            reviewers, teams = list(plan.reviewers), list(plan.team_reviewers)
            self._decoration(f"{what}: reviewers", lambda: pull.create_review_request(reviewers, teams))
        if plan.assignees:
            self._decoration(f"{what}: assignees", lambda: pull.add_to_assignees(*plan.assignees))

    def _decoration(self, what: str, call: Callable[[], object]) -> None:
        try:
            self._retry(what, call)
        except RequestFailed as exc:
            log.warning("%s", exc)

    @_relocating
    def update_request(
        self, repo: Repo, request: ChangeRequest, title: str, body: str, labels: Sequence[str] = ()
    ) -> ChangeRequest:
        pull = self._gh(repo).get_pull(int(request.id))
        self._retry(f"{repo.full_name}#{request.id}: update", lambda: pull.edit(title=title, body=body))
        self._answered(repo, pull)
        missing = [label for label in labels if label not in (request.labels or ())]
        if missing:  # a run died between the pull request and its labels (two calls on GitHub)
            self._retry(f"{repo.full_name}#{request.id}: labels", lambda: pull.add_to_labels(*missing))
        return _request(pull)

    @_relocating
    def close_request(self, repo: Repo, request: ChangeRequest, comment: str) -> None:
        self.comment(repo, request, comment)
        pull = self._gh(repo).get_pull(int(request.id))
        self._retry(f"{repo.full_name}#{request.id}: close", lambda: pull.edit(state="closed"))
        self._answered(repo, pull)

    @_relocating
    def comment(self, repo: Repo, request: ChangeRequest, text: str) -> None:
        issue, tried = self._gh(repo).get_issue(int(request.id)), False

        def post() -> None:
            nonlocal tried
            # after a failed attempt the comment may have landed all the same: never post it twice
            if tried and any(c.body == text for c in issue.get_comments()):
                return
            tried = True
            issue.create_comment(text)

        self._retry(f"{repo.full_name}#{request.id}: comment", post)


def _ruled(exc: RequestFailed) -> bool:
    """A refusal by a rule of the repository: a ruleset's 422 "Repository rule violations
    found" (409 from the contents API, 405 on merges) or branch protection's 422 "Protected
    branch update failed"; never worth a retry within the run."""
    text = str(exc).lower()
    return exc.status in (403, 405, 409, 422) and (
        "repository rule violations found" in text or "protected branch" in text
    )


def _request(pull: PullRequest) -> ChangeRequest:
    state = RequestState.MERGED if pull.merged_at else RequestState(pull.state)
    labels = tuple(label.name for label in pull.labels)
    return ChangeRequest(str(pull.number), pull.html_url, state, pull.head.ref, pull.title, pull.body or "", labels)


def _issue(issue: GitHubIssue) -> Issue:
    return Issue(str(issue.number), issue.html_url, issue.title, issue.body or "")


def from_settings(settings: PlatformSettings, env: Mapping[str, str], tuning: Tuning | None = None) -> GitHubPlatform:
    """The platform for a ``type: github`` entry (token by reference, or a GitHub App);
    ``tuning`` overrides the production pace (tests pass ``Tuning.unthrottled()``)."""
    clients = clients_from_settings(settings, env, tuning)
    return GitHubPlatform(
        settings.name, clients, settings.bot_name or BOT_NAME, settings.bot_email or BOT_EMAIL, survey=settings.survey
    )


def _marker(gh: Repository) -> str | None:
    """``pushed_at`` moves with every push to any branch (the bot's own too, see ``marker``)."""
    pushed = gh.pushed_at
    return pushed.isoformat() if pushed else None


def _info(gh: Repository) -> RepoInfo:
    """DM105's view of a repository (the listing carries all of it, licence included)."""
    spdx = gh.license.spdx_id if gh.license else None
    return RepoInfo(
        name=gh.name,
        url=gh.html_url,
        description=gh.description,
        license=None if spdx in (None, "NOASSERTION") else spdx,
        topics=tuple(gh.topics or ()),
    )
