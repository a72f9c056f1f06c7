"""What a run reports: per-repository results, the summary, and how they are shown.

A terminal gets a rich progress bar; anything else gets plain log lines (one per
repository). Either way the run ends with a table of repositories, fixes and request
links. A dry run also prints, per repository, the diff and the body it would propose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from bot.engine.changes import Kind, Outcome
from bot.platforms.base import ChangePlan
from fixers.diff import unified_diff
from fixers.engine import FileReport

OK, SKIPPED, FAILED = "ok", "skipped", "failed"


@dataclass(frozen=True)
class RepoResult:
    target: str
    repo: str
    status: str  # ok | skipped | failed
    reason: str = ""
    fixes: int = 0
    findings: int = 0
    outcomes: tuple[Outcome, ...] = ()
    # for the state store and metrics: (Dockerfile path, code, line, message), and the fixes' codes
    found: tuple[tuple[str, str, int, str], ...] = ()
    fix_codes: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()  # fixer codes left out: the repository closed their requests unmerged too often
    unignored: tuple[
        str, ...
    ] = ()  # codes a person asked for again in the status issue (the state store forgets their ignores)
    status_issue: str = ""  # what the run did to the status issue ("updated URL"), when anything


@dataclass
class RunSummary:
    run_id: str
    dry_run: bool = False
    results: list[RepoResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def fixes(self) -> int:
        return sum(r.fixes for r in self.results)

    @property
    def links(self) -> list[str]:
        return [o.url for r in self.results for o in r.outcomes if o.url and o.kind is not Kind.NOTHING]

    def line(self) -> str:
        verb = "dry run" if self.dry_run else "run"
        scanned = self.count(OK)
        return (
            f"{verb} {self.run_id}: {scanned} {'repository' if scanned == 1 else 'repositories'} scanned, "
            f"{self.count(SKIPPED)} skipped, "
            f"{self.failed} failed; {self.fixes} fixes; {len(self.links)} request(s)"
        )


class Reporter(Protocol):
    def start(self, target: str, total: int) -> None: ...

    def done(self, result: RepoResult) -> None: ...

    def preview(self, repo: str, plan: ChangePlan, outcome: Outcome, reports: Sequence[FileReport]) -> None: ...

    def status_preview(self, repo: str, action: str, title: str, body: str) -> None:
        """A dry run: the status issue the run would open or update."""

    def finish(self, summary: RunSummary) -> None: ...


def describe(outcome: Outcome) -> str:
    verb = f"would be {outcome.kind.value}" if outcome.dry_run and outcome.kind in _WOULD else outcome.kind.value
    detail = f" ({outcome.detail})" if outcome.detail else ""
    return f"{verb} {outcome.url or outcome.branch}{detail}"


_WOULD = frozenset({Kind.CREATED, Kind.UPDATED, Kind.REBASED, Kind.CLOSED, Kind.BRANCH_DELETED})


def _stopped(result: RepoResult) -> str:
    if not result.stopped:
        return ""
    codes = ", ".join(result.stopped)
    return f" ({codes} no longer proposed here: requests closed unmerged too often)"


def _status(result: RepoResult) -> str:
    issue = f"; status issue {result.status_issue}" if result.status_issue else ""
    if result.status == OK:
        text = "; ".join(describe(o) for o in result.outcomes if o.kind is not Kind.NOTHING)
        return (text or "nothing to do") + _stopped(result) + issue
    return f"{result.status}: {result.reason}{_stopped(result)}{issue}"


class PlainReporter:
    """Log lines for files, pipes and CI logs."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err

    def start(self, target: str, total: int) -> None:
        print(f"target {target}: {total} repositories", file=self.err)

    def done(self, result: RepoResult) -> None:
        print(f"{result.repo}: {_status(result)}", file=self.err)

    def preview(self, repo: str, plan: ChangePlan, outcome: Outcome, reports: Sequence[FileReport]) -> None:
        self.out.write(preview_text(repo, plan, outcome, reports))

    def status_preview(self, repo: str, action: str, title: str, body: str) -> None:
        rule = "=" * 72
        self.out.write(f"{rule}\n{repo}: status issue would be {action}\n{rule}\n--- issue title ---\n{title}\n")
        self.out.write(f"--- issue body ---\n{body}\n")

    def finish(self, summary: RunSummary) -> None:
        table(summary, Console(file=self.out, width=1000, no_color=True))  # links stay on one line


class RichReporter(PlainReporter):
    """A progress bar on a terminal."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        super().__init__(out, err)
        self.console = Console(file=err)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=self.console, transient=True
        )
        self.task: TaskID | None = None

    def start(self, target: str, total: int) -> None:
        if self.task is None:
            self.progress.start()
        else:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(target, total=total)

    def done(self, result: RepoResult) -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=1, description=f"{result.target}: {result.repo}")
        if result.status == FAILED:
            self.progress.console.print(Text(f"{result.repo}: {result.reason}", style="red"), highlight=False)

    def finish(self, summary: RunSummary) -> None:
        self.progress.stop()
        table(summary, Console(file=self.out))


def preview_text(repo: str, plan: ChangePlan, outcome: Outcome, reports: Sequence[FileReport]) -> str:
    rule = "=" * 72
    diff = "".join(unified_diff(r) for r in reports if r.changed)
    return (
        f"{rule}\n{repo}: {describe(outcome)} (branch {plan.branch})\n{rule}\n{diff}\n"
        f"--- request title ---\n{plan.title}\n--- request body ---\n{plan.body}\n"
    )


def table(summary: RunSummary, console: Console) -> None:
    """The repositories scanned or failed, one row each; the skipped ones (most of an
    organisation: no Dockerfile, unchanged) counted by reason. The log has every line."""
    grid = Table()
    for name in ("Target", "Repository", "Status", "Fixes", "Findings", "Request"):
        grid.add_column(name, overflow="fold")
    skipped: Counter[str] = Counter()
    for result in summary.results:
        if result.status == SKIPPED:
            skipped[result.reason.split(" (")[0]] += 1
            continue
        request = _status(result) if result.status == OK else result.reason
        cells = (result.target, result.repo, result.status, str(result.fixes), str(result.findings), request)
        grid.add_row(*(Text(cell) for cell in cells))  # Text: names are never read as markup
    if grid.row_count:
        console.print(grid, highlight=False)
    if skipped:
        counts = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items(), key=lambda item: -item[1]))
        console.print(Text(f"skipped: {counts}"), highlight=False)
    console.print(Text(summary.line()), highlight=False)
