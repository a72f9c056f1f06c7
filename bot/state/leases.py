"""Named leases: a lock row with an expiry, so that a crashed holder lets go by itself.

:func:`acquire` is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` statement (SQLite and
PostgreSQL): it takes a free, expired or already-own lease and reports whether it did.
There is no read-then-write window; two racers cannot both win. Every function commits
the session it is given, because a lease nobody else can see is no lease. Times come
from the caller's clock, so replicas need synchronised clocks (NTP), within a small
fraction of the TTL.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Insert, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from bot.state.models import Lease


def default_holder() -> str:
    """This process, uniquely: host, pid, and a nonce (pids are reused across restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def target_lease(target: str) -> str:
    """The lease that keeps two replicas from running one target at the same time."""
    return f"target:{target}"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _ttl(ttl: timedelta | float) -> timedelta:
    return ttl if isinstance(ttl, timedelta) else timedelta(seconds=ttl)


def _taken(excluded: ReadOnlyColumnCollection[str, Any]) -> dict[str, Any]:
    return {"holder": excluded.holder, "acquired_at": excluded.acquired_at, "expires_at": excluded.expires_at}


def _free_for(holder: str, moment: datetime) -> ColumnElement[bool]:
    return (Lease.holder == holder) | (Lease.expires_at <= moment)


def _upsert(dialect: str, values: dict[str, Any], holder: str, moment: datetime) -> Insert:
    """INSERT the row, or take over a row that is ours or expired: one atomic statement."""
    if dialect == "postgresql":
        pg_insert = postgresql.insert(Lease).values(values)
        return pg_insert.on_conflict_do_update(
            index_elements=[Lease.name], set_=_taken(pg_insert.excluded), where=_free_for(holder, moment)
        )
    if dialect == "sqlite":
        lite_insert = sqlite.insert(Lease).values(values)
        return lite_insert.on_conflict_do_update(
            index_elements=[Lease.name], set_=_taken(lite_insert.excluded), where=_free_for(holder, moment)
        )
    raise NotImplementedError(f"leases need SQLite or PostgreSQL, not {dialect}")


def acquire(session: Session, name: str, holder: str, ttl: timedelta | float, *, now: datetime | None = None) -> bool:
    """Take the lease if it is free, expired, or ours already (then it is extended)."""
    moment = _now(now)
    values = {"name": name, "holder": holder, "acquired_at": moment, "expires_at": moment + _ttl(ttl)}
    statement = _upsert(session.get_bind().dialect.name, values, holder, moment)
    won = session.execute(statement.returning(Lease.holder)).first() is not None
    session.commit()
    return won


def renew(session: Session, name: str, holder: str, ttl: timedelta | float, *, now: datetime | None = None) -> bool:
    """Extend our lease; False if someone else holds it now (ours expired and was taken)."""
    statement = (
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=_now(now) + _ttl(ttl))
        .returning(Lease.name)
    )
    renewed = session.execute(statement).first() is not None
    session.commit()
    return renewed


def release(session: Session, name: str, holder: str) -> bool:
    """Give the lease back; False if it was not ours (any more)."""
    released = session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder).returning(Lease.name))
    gone = released.first() is not None
    session.commit()
    return gone


def release_all(session: Session, holder: str, *, prefix: str = "") -> int:
    """Everything this holder has (whose name starts with ``prefix``): at shutdown."""
    statement = delete(Lease).where(Lease.holder == holder, Lease.name.startswith(prefix, autoescape=True))
    names = session.execute(statement.returning(Lease.name)).all()
    session.commit()
    return len(names)


def holder_of(session: Session, name: str, *, now: datetime | None = None) -> str | None:
    """Who holds the lease now, or None if it is free or expired."""
    statement = select(Lease.holder).where(Lease.name == name, Lease.expires_at > _now(now))
    return session.execute(statement).scalar_one_or_none()


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    names = session.execute(delete(Lease).where(Lease.expires_at <= _now(now)).returning(Lease.name)).all()
    session.commit()
    return len(names)
