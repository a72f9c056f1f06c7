"""A signed Slack ``scan`` through the whole service: acknowledged at once, the run recorded,
the result posted to the response URL; a bad signature runs nothing."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from bot.service.app import create_service
from bot.settings import config
from bot.state import store
from tests.checkouts import checkout
from tests.service.chat.test_endpoints import slack_form, slack_headers
from tests.service.web.serving import Recorder

SECRET = "slack-signing-secret-for-the-service-test"
NEEDS_FIXES = {"Dockerfile": "FROM alpine:3.20\nRUN apk add curl\n"}


def test_a_signed_slack_scan_runs_the_target_and_posts_the_result(tmp_path: Path) -> None:
    checkout(tmp_path / "co", "api", NEEDS_FIXES)
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        "platforms:\n  here: {type: local, path: co}\ntargets:\n  - {name: mine, platform: here}\n"
        "chat:\n  slack: {signing_secret: ${SLACK_SIGNING_SECRET}, allowed_users: [U123]}\n"
        "web: {listen: 127.0.0.1:8080, api_token: ${DOCKMEND_API_TOKEN}}\n"
    )
    env = {
        "SLACK_SIGNING_SECRET": SECRET,
        "DOCKMEND_API_TOKEN": "service-chat-token-0123456789",
        "DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    service = create_service(config.load(path), env, offline=True)
    service.start()
    try:
        with Recorder() as hook, TestClient(service.app()) as web:
            forged = slack_form("scan mine", f"{hook.url}/commands/T1/1/x")
            refused = web.post("/chat/slack", content=forged, headers=slack_headers(forged, secret="wrong" * 8))
            assert refused.status_code == 401
            assert hook.empty_for(0.5)

            body = slack_form("scan mine", f"{hook.url}/commands/T1/1/y")
            started = time.monotonic()
            answer = web.post("/chat/slack", content=body, headers=slack_headers(body, secret=SECRET))
            assert answer.status_code == 200 and time.monotonic() - started < 3.0
            texts = [hook.next(60)[1]["text"] for _ in range(2)]
        assert texts[0] == "slack:alice started a scan of mine."
        with service.sessions() as session:
            (run,) = store.recent_runs(session)
        assert (run.trigger, run.requested_by, run.outcome) == ("chat", "slack:alice", "ok")
        assert texts[1].startswith(f"Run {run.id} (mine) finished.")
    finally:
        service.stop()
