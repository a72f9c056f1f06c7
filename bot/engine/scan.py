"""Read one repository through its platform and run the fixers over its Dockerfiles.

One tree listing at the default branch's head gives every path; Dockerfiles and the
build-context files the fixers ask for are read by blob sha, through a cache shared by
the whole run (the same blob in a hundred repositories is read once).
"""

from __future__ import annotations

import logging
import posixpath
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.engine import repoconfig
from bot.engine.plan import file_updates
from bot.engine.repoconfig import RepoConfig
from bot.engine.selection import selected_fixers
from bot.platforms.base import Platform, PlatformError, PlatformUnavailable, Repo, RepoFile
from bot.platforms.localrepo import MAX_CONTEXT_FILE
from bot.settings.config import Config
from fixers import label_settings as labels
from fixers import lfs
from fixers.base import Context, Finding, Fixer, ImageResolver, LabelPolicy, RepoInfo
from fixers.document import DocumentError
from fixers.engine import FileReport, run_fixers
from fixers.names import SKIP_DIRS, is_dockerfile_name
from fixers.records import replace
from fixers.registry import FIXERS, by_name, labels_only
from fixers.rules import add_labels

MAX_DOCKERFILE = 1024 * 1024
LABELS = add_labels.CODE  # the fixer that writes the repository's metadata into labels
# Dockerfiles scanned per repository: beyond it (generated fixtures, vendored trees) the
# first ones by path are scanned and the request says the rest were not
MAX_DOCKERFILES = 200
SYMLINK = "120000"
log = logging.getLogger(__name__)


class BlobCache:
    """Blob contents by sha, within a byte budget (oldest entries go first)."""

    def __init__(self, budget: int = 128 * 1024 * 1024) -> None:
        self.budget = budget
        self.used = 0
        self.blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()  # the run's threads share it

    def read(self, platform: Platform, repo: Repo, file: RepoFile) -> bytes:
        with self._lock:
            data = self.blobs.get(file.sha)
        if data is None:
            data = platform.read_file(repo, file)
            with self._lock:
                self._keep(file.sha, data)
        return data

    def _keep(self, sha: str, data: bytes) -> None:
        if sha in self.blobs:
            return
        while self.blobs and self.used + len(data) > self.budget:
            self.used -= len(self.blobs.pop(next(iter(self.blobs))))
        if len(data) <= self.budget:
            self.blobs[sha] = data
            self.used += len(data)


@dataclass
class TreeFiles:
    """The build context (the Dockerfile's folder) as the tree listing has it, read-only."""

    platform: Platform
    repo: Repo
    index: Mapping[str, RepoFile]
    folder: str  # "" for the repository's top level
    cache: BlobCache

    def read(self, path: str) -> bytes | None:
        full = posixpath.normpath(posixpath.join(self.folder, path.lstrip("/")))
        if full == ".." or full.startswith("../"):
            return None
        file = self.index.get(full)
        if file is None or file.mode == SYMLINK or (file.size or 0) > MAX_CONTEXT_FILE:
            return None
        try:
            data = self.cache.read(self.platform, self.repo, file)
        except PlatformError:
            return None  # an unreadable context file is a file the fixers do without
        return data if len(data) <= MAX_CONTEXT_FILE else None


@dataclass
class RepoScan:
    base_sha: str | None  # the commit read; None until pin_base (the listing had no sha)
    files: Sequence[RepoFile]
    config: RepoConfig = field(default_factory=RepoConfig)
    label_policy: LabelPolicy = field(default_factory=LabelPolicy)  # the service's, with the repository's settings
    skip: str | None = None  # why the repository is left alone
    reports: list[FileReport] = field(default_factory=list)
    groups: dict[str | None, list[FileReport]] = field(default_factory=dict)
    # Dockerfiles over MAX_DOCKERFILES, not scanned: a problem, so the run closes nothing
    # (the fixes of the rest are unknown)
    capped: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # Dockerfiles left alone, with the reason (Git LFS pointers)

    @property
    def retry_later(self) -> list[str]:
        return [f"{r.path}: {r.retry_later}" for r in self.reports if r.retry_later]

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        return [(r.path, f) for r in self.reports for f in r.findings]

    @property
    def problems(self) -> list[tuple[str, str]]:
        found = [(r.path, f"line {r.error.line}: {r.error.message}") for r in self.reports if r.error]
        if self.capped:
            more = f"{len(self.capped)} more Dockerfiles not scanned: over {MAX_DOCKERFILES} in one repository"
            found.append((self.capped[0], more))
        return found

    @property
    def modes(self) -> dict[str, str]:
        return {f.path: f.mode for f in self.files}


