"""`dockmend fix`: find Dockerfiles, apply the repository's settings, run the fixers, write or show the result.

This module is the command's whole path and stays lean: the fixers, ruamel.yaml (for
``.dockmend.yml``) and nothing of the service. The registry client (httpx, the
registry settings) is imported on the first look-up a base-image fixer makes, and the
configuration models (pydantic) only for ``--config``.

Over 300 lines: the fix command end to end: discovery, the repository's settings,
processing, writing, reporting.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from bot.cli import formats
from bot.cli.writing import NotWritten, write_report
from bot.engine import repoconfig
from bot.engine.repoconfig import RepoConfig, RepoConfigError
from bot.engine.selection import resolve_codes
from bot.errors import DockmendError
from bot.platforms.localrepo import LocalFiles, git_root, repo_info
from fixers import label_settings as labels_settings
from fixers import lfs, registry
from fixers.base import (
    Context,
    ContextFiles,
    Fixer,
    ImageConfig,
    ImagePolicy,
    ImageResolver,
    LabelPolicy,
    NoFiles,
    RepoInfo,
)
from fixers.document import DocumentError
from fixers.engine import FileReport, run_fixers
from fixers.names import SKIP_DIRS, is_dockerfile_name
from fixers.records import field, record
from fixers.registry import FIXERS, by_name

if TYPE_CHECKING:
    from bot.settings.config import Config

STDIN = "-"
DEFAULT_FAIL_ON = "warning"
NO_REPO_CONFIG = RepoConfig()


@record(frozen=True)
class Options:
    check: bool = False
    diff: bool = False
    offline: bool = False
    output: str = "text"
    fail_on: str = DEFAULT_FAIL_ON
    quiet: bool = False
    color: bool = False
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()  # from the command line: wins over the repository's select/ignore
    ignore: tuple[str, ...] = ()


@record(frozen=True)
class Settings:
    """What `dockmend fix` uses of a configuration file (``--config``); empty by default."""

    labels: Mapping[str, str] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    label_policy: LabelPolicy = field(default_factory=LabelPolicy)
    images: ImagePolicy = field(default_factory=ImagePolicy)
    registries: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def load(cls, path: Path) -> Settings:
        from bot.settings import config  # pydantic: only when there is a file to validate

        return cls.of(config.load(path))

    @classmethod
    def of(cls, cfg: Config) -> Settings:
        return cls(
            cfg.labels, cfg.select, cfg.ignore, cfg.severity, cfg.label_policy, cfg.images, cfg.registries, cfg.path
        )


@record(frozen=True)
class Repository:
    """The repository a file belongs to (its git root, or none) and its ``.dockmend.yml``."""

    root: Path | None
    config: RepoConfig = field(default_factory=RepoConfig)
    config_path: Path | None = None
    error: str | None = None  # the .dockmend.yml could not be used
    info: RepoInfo = field(default_factory=RepoInfo)


class Workspace:
    """Per-repository look-ups, made once per repository however many files it holds."""

    def __init__(self) -> None:
        self._repos: dict[tuple[Path | None, Path | None], Repository] = {}
        self._folders: dict[Path, Repository] = {}

    def repository(self, path: Path) -> Repository:
        """The settings for ``path`` (a file or a folder): the nearest ``.dockmend.yml``
        walking up from its folder to the git root (or the filesystem root outside git)."""
        folder = path if path.is_dir() else path.parent
        if folder not in self._folders:
            root = git_root(folder)
            found = find_config(folder, root)
            key = (root, found)
            if key not in self._repos:
                self._repos[key] = _repository(root, found, folder)
            self._folders[folder] = self._repos[key]
        return self._folders[folder]


def find_config(folder: Path, root: Path | None) -> Path | None:
    for candidate in [folder.resolve(), *folder.resolve().parents]:
        for name in repoconfig.NAMES:
            if (candidate / name).is_file():
                return candidate / name
        if candidate == root:
            return None
    return None


def _repository(root: Path | None, found: Path | None, folder: Path) -> Repository:
    info = repo_info(folder / "Dockerfile") if root is not None else RepoInfo()
    if found is None:
        return Repository(root, info=info)
    try:
        data = found.read_bytes()
        if len(data) > repoconfig.MAX_SIZE:
            raise RepoConfigError(f"larger than {repoconfig.MAX_SIZE} bytes", path=str(found))
        return Repository(root, repoconfig.parse(data, str(found)), found, info=info)
    except OSError as exc:
        return Repository(root, config_path=found, error=f"{found}: cannot read: {exc.strerror}", info=info)
    except RepoConfigError as exc:
        return Repository(root, config_path=found, error=str(exc), info=info)


class LazyResolver:
    """The registry client, built on the first look-up (most files of a pre-commit run make none)."""

    def __init__(self, settings: Settings, stack: contextlib.ExitStack) -> None:
        self.settings = settings
        self.stack = stack
        self.client: ImageResolver | None = None

    def _get(self) -> ImageResolver:
        if self.client is None:
            from bot.registry.cache import default_path
            from bot.registry.client import resolver_from_config

            client = resolver_from_config(
                self.settings.registries, path=self.settings.path, cache_path=default_path(os.environ)
            )
            self.client = self.stack.enter_context(client)
        return self.client

    def tags(self, image: str) -> Sequence[str]:
        return self._get().tags(image)

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        return self._get().digest(image, reference, platform)

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        return self._get().config(image, reference, platform)


def discover(paths: Sequence[Path], exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Files named explicitly (whatever their name, existing or not: a missing one becomes
    that file's error), and Dockerfiles found under directories, sorted; ``exclude`` globs
    prune what a walk finds (matched against the path below the folder and each name)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found = []
        for folder, dirs, files in os.walk(path):
            here = Path(folder).relative_to(path)
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not _excluded(here / d, exclude))
            found += [Path(folder, f) for f in files if is_dockerfile_name(f) and not _excluded(here / f, exclude)]
        yield from sorted(p for p in found if not p.is_symlink())


def _excluded(relative: Path, patterns: Sequence[str]) -> bool:
    text = relative.as_posix()
    return any(fnmatch.fnmatchcase(text, p) or fnmatch.fnmatchcase(relative.name, p) for p in patterns)


def fixers_for(settings: Settings, repo: RepoConfig, options: Options) -> list[Fixer]:
    """The bot's choice (bot.engine.scan.fixers_for): the configuration's fixers narrowed by
    the repository's select/ignore; a ``--select`` on the command line wins over the
    repository's, ``--ignore`` adds to it."""
    try:
        chosen = registry.select(options.select, options.ignore, settings.select, settings.ignore)
    except registry.UnknownFixer as exc:
        raise DockmendError(str(exc)) from None
    if options.select:
        return chosen
    chosen = [f for f in chosen if f.CODE not in repo.ignore]
    return [f for f in chosen if not repo.select or f.CODE in repo.select]


