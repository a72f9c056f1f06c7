"""Initial schema: runs, repositories, Dockerfile blobs, findings, requests, ignores, caches, leases.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def _repository_id(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f(f"fk_{table}_repository_id_repositories"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "repositories_scanned",
                "repositories_skipped",
                "repositories_failed",
                "fixes",
                "requests_opened",
                "requests_updated",
                "requests_closed",
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"])
    op.create_index(op.f("ix_runs_target"), "runs", ["target"])
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=400), nullable=False),
        sa.Column("default_branch", sa.String(length=255), nullable=True),
        sa.Column("head_sha", sa.String(length=64), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("scan_key", sa.String(length=200), nullable=True),
        sa.Column("last_scanned_at", TIME, nullable=True),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["runs.id"], name=op.f("fk_repositories_last_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repositories")),
        sa.UniqueConstraint("platform", "full_name", name=op.f("uq_repositories_platform_full_name")),
    )
    op.create_index(op.f("ix_repositories_full_name"), "repositories", ["full_name"])
    op.create_table(
        "base_images",
        *_repository_id("base_images"),
        sa.Column("image", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("repository_id", "image", name=op.f("pk_base_images")),
    )
    op.create_table(
        "dockerfile_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        *_repository_id("dockerfile_blobs"),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("blob_sha", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("contents", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dockerfile_blobs")),
        sa.UniqueConstraint("repository_id", "path", name=op.f("uq_dockerfile_blobs_repository_id_path")),
    )
    op.create_index(op.f("ix_dockerfile_blobs_blob_sha"), "dockerfile_blobs", ["blob_sha"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        *_repository_id("findings"),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_findings_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_repository_id"), "findings", ["repository_id"])
    op.create_index(op.f("ix_findings_run_id"), "findings", ["run_id"])
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        *_repository_id("change_requests"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("codes", sa.String(length=500), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_change_requests_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sa.UniqueConstraint("repository_id", "number", name=op.f("uq_change_requests_repository_id_number")),
    )
    op.create_index(op.f("ix_change_requests_state"), "change_requests", ["state"])
    op.create_index(op.f("ix_change_requests_target"), "change_requests", ["target"])
    op.create_index(op.f("ix_change_requests_run_id"), "change_requests", ["run_id"])
    op.create_table(
        "ignored_fixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository", sa.String(length=400), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("ignored_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ignored_fixes")),
        sa.UniqueConstraint("repository", "subject", name=op.f("uq_ignored_fixes_repository_subject")),
    )
    op.create_table(
        "registry_cache",
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_registry_cache")),
    )
    op.create_index(op.f("ix_registry_cache_expires_at"), "registry_cache", ["expires_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_index(op.f("ix_leases_holder"), "leases", ["holder"])


def downgrade() -> None:
    for table in (
        "leases",
        "registry_cache",
        "ignored_fixes",
        "change_requests",
        "findings",
        "dockerfile_blobs",
        "base_images",
        "repositories",
        "runs",
        "apscheduler_jobs",
    ):
        op.drop_table(table)  # their indexes go with them
