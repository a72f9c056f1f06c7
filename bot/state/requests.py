"""The bot's pull/merge requests, and the fixes people asked it to leave alone.

Like :mod:`bot.state.store`, functions flush and the caller commits.

Over 300 lines: the requests' fates and the ignores (chat ``ignore``, a fix asked for
again from the status issue) are read together by a run's history, so they stay in one
module with the queries that join them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.state.models import ChangeRequest, IgnoredFix, Repository
from bot.state.store import RepoLike, ensure_repository

RequestState = Literal["open", "merged", "closed"]
Fate = Literal["open", "merged", "closed", "fixed", "superseded"]
FINAL = frozenset({"merged", "closed", "fixed", "superseded"})
"""A request's fate: still open; merged; closed unmerged by a person; closed by the bot
because its fixes landed (``fixed``); replaced by a newer request on its branch."""


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
    fate: Fate | None = None,
    now: datetime | None = None,
) -> ChangeRequest:
    """Create or update the request ``number`` of ``repo`` (idempotent; closing stamps ``closed_at``).

    ``codes`` are the fixes in it (DM103, …); ``run_id`` the run that opened or updated it.
    Optional values left out (None; a request closed by a run that planned nothing for it
    has no fingerprint of its own) keep what was recorded before. ``fate`` defaults to the
    state's (a closed request: closed by a person); the bot closing its own passes "fixed"."""
    if state not in get_args(RequestState):
        raise ValueError(f"unknown request state {state!r}")
    if fate is not None and fate not in get_args(Fate):
        raise ValueError(f"unknown request fate {fate!r}")
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
    request.fate = fate or state
    request.updated_at = moment
    session.flush()
    return request


def learn_fate(
    session: Session, repo: RepoLike, number: int, state: RequestState, *, now: datetime | None = None
) -> ChangeRequest | None:
    """What the forge says of a recorded request (merged, closed, open). Returns the row
    when its fate changed by this (None otherwise, or when the request was never recorded).

    A request the bot closed stays "fixed" however the forge reports it later; a merge
    is a merge whatever was recorded."""
    if state not in get_args(RequestState):
        raise ValueError(f"unknown request state {state!r}")
    row = _request(session, repo, number)
    if row is None or row.state == state or (row.fate == "fixed" and state == "closed"):
        return None
    if state == "open" and row.fate in FINAL:  # reopened by a person
        row.closed_at = None
    elif state != "open" and row.closed_at is None:
        row.closed_at = _now(now)
    row.state, row.fate = state, state
    row.updated_at = _now(now)
    session.flush()
    return row


def supersede(
    session: Session, repo: RepoLike, branch: str, newer: int, *, now: datetime | None = None
) -> list[ChangeRequest]:
    """A new request ``newer`` from ``branch``: the older ones still recorded open there
    were replaced (the forge said nothing else of them). Returns those marked."""
    statement = _of_repository(repo).where(
        ChangeRequest.branch == branch, ChangeRequest.number != newer, ChangeRequest.fate == "open"
    )
    rows = list(session.scalars(statement))
    for row in rows:
        row.state, row.fate = "closed", "superseded"
        row.closed_at = row.closed_at or _now(now)
        row.updated_at = _now(now)
    session.flush()
    return rows


def _request(session: Session, repo: RepoLike, number: int) -> ChangeRequest | None:
    return session.scalars(_of_repository(repo).where(ChangeRequest.number == number)).one_or_none()


def _of_repository(repo: RepoLike) -> Select[ChangeRequest]:
    """The requests recorded for ``repo`` (narrowed further by the caller)."""
    return (
        select(ChangeRequest)
        .join(ChangeRequest.repository)
        .where(Repository.platform == repo.platform, Repository.full_name == repo.full_name)
    )


@dataclass(frozen=True)
class History:
    """A repository's requests as recorded: the branches of its open ones, and how often
    each fixer code was in a request closed unmerged by a person."""

    open_branches: frozenset[str] = frozenset()
    closed_unmerged: Mapping[str, int] = field(default_factory=dict)


def histories(sessions: sessionmaker[Session]) -> Callable[[str], History]:
    """Every repository's :class:`History` by full name (any platform, like ``ignore``),
    read once as a run starts (one query)."""
    branches: dict[str, set[str]] = {}
    closed: dict[str, Counter[str]] = {}
    statement = (
        select(
            Repository.full_name, ChangeRequest.branch, ChangeRequest.fate, ChangeRequest.codes, ChangeRequest.closed_at
        )
        .join(ChangeRequest.repository)
        .where(ChangeRequest.fate.in_(("open", "closed")))
    )
    with sessions() as session:
        resets = {
            (fix.repository, fix.subject.removeprefix(RESET)): fix.created_at
            for fix in session.scalars(select(IgnoredFix).where(IgnoredFix.subject.startswith(RESET)))
        }
        for full_name, branch, fate, codes, closed_at in session.execute(statement):
            if fate == "open":
                branches.setdefault(full_name, set()).add(branch)
                continue
            counted = [c for c in codes.split(",") if c and _after(closed_at, resets.get((full_name, c)))]
            closed.setdefault(full_name, Counter()).update(counted)
    names = set(branches) | set(closed)
    found = {n: History(frozenset(branches.get(n, ())), dict(closed.get(n, Counter()))) for n in names}
    return lambda full_name: found.get(full_name, History())


def _after(closed_at: datetime | None, reset: datetime | None) -> bool:
    """A request closed after the code's reset (or with no reset) counts."""
    if reset is None or closed_at is None:
        return True
    return closed_at > reset


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


def requests_ended_since(session: Session, since: datetime) -> Sequence[ChangeRequest]:
    """Requests that ended (any fate but open) at or after ``since``, oldest end first:
    what acceptance over time is computed from."""
    statement = (
        select(ChangeRequest)
        .where(ChangeRequest.fate != "open", ChangeRequest.closed_at >= since)
        .options(joinedload(ChangeRequest.repository))
        .order_by(ChangeRequest.closed_at, ChangeRequest.id)
    )
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


RESET = "reset:"  # an IgnoredFix subject: closed requests before it do not count for the fixer-stop policy


def ask_again(session: Session, full_name: str, code: str, who: str, *, now: datetime | None = None) -> None:
    """A person asked for fix ``code`` again in the repository's status issue: forget the
    chat ``ignore`` of it, and let the fixer-stop policy count only requests closed from
    now on (the requests themselves keep their fates)."""
    unignore_fix(session, full_name, code)
    statement = select(IgnoredFix).where(IgnoredFix.repository == full_name, IgnoredFix.subject == RESET + code)
    row = session.scalars(statement).one_or_none()
    if row is None:
        row = IgnoredFix(repository=full_name, subject=RESET + code, ignored_by=who, created_at=_now(now))
        session.add(row)
    row.ignored_by, row.created_at = who, _now(now)
    session.flush()


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