def _error(path: str, message: str) -> FileReport:
    report = FileReport(path, b"", b"")
    report.error = DocumentError(message, 0)
    return report


def process(
    path: Path,
    fixers: list[Fixer],
    labels: Mapping[str, str],
    policy: ImagePolicy,
    options: Options,
    resolver: ImageResolver | None = None,
    info: RepoInfo | None = None,
    data: bytes | None = None,
    label_policy: LabelPolicy | None = None,
) -> FileReport:
    """One file (``data``: its bytes when read already, from stdin)."""
    files: ContextFiles = NoFiles() if data is not None else LocalFiles(path.parent)
    if data is None:
        if not path.exists() and not path.is_symlink():
            return _error(str(path), "no such file or directory")
        try:
            data = path.read_bytes()
        except OSError as exc:
            report = FileReport(str(path), b"", b"")
            report.error = DocumentError(f"cannot read: {exc.strerror}", 1)
            return report
    if lfs.is_pointer(data):  # its content is in Git LFS: nothing to parse or rewrite (said in _report)
        return FileReport(str(path), data, data)
    ctx = Context(
        path=str(path),
        repo=info if info is not None else repo_info(path),
        labels=labels,
        label_policy=label_policy or LabelPolicy(),
        files=files,
        offline=options.offline,
        resolver=None if options.offline else resolver,
        policy=policy,
    )
    return run_fixers(str(path), data, ctx, fixers, by_name())


def write(report: FileReport) -> None:
    """Write the rewrite; a file left alone (changed meanwhile, unwritable, a symlink out of
    the checkout) becomes the report's error, and the run goes on."""
    try:
        write_report(report)
    except NotWritten as exc:
        report.error = DocumentError(f"not written: {exc}", 1)


