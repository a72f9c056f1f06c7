"""Acceptance: the service on the GitHub emulator, on SQLite and on PostgreSQL.

A target's cron is set a few seconds ahead (six fields, seconds first, this very date so
that it fires once); the service fires it, opens the estate's requests, records the run,
and shows it on ``/metrics`` and the dashboard. A restart keeps the job and its next
run time; two services on one database run the scheduled target once.

Platforms are built unthrottled from the same configuration (``platforms=``), as in
``tests/integration``: the production GitHub throttle cannot be turned off from the file.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from fastapi.testclient import TestClient

from bot.platforms import build_platform
from bot.platforms.base import Platform
from bot.service.app import Service, create_service
from bot.service.scheduler import job_id
from bot.settings import config
from bot.state import findings, requests, store
from tests.integration import estate
from tests.integration.forges import GITHUB_TOKEN, GitHub

TOKEN = "service-test-token-0123456789abcdef"
AHEAD = timedelta(seconds=4)  # room for migrating and starting before the job fires
WAIT = 120.0  # seconds: an upper bound, not a pace


def _config(forge: GitHub, tmp: Path, fire: datetime) -> Path:
    cron = f"{fire.second} {fire.minute} {fire.hour} {fire.day} {fire.month} *"
    path = tmp / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gh: {{type: github, url: {forge.em.url}, token: ${{GITHUB_TOKEN}}}}\n"
        "targets:\n"
        f"  - name: acme\n    platform: gh\n    owner: {estate.OWNER}\n    max_requests: 50\n    onboarding: false\n"
        f'    schedule: {{cron: "{cron}", timezone: UTC}}\n'
        "web: {listen: 127.0.0.1:8080, api_token: ${DOCKMEND_API_TOKEN}}\n"
    )
    return path


def _service(forge: GitHub, path: Path, url: str) -> Service:
    cfg = config.load(path)
    env = {"GITHUB_TOKEN": GITHUB_TOKEN, "DOCKMEND_API_TOKEN": TOKEN, "DOCKMEND_DATABASE_URL": url}
    builders = forge.builders()
    platforms: dict[str, Platform] = {
        name: build_platform(s, env, builders=builders) for name, s in cfg.platforms.items()
    }
    return create_service(cfg, env, platforms=platforms, offline=True)


def _fired(service: Service) -> threading.Event:
    """Set when the target's scheduled job has run in this service (won or lost the slot)."""
    done = threading.Event()

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id == job_id("acme"):
            done.set()

    service.scheduler.aps.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return done


def _created_pulls(forge: GitHub) -> list[str]:
    return [path for method, path, status in forge.em.requests if method == "POST" and path.endswith("/pulls")]


def _fixable() -> set[str]:
    return {estate.github_name(p) for p in estate.fixable("github")}


def test_a_scheduled_run_opens_requests_is_shown_and_survives_a_restart(
    forge: GitHub, tmp_path: Path, migrated_url: str
) -> None:
    path = _config(forge, tmp_path, datetime.now(UTC) + AHEAD)
    service = _service(forge, path, migrated_url)
    fired = _fired(service)
    service.start()
    try:
        assert fired.wait(WAIT), "the scheduled job did not fire"
        with service.sessions() as session:
            (run,) = store.recent_runs(session)
            opened = requests.open_requests(session)
            found = findings.run_findings(session, run.id)
            fixes_total = run.fixes
        assert (run.target, run.trigger, run.outcome) == ("acme", "schedule", "ok")
        assert run.requests_opened == len(_fixable()) == len(_created_pulls(forge))
        assert {r.repository.full_name for r in opened} == _fixable()
        pulls = {name: state.requests[0] for name, state in forge.snapshot().items() if state.requests}
        assert {(r.repository.full_name, r.number, r.title) for r in opened} == {
            (name, pull.number, pull.title) for name, pull in pulls.items()
        }
        assert all(requests.codes_of(r) and r.fingerprint and r.target == "acme" for r in opened)

        with TestClient(service.app()) as web:
            assert web.get("/readyz").status_code == 200
            metrics = web.get("/metrics").text
            assert 'dockmend_runs_total{outcome="ok",trigger="schedule"} 1.0' in metrics
            assert f'dockmend_requests_total{{action="opened",platform="gh"}} {float(len(_fixable()))}' in metrics
            assert web.get("/", follow_redirects=False).status_code in (302, 303, 401)
            page = web.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).text
            assert run.id in page
            assert all(r.url in page for r in opened)
            assert found and {f.repository.full_name for f in found} <= {p for p in forge.snapshot()}
            assert found[0].code in page
            fixed = re.findall(r'^dockmend_fixes_total\{code="DM\d+"\} (\d+)\.0$', metrics, re.M)
            assert sum(int(n) for n in fixed) == fixes_total > 0
        (before,) = service.scheduler.next_runs()
    finally:
        service.stop()
    assert before.at is not None and before.at > datetime.now(UTC)  # next year's date

    again = _service(forge, path, migrated_url)
    again.start()
    try:
        assert again.scheduler.next_runs() == [before]
        assert again.scheduler.aps.get_job(job_id("acme")) is not None
    finally:
        again.stop()


def test_two_services_on_one_database_run_a_scheduled_target_once(
    forge: GitHub, tmp_path: Path, migrated_url: str
) -> None:
    path = _config(forge, tmp_path, datetime.now(UTC) + AHEAD)
    services = [_service(forge, path, migrated_url) for _ in range(2)]
    fired = [_fired(service) for service in services]
    for service in services:
        service.start()
    try:
        for event in fired:
            assert event.wait(WAIT), "a replica's job did not fire"
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:  # the winner may still be recording
            with services[0].sessions() as session:
                runs = store.recent_runs(session)
            if runs and all(r.outcome is not None for r in runs):
                break
            time.sleep(0.1)
    finally:
        for service in services:
            service.stop()
    assert [(r.trigger, r.outcome) for r in runs] == [("schedule", "ok")]
    assert len(_created_pulls(forge)) == len(_fixable())
