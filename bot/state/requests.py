"""The bot's pull/merge requests, and the fixes people asked it to leave alone.

Like :mod:`bot.state.store`, functions flush and the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.state.models import ChangeRequest, IgnoredFix, Repository
from bot.state.store import RepoLike, ensure_repository

RequestState = Literal["open", "merged", "closed"]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def record_request(
    session: Session,
    repo: RepoLike,
    *,
    number: int,
    url: str,
    branch: str,
    state: RequestState,
    fingerprint: str | None,
    title: str | None = None,
    codes: Iterable[str] | None = None,
    target: str | None = None,
    team: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> ChangeRequest:
    """Create or update the request ``number`` of ``repo`` (idempotent; closing stamps ``closed_at``).

    ``codes`` are the fixes in it (DM103, …); ``run_id`` the run that opened or updated it.
    Optional values left out (None; a request closed by a run that planned nothing for it
    has no fingerprint of its own) keep what was recorded before."""
    if state not in get_args(RequestState):
        raise ValueError(f"unknown request state {state!r}")
    moment = _now(now)
    row = ensure_repository(session, repo)
    statement = select(ChangeRequest).where(ChangeRequest.repository_id == row.id, ChangeRequest.number == number)
    request = session.scalars(statement).one_or_none()
    if request is None:
        request = ChangeRequest(repository_id=row.id, number=number, opened_at=moment, repository=row)
        session.add(request)
    request.url, request.branch = url, branch
    request.fingerprint = fingerprint if fingerprint is not None else request.fingerprint or ""
    request.title = title if title is not None else request.title or ""
    request.codes = ",".join(codes) if codes is not None else request.codes or ""
    request.target = target or request.target
    request.team = team or request.team
    request.run_id = run_id or request.run_id
    if state == "open":
        request.closed_at = None
    elif request.closed_at is None:
        request.closed_at = moment
    request.state = state
    request.updated_at = moment
    session.flush()
    return request


def open_requests(session: Session, *, platform: str | None = None) -> Sequence[ChangeRequest]:
    """Open requests with their repository loaded (readable after the session closes)."""
    statement = (
        select(ChangeRequest)
        .join(ChangeRequest.repository)
        .where(ChangeRequest.state == "open")
        .options(joinedload(ChangeRequest.repository))
        .order_by(Repository.full_name, ChangeRequest.number)
    )
    if platform is not None:
        statement = statement.where(Repository.platform == platform)
    return list(session.scalars(statement))


def run_requests(session: Session, run_id: str) -> Sequence[ChangeRequest]:
    """The requests a run opened, updated or closed last (for ``status <run id>``)."""
    statement = (
        select(ChangeRequest)
        .join(ChangeRequest.repository)
        .where(ChangeRequest.run_id == run_id)
        .options(joinedload(ChangeRequest.repository))
        .order_by(Repository.full_name, ChangeRequest.number)
    )
    return list(session.scalars(statement))


def requests_opened_since(session: Session, since: datetime, *, target: str | None = None) -> Sequence[ChangeRequest]:
    """Requests opened at or after ``since``, oldest first (the weekly digest)."""
    statement = (
        select(ChangeRequest)
        .where(ChangeRequest.opened_at >= since)
        .options(joinedload(ChangeRequest.repository))
        .order_by(ChangeRequest.opened_at, ChangeRequest.id)
    )
    if target is not None:
        statement = statement.where(ChangeRequest.target == target)
    return list(session.scalars(statement))


def codes_of(request: ChangeRequest) -> tuple[str, ...]:
    return tuple(code for code in request.codes.split(",") if code)


def repository_requests(session: Session, repo: RepoLike) -> Sequence[ChangeRequest]:
    """Every request of one repository, newest first."""
    statement = (
        select(ChangeRequest)
        .join(ChangeRequest.repository)
        .where(Repository.platform == repo.platform, Repository.full_name == repo.full_name)
        .options(joinedload(ChangeRequest.repository))
        .order_by(ChangeRequest.opened_at.desc(), ChangeRequest.number.desc())
    )
    return list(session.scalars(statement))


def ignore_fix(session: Session, full_name: str, subject: str, who: str, *, now: datetime | None = None) -> bool:
    """``ignore <owner/repo> <code>``: a fixer code or a fix-set fingerprint. False if already ignored."""
    if is_ignored(session, full_name, subject):
        return False
    session.add(IgnoredFix(repository=full_name, subject=subject, ignored_by=who, created_at=_now(now)))
    session.flush()
    return True


def unignore_fix(session: Session, full_name: str, subject: str) -> bool:
    statement = delete(IgnoredFix).where(IgnoredFix.repository == full_name, IgnoredFix.subject == subject)
    removed = session.execute(statement.returning(IgnoredFix.id)).all()
    session.flush()
    return bool(removed)


def is_ignored(session: Session, full_name: str, *subjects: str) -> bool:
    """True if any of ``subjects`` (codes, fingerprints) is ignored for the repository."""
    statement = select(IgnoredFix.id).where(IgnoredFix.repository == full_name, IgnoredFix.subject.in_(subjects))
    return session.execute(statement.limit(1)).first() is not None


def ignored(session: Session, full_name: str) -> Sequence[IgnoredFix]:
    statement = select(IgnoredFix).where(IgnoredFix.repository == full_name).order_by(IgnoredFix.created_at)
    return list(session.scalars(statement))


def ignored_codes(sessions: sessionmaker[Session]) -> Callable[[str], frozenset[str]]:
    """The fixer codes ignored per repository (fingerprints left out), for a run's fixer
    choice: read once, when the run starts (one query, not one per repository)."""
    codes: dict[str, set[str]] = {}
    with sessions() as session:
        for fix in session.scalars(select(IgnoredFix)):
            if re.fullmatch(r"DM\d{3}", fix.subject):
                codes.setdefault(fix.repository, set()).add(fix.subject)
    frozen = {name: frozenset(subjects) for name, subjects in codes.items()}
    return lambda full_name: frozen.get(full_name, frozenset())
