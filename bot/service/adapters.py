"""The web app's and chat's views of the service: :class:`WebServices` and :class:`ChatActions`.

Both read the state store and ask the scheduler for runs; the chat side also runs one
repository (a scan or a dry run) through the service's run function.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DockmendError
from bot.service.scheduler import Scheduler
from bot.service.web.model import FindingInfo, RepositoryInfo, RequestInfo, RunInfo, ScheduledRun
from bot.settings.targets import TargetSettings
from bot.state import db, findings, requests, store
from bot.state.models import ChangeRequest, Run

RECENT = 5  # runs listed by ``status``
POLL = 0.2  # seconds between looks at a queued run's row


def run_info(run: Run, found: int = 0) -> RunInfo:
    return RunInfo(
        id=run.id,
        target=run.target,
        trigger=run.trigger,
        requested_by=run.requested_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        outcome=run.outcome or "running",
        repositories=run.repositories_scanned,
        findings=found,
        requests_opened=run.requests_opened,
        requests_updated=run.requests_updated,
        requests_closed=run.requests_closed,
    )


def request_info(r: ChangeRequest) -> RequestInfo:
    return RequestInfo(
        platform=r.repository.platform,
        repository=r.repository.full_name,
        number=r.number,
        title=r.title,
        url=r.url,
        state=r.state,
        target=r.target or "",
        opened_at=r.opened_at,
        updated_at=r.updated_at,
        team=r.team,
        fixes=requests.codes_of(r),
        fate=r.fate,
        closed_at=r.closed_at,
    )


@dataclass
class StoreViews:
    """:class:`bot.service.web.model.WebServices` over the state store and the scheduler."""

    engine: Engine
    sessions: sessionmaker[Session]
    scheduler: Scheduler
    targets: Sequence[TargetSettings]

    def recent_runs(self, limit: int) -> Sequence[RunInfo]:
        with self.sessions() as session:
            runs = store.recent_runs(session, limit)
            counts = findings.finding_counts(session, [r.id for r in runs])
            return [run_info(r, counts.get(r.id, 0)) for r in runs]

    def repositories(self, limit: int) -> Sequence[RepositoryInfo]:
        with self.sessions() as session:
            rows = findings.repositories_with_findings(session, limit)
            return [
                RepositoryInfo(
                    row.platform,
                    row.full_name,
                    row.url,
                    row.last_scanned_at,
                    tuple(FindingInfo(f.code, f.path, f.message, f.line) for f in found),
                )
                for row, found in rows
            ]

    def open_requests(self) -> Sequence[RequestInfo]:
        with self.sessions() as session:
            return [request_info(r) for r in requests.open_requests(session)]

    def ended_requests(self, since: datetime) -> Sequence[RequestInfo]:
        with self.sessions() as session:
            return [request_info(r) for r in requests.requests_ended_since(session, since)]

    def next_runs(self) -> Sequence[ScheduledRun]:
        schedules = {t.name: f"{t.schedule.cron} ({t.schedule.timezone})" for t in self.targets}
        return [ScheduledRun(n.target, n.at, schedules.get(n.target, "")) for n in self.scheduler.next_runs()]

    def readiness(self) -> Mapping[str, bool]:
        return {"database": db.ping(self.engine), "scheduler": self.scheduler.running}

    def trigger_run(self, target: str, requested_by: str) -> str:
        return self.scheduler.run_now(target, "api", requested_by)


RunRepo = Callable[[str, str, str], str]  # (target, repo, who) -> run id, run to its end
DryRun = Callable[[str, str], str]  # (target, repo) -> summary text


@dataclass
class ChatBridge:
    """:class:`bot.service.chat.commands.ChatActions` over the scheduler, the run function and the store."""

    sessions: sessionmaker[Session]
    scheduler: Scheduler
    targets: Sequence[TargetSettings]
    run_repo: RunRepo
    dry_run_repo: DryRun
    timeout: float = 6 * 3600.0  # how long a chat scan is waited for

    def target_for(self, target_or_repo: str) -> str | None:
        for settings in self.targets:
            if target_or_repo == settings.name:
                return settings.name
        for settings in self.targets:
            t = settings.target
            owner, _, _ = target_or_repo.rpartition("/")
            inside = owner == t.owner or owner.startswith(f"{t.owner}/")
            included = any(fnmatch.fnmatchcase(target_or_repo, g) for g in t.include)
            excluded = any(fnmatch.fnmatchcase(target_or_repo, g) for g in t.exclude)
            if inside and included and not excluded:
                return settings.name
        return None

    def _target(self, target_or_repo: str) -> str:
        target = self.target_for(target_or_repo)
        if target is None:
            raise DockmendError(f"{target_or_repo} is not a configured target nor in one")
        return target

    def start_scan(self, target_or_repo: str, requested_by: str) -> str:
        target = self._target(target_or_repo)
        if target != target_or_repo:
            return self.run_repo(target, target_or_repo, requested_by)
        run_id = self.scheduler.run_now(target, "chat", requested_by)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with self.sessions() as session:
                run = store.get_run(session, run_id)
                if run is not None and run.outcome is not None:
                    return run_id
            time.sleep(POLL)
        raise DockmendError(f"run {run_id} is still going; ask `status {run_id}` later")

    def dry_run(self, repo: str) -> str:
        return self.dry_run_repo(self._target(repo), repo)

    def status(self, run_id: str | None, targets: frozenset[str] | None = None) -> str:
        """``targets``: the targets the caller may see (None: all); other runs are not shown."""
        with self.sessions() as session:
            if run_id is None:
                if targets is None:
                    runs = store.recent_runs(session, RECENT)
                else:
                    found = [r for t in sorted(targets) for r in store.recent_runs(session, RECENT, target=t)]
                    runs = sorted(found, key=lambda r: (r.started_at, r.id), reverse=True)[:RECENT]
                if not runs:
                    return "No runs yet."
                return "\n".join(_run_line(r) for r in runs)
            run = store.get_run(session, run_id)
            if run is None or (targets is not None and run.target not in targets):
                return f"No run {run_id}."  # the same answer: whether another target's run exists is not shown
            lines = [_run_line(run)]
            lines += [f"• {r.repository.full_name}: {r.state} {r.url}" for r in requests.run_requests(session, run_id)]
            return "\n".join(lines)

    def ignore(self, repo: str, code: str, who: str) -> str:
        with self.sessions.begin() as session:
            added = requests.ignore_fix(session, repo, code, who)
        return f"{code} is now ignored for {repo}." if added else f"{code} was ignored for {repo} already."


def _run_line(run: Run) -> str:
    return (
        f"{run.id} {run.target} ({run.trigger}): {run.outcome or 'running'}; "
        f"{run.repositories_scanned} scanned, {run.requests_opened} opened, "
        f"{run.requests_updated} updated, {run.requests_closed} closed"
    )
