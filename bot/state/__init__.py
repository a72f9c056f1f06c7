"""The state database (SQLAlchemy 2 + Alembic; SQLite by default, PostgreSQL for replicas).

- :mod:`bot.state.db`: ``database_url``, ``create_engine``, ``migrate``, ``session_factory``, ``open_database``.
- :mod:`bot.state.store`: runs, repositories and rescans, Dockerfile blobs, findings.
- :mod:`bot.state.requests`: the bot's change requests, and ignored fixes.
- :mod:`bot.state.leases`: named locks with an expiry (``acquire``/``renew``/``release``).
- :mod:`bot.state.execution`: ``guarded_run``, one target under its lease, recorded in ``runs``.
- :mod:`bot.state.cache`: the registry's TTL cache in the database.
"""
