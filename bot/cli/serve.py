"""``dockmend serve``, ``dockmend status``, and ``dockmend run`` recorded in the state database.

``serve`` runs the scheduler, the web app and the chat endpoints in one process. On
SIGTERM or SIGINT uvicorn stops accepting connections and finishes the requests in
flight; then the scheduler shuts down, waiting for a running target to finish, and the
process's leases are released.

``run`` records each target's run (trigger ``cli``) under the target's lease, like a
scheduled run; ``run --dry-run`` writes nothing anywhere, the database included.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Mapping
from types import FrameType
from typing import TextIO

from bot.service.app import create_service
from bot.service.scheduler import next_runs
from bot.service.web.app import server
from bot.settings.config import Config
from bot.state import db, store

log = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _quiet(signum: int, frame: FrameType | None) -> None:
    """Uvicorn re-raises the signal that stopped it once it is done; we stop the rest then."""
    log.info("signal %s: shutting down", signum)


def serve(cfg: Config, env: Mapping[str, str]) -> None:
    """Run the service until SIGTERM or SIGINT; a DockmendError before anything started."""
    service = create_service(cfg, env)
    app = service.app()  # validates: no chat or API without its secret
    uv = server(app, service.settings.web)
    previous = {sig: signal.signal(sig, _quiet) for sig in (signal.SIGTERM, signal.SIGINT)}
    service.start()
    log.info("dockmend serving on http://%s:%s", service.settings.web.host, service.settings.web.port)
    try:
        uv.run()
    finally:
        log.info("stopping the scheduler; a running target finishes first")
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def status(cfg: Config, env: Mapping[str, str], out: TextIO, limit: int = 10) -> None:
    """Recent runs and the next scheduled runs, from the database."""
    engine, sessions = db.open_database(cfg.database_url(env))
    try:
        with sessions() as session:
            runs = store.recent_runs(session, limit)
            upcoming = next_runs(session)
    finally:
        engine.dispose()
    out.write("Recent runs:\n" if runs else "No runs yet.\n")
    for r in runs:
        ended = f"{r.finished_at:%Y-%m-%d %H:%M:%S}" if r.finished_at else "running"
        out.write(
            f"  {r.id}  {r.target}  {r.trigger}  {r.outcome or 'running'}  {r.started_at:%Y-%m-%d %H:%M:%S} → {ended}  "
            f"scanned {r.repositories_scanned}, failed {r.repositories_failed}, opened {r.requests_opened}, "
            f"updated {r.requests_updated}, closed {r.requests_closed}\n"
        )
    out.write("Next scheduled runs:\n" if upcoming else "No scheduled runs (is `dockmend serve` running?).\n")
    for n in upcoming:
        out.write(f"  {n.target}  {f'{n.at:%Y-%m-%d %H:%M:%S %Z}' if n.at else 'paused'}\n")