@dataclass(frozen=True)
class ScanSettings:
    config: Config
    grouping: str = "repository"
    offline: bool = False
    resolver: ImageResolver | None = None
    ignored: frozenset[str] = frozenset()  # codes ignored for this repository from chat


def dockerfiles(files: Sequence[RepoFile]) -> list[RepoFile]:
    return [
        f
        for f in files
        if is_dockerfile_name(posixpath.basename(f.path))
        and f.mode != SYMLINK
        and not any(part in SKIP_DIRS for part in f.path.split("/")[:-1])
    ]


def pin_base(platform: Platform, repo: Repo, found: RepoScan) -> str:
    """The commit the scan read, for a repository that gets a request (the others never
    need it: the listing has no head sha, and asking is one call per repository).

    The files were listed by the default branch's name; its head now must hold the very
    files the scan saw, or the branch moved meanwhile and the repository is scanned again
    at the end of the run (a commit on the new head with fixes of the old files could undo
    someone's change). Where the forge's answers to the reads named their commit (GitLab's
    files API), that commit is the base, once every written file is checked to be as
    listed there. Otherwise the head is asked: where its answer names its tree (GitHub),
    the same tree sha says so; otherwise the head's files are listed again."""
    if found.base_sha:
        return found.base_sha
    listed = {f.path: f.sha for f in found.files}
    written = [u.path for u in file_updates(found.reports, found.modes) if u.path in listed]
    read = platform.read_at(repo, {path: listed[path] for path in written})
    if read is not None:  # the reads' answers named the commit, and the written files are as listed there
        found.base_sha = read
        return read
    tip = platform.branch_tip(repo, repo.default_branch)
    if tip is None:
        raise PlatformError(f"{repo.full_name}: default branch {repo.default_branch} not found")
    if tip.tree is None or tip.tree != platform.tree_of(repo, repo.default_branch):
        now = {f.path: f.sha for f in platform.list_files(repo, tip.sha)}
        if now != {f.path: f.sha for f in found.files}:
            raise PlatformUnavailable(f"{repo.full_name}: the default branch moved during the scan")
    found.base_sha = tip.sha
    return tip.sha


def fixers_for(config: Config, repo_config: RepoConfig, ignored: frozenset[str] = frozenset()) -> list[Fixer]:
    """The configuration's fixers, narrowed by the repository's own select/ignore and by
    the codes ignored for it from chat."""
    skip = set(repo_config.ignore) | ignored
    chosen = [f for f in selected_fixers([], [], config) if f.CODE not in skip]
    return [f for f in chosen if not repo_config.select or f.CODE in repo_config.select]


