"""One run of one target, under the target's lease and recorded in ``runs``.

The one code path for every trigger: the scheduler's job, a chat or API request, and
``dockmend run``. The run function is injected (``run_target(target, run_id)``); it
may return :class:`~bot.state.store.RunCounts` for the run's row. While it runs, a
heartbeat thread renews the lease every third of its TTL, so a long run keeps it and a
crashed process loses it within one TTL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.state import leases, store
from bot.state.store import Outcome, RunCounts, Trigger

log = logging.getLogger(__name__)

RunTarget = Callable[[str, str], object]  # (target name, run id) -> RunCounts, or anything
DEFAULT_LEASE_TTL = timedelta(minutes=10)
MAX_DETAIL = 1000


@dataclass(frozen=True)
class RunRequest:
    target: str
    trigger: Trigger
    requested_by: str | None = None
    run_id: str | None = None  # chosen in advance, so a chat reply can name the run


@dataclass(frozen=True)
class RunResult:
    run_id: str
    outcome: Outcome
    counts: RunCounts | None = None
    error: Exception | None = None  # what the run function raised, for the CLI to report


def guarded_run(
    sessions: sessionmaker[Session],
    request: RunRequest,
    run_target: RunTarget,
    *,
    holder: str,
    lease_ttl: timedelta = DEFAULT_LEASE_TTL,
    lease: str | None = None,
) -> RunResult:
    """Run ``request.target`` unless another process runs it now (then the run is recorded as skipped).

    ``lease`` defaults to the target's; a sharded run (``--shard i/n``) names its own,
    like ``target_lease("acme#1/4")``, so that the shards run side by side."""
    lease = lease or leases.target_lease(request.target)
    with sessions() as session:
        held = leases.acquire(session, lease, holder, lease_ttl)
    with sessions.begin() as session:
        if held:  # runs whose process died (its lease expired) are marked so, not left "running"
            store.abandon_runs(session)
        run_id = store.start_run(
            session,
            request.target,
            request.trigger,
            requested_by=request.requested_by,
            holder=holder,
            run_id=request.run_id,
        )
    if not held:
        log.info("target %s is already running elsewhere; run %s skipped", request.target, run_id)
        _finish(sessions, run_id, "skipped", None, "the target was already running")
        return RunResult(run_id, "skipped")
    try:
        return _run(sessions, request.target, run_id, run_target, _Heartbeat(sessions, lease, holder, lease_ttl))
    finally:
        with sessions() as session:
            leases.release(session, lease, holder)


def _run(
    sessions: sessionmaker[Session], target: str, run_id: str, run_target: RunTarget, heartbeat: _Heartbeat
) -> RunResult:
    outcome: Outcome = "failed"
    counts: RunCounts | None = None
    detail: str | None = "interrupted"
    try:
        with heartbeat:
            returned = run_target(target, run_id)
        counts = returned if isinstance(returned, RunCounts) else None
        outcome = "partial" if counts is not None and counts.repositories_failed else "ok"
        detail = None
        return RunResult(run_id, outcome, counts)
    except Exception as exc:
        log.exception("run %s of target %s failed", run_id, target)
        detail = f"{type(exc).__name__}: {exc}"[:MAX_DETAIL]
        return RunResult(run_id, "failed", None, exc)
    finally:
        _finish(sessions, run_id, outcome, counts, detail)


def _finish(
    sessions: sessionmaker[Session], run_id: str, outcome: Outcome, counts: RunCounts | None, detail: str | None
) -> None:
    with sessions.begin() as session:
        store.finish_run(session, run_id, outcome, counts, detail=detail)


class _Heartbeat:
    def __init__(self, sessions: sessionmaker[Session], lease: str, holder: str, ttl: timedelta) -> None:
        self.sessions, self.lease, self.holder, self.ttl = sessions, lease, holder, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease {lease}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl.total_seconds() / 3):
            try:
                with self.sessions() as session:
                    if not leases.renew(session, self.lease, self.holder, self.ttl):
                        log.error("lease %s was lost: another process may run the same target", self.lease)
            except SQLAlchemyError:
                log.warning("could not renew lease %s; retrying", self.lease, exc_info=True)
