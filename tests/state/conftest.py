"""Every state test runs twice: on a SQLite file and on a real PostgreSQL.

The PostgreSQL server is started once per session (initdb + pg_ctl in a temp dir, on a
free port, as user ``postgres`` when the tests run as root; see TESTING.md); each test
gets a fresh database in it. Without the PostgreSQL binaries those tests are skipped
with the reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.state.db import create_engine as state_engine
from bot.state.db import migrate, session_factory
from bot.state.models import Base
from tests.registry.servers import free_port

_counter = itertools.count()
REQUIRE_POSTGRES = "DOCKMEND_TESTS_REQUIRE_POSTGRES"


def _pg_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    found = shutil.which("pg_ctl")
    for pg_ctl in [*candidates, *([Path(found)] if found else [])]:
        if (pg_ctl.parent / "initdb").exists():
            return pg_ctl.parent
    return None


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _unavailable(reason: str) -> None:
    """Skip, except in CI (``.ci/run`` sets the variable): there a missing PostgreSQL is a failure."""
    if os.environ.get(REQUIRE_POSTGRES):
        pytest.fail(f"{reason} ({REQUIRE_POSTGRES} is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The base URL of a PostgreSQL server private to this test session."""
    pg_bin = _pg_bin()
    if pg_bin is None:
        _unavailable("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser: PostgreSQL refuses to run as root")
    assert pg_bin is not None
    root = Path(tempfile.mkdtemp(prefix="dockmend-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    initdb = [str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_postgres([*initdb, "--locale=C.UTF-8"]), check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
    pg_ctl = [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"]
    subprocess.run(_as_postgres([*pg_ctl, "-o", options, "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([*pg_ctl, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _admin(server: str) -> Engine:
    return create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")


def _create_database(server: str, name: str) -> str:
    admin = _admin(server)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server}/{name}"


def _drop_database(server: str, name: str) -> None:
    admin = _admin(server)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrated(url: str) -> str:
    engine = state_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_state(postgres_server: str) -> str:
    """One migrated PostgreSQL database, emptied before each test that uses it."""
    return _migrated(_create_database(postgres_server, "dockmend_state"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "state.db"
    _migrated(f"sqlite:///{path}")
    return path


def _emptied(url: str) -> str:
    engine = state_engine(url)
    tables = ", ".join(f'"{name}"' for name in Base.metadata.tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    name = f"empty_{os.getpid()}_{next(_counter)}"
    yield _create_database(server, name)
    _drop_database(server, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind with the current schema."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "state.db")
        return f"sqlite:///{tmp_path / 'state.db'}"
    return _emptied(request.getfixturevalue("postgres_state"))


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    created = state_engine(migrated_url)
    try:
        yield created
    finally:
        created.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
