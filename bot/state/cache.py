"""The registry's TTL cache in the state database, for replicas that share PostgreSQL.

Same interface as :class:`bot.registry.cache.TTLCache` (``get``, ``put``, ``close``),
which stays the default for a single process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.state.models import RegistryCacheEntry


class StateCache:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.time) -> None:
        self.sessions = sessions
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def get(self, key: str) -> str | None:
        with self.sessions() as session:
            entry = session.get(RegistryCacheEntry, key)
            return entry.value if entry is not None and entry.expires_at > self._now() else None

    def put(self, key: str, value: str, ttl: float) -> None:
        expires_at = self._now() + timedelta(seconds=ttl)
        try:
            with self.sessions.begin() as session:
                session.merge(RegistryCacheEntry(key=key, value=value, expires_at=expires_at))
        except IntegrityError:
            pass  # another replica stored the same key at the same moment: either answer will do

    def purge(self) -> int:
        """Drop expired entries."""
        with self.sessions.begin() as session:
            statement = delete(RegistryCacheEntry).where(RegistryCacheEntry.expires_at <= self._now())
            return len(session.execute(statement.returning(RegistryCacheEntry.key)).all())

    def close(self) -> None:
        """Nothing to close: the engine belongs to the caller."""
