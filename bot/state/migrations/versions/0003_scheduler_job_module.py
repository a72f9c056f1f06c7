"""Scheduled jobs name their function by its new module (bot.scheduler → bot.service.scheduler).

APScheduler keeps each job pickled with its function's ``module:name`` and drops a job
whose function it cannot import. The restructure moved the job function, so the jobs
persisted by an earlier version are rewritten here instead of being dropped (which would
lose their next run time).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "bot.scheduler:run_scheduled_target"
NEW = "bot.service.scheduler:run_scheduled_target"
_jobs = sa.table("apscheduler_jobs", sa.column("id", sa.Unicode(191)), sa.column("job_state", sa.LargeBinary))


def _rename(before: str, after: str) -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("apscheduler_jobs"):
        return
    for job_id, blob in bind.execute(sa.select(_jobs.c.id, _jobs.c.job_state)).all():
        state = pickle.loads(blob)  # written by APScheduler's own job store in this database
        if state.get("func") != before:
            continue
        state["func"] = after
        bind.execute(_jobs.update().where(_jobs.c.id == job_id).values(job_state=pickle.dumps(state, 2)))


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