def scan(platform: Platform, repo: Repo, settings: ScanSettings, cache: BlobCache) -> RepoScan:
    """Raises PlatformError/PlatformUnavailable, and RepoConfigError for a bad .dockmend.yml."""
    # by name: the head's sha costs a call, and only repositories with a request need it
    files = platform.list_files(repo, repo.head_sha or repo.default_branch)
    result = RepoScan(repo.head_sha, files)
    found = repoconfig.find(files)
    if found is not None:
        if (found.size or 0) > repoconfig.MAX_SIZE:  # not even read
            raise repoconfig.RepoConfigError(f"larger than {repoconfig.MAX_SIZE} bytes", path=found.path)
        reader, owner = repoconfig.platform_reader(platform, repo), repo.full_name.split("/")[0]
        result.config = repoconfig.parse(cache.read(platform, repo, found), found.path, reader, owner)
    if not result.config.enabled:
        result.skip = f"opted out ({found.path if found else '.dockmend.yml'})"
        return result
    if not files:  # GitHub's listing cannot tell an empty repository (size says 0 for small ones)
        result.skip = "empty"
        return result
    targets = dockerfiles(files)
    if not targets:
        result.skip = "no Dockerfile"
        return result
    if len(targets) > MAX_DOCKERFILES:
        ordered = sorted(targets, key=lambda f: f.path)
        targets, result.capped = ordered[:MAX_DOCKERFILES], tuple(f.path for f in ordered[MAX_DOCKERFILES:])
    fixers = fixers_for(settings.config, result.config, settings.ignored)
    index = {f.path: f for f in files}
    contents = {f.path: _read(platform, repo, f, cache) for f in targets}
    stored = {path for path, data in contents.items() if data is not None and lfs.is_pointer(data)}
    if stored:  # the forge gives the pointer, not the file: skipped with its reason, not a problem
        result.skipped = tuple((path, lfs.REASON) for path in sorted(stored))
        for path in sorted(stored):
            log.info("%s: %s: %s", repo.full_name, path, lfs.REASON)
        targets = [f for f in targets if f.path not in stored]
        if not targets:
            result.skip = "Dockerfiles stored in Git LFS"
            return result

    result.label_policy = replace(
        labels.policy(result.config.label_settings, settings.config.label_policy), single_image=len(targets) == 1
    )

    def run_all(info: RepoInfo) -> tuple[dict[str, Context], list[FileReport]]:
        base = replace(_context(settings, result.config, info), label_policy=result.label_policy)
        contexts = {f.path: _for_file(base, f, TreeFiles(platform, repo, index, _folder(f), cache)) for f in targets}
        return contexts, [_run(f.path, contents[f.path], contexts[f.path], fixers) for f in targets]

    # What the listing says of the repository is enough unless DM105 writes labels: only
    # then is the rest (the licence) read, one call that most repositories never need.
    listed = RepoInfo(posixpath.basename(repo.full_name), repo.url, repo.description, None, repo.topics)
    contexts, result.reports = run_all(listed)
    if any(fix.code == LABELS for r in result.reports for fix in r.fixes):
        known = platform.repo_metadata(repo)
        if known != listed:
            contexts, result.reports = run_all(known)
    groups = _groups(result.reports, settings.grouping, contents, contexts)
    # a change that only adds labels rides along with other fixes; alone it opens nothing
    # unless the configuration says so (labels: {alone: true})
    result.groups = {
        key: reports
        for key, reports in groups.items()
        if result.label_policy.alone or not labels_only(fix.code for r in reports for fix in r.fixes)
    }
    if not result.retry_later and any(r.changed for r in result.reports):
        pin_base(platform, repo, result)  # finished: a request's base is the commit the scan read
    return result


def _context(settings: ScanSettings, repo_config: RepoConfig, info: RepoInfo) -> Context:
    return Context(
        repo=info,
        labels={**settings.config.labels, **repo_config.labels},
        offline=settings.offline,
        resolver=None if settings.offline else settings.resolver,
        policy=settings.config.images,
    )


def _for_file(base: Context, file: RepoFile, files: TreeFiles) -> Context:
    return replace(base, path=file.path, files=files)


def _folder(file: RepoFile) -> str:
    return posixpath.dirname(file.path)


def _read(platform: Platform, repo: Repo, file: RepoFile, cache: BlobCache) -> bytes | None:
    if (file.size or 0) > MAX_DOCKERFILE:
        return None
    return cache.read(platform, repo, file)


def _run(path: str, data: bytes | None, ctx: Context, fixers: Sequence[Fixer]) -> FileReport:
    if data is None or len(data) > MAX_DOCKERFILE:
        report = FileReport(path, b"", b"")
        report.error = DocumentError(f"larger than {MAX_DOCKERFILE} bytes", 1)
        return report
    return run_fixers(path, data, ctx, fixers, by_name())


def _groups(
    reports: list[FileReport],
    grouping: str,
    contents: Mapping[str, bytes | None],
    contexts: Mapping[str, Context],
) -> dict[str | None, list[FileReport]]:
    if grouping == "repository":
        return {None: reports}
    # One request per fixer: each fixer that changed something runs alone again, so that
    # its request holds its own change and nothing else.
    groups: dict[str | None, list[FileReport]] = {}
    for code in sorted({fix.code for r in reports if r.changed for fix in r.fixes}):
        paths = [r.path for r in reports if any(f.code == code for f in r.fixes)]
        groups[code] = [_run(p, contents[p], contexts[p], [FIXERS[code]]) for p in paths]
    return groups
