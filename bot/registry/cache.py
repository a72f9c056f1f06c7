"""A persisted TTL cache for registry answers, in one small SQLite table.

Only answers that stay true for their TTL are kept: tag lists (a stale list at worst
misses a new tag) and what is addressed by digest (manifests and config blobs never
change). Which digest a tag points to is asked anew in every run, because a pin must
match what the file builds today. Keys hold registry URLs and repository names, never
credentials.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path

TAGS_TTL = 3600.0
IMMUTABLE_TTL = 30 * 24 * 3600.0


def default_path(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/dockmend/registry.sqlite3`` (``~/.cache/…`` by default)."""
    root = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "dockmend" / "registry.sqlite3"


class TTLCache:
    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # made by the run's main thread, used by its workers (RegistryClient serialises them)
        self.db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
        self.clock = clock
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS registry_cache"
            " (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)"
        )
        self.db.execute("DELETE FROM registry_cache WHERE expires < ?", (self.clock(),))

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value, expires FROM registry_cache WHERE key = ?", (key,)).fetchone()
        if row is None or row[1] < self.clock():
            return None
        return str(row[0])

    def put(self, key: str, value: str, ttl: float) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO registry_cache (key, value, expires) VALUES (?, ?, ?)",
            (key, value, self.clock() + ttl),
        )

    def close(self) -> None:
        self.db.close()
