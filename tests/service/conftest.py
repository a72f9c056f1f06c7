"""The service tests use the state tests' databases: a SQLite file and a real PostgreSQL."""

from tests.state.conftest import migrated_url, postgres_server, postgres_state, sqlite_template

__all__ = ["migrated_url", "postgres_server", "postgres_state", "sqlite_template"]
