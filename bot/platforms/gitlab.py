"""GitLab through python-gitlab 8.x: groups with subgroups, self-managed URLs, access tokens.

Every HTTP request goes through :class:`~bot.platforms.gitlab_retry.RetryingSession`
(bounded waits on 429, 5xx, 403 + Retry-After and dropped connections, then
:class:`PlatformUnavailable`); python-gitlab's own retries stay off so waits never
multiply. Projects are addressed by the numeric id GitLab returns, without a look-up
request (``lazy=True``). The token travels in the ``PRIVATE-TOKEN`` header only, and
messages are scrubbed of it all the same.

Over 300 lines: one Platform implementation is one class (every primitive of
bot.platforms.base over python-gitlab); splitting it would scatter one contract.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import gitlab
import requests
from gitlab.v4.objects import Project

from bot.httpwait import Listener
from bot.platforms.base import (
    BranchExists,
    BranchHead,
    ChangePlan,
    ChangeRequest,
    Issue,
    PlatformError,
    PlatformUnavailable,
    Repo,
    RepoFile,
    RequestState,
    Tip,
    bound_marker,
    skip_reason,
)
from bot.platforms.gitlab_retry import RetryingSession, RetryPolicy, policy_from_settings
from bot.platforms.survey import Survey
from bot.settings.secrets import Secret
from bot.settings.targets import Target
from fixers.base import RepoInfo

if TYPE_CHECKING:
    from bot.settings.targets import PlatformSettings

log = logging.getLogger(__name__)
DEFAULT_URL = "https://gitlab.com"
BOT_NAME, BOT_EMAIL = "dockmend[bot]", "dockmend@noreply.invalid"
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# root files GitLab's licence detection (licensee) may read: none, and the project has no licence
_LICENCE_LIKE = re.compile(r"(?:un)?licen[cs]e|copy(?:ing|right)|ofl|patents", re.I)
ISSUES = "issues"  # the survey's selector for the bot's open issues (the status issue)
_TREES_KEPT = 64  # listings by sha, for the write that follows a pin: a few per thread
_READS_KEPT = 1024  # projects whose reads wait for read_at (a run's threads: a few each)
_STATES = {"opened": RequestState.OPEN, "locked": RequestState.OPEN, "merged": RequestState.MERGED}
# GitLab names licences by lower-cased SPDX ids (Licensee keys); "other" is not one.
_SPDX_IDS = """0BSD AFL-3.0 AGPL-3.0 Apache-2.0 Artistic-2.0 BSD-2-Clause BSD-3-Clause BSD-3-Clause-Clear BSD-4-Clause
BSL-1.0 CC-BY-4.0 CC-BY-SA-4.0 CC0-1.0 ECL-2.0 EPL-1.0 EPL-2.0 EUPL-1.1 EUPL-1.2 GPL-2.0 GPL-3.0 ISC LGPL-2.1
LGPL-3.0 LPPL-1.3c MIT MIT-0 MPL-2.0 MS-PL MS-RL MulanPSL-2.0 NCSA ODbL-1.0 OFL-1.1 OSL-3.0 PostgreSQL UPL-1.0
Unlicense Vim WTFPL Zlib"""
_SPDX = {spdx.lower(): spdx for spdx in _SPDX_IDS.split()}


class GitLabPlatform:
    """The platform primitives over GitLab's REST v4 API (gitlab.com or self-managed)."""

    def __init__(
        self,
        name: str,
        url: str,
        token: Secret,
        *,
        bot_name: str = BOT_NAME,
        bot_email: str = BOT_EMAIL,
        retry: RetryPolicy | None = None,
        per_page: int = 100,
        timeout: float = 30.0,
        verify: bool | str = True,
        retry_transient_errors: bool = False,  # the RetryingSession retries; python-gitlab's would add waits
        survey: bool = True,  # False: every project's requests and branch are looked up
    ) -> None:
        self.name, self.bot_name, self.bot_email = name, bot_name, bot_email
        self.survey = survey
        self.per_page = per_page
        self._token = token
        self._session = RetryingSession(retry or RetryPolicy())  # paces itself; metrics listen to it
        self._gl = gitlab.Gitlab(
            url=url,
            private_token=token.reveal(),
            retry_transient_errors=retry_transient_errors,
            timeout=timeout,
            ssl_verify=verify,
            keep_base_url=True,  # a self-managed server may announce another external URL in its links
            session=self._session,
        )
        # listings kept for the same repository's next steps: by commit sha (never stale), and
        # the last by the default branch's name; the digest of that listing's root folder
        # (see ``tree_of``), a short string, for every repository
        self._trees: dict[tuple[str, str], Any] = {}
        self._roots: dict[tuple[str, str], str] = {}
        self._trees_lock = threading.Lock()
        self._user_ids: dict[str, int | None] = {}
        # what the listing says for DM105 (all but the licence), and the projects whose
        # default branch has no file a licence could be read from: no call for those
        self._listed: dict[str, RepoInfo] = {}
        self._unlicensed: set[str] = set()
        # the group each listed project came from, and what one listing of the group's
        # merge requests by source branch says (bot.platforms.survey)
        self._groups: dict[str, str] = {}
        self._survey = Survey()
        # per project, what the files API answered while scanning it: path -> (commit, blob
        # sha, mode), read back once by read_at when a request needs its base
        self._read: dict[str, dict[str, tuple[str, str, str]]] = {}
        # per project, the latest time the answers to the bot's writes gave (see marker)
        self._acted: dict[str, dt.datetime] = {}
        self._user: str | None = None  # the token's username (issues are listed by their author)

    def listen(self, listener: Listener) -> None:
        """Tell ``listener`` (the service's metrics) about every HTTP answer."""
        self._session.listen(listener)

    def __repr__(self) -> str:
        return f"GitLabPlatform({self.name!r}, {self._gl.url!r})"

    # -- reading

    def list_repos(self, target: Target) -> Iterator[Repo]:
        self._survey.forget(target.owner)  # this run's listing of merge requests, not a former run's
        with self._calling(f"list the projects of {target.owner}"):
            for attributes in self._projects(target):
                repo = self._repo(attributes)
                if skip_reason(target, repo) is None:
                    self._listed[repo.full_name] = _info(attributes, None)
                    self._groups[repo.id] = target.owner
                    yield repo

    def _projects(self, target: Target) -> Iterator[Mapping[str, Any]]:
        """The group's projects, by id. Offset pagination stops at an offset (50,000 on
        GitLab: 405 "Offset pagination has a maximum allowed offset of 50000 for requests that
        return objects of type Project"), and keyset pagination is documented for
        ``GET /projects`` only, not for a group's projects; so past that offset the listing
        goes on from the other end (``sort=desc``) down to the last id read: complete up to
        twice the limit. Above 10,000 projects GitLab gives no totals; none are needed."""
        group = self._gl.groups.get(target.owner, lazy=True)
        filters: dict[str, Any] = {"include_subgroups": True, "with_shared": False, "order_by": "id"}
        if not target.include_archived:
            filters["archived"] = False
        last = 0
        try:
            for item in group.projects.list(iterator=True, per_page=self.per_page, sort="asc", **filters):
                last = int(item.attributes["id"])
                yield item.attributes
            return
        except gitlab.GitlabError as exc:  # the first page's GitlabListError, a later one's GitlabHttpError
            if not (exc.response_code == 405 and "maximum allowed offset" in str(exc.error_message)):
                raise
        log.info("%s: over GitLab's offset limit; listing the rest from the newest project", target.owner)
        try:
            for item in group.projects.list(iterator=True, per_page=self.per_page, sort="desc", **filters):
                if int(item.attributes["id"]) <= last:
                    return
                yield item.attributes
        except gitlab.GitlabError as exc:
            if exc.response_code == 405 and "maximum allowed offset" in str(exc.error_message):
                raise PlatformError(
                    f"GitLab {self.name}: {target.owner} has more projects than two offset-paginated listings "
                    "reach: name its subgroups as targets"
                ) from None
            raise

    def _repo(self, a: Mapping[str, Any]) -> Repo:
        return Repo(
            platform=self.name,
            full_name=a["path_with_namespace"],
            id=str(a["id"]),
            default_branch=a.get("default_branch") or "main",
            url=a.get("web_url") or "",
            archived=bool(a.get("archived")),
            # a fork whose upstream the token cannot read has no ``forked_from_project``, but
            # every fork has ``mr_default_target_self``
            fork=a.get("forked_from_project") is not None or "mr_default_target_self" in a,
            empty=bool(a.get("empty_repo")),
            topics=tuple(a.get("topics") or a.get("tag_list") or ()),
            description=a.get("description") or None,
            marker=a.get("last_activity_at") or None,
        )

    def marker(self, repo: Repo) -> str | None:
        """After the bot's own writes, with no call: the latest time GitLab gave in their
        answers, as a bound (:func:`bot.engine.rescan.same_marker`). The project's
        ``last_activity_at`` moves to the time of an event, and at most once an hour
        (GitLab's ``Event::RESET_PROJECT_ACTIVITY_INTERVAL = 1.hour``, app/models/event.rb):
        what the bot did leaves it at or before its last answer's time, and anything later
        that moves it moves it past."""
        with self._trees_lock:
            acted = self._acted.pop(repo.id, None)
        if acted is not None:
            return bound_marker(acted)
        with self._calling(f"read {repo.full_name}"):
            found = self._gl.projects.get(repo.id).attributes.get("last_activity_at")
        return str(found) if found else None

    def list_files(self, repo: Repo, ref: str) -> Sequence[RepoFile]:
        cached: tuple[RepoFile, ...] | None = self._trees.get((repo.id, ref))
        if cached is not None:
            return cached
        with self._calling(f"list the files of {repo.full_name} at {ref}"):
            items = list(
                self._project(repo).repository_tree(ref=ref, recursive=True, iterator=True, per_page=self.per_page)
            )
            files = tuple(RepoFile(i["path"], i["id"], None, i["mode"]) for i in items if i["type"] == "blob")
        if _SHA.fullmatch(ref):
            self._keep((repo.id, ref), files)
        elif ref == repo.default_branch:
            self._roots[(repo.id, ref)] = _root(i for i in items if "/" not in i["path"])
            self._keep((repo.id, f"files of {ref}"), files)
            if any(_LICENCE_LIKE.match(f.path) for f in files if "/" not in f.path):
                self._unlicensed.discard(repo.full_name)
            else:
                self._unlicensed.add(repo.full_name)
        return files

    def _keep(self, key: tuple[str, str], value: Any) -> None:
        """A listing the same repository's next steps read back (a few per thread)."""
        with self._trees_lock:
            while len(self._trees) >= _TREES_KEPT:
                del self._trees[next(iter(self._trees))]  # the oldest
            self._trees[key] = value

    def tree_of(self, repo: Repo, ref: str) -> str | None:
        """GitLab names no tree sha; the root folder's entries (names, modes, ids: a subtree
        by its tree id) stand for the whole tree, as a digest."""
        return self._roots.get((repo.id, ref))

    def read_file(self, repo: Repo, file: RepoFile) -> bytes:
        """By path on the default branch (the files API): the answer names the commit it
        read, which pins a request's base without another call (:meth:`read_at`). A file
        that is not as listed any more is read by its blob sha, as listed."""
        read = self._read_by_path(repo, file.path)
        if read is not None and read[1] == file.sha:
            return read[0]
        with self._calling(f"read {file.path} of {repo.full_name}"):
            data = self._project(repo).repository_raw_blob(file.sha)
        if not isinstance(data, bytes):
            raise PlatformError(f"GitLab {self.name}: {file.path} of {repo.full_name}: unexpected answer")
        return data

    def _read_by_path(self, repo: Repo, path: str) -> tuple[bytes, str] | None:
        """(content, blob sha) of ``path`` at the default branch's head, and what was read
        where kept for :meth:`read_at`; None when the answer is not a file's."""
        with self._calling(f"read {path} of {repo.full_name}"):
            try:
                answer = self._project(repo).files.get(file_path=path, ref=repo.default_branch)
            except gitlab.GitlabGetError as exc:
                if exc.response_code == 404:
                    return None
                raise
        a = answer.attributes
        commit, blob, content = a.get("commit_id"), a.get("blob_id"), a.get("content")
        if not (isinstance(commit, str) and isinstance(blob, str) and isinstance(content, str)):
            return None
        mode = "100755" if a.get("execute_filemode") else "100644"
        with self._trees_lock:
            read = self._read.setdefault(repo.id, {})
            if len(self._read) > _READS_KEPT:  # only read back by the same repository's pin
                self._read.clear()
                read = self._read.setdefault(repo.id, {})
            read[path] = (commit, blob, mode)
        return base64.b64decode(content), blob

    def read_at(self, repo: Repo, files: Mapping[str, str]) -> str | None:
        """The commit the files API named for every one of ``files``, read at one commit.
        Files found in the cache (no answer yet), or answered at different commits (the
        branch moved between reads), are read again, by path: one call each."""
        with self._trees_lock:
            read = dict(self._read.pop(repo.id, {}))
        if not files:
            return None  # nothing written to check: the head's answer pins it
        missing = [path for path in files if path not in read]
        for _ in range(2):  # the files not read yet; then, if they span commits, all again
            for path in missing:
                if self._read_by_path(repo, path) is None:
                    raise PlatformUnavailable(f"{repo.full_name}: {path} is gone from the default branch")
            with self._trees_lock:
                read.update(self._read.pop(repo.id, {}))
            if len({read[path][0] for path in files}) == 1:
                break
            missing = list(files)
        answers = {path: read[path] for path in files}
        commits = {commit for commit, _, _ in answers.values()}
        listed = self._trees.get((repo.id, f"files of {repo.default_branch}"))
        modes = {f.path: f.mode for f in listed} if listed is not None else {}
        if len(commits) != 1 or any(
            blob != files[path] or modes.get(path, mode) != mode for path, (_, blob, mode) in answers.items()
        ):
            raise PlatformUnavailable(f"{repo.full_name}: the default branch moved during the scan")
        (commit,) = commits
        if listed is not None:  # as listed where the write looks (the written files: just checked)
            self._keep((repo.id, commit), listed)
        return commit

    def repo_metadata(self, repo: Repo) -> RepoInfo:
        listed = self._listed.get(repo.full_name)
        if listed is not None and repo.full_name in self._unlicensed:
            return listed  # the listing lacks only the licence, and there is none to detect
        with self._calling(f"read the settings of {repo.full_name}"):
            a = self._gl.projects.get(repo.id, license=True).attributes
        return _info(a, a.get("license") or {})

    def branch_head(self, repo: Repo, branch: str) -> BranchHead | None:
        if self._surveyed_nothing(repo, branch):
            return None
        project = self._project(repo)
        with self._calling(f"read branch {branch} of {repo.full_name}"):
            try:
                head = project.branches.get(branch).commit
            except gitlab.GitlabGetError as exc:
                if exc.response_code == 404:
                    return None
                raise
            compare = project.repository_compare(repo.default_branch, branch)
        beyond = compare["commits"] if isinstance(compare, dict) else []  # oldest first
        base = head["id"]
        if beyond:
            oldest = beyond[0]
            parents = oldest.get("parent_ids") or self._commit(project, oldest["id"])["parent_ids"]
            base = parents[0] if parents else head["id"]
        authors = tuple(c["author_email"] for c in beyond)
        return BranchHead(sha=head["id"], base_sha=base, authors=authors, message=head["message"])

    def branch_tip(self, repo: Repo, branch: str) -> Tip | None:
        """The head, and the digest of its root folder (one page, where listing the whole
        tree again could take hundreds): when it is the one of the last listing by the
        branch's name, that listing is the head's, for the write that follows."""
        project = self._project(repo)
        with self._calling(f"read branch {branch} of {repo.full_name}"):
            try:
                sha = str(project.branches.get(branch).commit["id"])
            except gitlab.GitlabGetError as exc:
                if exc.response_code == 404:
                    return None
                raise
            root = _root(project.repository_tree(ref=sha, iterator=True, per_page=self.per_page))
        files = self._trees.get((repo.id, f"files of {branch}"))
        if files is not None and self._roots.get((repo.id, branch)) == root:
            self._keep((repo.id, sha), files)  # the write's base: no call
        return Tip(sha, root)

    def _commit(self, project: Project, sha: str) -> dict[str, Any]:
        with self._calling(f"read commit {sha}"):
            return dict(project.commits.get(sha).attributes)

    # -- writing

    def write_branch(self, repo: Repo, plan: ChangePlan, force: bool) -> str:
        existing = {f.path: f for f in self.list_files(repo, plan.base_sha)}  # cached by sha
        actions: list[dict[str, Any]] = []
        for update in plan.files:
            old = existing.get(update.path)
            content = base64.b64encode(update.content).decode()  # bytes exactly: CRLF, BOM, any encoding
            kind = "update" if old else "create"
            actions.append({"action": kind, "file_path": update.path, "content": content, "encoding": "base64"})
            if (old.mode if old else "100644") != update.mode:  # create/update keep the mode: chmod sets it
                executable = update.mode == "100755"
                actions.append({"action": "chmod", "file_path": update.path, "execute_filemode": executable})
        data = {
            "branch": plan.branch,
            "start_sha": plan.base_sha,
            "force": force,
            "commit_message": plan.commit_message,
            "author_name": self.bot_name,
            "author_email": self.bot_email,
            "actions": actions,
        }
        self._survey.written(repo.id)  # from now on, its branch is looked up
        with self._calling(f"commit to {plan.branch} of {repo.full_name}"):
            try:
                commit = self._project(repo).commits.create(data)
                self._answered(repo, commit.attributes, "created_at", "committed_date")
                return str(commit.id)
            except gitlab.GitlabCreateError as exc:
                if force or exc.response_code != 400:
                    raise
                head = self.branch_head(repo, plan.branch)
                if head is None:
                    raise
                done = self._already_written(repo, plan, head)
                if done is None:
                    raise BranchExists(f"{repo.full_name}: branch {plan.branch} already exists") from exc
                return done

    def _already_written(self, repo: Repo, plan: ChangePlan, head: BranchHead) -> str | None:
        """The branch holds exactly this plan's commit (a retry whose first attempt landed): no error."""
        if (head.base_sha, head.authors) != (plan.base_sha, (self.bot_email,)):
            return None
        files = {f.path: (f.sha, f.mode) for f in self.list_files(repo, head.sha)}
        same = all(files.get(f.path) == (_blob_sha(f.content), f.mode) for f in plan.files)
        return head.sha if same and head.message.strip() == plan.commit_message.strip() else None

    def delete_branch(self, repo: Repo, branch: str) -> None:
        with self._calling(f"delete branch {branch} of {repo.full_name}"):
            try:
                self._project(repo).branches.delete(branch)
            except gitlab.GitlabDeleteError as exc:
                if exc.response_code != 404:
                    raise

    def find_request(self, repo: Repo, branch: str) -> ChangeRequest | None:
        if self._surveyed_nothing(repo, branch):
            return None
        filters = {"source_branch": branch, "state": "all", "order_by": "created_at", "sort": "desc"}
        with self._calling(f"find the merge request of {branch} in {repo.full_name}"):
            for mr in self._project(repo).mergerequests.list(iterator=True, per_page=20, **filters):
                if mr.attributes.get("source_project_id") == mr.attributes.get("target_project_id"):  # not a fork's
                    return _request(mr.attributes)
        return None

    def _surveyed_nothing(self, repo: Repo, branch: str) -> bool:
        """The group's merge requests from ``branch`` (one listing for the whole group and its
        subgroups, "List group merge requests") name none in ``repo``."""
        group = self._groups.get(repo.id)
        return self.survey and group is not None and self._survey.knows_nothing(group, branch, repo.id, self._search)

    def _search(self, group: str, selector: str) -> Mapping[str, tuple[str, ...]] | None:
        if selector == ISSUES:
            return self._issues(group)
        return self._requests(group, selector)

    def _requests(self, group: str, selector: str) -> Mapping[str, tuple[str, ...]] | None:
        """The ids of the projects with a merge request from the branch ``selector`` in any
        state (or, for ``opened:<prefix>``, an open one from a branch beginning with the
        prefix), each with its open ones' descriptions; None when the listing failed (every
        project is then looked up)."""
        prefix = selector.removeprefix("opened:") if selector.startswith("opened:") else ""
        filters: dict[str, Any] = {"state": "opened" if prefix else "all", "scope": "all", "non_archived": False}
        if not prefix:
            filters["source_branch"] = selector
        found: dict[str, list[str]] = {}
        try:
            with self._calling(f"list the merge requests of {group} from {selector}"):
                listing = self._gl.groups.get(group, lazy=True).mergerequests.list(
                    iterator=True, per_page=self.per_page, **filters
                )
                for mr in listing:
                    a = mr.attributes
                    if prefix and not str(a.get("source_branch") or "").startswith(prefix):
                        continue
                    bodies = found.setdefault(str(a["project_id"]), [])
                    if a.get("state") in ("opened", "locked"):
                        bodies.append(str(a.get("description") or ""))
        except PlatformError as exc:
            log.info("%s; every project is looked up", exc)
            return None
        return {project: tuple(bodies) for project, bodies in found.items()}

    # -- the status issue

    def surveyed(self, repo: Repo, prefix: str, issues: bool) -> tuple[str, ...] | None:
        """The group's open merge requests from the bot's branches, in one listing, and (with
        ``issues``) the bot's open issues in the group, in another ("List group issues")."""
        group = self._groups.get(repo.id)
        if not self.survey or group is None or not prefix:
            return None
        requests = self._survey.bodies(group, f"opened:{prefix}", repo.id, self._search)
        mine = self._survey.bodies(group, ISSUES, repo.id, self._search) if issues else ()
        return None if requests is None or mine is None else (*requests, *mine)

    def _issues(self, group: str) -> Mapping[str, tuple[str, ...]] | None:
        """The ids of the group's projects with an open issue of the bot, each with those
        issues' descriptions; None when the listing failed."""
        filters = {"author_username": self._username(), "state": "opened", "scope": "all", "non_archived": False}
        found: dict[str, list[str]] = {}
        try:
            with self._calling(f"list the issues of {filters['author_username']} in {group}"):
                listing = self._gl.groups.get(group, lazy=True).issues.list(
                    iterator=True, per_page=self.per_page, **filters
                )
                for item in listing:
                    found.setdefault(str(item.attributes["project_id"]), []).append(
                        str(item.attributes.get("description") or "")
                    )
        except PlatformError as exc:
            log.info("%s; every project's issues are looked up", exc)
            return None
        return {project: tuple(bodies) for project, bodies in found.items()}

    def find_issue(self, repo: Repo, marker: str) -> Issue | None:
        group = self._groups.get(repo.id)
        if self.survey and group is not None and self._survey.knows_nothing(group, ISSUES, repo.id, self._search):
            return None  # the group's listing names no issue of the bot there
        author = self._username()
        filters = {"author_username": author, "state": "opened", "order_by": "created_at", "sort": "asc"}
        with self._calling(f"list the issues of {author} in {repo.full_name}"):
            for item in self._project(repo).issues.list(iterator=True, per_page=self.per_page, **filters):
                if marker in (item.attributes.get("description") or ""):
                    return _issue(item.attributes)
        return None

    def _username(self) -> str:
        """The token's user, as issues name their author (one call, when first needed)."""
        if self._user is None:
            with self._calling("read the token's user"):
                self._gl.auth()
            self._user = str(self._gl.user.username) if self._gl.user is not None else ""
        return self._user

    def open_issue(self, repo: Repo, title: str, body: str) -> Issue:
        with self._calling(f"open an issue in {repo.full_name}"):
            created = self._project(repo).issues.create({"title": title, "description": body}).attributes
        self._answered(repo, created, "created_at", "updated_at")  # an event on the project, as the bot's writes
        return _issue(created)

    def update_issue(self, repo: Repo, issue: Issue, title: str, body: str) -> Issue:
        with self._calling(f"update issue #{issue.id} of {repo.full_name}"):
            found = self._project(repo).issues.get(issue.id, lazy=True)
            found.title, found.description = title, body
            found.save()
        self._answered(repo, found.attributes, "updated_at")
        return _issue(found.attributes)

    def open_request(self, repo: Repo, plan: ChangePlan) -> ChangeRequest:
        data: dict[str, Any] = {
            "source_branch": plan.branch,
            "target_branch": plan.base_branch,
            "title": f"Draft: {plan.title}" if plan.draft else plan.title,
            "description": plan.body,
            "labels": list(plan.labels),
            "remove_source_branch": plan.extra.get("remove_source_branch", "true").lower() != "false",
        }
        for key, names in (("assignee_ids", plan.assignees), ("reviewer_ids", plan.reviewers)):
            if names:
                data[key] = self._users(names)
        if plan.team_reviewers:
            log.info("GitLab %s: team reviewers are a GitHub feature; ignored", self.name)
        with self._calling(f"open a merge request from {plan.branch} in {repo.full_name}"):
            try:
                created = self._project(repo).mergerequests.create(data).attributes
                self._answered(repo, created, "created_at", "updated_at")
                return _request(created)
            except gitlab.GitlabCreateError as exc:
                existing = self.find_request(repo, plan.branch) if exc.response_code == 409 else None
                if existing is None or existing.state is not RequestState.OPEN:
                    raise
                return existing  # a retried create whose first attempt landed

    def _users(self, usernames: Sequence[str]) -> list[int]:
        for name in usernames:
            if name not in self._user_ids:
                with self._calling(f"look up user {name}"):
                    found = list(self._gl.users.list(username=name, iterator=True))
                self._user_ids[name] = found[0].id if found else None
                if not found:
                    log.warning("GitLab %s: no user %r; left out of the merge request", self.name, name)
        return [i for i in (self._user_ids[n] for n in usernames) if i is not None]

    def update_request(
        self, repo: Repo, request: ChangeRequest, title: str, body: str, labels: Sequence[str] = ()
    ) -> ChangeRequest:
        if _is_draft(request.title) and not _is_draft(title):
            title = f"Draft: {title}"  # GitLab's draft state is the title's prefix: keep it
        change: dict[str, Any] = {"title": title, "description": body}
        if labels:
            change["add_labels"] = ",".join(labels)
        with self._calling(f"update merge request !{request.id} of {repo.full_name}"):
            answer = self._project(repo).mergerequests.update(request.id, change)
        self._answered(repo, answer, "updated_at")
        return _request(answer)

    def close_request(self, repo: Repo, request: ChangeRequest, comment: str) -> None:
        self.comment(repo, request, comment)
        with self._calling(f"close merge request !{request.id} of {repo.full_name}"):
            answer = self._project(repo).mergerequests.update(request.id, {"state_event": "close"})
        self._answered(repo, answer, "updated_at", "closed_at")

    def comment(self, repo: Repo, request: ChangeRequest, text: str) -> None:
        with self._calling(f"comment on merge request !{request.id} of {repo.full_name}"):
            mr = self._project(repo).mergerequests.get(request.id, lazy=True)
            note = mr.notes.create({"body": text})
        self._answered(repo, note.attributes, "created_at", "updated_at")

    def _answered(self, repo: Repo, answer: Mapping[str, Any], *fields: str) -> None:
        """Keep the latest of the times a write's answer gives (the bound :meth:`marker` says)."""
        times = [t for t in (_time(answer.get(f)) for f in fields) if t is not None]
        with self._trees_lock:
            if repo.id in self._acted:
                times.append(self._acted[repo.id])
            if times:
                self._acted[repo.id] = max(times)

    # -- plumbing

    def _project(self, repo: Repo) -> Project:
        return self._gl.projects.get(repo.id, lazy=True)  # no request: every call below names the id

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """python-gitlab's errors as PlatformError, without the token, whatever happens."""
        try:
            yield
        except gitlab.GitlabAuthenticationError:
            raise PlatformError(f"GitLab {self.name}: {what}: the token was refused (401)") from None
        except gitlab.GitlabError as exc:
            message = exc.error_message
            text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
            raise PlatformError(self._scrub(f"GitLab {self.name}: {what}: {exc.response_code} {text}")) from None
        except requests.RequestException as exc:
            raise PlatformError(f"GitLab {self.name}: {what}: {type(exc).__name__}") from None

    def _scrub(self, text: str) -> str:
        token = self._token.reveal()
        return text.replace(token, "***") if token else text


