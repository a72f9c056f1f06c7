"""Acceptance: two real ``dockmend serve`` processes on one PostgreSQL database run a
scheduled target once, not twice.

Both processes start from the same configuration (only the web port differs) with a
cron a few seconds ahead, against the GitHub emulator holding the integration estate.
The file itself switches PyGithub's pauses off (``seconds_between_requests: 0``) and
ignores the fixers that need a registry, so the processes need nothing but the file.
Once a run is recorded both get SIGTERM (a running target finishes first): both exit 0,
one run is in the database, each fixable repository got one pull request, and no
target lease is left behind."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from bot.state import store
from bot.state.db import create_engine as state_engine
from bot.state.db import session_factory
from bot.state.leases import target_lease
from bot.state.models import Lease
from tests.integration import estate
from tests.integration.forges import GITHUB_TOKEN, GitHub
from tests.registry.servers import free_port

AHEAD = timedelta(seconds=30)  # room for two processes to start, migrate and be ready on a busy machine
WAIT = 120.0  # seconds: an upper bound, not a pace
API_TOKEN = "two-serve-test-token-0123456789"
_databases = itertools.count()


@pytest.fixture
def database(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database: the two processes migrate it as they start."""
    name = f"two_serve_{os.getpid()}_{next(_databases)}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{postgres_server}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _config(forge: GitHub, folder: Path, fire: datetime, port: int) -> Path:
    cron = f"{fire.second} {fire.minute} {fire.hour} {fire.day} {fire.month} *"
    folder.mkdir()
    path = folder / "dockmend.yaml"
    path.write_text(
        "platforms:\n"
        f"  gh: {{type: github, url: {forge.em.url}, token: ${{GITHUB_TOKEN}},\n"
        "       seconds_between_requests: 0, seconds_between_writes: 0}\n"
        "fixers: {ignore: [DM101, DM102, DM207]}\n"  # no registry here
        "targets:\n"
        f"  - name: acme\n    platform: gh\n    owner: {estate.OWNER}\n    max_requests: 50\n    onboarding: false\n"
        f'    schedule: {{cron: "{cron}", timezone: UTC}}\n'
        f"web: {{listen: 127.0.0.1:{port}, api_token: ${{DOCKMEND_API_TOKEN}}}}\n"
    )
    return path


def _serve(path: Path, database: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "DOCKMEND_API_TOKEN": API_TOKEN,
        "DOCKMEND_DATABASE_URL": database,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),  # this tree's code, whatever is installed
    }
    command = [sys.executable, "-m", "bot", "serve", "--config", str(path), "--log-format", "json"]
    return subprocess.Popen(command, env=env, cwd=path.parent, stderr=subprocess.PIPE, text=True)


def _ready(port: int, process: subprocess.Popen[str], deadline: float) -> bool:
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def _finished_runs(database: str, deadline: float) -> None:
    engine = state_engine(database)
    sessions = session_factory(engine)
    try:
        while time.monotonic() < deadline:
            with sessions() as session:
                runs = store.recent_runs(session)
            if runs and all(r.outcome is not None for r in runs):
                return
            time.sleep(0.2)
    finally:
        engine.dispose()


def _stop(process: subprocess.Popen[str]) -> tuple[int, list[dict[str, object]]]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return process.returncode, [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_two_serve_processes_run_a_scheduled_target_once(forge: GitHub, tmp_path: Path, database: str) -> None:
    fire = datetime.now(UTC).replace(microsecond=0) + AHEAD
    ports = [free_port(), free_port()]
    processes = [_serve(_config(forge, tmp_path / f"replica-{n}", fire, p), database) for n, p in enumerate(ports)]
    try:
        deadline = time.monotonic() + AHEAD.total_seconds() - 1
        assert all(_ready(port, process, deadline) for port, process in zip(ports, processes, strict=True)), (
            "a replica was not ready before the target's time"
        )
        _finished_runs(database, time.monotonic() + WAIT)
        calls = sum(_api_calls(port) for port in ports)
    finally:
        stopped = [_stop(process) for process in processes]
    assert [code for code, _ in stopped] == [0, 0], [line for _, log in stopped for line in log[-5:]]
    ran = [line for _, log in stopped for line in log if str(line.get("message", "")).startswith("run ")]
    assert len(ran) == 1  # one replica ran the target; the other lost the slot or saw it done

    engine = state_engine(database)
    with session_factory(engine)() as session:
        runs = store.recent_runs(session)
        target_leases = session.scalars(select(Lease).where(Lease.name.startswith(target_lease("")))).all()
    engine.dispose()
    assert [(r.target, r.trigger, r.outcome) for r in runs] == [("acme", "schedule", "ok")]
    assert target_leases == []

    assert calls == len(forge.em.requests)  # every API call counted, by the replica that made it
    pulls = [path for method, path, status in forge.em.requests if method == "POST" and path.endswith("/pulls")]
    fixable = {estate.github_name(p) for p in estate.fixable("github")}
    assert runs[0].requests_opened == len(pulls) == len(fixable)
    assert sorted(path.removeprefix("/api/v3/repos/").removesuffix("/pulls") for path in pulls) == sorted(fixable)


def _api_calls(port: int) -> float:
    """The replica's API calls, all answer classes, from its /metrics."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {API_TOKEN}"}).text
    lines = [line for line in text.splitlines() if line.startswith("dockmend_api_calls_total{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)
