"""Findings: what each run found, per repository and Dockerfile line.

A repository's *current* findings are those of the run that last scanned it
(``repositories.last_run_id``, set by :func:`bot.state.store.record_repository`): a
repository skipped as unchanged keeps them, a repository whose fixes were merged loses
them. Functions flush; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, selectinload

from bot.state.models import Finding, Repository, Run
from bot.state.store import RepoLike, ensure_repository, get_repository


@dataclass(frozen=True)
class FindingRecord:
    path: str
    line: int | None  # None: about the whole file
    code: str
    message: str


def _in_order(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line is not None, f.line or 0, f.code))


def record_findings(session: Session, run_id: str, repo: RepoLike, findings: Iterable[FindingRecord]) -> int:
    row = ensure_repository(session, repo)
    added = [Finding(run_id=run_id, repository_id=row.id, **asdict(finding)) for finding in findings]
    session.add_all(added)
    session.flush()
    return len(added)


def current_findings(session: Session, repo: RepoLike) -> list[Finding]:
    """The findings of the run that last scanned the repository (without one recorded:
    of the newest run that found anything)."""
    row = get_repository(session, repo)
    if row is None:
        return []
    run_id = row.last_run_id
    if run_id is None:
        newest = select(Finding.run_id).join(Run, Run.id == Finding.run_id).where(Finding.repository_id == row.id)
        run_id = session.scalars(newest.order_by(Run.started_at.desc()).limit(1)).first()
    statement = select(Finding).where(Finding.repository_id == row.id, Finding.run_id == run_id)
    return _in_order(session.scalars(statement).all())


def _current() -> ColumnElement[bool]:
    return and_(Repository.id == Finding.repository_id, Repository.last_run_id == Finding.run_id)


def repositories_with_findings(session: Session, limit: int = 100) -> list[tuple[Repository, list[Finding]]]:
    """Repositories and their current findings; those with most findings first, then by name."""
    counts = select(Finding.repository_id, func.count().label("n")).join(Repository, _current())
    counted = counts.group_by(Finding.repository_id).subquery()
    found = func.coalesce(counted.c.n, 0)
    statement = select(Repository).outerjoin(counted, counted.c.repository_id == Repository.id)
    rows = list(
        session.scalars(statement.order_by(found.desc(), Repository.full_name, Repository.platform).limit(limit))
    )
    by_repository: dict[int, list[Finding]] = defaultdict(list)
    if rows:
        current = select(Finding).join(Repository, _current()).where(Repository.id.in_([row.id for row in rows]))
        for finding in session.scalars(current):
            by_repository[finding.repository_id].append(finding)
    return [(row, _in_order(by_repository[row.id])) for row in rows]


def run_findings(session: Session, run_id: str) -> list[Finding]:
    """Everything one run found, with each finding's repository loaded."""
    statement = select(Finding).where(Finding.run_id == run_id).options(selectinload(Finding.repository))
    return sorted(session.scalars(statement), key=lambda f: (f.repository.full_name, f.path, f.line or 0, f.code))


def finding_counts(session: Session, run_ids: Iterable[str]) -> dict[str, int]:
    """How many findings each run recorded (runs without any are absent)."""
    wanted = list(run_ids)
    if not wanted:
        return {}
    statement = select(Finding.run_id, func.count()).where(Finding.run_id.in_(wanted)).group_by(Finding.run_id)
    return {run_id: int(count) for run_id, count in session.execute(statement)}
