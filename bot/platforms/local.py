"""The local platform (the embedded default): a folder of git checkouts, no token.

Each direct subfolder with a ``.git`` is a repository. Files are read from the default
branch's commit with git plumbing, and the bot's commits are made the same way, on
their branch only: the working tree, the index and the checked-out branch are never
touched. Requests are files in the checkout's git directory (:mod:`.localstore`).

With ``plain_folders: true``, subfolders without ``.git`` are read as snapshots, for a
dry run that needs nothing but a folder (writing to them is an error).

Over 300 lines: one Platform implementation is one class (every primitive of
bot.platforms.base over git plumbing); splitting it would scatter one contract.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from bot.httpwait import Listener
from bot.platforms.base import (
    BranchExists,
    BranchHead,
    ChangePlan,
    ChangeRequest,
    PlatformError,
    Repo,
    RepoFile,
    RequestState,
    Tip,
)
from bot.platforms.licenses import license_of
from bot.platforms.localgit import Git
from bot.platforms.localrepo import MAX_CONTEXT_FILE, origin_url
from bot.platforms.localstore import RequestStore, StoredRequest
from bot.settings.targets import PlatformSettings, Target
from fixers.base import RepoInfo

BOT_NAME, BOT_EMAIL = "dockmend", "dockmend@localhost"
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", ".tox"})
_DEFAULT_DESCRIPTION = "Unnamed repository"


class LocalPlatform:
    def __init__(
        self, name: str, root: Path, bot_name: str = BOT_NAME, bot_email: str = BOT_EMAIL, plain_folders: bool = False
    ) -> None:
        self.name = name
        self.root = root
        self.bot_email = bot_email
        self.bot_name = bot_name
        self.plain_folders = plain_folders

    @classmethod
    def from_settings(cls, settings: PlatformSettings, env: Mapping[str, str]) -> LocalPlatform:
        if settings.path is None or not settings.path.is_dir():
            raise PlatformError(f"platform {settings.name!r}: {settings.path} is not a folder")
        return cls(
            settings.name,
            settings.path,
            settings.bot_name or BOT_NAME,
            settings.bot_email or BOT_EMAIL,
            settings.plain_folders,
        )

    # -- reading

    def list_repos(self, target: Target) -> Iterator[Repo]:
        """Every checkout; the target's filters are applied by the run (names are folder names)."""
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.name.startswith(".") or folder.is_symlink():
                continue
            if (folder / ".git").exists():
                yield self._git_repo(folder)
            elif self.plain_folders:
                yield self._folder_repo(folder)

    def list_files(self, repo: Repo, ref: str) -> Sequence[RepoFile]:
        if _is_plain(repo):
            return _walk(Path(repo.id))
        return [RepoFile(i.path, i.sha, i.size, i.mode) for i in self._git(repo).tree(ref)]

    def read_file(self, repo: Repo, file: RepoFile) -> bytes:
        if _is_plain(repo):
            return _read_plain(Path(repo.id), file.path)
        return self._git(repo).blob(file.sha)

    def listen(self, listener: Listener) -> None:
        """A folder on this machine: no HTTP call to count."""

    def marker(self, repo: Repo) -> str | None:
        folder = Path(repo.id)
        return (self._folder_repo(folder) if _is_plain(repo) else self._git_repo(folder)).marker

    def repo_metadata(self, repo: Repo) -> RepoInfo:
        folder = Path(repo.id)
        return RepoInfo(
            name=folder.name,
            url=None if _is_plain(repo) else origin_url(folder),
            description=repo.description,
            license=license_of(folder),
        )

    def tree_of(self, repo: Repo, ref: str) -> str | None:
        return None  # listings are by sha here (``Repo.head_sha``): never pinned again

    def read_at(self, repo: Repo, files: Mapping[str, str]) -> str | None:
        return None  # listed by sha already (``Repo.head_sha``), or a branch_tip away

    def branch_tip(self, repo: Repo, branch: str) -> Tip | None:
        if _is_plain(repo):
            sha = repo.head_sha if branch == repo.default_branch else None
        else:
            sha = self._git(repo).resolve(f"refs/heads/{branch}")
        return Tip(sha) if sha else None

    def branch_head(self, repo: Repo, branch: str) -> BranchHead | None:
        if _is_plain(repo):
            return (
                BranchHead(repo.head_sha or "", repo.head_sha or "", (), "") if branch == repo.default_branch else None
            )
        git = self._git(repo)
        sha = git.resolve(f"refs/heads/{branch}")
        if sha is None:
            return None
        default = git.resolve(f"refs/heads/{repo.default_branch}") or sha
        own = git.commits(sha, default)
        base = own[-1].parents[0] if own and own[-1].parents else git.text("merge-base", sha, default)
        return BranchHead(sha, base, tuple(c.author_email for c in own), git.message(sha))

    # -- writing

    def write_branch(self, repo: Repo, plan: ChangePlan, force: bool) -> str:
        git = self._writable(repo, plan.branch)
        current = git.resolve(f"refs/heads/{plan.branch}")
        if current is not None and not force:
            raise BranchExists(f"{repo.full_name}: branch {plan.branch} already exists")
        files = [(f.path, f.mode, f.content) for f in plan.files]
        sha = git.commit(plan.base_sha, files, plan.commit_message)
        git.set_branch(plan.branch, sha, current)
        return sha

    def delete_branch(self, repo: Repo, branch: str) -> None:
        git = self._writable(repo, branch)
        current = git.resolve(f"refs/heads/{branch}")
        if current is not None:
            git.delete_branch(branch, current)

    def find_request(self, repo: Repo, branch: str) -> ChangeRequest | None:
        if _is_plain(repo):
            return None
        store = self._store(repo)
        found = [r for r in store.load() if r.branch == branch]
        return self._request(repo, store, max(found, key=lambda r: r.id)) if found else None

    def open_request(self, repo: Repo, plan: ChangePlan) -> ChangeRequest:
        self._writable(repo, plan.branch)
        store = self._store(repo)
        requests = store.load()
        new = StoredRequest(
            id=max((r.id for r in requests), default=0) + 1,
            branch=plan.branch,
            state="open",
            title=plan.title,
            body=plan.body,
            labels=list(plan.labels),
            reviewers=[*plan.reviewers, *plan.team_reviewers],
            assignees=list(plan.assignees),
            draft=plan.draft,
        )
        store.save([*requests, new])
        return self._request(repo, store, new)

    def update_request(
        self, repo: Repo, request: ChangeRequest, title: str, body: str, labels: Sequence[str] = ()
    ) -> ChangeRequest:
        def change(stored: StoredRequest) -> None:
            stored.title, stored.body = title, body

        return self._change(repo, request, change)

    def close_request(self, repo: Repo, request: ChangeRequest, comment: str) -> None:
        def change(stored: StoredRequest) -> None:
            stored.comments.append(comment)
            stored.state = "closed"

        self._change(repo, request, change)

    def comment(self, repo: Repo, request: ChangeRequest, text: str) -> None:
        self._change(repo, request, lambda stored: stored.comments.append(text))

    # -- helpers

    def _git(self, repo: Repo) -> Git:
        return Git(Path(repo.id), (self.bot_name, self.bot_email))

    def _store(self, repo: Repo) -> RequestStore:
        return RequestStore(self._git(repo).git_dir())

    def _writable(self, repo: Repo, branch: str) -> Git:
        if _is_plain(repo):
            raise PlatformError(f"{repo.full_name}: a plain folder, not a git checkout: only a dry run can use it")
        git = self._git(repo)
        if branch in git.checked_out():
            raise PlatformError(f"{repo.full_name}: branch {branch} is checked out; dockmend leaves it alone")
        return git

    def _change(self, repo: Repo, request: ChangeRequest, change: Callable[[StoredRequest], None]) -> ChangeRequest:
        store = self._store(repo)
        requests = store.load()
        stored = next((r for r in requests if str(r.id) == request.id), None)
        if stored is None:
            raise PlatformError(f"{repo.full_name}: no request {request.id}")
        change(stored)
        stored.updated = ""
        store.save(requests)
        return self._request(repo, store, stored)

    def _request(self, repo: Repo, store: RequestStore, stored: StoredRequest) -> ChangeRequest:
        state = RequestState(stored.state)
        if state is RequestState.OPEN and self._merged(repo, stored.branch):
            state = RequestState.MERGED  # its commits reached the default branch (a local merge)
        return ChangeRequest(str(stored.id), store.url(stored.id), state, stored.branch, stored.title, stored.body)

    def _merged(self, repo: Repo, branch: str) -> bool:
        git = self._git(repo)
        tip = git.resolve(f"refs/heads/{branch}")
        default = git.resolve(f"refs/heads/{repo.default_branch}")
        return tip is not None and default is not None and git.is_ancestor(tip, default)

    def _git_repo(self, folder: Path) -> Repo:
        git = Git(folder)
        branch = self._default_branch(git)
        head = git.resolve(f"refs/heads/{branch}")
        return Repo(
            platform=self.name,
            full_name=folder.name,
            id=str(folder),
            default_branch=branch,
            url=origin_url(folder) or folder.resolve().as_uri(),
            head_sha=head,
            marker=head,
            empty=head is None,
            description=_description(git),
        )

    def _default_branch(self, git: Git) -> str:
        """origin's HEAD, else the checked-out branch (unless it is a bot branch), else main."""
        remote = git.symbolic("refs/remotes/origin/HEAD")
        if remote and git.resolve(f"refs/heads/{remote.split('/', 1)[-1]}"):
            return remote.split("/", 1)[-1]
        current = git.symbolic("HEAD")
        try:
            bot_branches = {r.branch for r in RequestStore(git.git_dir()).load()}
        except PlatformError:
            bot_branches = set()
        if current and not current.startswith("dockmend/") and current not in bot_branches:
            return current
        return next((b for b in ("main", "master") if git.resolve(f"refs/heads/{b}")), current or "main")

    def _folder_repo(self, folder: Path) -> Repo:
        files = _walk(folder)
        digest = hashlib.sha1(b"".join(f"{f.path}\0{f.sha}\n".encode() for f in files), usedforsecurity=False)
        return Repo(
            platform=self.name,
            full_name=folder.name,
            id=str(folder),
            default_branch=_PLAIN,
            url=folder.resolve().as_uri(),
            head_sha=digest.hexdigest(),
            marker=digest.hexdigest(),
            empty=not files,
        )


_PLAIN = "(plain folder)"  # the default-branch name of a snapshot: not a valid git ref on purpose


def _is_plain(repo: Repo) -> bool:
    return repo.default_branch == _PLAIN


def _description(git: Git) -> str | None:
    try:
        text = (git.git_dir() / "description").read_text(encoding="utf-8", errors="replace")[:1000].strip()
    except (OSError, PlatformError):
        return None
    return None if not text or text.startswith(_DEFAULT_DESCRIPTION) else text


def _walk(root: Path) -> list[RepoFile]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not Path(folder, d).is_symlink())
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes() if path.stat().st_size <= MAX_CONTEXT_FILE else b""
                sha = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
                mode = "100755" if os.access(path, os.X_OK) else "100644"
                found.append(RepoFile(path.relative_to(root).as_posix(), sha, path.stat().st_size, mode))
    return sorted(found, key=lambda f: f.path)


def _read_plain(root: Path, path: str) -> bytes:
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file():
        raise PlatformError(f"{root.name}: no file {path}")
    if target.stat().st_size > MAX_CONTEXT_FILE:
        raise PlatformError(f"{root.name}: {path} is larger than {MAX_CONTEXT_FILE} bytes")
    return target.read_bytes()
