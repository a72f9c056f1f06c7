from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, inspect, text

from bot.errors import DockmendError
from bot.state import db
from bot.state.models import Base, apscheduler_jobs

TABLES = {
    "alembic_version",
    "apscheduler_jobs",
    "base_images",
    "change_requests",
    "dockerfile_blobs",
    "findings",
    "ignored_fixes",
    "leases",
    "registry_cache",
    "repositories",
    "runs",
}


@pytest.mark.parametrize(
    ("configured", "env", "expected"),
    [
        (None, {}, "sqlite:///./dockmend.db"),
        (None, {"DOCKMEND_DATABASE_URL": "postgresql+psycopg://u@h/d"}, "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", {}, "sqlite:///x.db"),
        ("sqlite:///x.db", {"DOCKMEND_DATABASE_URL": "postgresql+psycopg://u@h/d"}, "postgresql+psycopg://u@h/d"),
        (None, {"DOCKMEND_DATABASE_URL": ""}, "sqlite:///./dockmend.db"),
    ],
)
def test_database_url(configured: str | None, env: dict[str, str], expected: str) -> None:
    assert db.database_url(configured, env) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p%40ss@h:5/d", "postgresql+psycopg://u:p%40ss@h:5/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///./dockmend.db", "sqlite:///./dockmend.db"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert db.normalise_url(url) == expected


def test_bad_url_is_a_user_error() -> None:
    with pytest.raises(DockmendError, match="not a database URL"):
        db.normalise_url("not a url")


def test_migrate_creates_the_schema_and_is_idempotent(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        db.migrate(engine)
        db.migrate(engine)
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_job_table_is_apschedulers_own(engine: Engine) -> None:
    theirs = SQLAlchemyJobStore(engine=engine).jobs_t
    assert [(c.name, repr(c.type), c.nullable, c.primary_key) for c in theirs.columns] == [
        (c.name, repr(c.type), c.nullable, c.primary_key) for c in apscheduler_jobs.columns
    ]
    assert {i.name for i in theirs.indexes} == {i.name for i in apscheduler_jobs.indexes}


def test_ping(engine: Engine) -> None:
    assert db.ping(engine)
    assert not db.ping(db.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))


def test_sqlite_enforces_foreign_keys(engine: Engine) -> None:
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_memory_sqlite_is_one_database_for_all_threads() -> None:
    import threading

    engine = db.create_engine("sqlite://")
    db.migrate(engine)
    seen: list[list[str]] = []
    thread = threading.Thread(target=lambda: seen.append(inspect(engine).get_table_names()))
    thread.start()
    thread.join()
    assert set(seen[0]) == TABLES


def test_migrations_ship_inside_the_package() -> None:
    scripts = db.MIGRATIONS
    assert scripts == Path(db.__file__).parent / "migrations"
    assert {"env.py", "script.py.mako", "__init__.py"} <= {p.name for p in scripts.iterdir()}
    assert any(p.name.startswith("0001_") for p in (scripts / "versions").iterdir())


def test_jobs_persisted_before_the_restructure_keep_their_function(database_url: str) -> None:
    """Migration 0003: a job pickled with ``bot.scheduler:…`` is renamed, not dropped."""

    engine = db.create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(db.alembic_config(connection), "0002")
    state = {
        "version": 1,
        "id": "target:acme",
        "func": "bot.scheduler:run_scheduled_target",
        "trigger": CronTrigger.from_crontab("0 6 * * 1", timezone="UTC"),
        "executor": "default",
        "args": ("acme",),
        "kwargs": {},
        "name": "run_scheduled_target",
        "misfire_grace_time": 3600,
        "coalesce": True,
        "max_instances": 1,
        "next_run_time": datetime(2026, 12, 7, 6, tzinfo=UTC),
    }
    with engine.begin() as connection:
        connection.execute(
            apscheduler_jobs.insert().values(id="target:acme", next_run_time=0.0, job_state=pickle.dumps(state, 2))
        )
    db.migrate(engine)
    (job,) = SQLAlchemyJobStore(engine=engine).get_all_jobs()
    assert job.func_ref == "bot.service.scheduler:run_scheduled_target"
    assert job.next_run_time == datetime(2026, 12, 7, 6, tzinfo=UTC)


def test_requests_recorded_before_fates_get_theirs(database_url: str) -> None:
    """Migration 0004: a request closed before fates were recorded was closed by the bot
    (a person's close was left recorded as open), a merged one was merged; and back down."""
    engine = db.create_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(db.alembic_config(connection), "0003")
            connection.execute(text("INSERT INTO repositories (id, platform, full_name) VALUES (1, 'gh', 'acme/api')"))
            for number, state in ((1, "open"), (2, "merged"), (3, "closed")):
                connection.execute(
                    text(
                        "INSERT INTO change_requests (repository_id, number, url, title, branch, state, fingerprint,"
                        " codes, opened_at, updated_at) VALUES (1, :n, 'u', 't', 'b', :s, 'f', 'DM104', :t, :t)"
                    ),
                    {"n": number, "s": state, "t": datetime(2026, 1, 1, tzinfo=UTC)},
                )
        db.migrate(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT number, fate FROM change_requests ORDER BY number")).all()
            assert [tuple(r) for r in rows] == [(1, "open"), (2, "merged"), (3, "fixed")]
        with engine.begin() as connection:
            command.downgrade(db.alembic_config(connection), "0003")
        assert "fate" not in {c["name"] for c in inspect(engine).get_columns("change_requests")}
    finally:
        engine.dispose()