def _time(value: object) -> dt.datetime | None:
    """An answer's ISO 8601 time (``2026-12-06T11:50:01.123Z``), None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _root(items: Iterable[Mapping[str, Any]]) -> str:
    """A digest of a folder's entries: the same names, modes and ids are the same tree."""
    entries = sorted(f"{i['mode']} {i['type']} {i['id']}\t{i['name']}" for i in items)
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def _info(a: Mapping[str, Any], licence: Mapping[str, Any] | None) -> RepoInfo:
    """DM105's view of a project (``licence``: the ``license=true`` answer's, None unread)."""
    return RepoInfo(
        name=a.get("name"),
        url=a.get("web_url"),
        description=a.get("description") or None,
        license=_SPDX.get(str(licence.get("key") or "").lower()) if licence else None,
        topics=tuple(a.get("topics") or a.get("tag_list") or ()),
    )


def _request(a: Mapping[str, Any]) -> ChangeRequest:
    return ChangeRequest(
        id=str(a["iid"]),
        url=a.get("web_url") or "",
        state=_STATES.get(a.get("state", ""), RequestState.CLOSED),
        branch=a["source_branch"],
        title=a.get("title") or "",
        body=a.get("description") or "",
        labels=tuple(a.get("labels") or ()),
    )


def _issue(a: Mapping[str, Any]) -> Issue:
    return Issue(str(a["iid"]), a.get("web_url") or "", a.get("title") or "", a.get("description") or "")


def _is_draft(title: str) -> bool:
    """GitLab marks a draft by its title: "Draft:", "[Draft]" or "(Draft)" at the start
    (docs.gitlab.com, user/project/merge_requests/drafts), any case."""
    return title.lower().startswith(("draft:", "[draft]", "(draft)"))


def _blob_sha(content: bytes) -> str:
    """The git object id of a file's bytes (what a tree lists)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def from_settings(settings: PlatformSettings, env: Mapping[str, str]) -> GitLabPlatform:
    """The platform for a ``type: gitlab`` entry (project/group access token or personal token)."""
    token = settings.token_value(env)
    if token is None:
        raise PlatformError(f"platform {settings.name!r}: GitLab needs 'token: ${{ENV}}' or 'token_file'")
    return GitLabPlatform(
        settings.name,
        settings.url or DEFAULT_URL,
        token,
        bot_name=settings.bot_name or BOT_NAME,
        bot_email=settings.bot_email or BOT_EMAIL,
        timeout=settings.timeout,
        verify=settings.verify,
        retry=policy_from_settings(settings),
        survey=settings.survey,
    )
