from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.state import leases, store
from bot.state.execution import RunRequest, guarded_run
from bot.state.models import Lease, Run
from bot.state.store import RunCounts


def _run(sessions: sessionmaker[Session], run_target: object, **request: object) -> Run:
    result = guarded_run(sessions, RunRequest("acme", "cli", **request), run_target, holder="me")  # type: ignore[arg-type]
    with sessions() as session:
        run = store.get_run(session, result.run_id)
        assert run is not None and run.outcome == result.outcome
        assert leases.holder_of(session, leases.target_lease("acme")) is None  # released
        return run


def test_counts_are_recorded(sessions: sessionmaker[Session]) -> None:
    seen: list[tuple[str, str]] = []

    def run_target(target: str, run_id: str) -> RunCounts:
        seen.append((target, run_id))
        return RunCounts(repositories_scanned=5, repositories_failed=0, fixes=3, requests_opened=2)

    run = _run(sessions, run_target, requested_by="alice", run_id="fixed-id")
    assert seen == [("acme", "fixed-id")]
    assert (run.id, run.trigger, run.requested_by, run.holder) == ("fixed-id", "cli", "alice", "me")
    assert (run.outcome, run.repositories_scanned, run.fixes, run.requests_opened) == ("ok", 5, 3, 2)
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_failed_repositories_make_a_partial_run(sessions: sessionmaker[Session]) -> None:
    run = _run(sessions, lambda target, run_id: RunCounts(repositories_scanned=5, repositories_failed=1))
    assert (run.outcome, run.repositories_failed) == ("partial", 1)


def test_other_return_values_are_fine(sessions: sessionmaker[Session]) -> None:
    assert _run(sessions, lambda target, run_id: "a summary").outcome == "ok"


def test_a_failing_run_is_recorded_and_reported(sessions: sessionmaker[Session]) -> None:
    def run_target(target: str, run_id: str) -> None:
        raise RuntimeError("forge exploded")

    result = guarded_run(sessions, RunRequest("acme", "api"), run_target, holder="me")
    assert result.outcome == "failed" and isinstance(result.error, RuntimeError)
    run = _run(sessions, run_target)
    assert run.detail == "RuntimeError: forge exploded"


def test_a_busy_target_is_skipped(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        leases.acquire(session, leases.target_lease("acme"), "other replica", timedelta(minutes=5))
    called: list[str] = []
    result = guarded_run(sessions, RunRequest("acme", "chat"), lambda t, r: called.append(r), holder="me")
    assert (result.outcome, called) == ("skipped", [])
    with sessions() as session:
        run = store.get_run(session, result.run_id)
        assert run is not None and run.outcome == "skipped" and run.detail == "the target was already running"
        assert leases.holder_of(session, leases.target_lease("acme")) == "other replica"


def test_the_lease_is_renewed_while_a_long_run_goes_on(sessions: sessionmaker[Session]) -> None:
    ttl = timedelta(seconds=0.6)
    seen: list[Lease | None] = []

    def run_target(target: str, run_id: str) -> None:
        time.sleep(1.2)  # two TTLs
        with sessions() as session:
            seen.append(session.get(Lease, leases.target_lease("acme")))

    result = guarded_run(sessions, RunRequest("acme", "cli"), run_target, holder="me", lease_ttl=ttl)
    (lease,) = seen
    assert result.outcome == "ok" and lease is not None and lease.holder == "me"
    assert lease.expires_at > lease.acquired_at + ttl  # extended by the heartbeat


def test_shards_take_their_own_leases(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        leases.acquire(session, leases.target_lease("acme#0/2"), "shard 0", timedelta(minutes=5))
    shard = leases.target_lease("acme#1/2")
    result = guarded_run(sessions, RunRequest("acme", "cli"), lambda t, r: None, holder="shard 1", lease=shard)
    assert result.outcome == "ok"
