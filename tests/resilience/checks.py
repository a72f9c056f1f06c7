"""What the state database must say after a run: no run left running, and the open
requests it records are the forge's."""

from __future__ import annotations

from bot.state import db, requests, store
from tests.integration.forges import Forge
from tests.resilience.launch import Bot


def still_running(bot: Bot) -> list[str]:
    """Runs without an outcome (a finished run of a dead process must read "abandoned")."""
    engine, sessions = db.open_database(bot.database)
    try:
        with sessions() as session:
            return [run.id for run in store.recent_runs(session, 100) if run.outcome is None]
    finally:
        engine.dispose()


def requests_recorded_wrongly(bot: Bot, forge: Forge) -> list[str]:
    """Open requests the database and the forge disagree about."""
    engine, sessions = db.open_database(bot.database)
    try:
        with sessions() as session:
            recorded = {(r.repository.full_name, r.number) for r in requests.open_requests(session)}
    finally:
        engine.dispose()
    on_forge = {
        (name, r.number) for name, state in forge.snapshot().items() for r in state.requests if r.state == "open"
    }
    return sorted(f"{name}#{n}: recorded {(name, n) in recorded}" for name, n in recorded ^ on_forge)
