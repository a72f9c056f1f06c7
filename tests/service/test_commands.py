"""``dockmend run`` records its runs, ``dockmend status`` shows them, ``dockmend serve``
refuses to start without its secrets; the service's chat actions and JSON logs."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import serve as servecmd
from bot.cli.app import app
from bot.cli.serve import JsonFormatter
from bot.engine.report import OK, RepoResult, RunSummary
from bot.service.app import create_service
from bot.service.record import record_summary
from bot.settings import config
from bot.state import db, requests, store
from tests.checkouts import checkout
from tests.registry.servers import free_port

runner = CliRunner()
NEEDS_FIXES = {"Dockerfile": "FROM alpine:3.20\nRUN apk add curl\n"}


def _config(tmp: Path, extra: str = "") -> Path:
    checkout(tmp / "co", "api", NEEDS_FIXES, origin="git@github.com:acme/api.git")
    path = tmp / "dockmend.yaml"
    path.write_text(
        "platforms:\n  here: {type: local, path: co}\n"
        'targets:\n  - {name: mine, platform: here, schedule: {cron: "0 6 * * mon", timezone: UTC}}\n' + extra
    )
    return path


def _runs(url: str) -> list[tuple[str, str, str | None]]:
    engine, sessions = db.open_database(url)
    with sessions() as session:
        found = [(r.target, r.trigger, r.outcome) for r in store.recent_runs(session)]
    engine.dispose()
    return found


def test_run_records_the_run_and_status_shows_it(tmp_path: Path) -> None:
    path, url = _config(tmp_path), f"sqlite:///{tmp_path / 'state.db'}"
    env = {"DOCKMEND_DATABASE_URL": url}
    result = runner.invoke(app, ["run", "--config", str(path), "--offline"], env=env)
    assert result.exit_code == 0, result.stderr
    assert _runs(url) == [("mine", "cli", "ok")]
    shown = runner.invoke(app, ["status", "--config", str(path)], env=env)
    assert shown.exit_code == 0, shown.stderr
    assert "Recent runs:" in shown.stdout and " mine  cli  ok " in shown.stdout
    assert "No scheduled runs" in shown.stdout  # no `serve` has stored the jobs yet


def test_a_code_ignored_from_chat_is_not_proposed(tmp_path: Path) -> None:
    # without DM104, api's fixes are labels only: allowed to open a request by themselves here
    path, url = _config(tmp_path, "labels: {alone: true}\n"), f"sqlite:///{tmp_path / 'state.db'}"
    engine, sessions = db.open_database(url)
    with sessions.begin() as session:
        requests.ignore_fix(session, "api", "DM104", "alice")
    engine.dispose()
    result = runner.invoke(app, ["run", "--config", str(path), "--offline"], env={"DOCKMEND_DATABASE_URL": url})
    assert result.exit_code == 0, result.stderr
    body = (tmp_path / "co" / "api" / ".git" / "dockmend" / "REQUEST.md").read_text()
    assert "DM105 add-labels" in body and "DM104" not in body


def test_a_fix_asked_for_again_in_the_status_issue_is_forgotten_by_the_store(tmp_path: Path) -> None:
    engine, sessions = db.open_database(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with sessions.begin() as session:
            requests.ignore_fix(session, "acme/api", "DM104", "alice")
            requests.ignore_fix(session, "acme/api", "DM106", "alice")
            store.start_run(session, "mine", "cli", run_id="run-1")
        summary = RunSummary("run-1", results=[RepoResult("mine", "acme/api", OK, unignored=("DM104",))])
        record_summary(sessions, summary, {"mine": "gh"})
        assert requests.ignored_codes(sessions)("acme/api") == {"DM106"}
        dry = RunSummary("run-2", dry_run=True, results=[RepoResult("mine", "acme/api", OK, unignored=("DM106",))])
        record_summary(sessions, dry, {"mine": "gh"})  # a dry run records nothing
        assert requests.ignored_codes(sessions)("acme/api") == {"DM106"}
    finally:
        engine.dispose()


def test_a_dry_run_writes_nothing_to_the_database(tmp_path: Path) -> None:
    path, state = _config(tmp_path), tmp_path / "state.db"
    result = runner.invoke(
        app,
        ["run", "--config", str(path), "--offline", "--dry-run"],
        env={"DOCKMEND_DATABASE_URL": f"sqlite:///{state}"},
    )
    assert result.exit_code == 0, result.stderr
    assert not state.exists()


def test_serve_refuses_to_start_without_the_api_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servecmd, "configure_logging", lambda *_: None)  # the root logger is the test process's
    path = _config(tmp_path, "web: {listen: 127.0.0.1:8080, api_token: ${DOCKMEND_API_TOKEN}}\n")
    env = {"DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}", "DOCKMEND_API_TOKEN": ""}
    result = runner.invoke(app, ["serve", "--config", str(path)], env=env)
    assert result.exit_code == 2
    assert "web.api_token" in result.stderr
    assert not (tmp_path / "state.db").exists()  # refused before anything started


def test_json_log_lines() -> None:
    record = logging.LogRecord("dockmend", logging.INFO, __file__, 1, "run %s done", ("r1",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "run r1 done"


def test_chat_actions_over_the_store(tmp_path: Path) -> None:
    path = _config(tmp_path)
    env = {"DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    service = create_service(config.load(path), env, offline=True)
    service.start()
    try:
        chat = service.chat
        assert chat.target_for("mine") == "mine"
        assert chat.status(None) == "No runs yet."
        preview = chat.dry_run("api")
        assert "dry run" in preview and "Dockerfile" in preview
        assert _runs(env["DOCKMEND_DATABASE_URL"]) == []  # a dry run writes nothing
        assert chat.ignore("acme/api", "DM103", "slack:alice") == "DM103 is now ignored for acme/api."
        assert "already" in chat.ignore("acme/api", "DM103", "slack:alice")
        run_id = chat.start_scan("mine", "slack:alice")
        assert run_id in chat.status(run_id) and "(chat): ok" in chat.status(run_id)
        one = chat.start_scan("api", "slack:alice")  # one repository of the target, under its lease
        assert one != run_id and "(chat): ok; 1 scanned" in chat.status(one)
        assert dict(service.views.readiness()) == {"database": True, "scheduler": True}
        assert [n.target for n in service.views.next_runs()] == ["mine"]
    finally:
        service.stop()


def test_serve_answers_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    token = "serve-test-token-0123456789"
    path = _config(tmp_path, f"web: {{listen: 127.0.0.1:{port}, api_token: ${{DOCKMEND_API_TOKEN}}}}\n")
    env = {**os.environ, "DOCKMEND_API_TOKEN": token, "DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    command = [sys.executable, "-m", "bot", "serve", "--config", str(path), "--log-format", "json"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline, ready = time.monotonic() + 60, None
        while ready is None and time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.1)
        assert ready == {"ready": True, "checks": {"database": True, "scheduler": True}}
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(entry["message"] == "Scheduler has been shut down" for entry in logged)
