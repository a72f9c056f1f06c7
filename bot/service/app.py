"""The service: the state database, the scheduler, the web app and chat, wired together.

:func:`create_service` builds everything from a :class:`~bot.settings.config.Config` and does
nothing else; :meth:`Service.start` migrates the database and starts the scheduler,
:meth:`Service.stop` stops it (running jobs finish, leases are released). The web app
(:meth:`Service.app`) is served by the caller (``dockmend serve``, or a test).

Every run goes through :meth:`Service.run_target`: one target through
:func:`bot.engine.run.execute`, the same code as ``dockmend run``, and its repositories and
requests are recorded (:mod:`bot.service.record`) and counted in :attr:`Service.metrics`.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from bot.engine import run as runner
from bot.engine.options import RunOptions
from bot.engine.report import PlainReporter
from bot.errors import DockmendError
from bot.platforms import build_platform
from bot.platforms.base import Platform
from bot.runid import new_run_id
from bot.service.adapters import ChatBridge, StoreViews
from bot.service.record import recorded_run
from bot.service.scheduler import LOCAL, ScheduledTarget, Scheduler, SchedulerSettings, create_scheduler
from bot.service.web.app import create_app
from bot.service.web.metrics import Metrics
from bot.settings.config import Config
from bot.settings.web import ServiceSettings
from bot.state import db, leases, store
from bot.state.execution import RunRequest, guarded_run
from bot.state.requests import ignored_codes
from bot.state.store import RunCounts

log = logging.getLogger(__name__)

DIGEST_CRON = {"day_of_week": "mon", "hour": 7, "minute": 0}  # UTC, after the default Monday 06:00 runs
DRY_RUN_TEXT = 3000  # characters of diff a chat dry run answers with


class Service:
    """Create with :func:`create_service`."""

    def __init__(
        self,
        cfg: Config,
        env: Mapping[str, str],
        settings: ServiceSettings,
        platforms: Mapping[str, Platform],
        database_url: str,
        *,
        offline: bool = False,
        holder: str | None = None,
    ) -> None:
        self.cfg, self.env, self.settings, self.offline = cfg, env, settings, offline
        self.platforms = dict(platforms)
        self.stopping = threading.Event()  # set by stop(): runs begin no new repository
        self.metrics = Metrics()
        for name, platform in self.platforms.items():
            platform.listen(self.metrics.api_listener(name))
        self.engine = db.create_engine(database_url)
        self.sessions = db.session_factory(self.engine)
        self.target_platforms = {t.name: t.target.platform for t in cfg.targets}
        scheduled = [ScheduledTarget(t.name, t.schedule.cron, t.schedule.timezone) for t in cfg.targets]
        self.scheduler: Scheduler = create_scheduler(
            SchedulerSettings(database_url, scheduled, holder=holder), self.run_target, engine=self.engine
        )
        self.views = StoreViews(self.engine, self.sessions, self.scheduler, cfg.targets)
        self.chat = ChatBridge(self.sessions, self.scheduler, cfg.targets, self.run_repository, self.dry_run)

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Migrate the database, synchronise the jobs and let them fire."""
        db.migrate(self.engine)
        result = self.scheduler.start()
        log.info("jobs added %s, changed %s, removed %s", result.added, result.changed, result.removed)
        if self._digests_configured():
            self.scheduler.aps.add_job(self.post_digests, "cron", jobstore=LOCAL, id="digest", **DIGEST_CRON)

    def stop(self) -> None:
        """Stop firing; a running target finishes the repositories it has begun and leaves
        the others for the next run; then this process's leases are released."""
        self.stopping.set()
        self.scheduler.shutdown(wait=True)
        self.engine.dispose()

    def app(self) -> FastAPI:
        """The web app (health, metrics, dashboard, API, chat); refuses a secret-less endpoint."""
        chat_on = self.settings.chat.slack is not None or self.settings.chat.mattermost is not None
        return create_app(self.settings, self.views, chat=self.chat if chat_on else None, metrics=self.metrics)

    # -- runs ----------------------------------------------------------------------------

    def run_target(self, target: str, run_id: str) -> RunCounts:
        """The scheduler's run function: one target, recorded."""
        return self._run(target, run_id, None)

    def run_repository(self, target: str, repo: str, who: str) -> str:
        """A chat ``scan owner/repo``: one repository of ``target``, under the target's lease; the run id."""
        request = RunRequest(target, "chat", who, new_run_id())
        result = guarded_run(self.sessions, request, lambda t, r: self._run(t, r, repo), holder=self.scheduler.holder)
        if result.outcome == "skipped":
            raise DockmendError(f"target {target!r} is running already; try again when it has finished")
        return result.run_id

    def dry_run(self, target: str, repo: str) -> str:
        """What a run would change in ``repo``: the diffs, shortened; writes nothing anywhere."""
        options = RunOptions(
            dry_run=True, target=target, repo=repo, offline=self.offline, ignored=ignored_codes(self.sessions)
        )
        out, err = io.StringIO(), io.StringIO()
        summary = runner.execute(
            self.cfg, options, out, err, self.env, platforms=self._platforms(target), reporter=PlainReporter(out, err)
        )
        if not summary.results:
            return f"{repo}: not found in target {target}."
        text = out.getvalue().strip()
        if len(text) > DRY_RUN_TEXT:
            text = text[:DRY_RUN_TEXT].rstrip() + "\n… (shortened)"
        return f"{summary.line()}\n```\n{text}\n```" if text else summary.line()

    def _run(self, target: str, run_id: str, repo: str | None) -> RunCounts:
        started = time.monotonic()
        trigger, outcome = self._trigger(run_id), "failed"
        try:
            counts = recorded_run(
                self.cfg, self.sessions, target, run_id, repo=repo, offline=self.offline, stop=self.stopping,
                platforms=self._platforms(target), env=self.env, metrics=self.metrics,
            )  # fmt: skip
            outcome = "partial" if counts.repositories_failed else "ok"
            return counts
        finally:
            self.metrics.run_finished(outcome, time.monotonic() - started, trigger)

    def _trigger(self, run_id: str) -> str:
        with self.sessions() as session:
            run = store.get_run(session, run_id)
            return run.trigger if run is not None else "schedule"

    def _platforms(self, target: str) -> dict[str, Platform]:
        names = {t.target.platform for t in self.cfg.targets if t.name == target}
        for name in names - self.platforms.keys():
            self.platforms[name] = build_platform(self.cfg.platforms[name], self.env)
            self.platforms[name].listen(self.metrics.api_listener(name))
        return {name: self.platforms[name] for name in names}

    # -- the weekly digest -----------------------------------------------------------------

    def _digests_configured(self) -> bool:
        sections = [s for s in (self.settings.chat.slack, self.settings.chat.mattermost) if s is not None]
        return any(t.digest_webhook is not None for s in sections for t in s.targets.values())

    def post_digests(self, now: datetime | None = None) -> list[str]:
        """Post each target's weekly digest once per week, whichever replica gets there first."""
        from bot.service.chat.replies import post_digests

        moment = now or datetime.now(UTC)
        week = moment.isocalendar()
        with self.sessions() as session:
            if not leases.acquire(session, f"digest:{week.year}-W{week.week:02d}", self.scheduler.holder, 8 * 86400):
                return []
        since = moment - timedelta(days=7)
        return post_digests(self.settings.chat, [r for r in self.views.open_requests() if r.opened_at >= since], since)


def create_service(
    cfg: Config,
    env: Mapping[str, str],
    *,
    platforms: Mapping[str, Platform] | None = None,
    offline: bool = False,
    holder: str | None = None,
) -> Service:
    """The service for ``cfg``; nothing is opened or started until :meth:`Service.start`.

    ``platforms`` replaces the ones the configuration would build (tests pass unthrottled
    ones); ``offline`` runs without a registry (the base-image fixers do nothing)."""
    settings = cfg.service_settings(env)
    return Service(cfg, env, settings, platforms or {}, cfg.database_url(env), offline=offline, holder=holder)
