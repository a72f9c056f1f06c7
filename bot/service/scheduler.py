"""The weekly schedule: one APScheduler 3 cron job per target, kept in the state database.

Jobs live in APScheduler's SQLAlchemy job store on the state database, so a restart keeps
them and their next run time (a run missed while the service was down still happens,
within ``misfire_grace_time``). At start the jobs are synchronised with the configured
targets: added, changed (rescheduled) or removed; unchanged jobs are left alone.

Several replicas may share one PostgreSQL database. APScheduler 3 does not coordinate
schedulers, so each replica may fire the same job; the job function makes that harmless:
it first claims the scheduled slot (a lease named after the target and the fire time, so
a slot runs once even if the replicas fire it one after the other), then runs the target
under the target's lease (:func:`bot.state.execution.guarded_run`). Replicas should run
the same configuration.

The job function is referenced by text (``bot.service.scheduler:run_scheduled_target``) and
takes only the target's name; what it needs besides (the run function, sessions, this
process's lease holder name) is bound to the scheduler's own worker threads when they
start, so two schedulers in one process (as in the tests) keep theirs apart.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DockmendError
from bot.runid import new_run_id
from bot.settings.cron import DEFAULT_CRON, DEFAULT_TIMEZONE, latest_fire, parse_cron
from bot.state import leases, store
from bot.state.db import create_engine, migrate, session_factory
from bot.state.execution import DEFAULT_LEASE_TTL, RunRequest, RunTarget, guarded_run
from bot.state.models import apscheduler_jobs
from bot.state.store import Trigger

log = logging.getLogger(__name__)

JOB_FUNC = "bot.service.scheduler:run_scheduled_target"
JOB_PREFIX = "target:"
LOCAL = "local"  # job store for one-off runs asked here (chat, API): this replica runs them
DEFAULT_MISFIRE_GRACE = timedelta(hours=6)
_bound = threading.local()


class UnknownTarget(DockmendError, LookupError):
    """No target of that name in the configuration."""


@dataclass(frozen=True)
class ScheduledTarget:
    name: str
    cron: str = DEFAULT_CRON
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class SchedulerSettings:
    database_url: str
    targets: Sequence[ScheduledTarget] = ()
    misfire_grace_time: timedelta = DEFAULT_MISFIRE_GRACE
    lease_ttl: timedelta = DEFAULT_LEASE_TTL
    max_workers: int = 4  # targets running at once in this process
    holder: str | None = None  # this process's name on leases; unique by default


@dataclass(frozen=True)
class NextRun:
    target: str
    at: datetime | None  # None while paused


@dataclass(frozen=True)
class SyncResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Runtime:
    sessions: sessionmaker[Session]
    run_target: RunTarget
    holder: str
    targets: Mapping[str, ScheduledTarget]
    lease_ttl: timedelta
    slot_ttl: timedelta


def _bind(runtime: _Runtime) -> None:
    _bound.runtime = runtime


def run_scheduled_target(
    target: str, trigger: Trigger = "schedule", requested_by: str | None = None, run_id: str | None = None
) -> None:
    """The job: claim the slot (scheduled runs), then run the target under its lease."""
    runtime: _Runtime | None = getattr(_bound, "runtime", None)
    if runtime is None:
        raise RuntimeError("run_scheduled_target runs only in a dockmend scheduler's worker thread")
    scheduled = runtime.targets.get(target)
    if scheduled is None:
        log.warning("target %s is not in this replica's configuration; not run", target)
        return
    if trigger == "schedule" and not _claim_slot(runtime, scheduled):
        log.info("this slot of target %s was taken by another replica", target)
        return
    request = RunRequest(target, trigger, requested_by, run_id)
    guarded_run(runtime.sessions, request, runtime.run_target, holder=runtime.holder, lease_ttl=runtime.lease_ttl)


def _claim_slot(runtime: _Runtime, scheduled: ScheduledTarget) -> bool:
    now = datetime.now(UTC)
    slot = latest_fire(parse_cron(scheduled.cron, scheduled.timezone), now) or now.replace(microsecond=0)
    name = f"slot:{scheduled.name}@{slot.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    with runtime.sessions() as session:
        leases.purge_expired(session, now=now)
        return leases.acquire(session, name, runtime.holder, runtime.slot_ttl, now=now)


def job_id(target: str) -> str:
    return f"{JOB_PREFIX}{target}"


def next_runs(session: Session) -> list[NextRun]:
    """Next run time per target, from the job table: for the dashboard and ``dockmend status``,
    with or without a scheduler running in this process."""
    jobs = apscheduler_jobs.c
    rows = session.execute(select(jobs.id, jobs.next_run_time).where(jobs.id.startswith(JOB_PREFIX)))
    found = [
        NextRun(job[len(JOB_PREFIX) :], datetime.fromtimestamp(at, UTC) if at is not None else None) for job, at in rows
    ]
    return sorted(found, key=lambda run: (run.at is None, run.at or datetime.min.replace(tzinfo=UTC), run.target))


class Scheduler:
    """Create with :func:`create_scheduler`; ``start()``, ``run_now()``, ``next_runs()``, ``shutdown()``."""

    def __init__(self, settings: SchedulerSettings, run_target: RunTarget, engine: Engine, own_engine: bool) -> None:
        self.settings = settings
        self.engine = engine
        self._own_engine = own_engine
        self.sessions = session_factory(engine)
        self.holder = settings.holder or leases.default_holder()
        self.targets: dict[str, ScheduledTarget] = {target.name: target for target in settings.targets}
        self._runtime = runtime = _Runtime(
            self.sessions,
            run_target,
            self.holder,
            self.targets,
            settings.lease_ttl,
            slot_ttl=max(settings.misfire_grace_time, timedelta(hours=1)) * 2,
        )
        pool = ThreadPoolExecutor(settings.max_workers, pool_kwargs={"initializer": _bind, "initargs": (runtime,)})
        self._defaults: dict[str, object] = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(settings.misfire_grace_time.total_seconds()),
        }
        self.aps = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine), LOCAL: MemoryJobStore()},
            executors={"default": pool},
            job_defaults=self._defaults,
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        return bool(self.aps.running)

    def start(self) -> SyncResult:
        """Migrate, close runs of dead processes, synchronise the jobs, then let them fire."""
        migrate(self.engine)
        with self.sessions.begin() as session:
            store.abandon_runs(session)
        self.aps.start(paused=True)
        result = self.sync(self.settings.targets)
        self.aps.resume()
        return result

    def sync(self, targets: Sequence[ScheduledTarget]) -> SyncResult:
        """Make the stored jobs match ``targets``; an unchanged job keeps its next run time."""
        triggers = {target.name: parse_cron(target.cron, target.timezone) for target in targets}  # all valid first
        self.targets.clear()  # the job function's view (shared with the worker threads)
        self.targets.update((target.name, target) for target in targets)
        result = SyncResult()
        existing: dict[str, Job] = {
            job.id: job for job in self.aps.get_jobs(jobstore="default") if job.id.startswith(JOB_PREFIX)
        }
        for target in targets:
            job, trigger = existing.pop(job_id(target.name), None), triggers[target.name]
            if job is None:
                self.aps.add_job(
                    JOB_FUNC,
                    trigger,
                    args=[target.name],
                    id=job_id(target.name),
                    name=target.name,
                    replace_existing=True,  # another replica may be adding it at this very moment
                )
                result.added.append(target.name)
            elif repr(job.trigger) != repr(trigger) or self._outdated(job, target.name):
                self.aps.modify_job(job.id, func=JOB_FUNC, args=[target.name], **self._defaults)
                self.aps.reschedule_job(job.id, trigger=trigger)
                result.changed.append(target.name)
        for job in existing.values():
            with contextlib.suppress(JobLookupError):  # another replica removed it first
                self.aps.remove_job(job.id)
            result.removed.append(job.name)
        return result

    def _outdated(self, job: Job, target: str) -> bool:
        current = {name: getattr(job, name) for name in self._defaults}
        return current != self._defaults or job.func_ref != JOB_FUNC or tuple(job.args) != (target,)

    def run_now(self, target: str, trigger: Trigger, requested_by: str | None = None) -> str:
        """Queue a run of ``target`` in this process now; returns the run's id.

        :class:`UnknownTarget` (a LookupError) for a target not configured; a DockmendError
        when the target is running already (a race past this check is recorded as skipped)."""
        if target not in self.targets:
            raise UnknownTarget(f"unknown target {target!r}")
        with self.sessions() as session:
            if leases.holder_of(session, leases.target_lease(target)) is not None:
                raise DockmendError(f"target {target!r} is running already; try again when it has finished")
        run_id = new_run_id()
        args = [target, trigger, requested_by, run_id]
        self.aps.add_job(JOB_FUNC, args=args, id=f"now:{run_id}", jobstore=LOCAL, misfire_grace_time=None)
        return run_id

    def next_runs(self) -> list[NextRun]:
        with self.sessions() as session:
            return next_runs(session)

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing; with ``wait``, let running jobs finish; give back this process's leases."""
        with contextlib.suppress(SchedulerNotRunningError):
            self.aps.shutdown(wait=wait)
        with self.sessions() as session:
            leases.release_all(session, self.holder, prefix=leases.target_lease(""))  # slot claims stay: once is once
        if self._own_engine:
            self.engine.dispose()


def create_scheduler(settings: SchedulerSettings, run_target: RunTarget, *, engine: Engine | None = None) -> Scheduler:
    """A scheduler that is not started yet: nothing happens until ``start()``.

    ``run_target(target_name, run_id)`` runs one target (``bot.engine.run`` in the service); pass
    ``engine`` to share the service's, or one is made from ``settings.database_url``."""
    if engine is None:
        return Scheduler(settings, run_target, create_engine(settings.database_url), own_engine=True)
    return Scheduler(settings, run_target, engine, own_engine=False)
