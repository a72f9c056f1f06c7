"""What the rest of dockmend reads and writes: runs, repositories and rescans, Dockerfile blobs.

Functions take a :class:`~sqlalchemy.orm.Session`, flush, and leave the commit to the
caller (``with sessions.begin() as session: …``), so that a repository's scan is
recorded all at once or not at all. Findings live in :mod:`bot.state.findings`,
change requests and ignores in :mod:`bot.state.requests`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, get_args

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, selectinload

from bot.runid import new_run_id
from bot.state.models import BaseImage, DockerfileBlob, Lease, Repository, Run

Trigger = Literal["schedule", "chat", "api", "cli"]
Outcome = Literal["ok", "partial", "failed", "skipped", "abandoned"]
MAX_CACHED_BLOB = 256 * 1024  # Dockerfiles larger than this keep their sha, not their contents


class RepoLike(Protocol):
    """Anything naming a repository: :class:`bot.platforms.base.Repo`, or :class:`RepoKey`."""

    @property
    def platform(self) -> str: ...

    @property
    def full_name(self) -> str: ...


@dataclass(frozen=True)
class RepoKey:
    platform: str  # the configured platform's name
    full_name: str


@dataclass(frozen=True)
class RunCounts:
    """What a run function returns, for the run's row (field names are the columns)."""

    repositories_scanned: int = 0
    repositories_skipped: int = 0
    repositories_failed: int = 0
    fixes: int = 0
    requests_opened: int = 0
    requests_updated: int = 0
    requests_closed: int = 0


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def start_run(
    session: Session,
    target: str,
    trigger: Trigger,
    *,
    requested_by: str | None = None,
    holder: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> str:
    if trigger not in get_args(Trigger):
        raise ValueError(f"unknown trigger {trigger!r}")
    run = Run(
        id=run_id or new_run_id(now),
        target=target,
        trigger=trigger,
        requested_by=requested_by,
        holder=holder,
        started_at=_now(now),
        **asdict(RunCounts()),
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: str,
    outcome: Outcome,
    counts: RunCounts | None = None,
    *,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    values = asdict(counts) if counts is not None else {}
    statement = update(Run).where(Run.id == run_id)
    session.execute(statement.values(outcome=outcome, finished_at=_now(now), detail=detail, **values))
    session.flush()


def get_run(session: Session, run_id: str) -> Run | None:
    return session.get(Run, run_id)


def recent_runs(session: Session, limit: int = 20, *, target: str | None = None) -> list[Run]:
    """Newest first."""
    statement = select(Run).order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)
    if target is not None:
        statement = statement.where(Run.target == target)
    return list(session.scalars(statement))


def abandon_runs(session: Session, *, now: datetime | None = None) -> int:
    """Close runs whose process died: no outcome, and their holder holds no live lease."""
    moment = _now(now)
    alive = exists().where(Lease.holder == Run.holder, Lease.expires_at > moment)
    statement = update(Run).where(Run.outcome.is_(None), ~alive).values(outcome="abandoned", finished_at=moment)
    return len(session.execute(statement.returning(Run.id)).all())


def get_repository(session: Session, repo: RepoLike) -> Repository | None:
    statement = select(Repository).where(Repository.platform == repo.platform, Repository.full_name == repo.full_name)
    return session.scalars(statement.options(selectinload(Repository.base_images))).one_or_none()


def ensure_repository(session: Session, repo: RepoLike) -> Repository:
    found = get_repository(session, repo)
    if found is None:
        found = Repository(platform=repo.platform, full_name=repo.full_name, base_images=[])
        session.add(found)
        session.flush()
    return found


def record_repository(
    session: Session,
    repo: RepoLike,
    *,
    head_sha: str | None,
    base_digests: Mapping[str, str],
    default_branch: str | None = None,
    url: str | None = None,
    scan_key: str = "",
    run_id: str | None = None,
    now: datetime | None = None,
) -> Repository:
    """After a *completed* scan: what it saw, so that the next run can skip an unchanged repository.

    ``run_id`` is the run that scanned it: that run's findings become the repository's current ones."""
    row = ensure_repository(session, repo)
    row.head_sha = head_sha
    row.default_branch = default_branch or row.default_branch
    row.url = url or row.url
    row.scan_key = scan_key
    row.last_scanned_at = _now(now)
    row.last_run_id = run_id or row.last_run_id
    kept = {image.image: image for image in row.base_images if image.image in base_digests}
    for image, digest in base_digests.items():
        if image in kept:
            kept[image].digest = digest
        else:
            kept[image] = BaseImage(image=image, digest=digest)
    row.base_images = list(kept.values())
    session.flush()
    return row


def note_run(session: Session, repo: RepoLike, run_id: str, *, now: datetime | None = None) -> Repository:
    """The run ``run_id`` scanned ``repo``: its findings become the current ones (what the
    scan depended on is recorded apart, by :class:`bot.service.memory.StateMemory`)."""
    row = ensure_repository(session, repo)
    row.last_run_id = run_id
    row.last_scanned_at = row.last_scanned_at or _now(now)
    session.flush()
    return row


def seen_base_images(session: Session, repo: RepoLike) -> dict[str, str]:
    """The base images (and their digests) of the last scan: resolve these anew to decide a rescan."""
    row = get_repository(session, repo)
    return {image.image: image.digest for image in row.base_images} if row is not None else {}


def should_rescan(
    session: Session,
    repo: RepoLike,
    head_sha: str | None,
    base_digests: Mapping[str, str],
    *,
    scan_key: str = "",
    max_age: timedelta | None = None,
    now: datetime | None = None,
) -> bool:
    """False only when the default-branch head, the base images' digests and the scan key are
    those of the last scan (and it is younger than ``max_age``)."""
    row = get_repository(session, repo)
    if row is None or row.last_scanned_at is None or head_sha is None or row.head_sha != head_sha:
        return True
    if (row.scan_key or "") != scan_key:
        return True
    if max_age is not None and _now(now) - row.last_scanned_at > max_age:
        return True
    return {image.image: image.digest for image in row.base_images} != dict(base_digests)


def record_blob(session: Session, repo: RepoLike, path: str, blob_sha: str, contents: bytes | None) -> None:
    """Remember a Dockerfile's blob (contents too when at most :data:`MAX_CACHED_BLOB` bytes)."""
    row = ensure_repository(session, repo)
    statement = select(DockerfileBlob).where(DockerfileBlob.repository_id == row.id, DockerfileBlob.path == path)
    blob = session.scalars(statement).one_or_none()
    if blob is None:
        blob = DockerfileBlob(repository_id=row.id, path=path)
        session.add(blob)
    size = len(contents) if contents is not None else 0
    blob.blob_sha, blob.size = blob_sha, size
    blob.contents = contents if contents is not None and size <= MAX_CACHED_BLOB else None
    session.flush()


def cached_blob(session: Session, blob_sha: str) -> bytes | None:
    """A blob's contents by sha, from any repository (blobs are content-addressed)."""
    statement = select(DockerfileBlob.contents).where(
        DockerfileBlob.blob_sha == blob_sha, DockerfileBlob.contents.is_not(None)
    )
    return session.scalars(statement.limit(1)).first()


def repository_blobs(session: Session, repo: RepoLike) -> dict[str, str]:
    """Path → blob sha of the Dockerfiles at the last scan."""
    row = get_repository(session, repo)
    if row is None:
        return {}
    statement = select(DockerfileBlob.path, DockerfileBlob.blob_sha).where(DockerfileBlob.repository_id == row.id)
    return {path: sha for path, sha in session.execute(statement)}


def repositories(session: Session, *, platform: str | None = None, with_images: bool = False) -> Sequence[Repository]:
    statement = select(Repository).order_by(Repository.platform, Repository.full_name)
    if with_images:
        statement = statement.options(selectinload(Repository.base_images))
    if platform is not None:
        statement = statement.where(Repository.platform == platform)
    return list(session.scalars(statement))
