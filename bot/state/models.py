"""The state database's tables, as SQLAlchemy 2 typed ORM classes.

Every time is stored in UTC and read back timezone-aware (SQLite keeps no zone). The
scheduler's job table belongs to APScheduler, but it is declared (and migrated) here so
that one migration creates the whole schema under one lock, before any replica starts
its scheduler; a test checks it matches APScheduler's own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime in, an aware UTC datetime out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state database; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Run(Base):
    """One run of one target; ``outcome`` is None while it runs."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | chat | api | cli
    requested_by: Mapped[str | None] = mapped_column(String(200))
    holder: Mapped[str | None] = mapped_column(String(200))  # the process that runs it
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    repositories_scanned: Mapped[int] = mapped_column(default=0)
    repositories_skipped: Mapped[int] = mapped_column(default=0)
    repositories_failed: Mapped[int] = mapped_column(default=0)
    fixes: Mapped[int] = mapped_column(default=0)
    requests_opened: Mapped[int] = mapped_column(default=0)
    requests_updated: Mapped[int] = mapped_column(default=0)
    requests_closed: Mapped[int] = mapped_column(default=0)


class Repository(Base):
    """A repository as last scanned: what a rescan compares against."""

    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("platform", "full_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(100))  # the configured platform's name
    full_name: Mapped[str] = mapped_column(String(400), index=True)
    default_branch: Mapped[str | None] = mapped_column(String(255))
    head_sha: Mapped[str | None] = mapped_column(String(64))
    marker: Mapped[str | None] = mapped_column(String(100))  # the listing's change marker (pushed_at…)
    url: Mapped[str | None] = mapped_column(String(1000))  # web page, for the dashboard
    scan_key: Mapped[str | None] = mapped_column(String(200))  # dockmend version + settings of that scan
    last_scanned_at: Mapped[datetime | None]
    last_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL")
    )  # its findings are current
    base_images: Mapped[list[BaseImage]] = relationship(
        back_populates="repository", cascade="all, delete-orphan", passive_deletes=True
    )


class BaseImage(Base):
    """A base image a repository's Dockerfiles use, and the digest it had at the scan."""

    __tablename__ = "base_images"

    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True)
    image: Mapped[str] = mapped_column(String(500), primary_key=True)
    digest: Mapped[str] = mapped_column(String(100))
    repository: Mapped[Repository] = relationship(back_populates="base_images")


class DockerfileBlob(Base):
    """A Dockerfile at the last scan; ``contents`` only when small enough to cache."""

    __tablename__ = "dockerfile_blobs"
    __table_args__ = (UniqueConstraint("repository_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    blob_sha: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    contents: Mapped[bytes | None] = mapped_column(LargeBinary)


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int | None]
    code: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    repository: Mapped[Repository] = relationship()


class ChangeRequest(Base):
    """A pull/merge request the bot opened; the platform is the repository's."""

    __tablename__ = "change_requests"
    __table_args__ = (UniqueConstraint("repository_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    number: Mapped[int]  # GitHub number, GitLab iid
    url: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500), default="")
    branch: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | merged | closed, as the forge says
    # open | merged | closed (unmerged, by a person) | fixed (closed by the bot: its fixes
    # landed) | superseded (a newer request replaced it on the same branch)
    fate: Mapped[str] = mapped_column(String(16), index=True, default="open", server_default="open")
    fingerprint: Mapped[str] = mapped_column(String(128))  # of the fix set
    codes: Mapped[str] = mapped_column(String(500), default="")  # the fixes in it, comma-separated
    target: Mapped[str | None] = mapped_column(String(200), index=True)
    team: Mapped[str | None] = mapped_column(String(200))  # who it was routed to
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), index=True
    )  # last touched by
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    repository: Mapped[Repository] = relationship()


class IgnoredFix(Base):
    """``ignore <owner/repo> <code>``: a fixer code or a fix-set fingerprint left alone."""

    __tablename__ = "ignored_fixes"
    __table_args__ = (UniqueConstraint("repository", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository: Mapped[str] = mapped_column(String(400))  # full name, on any platform
    subject: Mapped[str] = mapped_column(String(128))  # DM103, or a fingerprint
    ignored_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class RegistryCacheEntry(Base):
    __tablename__ = "registry_cache"

    key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Lease(Base):
    """A named lock with an expiry: whoever holds an unexpired row holds the lease."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200), index=True)
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


# APScheduler 3's SQLAlchemyJobStore table, column for column.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25)),
    Column("job_state", LargeBinary, nullable=False),
    Index("ix_apscheduler_jobs_next_run_time", "next_run_time"),
)