def run(
    paths: Sequence[Path],
    settings: Settings,
    options: Options,
    out: TextIO,
    err: TextIO,
    stdin: BinaryIO | None = None,
    stdout_bytes: BinaryIO | None = None,
) -> int:
    """Exit code: 0 fine, 1 ``--check`` found a file to rewrite or a finding at or above
    ``--fail-on``, 2 a file or path could not be processed (the others are)."""
    with contextlib.ExitStack() as stack:
        resolver = LazyResolver(settings, stack)
        results = _process_all(paths, settings, options, resolver, err, stdin)
        return _report(results, options, out, err, stdout_bytes)


def _process_all(
    paths: Sequence[Path],
    settings: Settings,
    options: Options,
    resolver: ImageResolver,
    err: TextIO,
    stdin: BinaryIO | None,
) -> list[formats.Result]:
    workspace = Workspace()
    results: list[formats.Result] = []
    noted: set[Path] = set()
    if [str(p) for p in paths] == [STDIN]:
        where = Path.cwd()
        repo = workspace.repository(where)
        source = stdin if stdin is not None else sys.stdin.buffer
        results.append(_one(Path(STDIN), repo, settings, options, resolver, source.read()))
        return results
    for path in discover(paths, options.exclude):
        repo = workspace.repository(path)
        if not repo.config.enabled:
            if repo.config_path not in noted and repo.config_path is not None:
                noted.add(repo.config_path)
                print(f"note: {repo.config_path} says enabled: false: its files are skipped", file=err)
            continue
        results.append(_one(path, repo, settings, options, resolver))
    return results


def _one(
    path: Path,
    repo: Repository,
    settings: Settings,
    options: Options,
    resolver: ImageResolver,
    data: bytes | None = None,
) -> formats.Result:
    if repo.error is not None:
        return formats.Result(_error(str(path), repo.error), {})
    fixers = fixers_for(settings, repo.config, options)
    labels = {**repo.config.labels, **settings.labels}
    severity = {**repo.config.severity, **settings.severity}
    # the repository's label settings over the configuration's, as the bot merges them
    label_policy = labels_settings.policy(repo.config.label_settings, settings.label_policy)
    report = process(path, fixers, labels, settings.images, options, resolver, repo.info, data, label_policy)
    return formats.Result(report, severity)


def _report(
    results: list[formats.Result], options: Options, out: TextIO, err: TextIO, stdout_bytes: BinaryIO | None
) -> int:
    to_stdin = bool(results) and results[0].report.path == STDIN
    writes = not (options.check or options.diff)
    # Diagnostics go to stderr whenever stdout carries something else (a diff, a document, the fixed text).
    carries = options.diff or options.output != "text" or (to_stdin and writes)
    notes = err if carries else out
    style = formats.Style(options.color)
    for result in results:
        report = result.report
        ok = report.error is None and report.retry_later is None
        if to_stdin and writes:  # the fixed text, or the input unchanged: a pipe never loses the file
            binary = stdout_bytes if stdout_bytes is not None else sys.stdout.buffer
            out.flush()
            binary.write(report.after if ok else report.before)
            binary.flush()
        elif ok and writes and report.changed:
            write(report)
        if options.output == "text":
            formats.text(result, out, notes, err, options.diff, options.quiet, style)
            if not options.quiet and not report.error and lfs.is_pointer(report.before):
                print(f"{report.path}: {lfs.REASON}", file=notes)
    if options.output == "text":
        if not options.quiet:
            print(formats.summary_line(results, writes), file=notes)
    else:
        formats.write(options.output, results, options.fail_on, out, err)
    if any(r.report.error or r.report.retry_later for r in results):
        return 2
    return 1 if options.check and failing(results, options.fail_on) else 0


def failing(results: Sequence[formats.Result], fail_on: str) -> bool:
    """A file would change, or a finding is at or above ``fail_on``."""
    return any(r.report.changed for r in results) or any(
        formats.at_or_above(r.finding_severity(f), fail_on) for r in results for f in r.report.findings
    )


def explain(code: str) -> str:
    return formats.explain_text(FIXERS[resolve_codes([code]).pop()])
