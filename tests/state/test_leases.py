from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.state import leases
from bot.state.db import create_engine, session_factory

T0 = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


def test_a_free_lease_is_taken_once(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert leases.acquire(session, "target:a", "one", TTL, now=T0)
        assert not leases.acquire(session, "target:a", "two", TTL, now=T0 + timedelta(minutes=1))
        assert leases.holder_of(session, "target:a", now=T0 + timedelta(minutes=1)) == "one"
        assert leases.acquire(session, "target:b", "two", TTL, now=T0)  # another name is another lease


def test_the_holder_may_take_it_again_which_extends_it(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert leases.acquire(session, "x", "one", TTL, now=T0)
        assert leases.acquire(session, "x", "one", TTL, now=T0 + timedelta(minutes=9))
        assert not leases.acquire(session, "x", "two", TTL, now=T0 + timedelta(minutes=15))


def test_a_crashed_holders_lease_expires(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert leases.acquire(session, "x", "crashed", TTL, now=T0)
        assert leases.holder_of(session, "x", now=T0 + TTL) is None
        assert leases.acquire(session, "x", "next", TTL, now=T0 + TTL)
        assert not leases.renew(session, "x", "crashed", TTL, now=T0 + TTL)
        assert not leases.release(session, "x", "crashed")
        assert leases.holder_of(session, "x", now=T0 + TTL) == "next"


def test_renew_and_release(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert leases.acquire(session, "x", "one", TTL, now=T0)
        assert leases.renew(session, "x", "one", TTL, now=T0 + timedelta(minutes=8))
        assert leases.holder_of(session, "x", now=T0 + timedelta(minutes=17)) == "one"
        assert not leases.renew(session, "x", "two", TTL)
        assert not leases.release(session, "x", "two")
        assert leases.release(session, "x", "one")
        assert leases.holder_of(session, "x", now=T0) is None
        assert leases.acquire(session, "x", "two", TTL, now=T0)


def test_release_all_and_purge(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for name in ("target:a", "target:b", "slot:a@2025"):
            leases.acquire(session, name, "me", TTL, now=T0)
        leases.acquire(session, "target:c", "other", TTL, now=T0)
        assert leases.release_all(session, "me", prefix="target:") == 2
        assert leases.holder_of(session, "slot:a@2025", now=T0) == "me"
        assert leases.purge_expired(session, now=T0 + TTL) == 2
        assert leases.holder_of(session, "slot:a@2025", now=T0) is None


def test_holders_are_unique_per_process_start() -> None:
    assert leases.default_holder() != leases.default_holder()


def _race(sessions: sessionmaker[Session], name: str, contenders: int) -> list[str]:
    barrier = threading.Barrier(contenders)
    winners: list[str] = []

    def contend(holder: str) -> None:
        with sessions() as session:
            session.connection()  # connect before the barrier, so that all start together
            barrier.wait()
            if leases.acquire(session, name, holder, TTL):
                winners.append(holder)

    threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners


def test_racing_threads_one_wins(engine: Engine, sessions: sessionmaker[Session]) -> None:
    for round_ in range(15):
        assert len(_race(sessions, f"race-{round_}", 8)) == 1


def test_racing_threads_over_an_expired_lease_one_wins(sessions: sessionmaker[Session]) -> None:
    for round_ in range(10):
        with sessions() as session:
            leases.acquire(session, f"stale-{round_}", "crashed", TTL, now=T0)
        assert len(_race(sessions, f"stale-{round_}", 8)) == 1


def _contend_in_process(url: str, name: str, holder: str, barrier: Any, won: Any) -> None:
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            session.connection()
            barrier.wait()
            won.put(leases.acquire(session, name, holder, TTL))
    finally:
        engine.dispose()


def test_racing_processes_one_wins(migrated_url: str) -> None:
    context = multiprocessing.get_context("fork")  # no threads run here yet; spawn re-imports everything
    barrier, won = context.Barrier(3), context.Queue()
    processes = [
        context.Process(target=_contend_in_process, args=(migrated_url, "proc", f"p{i}", barrier, won))
        for i in range(3)
    ]
    for process in processes:
        process.start()
    results = [won.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    assert sorted(results) == [False, False, True]
