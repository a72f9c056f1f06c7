"""Alembic's environment: migrations run on the connection :func:`bot.state.db.migrate` passes in.

Without one (a developer making a revision), the ``sqlalchemy.url`` option is used.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, create_engine

from bot.state.models import Base, UTCDateTime


def _render_item(kind: str, obj: Any, _context: Any) -> str | Literal[False]:
    """New revisions spell plain SQLAlchemy types: a migration must not import the models."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url to migrate")
    with create_engine(url).begin() as own:
        _run(own)


main()
