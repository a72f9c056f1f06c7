"""Each request's fate: merged, closed unmerged by a person, closed by the bot (fixed), superseded.

``state`` stays the forge's word (open, merged, closed); ``fate`` says who ended a
request and how, for acceptance per fixer and the fixer-stop policy. Requests recorded
before this revision were only ever closed by the bot (a request a person closed was
left recorded as open), so a closed one is "fixed".

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_requests = sa.table("change_requests", sa.column("state", sa.String(16)), sa.column("fate", sa.String(16)))


def upgrade() -> None:
    with op.batch_alter_table("change_requests") as batch:
        batch.add_column(sa.Column("fate", sa.String(length=16), server_default="open", nullable=False))
        batch.create_index(batch.f("ix_change_requests_fate"), ["fate"])
    bind = op.get_bind()
    bind.execute(_requests.update().where(_requests.c.state == "merged").values(fate="merged"))
    bind.execute(_requests.update().where(_requests.c.state == "closed").values(fate="fixed"))


def downgrade() -> None:
    with op.batch_alter_table("change_requests") as batch:
        batch.drop_index(batch.f("ix_change_requests_fate"))
        batch.drop_column("fate")
