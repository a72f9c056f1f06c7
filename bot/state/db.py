"""Connecting to the state database and bringing its schema up to date.

SQLite by default (``sqlite:///./dockmend.db``), PostgreSQL with
``DOCKMEND_DATABASE_URL=postgresql+psycopg://user@host/db``. The Alembic scripts ship
inside the package (``bot/state/migrations``), so an installed wheel migrates itself at
start; several replicas starting together migrate one after the other (PostgreSQL
advisory lock).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.errors import DockmendError

DEFAULT_URL = "sqlite:///./dockmend.db"
ENV_VAR = "DOCKMEND_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 0x646F636B6D656E64  # "dockmend": the advisory lock's key
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one


def database_url(configured: str | None, env: Mapping[str, str]) -> str:
    """``$DOCKMEND_DATABASE_URL`` (it overrides the file, like the ``database:`` section says),
    else the configuration's URL, else the SQLite default."""
    return env.get(ENV_VAR) or configured or DEFAULT_URL


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (the driver dockmend ships)."""
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise DockmendError(f"{ENV_VAR}: not a database URL") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str) -> Engine:
    """An engine for the state database (SQLite: foreign keys on, WAL, a busy timeout)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(url, pool_pre_ping=True)
    options: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}}
    memory = parsed.database in (None, "", ":memory:")
    if memory:
        options["poolclass"] = StaticPool  # one shared connection, or each thread sees its own empty database
    else:
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = sqlalchemy.create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.close()


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Alembic's configuration, built in code: no alembic.ini is needed or shipped."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision; a no-op when it is already there."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), "head")


def ping(engine: Engine) -> bool:
    """Whether the database answers (for ``/readyz``)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    return True


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the web layer renders them later)."""
    return sessionmaker(engine, expire_on_commit=False)


def open_database(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """Engine, migration and session factory in one call: what ``serve`` and ``run`` need."""
    engine = create_engine(url)
    migrate(engine)
    return engine, session_factory(engine)
