"""The runner's :class:`~bot.engine.rescan.Memory` in the state database (table ``repositories``
and its ``base_images``, which hold the registry look-ups of the last completed scan).

Scans are remembered at the end of the run, in the transaction that records the run's
requests (:func:`bot.service.record.record_summary`), so that the database never says
"nothing to do here" about a repository whose request it has not recorded.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.engine.rescan import Seen
from bot.platforms.base import Repo
from bot.state import store

log = logging.getLogger(__name__)
MAX_LOOKUP = 500  # the column's width: a longer look-up is not remembered, so never skipped


class StateMemory:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()
        self._pending: list[tuple[Repo, Seen, str | None]] = []
        self._known: dict[str, dict[str, Seen]] = {}  # platform -> full name -> the last scan

    def seen(self, repo: Repo) -> Seen | None:
        """From one query per platform and run (a rescan of thousands of repositories
        must not ask the database thousands of times)."""
        with self._lock:
            known = self._known.get(repo.platform)
            if known is None:
                known = self._known[repo.platform] = self._load(repo.platform)
        return known.get(repo.full_name)

    def _load(self, platform: str) -> dict[str, Seen]:
        try:
            with self.sessions() as session:
                rows = store.repositories(session, platform=platform, with_images=True)
                return {
                    row.full_name: Seen(row.marker, row.scan_key or "", {i.image: i.digest for i in row.base_images})
                    for row in rows
                    if row.marker is not None and row.last_scanned_at is not None
                }
        except SQLAlchemyError:
            log.warning("cannot read what the last run saw; scanning everything", exc_info=True)
            return {}

    def remember(self, repo: Repo, seen: Seen, head_sha: str | None) -> None:
        """Kept until :meth:`write`: a scan is remembered in the transaction that records the
        run's requests, never before (a run killed in between must scan the repository again,
        or the request it opened would never be recorded)."""
        if any(len(name) > MAX_LOOKUP for name in seen.lookups):
            return
        with self._lock:
            self._pending.append((repo, seen, head_sha))

    def write(self, session: Session) -> None:
        """Record the scans remembered so far, in the caller's transaction."""
        with self._lock:
            pending, self._pending = self._pending, []
            self._known.clear()  # read again after this write (a memory may serve several runs)
        for repo, seen, head_sha in pending:
            row = store.record_repository(
                session,
                repo,
                head_sha=head_sha,
                base_digests=seen.lookups,
                default_branch=repo.default_branch,
                url=repo.url,
                scan_key=seen.scan_key,
            )
            row.marker = seen.marker

    def flush(self) -> None:
        """:meth:`write` in a transaction of its own (callers that record nothing else)."""
        try:
            with self.sessions.begin() as session:
                self.write(session)
        except SQLAlchemyError:  # the next run scans them again: slower, never wrong
            log.warning("cannot record what the run scanned", exc_info=True)
