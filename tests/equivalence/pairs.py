"""One before/after pair: rewrite, build both, compare, judge against the declaration."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bot.platforms.localrepo import LocalFiles
from fixers.base import Context
from fixers.engine import run_fixers
from fixers.registry import by_name
from tests.equivalence import snapshot
from tests.equivalence.buildah import Builder, BuildError
from tests.equivalence.cases import Case, File, repository
from tests.equivalence.declarations import DECLARATIONS
from tests.equivalence.mirror import Mirror
from tests.equivalence.process import process

MIRROR_RETRIES = 2  # rebuilds of a pair whose mirror published between its two builds


class RewriteError(Exception):
    """The fixer did not rewrite the case (a broken case, or a fixer that stopped firing)."""


@dataclass
class Env:
    builder: Builder
    mirror: Mirror | None  # None when no case needs Debian


@dataclass
class Outcome:
    case: Case
    after: str = ""
    diff: snapshot.ImageDiff | None = None
    outside: list[str] = field(default_factory=list)  # what the declaration does not allow
    skipped: str | None = None
    error: str | None = None
    seconds: float = 0.0
    builds: int = 0
    compare_seconds: float = 0.0

    @property
    def equivalent(self) -> bool:
        return self.error is None and self.skipped is None and not self.outside

    def report(self) -> str:
        head = f"{self.case.code} {self.case.id}" + (f" ({self.case.note})" if self.case.note else "")
        body = self.error or self.skipped or _cap(self.outside) or "within the declaration"
        return f"{head}\n{body}"


def _cap(lines: list[str], limit: int = 40) -> str:
    more = len(lines) - limit
    return "\n".join(lines[:limit] + ([f"… and {more} more"] if more > 0 else []))


def write_context(folder: Path, dockerfile: str, files: dict[str, File]) -> None:
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(dockerfile, newline="")
    for path, file in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.text, newline="")
        os.chmod(target, file.mode)


def rewrite(case: Case, context: Path) -> tuple[str, dict[str, File]]:
    """The Dockerfile and files after the case's fixer, through the engine and its gate."""
    if case.expect == "identical":
        return case.dockerfile, dict(case.files)
    ctx = Context(repo=case.repo, labels=case.labels, label_policy=case.label_policy, files=LocalFiles(context))
    report = run_fixers("Dockerfile", case.dockerfile.encode(), ctx, [case.fixer], by_name())
    dropped = [f.message for f in report.findings if "not applied" in f.message]
    if report.error or dropped or not report.changed:
        raise RewriteError(f"{case.code} did not rewrite the case: {report.error or dropped or 'no change'}")
    files = dict(case.files)
    for change in report.files:
        files[change.path] = File(change.after.decode(), case.files[change.path].mode)
    return report.after.decode(), files


def compare(builder: Builder, before: str, after: str) -> snapshot.ImageDiff:
    with builder.container(before) as (one, one_root), builder.container(after) as (two, two_root):
        files = snapshot.compare_trees(snapshot.tree(one_root), snapshot.tree(two_root), (one_root, two_root))
        configs = snapshot.config(builder.config(before)), snapshot.config(builder.config(after))
        diff = snapshot.ImageDiff(files, snapshot.compare_configs(*configs))
        if any(c.key in ("Cmd", "Entrypoint") for c in diff.config):
            diff.argv = process(configs[0], partial(builder.run, one)), process(configs[1], partial(builder.run, two))
    return diff


def _build_pair(env: Env, case: Case, work: Path, outcome: Outcome) -> tuple[str, str]:
    tag = "localhost/eq-" + hashlib.sha256(case.key.encode()).hexdigest()[:12]
    mirror = env.mirror if any(repository(b) == "debian" for b in case.bases()) else None
    before, after = f"{tag}:before", f"{tag}:after"
    for attempt in range(MIRROR_RETRIES + 1):
        stamp = mirror.stamp() if mirror else ""
        try:
            outcome.builds += 1
            env.builder.build(work / "before", before, work / "before.log")
        except BuildError as exc:
            if case.id.startswith("corpus/"):
                outcome.skipped = f"the original does not build on the test's base image: {exc}"
            raise
        outcome.builds += 1
        env.builder.build(work / "after", after, work / "after.log")
        if attempt == MIRROR_RETRIES or not mirror or mirror.stamp() == stamp:
            break
        env.builder.remove(before, after)
    return before, after


def _judge(case: Case, diff: snapshot.ImageDiff) -> list[str]:
    if case.expect == "identical":  # a control: nothing at all may differ
        return diff.show(limit=10**6).splitlines() if diff else []
    labels = next((c.after or {} for c in diff.config if c.key == "Labels"), {})
    wrong = [
        f"label {key} reads back as {labels.get(key)!r}, not {value!r}"
        for key, value in case.labels_after.items()
        if labels.get(key) != value
    ]
    return DECLARATIONS[case.code](diff) + wrong


def run_pair(env: Env, case: Case, root: Path) -> Outcome:
    outcome, start = Outcome(case), time.monotonic()
    work = root / hashlib.sha256(case.key.encode()).hexdigest()[:12]
    shutil.rmtree(work, ignore_errors=True)
    images: tuple[str, ...] = ()
    try:
        write_context(work / "before", case.dockerfile, dict(case.files))
        outcome.after, files = rewrite(case, work / "before")
        write_context(work / "after", outcome.after, files)
        images = _build_pair(env, case, work, outcome)
        started = time.monotonic()
        outcome.diff = compare(env.builder, *images)
        outcome.compare_seconds = time.monotonic() - started
        outcome.outside = _judge(case, outcome.diff)
    except (RewriteError, BuildError) as exc:
        outcome.error = None if outcome.skipped else str(exc)
    finally:
        env.builder.remove(*images)
        outcome.seconds = time.monotonic() - start
    return outcome


class Pairs:
    """Pairs run ``jobs`` at a time, each once; results are waited for in any order."""

    def __init__(self, env: Env, work: Path, jobs: int = 2) -> None:
        self.env, self.work = env, work
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.futures: dict[str, Future[Outcome]] = {}

    def submit(self, cases: list[Case]) -> None:
        for case in cases:
            if case.key not in self.futures:
                self.futures[case.key] = self.pool.submit(run_pair, self.env, case, self.work)

    def result(self, case: Case) -> Outcome:
        self.submit([case])
        return self.futures[case.key].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
