"""The scheduler against a real job store. Waits are "within N seconds" with a generous N."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DockmendError
from bot.service import scheduler as scheduling
from bot.service.scheduler import ScheduledTarget, Scheduler, SchedulerSettings, create_scheduler, next_runs
from bot.state import leases, store
from bot.state.db import create_engine as state_engine
from bot.state.db import session_factory
from bot.state.models import Run

AHEAD = 3.0  # seconds: enough to start a scheduler on a busy machine
WAIT = 30.0


class Calls:
    """A run function that records its calls and takes ``duration`` seconds."""

    def __init__(self, duration: float = 0.0) -> None:
        self.duration = duration
        self.calls: list[tuple[str, str]] = []
        self.first = threading.Event()

    def __call__(self, target: str, run_id: str) -> store.RunCounts:
        self.calls.append((target, run_id))
        self.first.set()
        time.sleep(self.duration)
        return store.RunCounts(repositories_scanned=1)


def soon() -> tuple[str, datetime]:
    """A six-field cron that fires once a day, :data:`AHEAD` seconds from now (UTC)."""
    at = (datetime.now(UTC) + timedelta(seconds=AHEAD)).replace(microsecond=0)
    return f"{at.second} {at.minute} {at.hour} * * *", at


@pytest.fixture
def make(migrated_url: str) -> Iterator[Callable[..., Scheduler]]:
    made: list[Scheduler] = []

    def build(targets: list[ScheduledTarget], run_target: Calls | None = None) -> Scheduler:
        settings = SchedulerSettings(migrated_url, targets, misfire_grace_time=timedelta(minutes=5))
        made.append(create_scheduler(settings, run_target or Calls()))
        return made[-1]

    yield build
    for scheduler in made:
        scheduler.shutdown()


def _wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _finished_runs(sessions: sessionmaker[Session]) -> list[Run]:
    with sessions() as session:
        return [run for run in store.recent_runs(session) if run.outcome is not None]


def test_jobs_are_synchronised_and_a_restart_keeps_them(make: Callable[..., Scheduler]) -> None:
    weekly, daily = ScheduledTarget("acme"), ScheduledTarget("beta", "0 3 * * *", "Europe/Paris")
    first = make([weekly, daily])
    assert first.start() == scheduling.SyncResult(added=["acme", "beta"])
    before = {run.target: run.at for run in first.next_runs()}
    assert before["acme"] is not None and before["acme"].astimezone(UTC).strftime("%a %H:%M") == "Mon 06:00"
    first.shutdown()

    again = make([weekly, ScheduledTarget("beta", "0 4 * * *", "Europe/Paris"), ScheduledTarget("gamma")])
    assert again.start() == scheduling.SyncResult(added=["gamma"], changed=["beta"])
    after = {run.target: run.at for run in again.next_runs()}
    assert after["acme"] == before["acme"] and after["beta"] != before["beta"]
    again.shutdown()

    last = make([weekly])
    assert last.start() == scheduling.SyncResult(removed=["beta", "gamma"])
    assert [run.target for run in last.next_runs()] == ["acme"]


def test_a_run_missed_while_down_happens_at_restart(make: Callable[..., Scheduler], migrated_url: str) -> None:
    cron, at = soon()
    first = make([ScheduledTarget("acme", cron)])
    first.start()
    first.shutdown()  # before the job is due
    engine = state_engine(migrated_url)
    with session_factory(engine)() as session:
        assert [(run.target, run.at) for run in next_runs(session)] == [("acme", at)]  # kept in the database
    engine.dispose()
    time.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()) + 1)

    calls = Calls()
    again = make([ScheduledTarget("acme", cron)], calls)
    again.start()
    assert calls.first.wait(WAIT), "the missed run did not happen"
    assert _wait_for(lambda: len(_finished_runs(again.sessions)) == 1)
    (run,) = _finished_runs(again.sessions)
    assert (run.target, run.trigger, run.outcome, run.repositories_scanned) == ("acme", "schedule", "ok", 1)
    assert _wait_for(lambda: again.next_runs()[0].at == at + timedelta(days=1))  # updated after the submission


def test_two_schedulers_on_one_database_run_a_slot_once(make: Callable[..., Scheduler]) -> None:
    cron, at = soon()
    calls = [Calls(duration=0.5), Calls(duration=0.5)]
    replicas = [make([ScheduledTarget("acme", cron)], call) for call in calls]
    for replica in replicas:
        replica.start()
    assert [run.at for run in replicas[0].next_runs()] == [at], "the machine was too slow to start in time"
    assert _wait_for(lambda: any(call.first.is_set() for call in calls)), "the job did not fire"
    time.sleep(1.5)  # time for the other replica to fire too, were it to
    assert len(calls[0].calls) + len(calls[1].calls) == 1
    assert len(_finished_runs(replicas[0].sessions)) == 1


def test_racing_job_functions_claim_the_slot_once(make: Callable[..., Scheduler]) -> None:
    """The same slot fired by two replicas at once, without waiting for a clock."""
    calls = [Calls(duration=0.5), Calls(duration=0.5)]
    replicas = [make([ScheduledTarget("acme", "* * * * *")], call) for call in calls]
    barrier = threading.Barrier(2)

    def fire(replica: Scheduler) -> None:
        scheduling._bind(replica._runtime)
        barrier.wait()
        scheduling.run_scheduled_target("acme")

    threads = [threading.Thread(target=fire, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls[0].calls) + len(calls[1].calls) == 1


def test_run_now_records_who_asked(make: Callable[..., Scheduler]) -> None:
    calls = Calls()
    scheduler = make([ScheduledTarget("acme")], calls)
    scheduler.start()
    run_id = scheduler.run_now("acme", "chat", "U123")
    assert calls.first.wait(WAIT)
    assert calls.calls == [("acme", run_id)]
    assert _wait_for(lambda: len(_finished_runs(scheduler.sessions)) == 1)
    with scheduler.sessions() as session:
        run = store.get_run(session, run_id)
        assert run is not None and (run.trigger, run.requested_by, run.outcome) == ("chat", "U123", "ok")
    with pytest.raises(LookupError, match="unknown target"):
        scheduler.run_now("nope", "chat")


def test_run_now_refuses_a_running_target(make: Callable[..., Scheduler]) -> None:
    scheduler = make([ScheduledTarget("acme")])
    with scheduler.sessions() as session:
        leases.acquire(session, leases.target_lease("acme"), "another replica", timedelta(minutes=5))
    with pytest.raises(DockmendError, match="running already"):
        scheduler.run_now("acme", "api", "token")


def test_the_job_function_needs_a_scheduler_thread() -> None:
    with pytest.raises(RuntimeError, match="worker thread"):
        scheduling.run_scheduled_target("acme")
