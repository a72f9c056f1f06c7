"""The chat endpoints end to end: signed form posts in, replies to a response URL out."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier

from bot.service.web.metrics import Metrics
from tests.service.chat.fakes import FakeActions
from tests.service.web.apps import MM_TOKEN, MM_USER, SLACK_SECRET, app
from tests.service.web.serving import Recorder, serve

FORM = "application/x-www-form-urlencoded"


def slack_form(text: str, response_url: str, user: str = "U123", channel: str = "C123") -> bytes:
    fields = {
        "token": "deprecated-verification-token", "team_id": "T1", "team_domain": "acme", "channel_id": channel,
        "channel_name": "platform", "user_id": user, "user_name": "alice", "command": "/dockmend", "text": text,
        "api_app_id": "A1", "response_url": response_url, "trigger_id": "1.2.3",
    }  # fmt: skip
    return urlencode(fields).encode()


def slack_headers(body: bytes, timestamp: int | None = None, secret: str = SLACK_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def mattermost_form(text: str, response_url: str, token: str = MM_TOKEN, user: str = MM_USER) -> bytes:
    fields = {
        "channel_id": "ch1", "channel_name": "town-square", "command": "/dockmend", "response_url": response_url,
        "team_domain": "acme", "team_id": "t1", "text": text, "token": token, "trigger_id": "x", "user_id": user,
        "user_name": "alice",
    }  # fmt: skip
    return urlencode(fields).encode()


def test_a_signed_slack_scan_is_acknowledged_within_3_seconds_and_answered_later() -> None:
    """Acceptance: 200 in < 3 s from a real server while the scan itself takes longer."""
    actions = FakeActions(scan_seconds=3.5)
    with Recorder() as hook, serve(app(actions=actions)) as base:
        body = slack_form("scan acme/app", f"{hook.url}/commands/T1/1/x")
        started = time.monotonic()
        response = httpx.post(f"{base}/chat/slack", content=body, headers=slack_headers(body), timeout=10)
        elapsed = time.monotonic() - started
        assert response.status_code == 200 and elapsed < 3.0
        assert response.json() == {
            "response_type": "ephemeral",
            "text": "Scanning acme/app; I'll post the result here when the run is done.",
        }
        assert not actions.done.is_set()  # still running: the answer did not wait for it
        progress = hook.next()[1]
        assert (
            progress["response_type"] == "in_channel" and progress["text"] == "slack:alice started a scan of acme/app."
        )
        path, result = hook.next(timeout=15)
    assert path == "/commands/T1/1/x" and result["response_type"] == "in_channel"
    assert result["text"].startswith("Run run-7 (acme/app) finished.\nrun-7: ok, 1 request opened: https://")
    assert actions.calls[:2] == [("scan", "acme/app", "slack:alice"), ("status", "run-7")]


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("bad signature", 401),
        ("stale timestamp", 401),
        ("future timestamp", 401),
        ("no signature", 401),
        ("unknown user", 200),
        ("unknown channel", 200),
    ],
)
def test_refused_slack_commands_run_nothing(case: str, status: int) -> None:
    actions = FakeActions()
    web = TestClient(app(actions=actions))
    with Recorder() as hook:
        user, channel = {"unknown user": ("U999", "C123"), "unknown channel": ("U123", "C999")}.get(
            case, ("U123", "C123")
        )
        body = slack_form("scan acme", hook.url, user, channel)
        headers = {
            "bad signature": slack_headers(body, secret="not-the-secret"),
            "stale timestamp": slack_headers(body, int(time.time()) - 6 * 60),
            "future timestamp": slack_headers(body, int(time.time()) + 10 * 60),
            "no signature": {"Content-Type": FORM},
        }.get(case) or slack_headers(body)
        response = web.post("/chat/slack", content=body, headers=headers)
        assert response.status_code == status
        if status == 200:
            assert response.json()["text"].startswith("Sorry, you are not allowed")
        assert hook.empty_for(0.3)
    assert actions.calls == []


def test_a_signature_over_other_bytes_is_refused() -> None:
    """The signature covers the raw body: re-encoding the same fields differently breaks it."""
    actions = FakeActions()
    body = slack_form("scan acme", "http://127.0.0.1:9/x")
    reordered = b"&".join(reversed(body.split(b"&")))
    response = TestClient(app(actions=actions)).post("/chat/slack", content=reordered, headers=slack_headers(body))
    assert response.status_code == 401 and actions.calls == []


def test_slack_help_answers_inline_and_counts() -> None:
    metrics = Metrics()
    web = TestClient(app(actions=FakeActions(), metrics=metrics))
    body = slack_form("help", "http://127.0.0.1:9/x")
    reply = web.post("/chat/slack", content=body, headers=slack_headers(body)).json()
    assert reply["response_type"] == "ephemeral" and "`scan <target|owner/repo>`" in reply["text"]
    assert 'dockmend_chat_commands_total{command="help",platform="slack"} 1.0' in metrics.exposition()[0].decode()


def test_a_huge_body_is_refused() -> None:
    body = slack_form("scan acme", "http://x/" + "a" * 70_000)
    response = TestClient(app(actions=FakeActions())).post("/chat/slack", content=body, headers=slack_headers(body))
    assert response.status_code == 413


def test_mattermost_with_the_right_token() -> None:
    actions = FakeActions()
    with Recorder() as hook:
        web = TestClient(app(actions=actions))
        reply = web.post(
            "/chat/mattermost",
            content=mattermost_form("dry-run acme/app", hook.url + "/r"),
            headers={"Content-Type": FORM},
        )
        assert reply.status_code == 200 and reply.json()["text"].startswith("Dry run of acme/app started")
        path, body = hook.next()
    assert path == "/r" and body == {
        "response_type": "ephemeral",
        "text": "acme/app: 2 fixes would change Dockerfile (DM101, DM104)",
    }
    assert actions.calls == [("dry-run", "acme/app")]


@pytest.mark.parametrize(
    ("token", "user", "status"),
    [("wrong-token", MM_USER, 401), ("", MM_USER, 401), (MM_TOKEN, "o3zcjbt9tbdg5e7rj9pxkbyc4w", 200)],
)
def test_mattermost_refusals_run_nothing(token: str, user: str, status: int) -> None:
    actions = FakeActions()
    with Recorder() as hook:
        web = TestClient(app(actions=actions))
        reply = web.post(
            "/chat/mattermost",
            content=mattermost_form("scan acme", hook.url, token, user),
            headers={"Content-Type": FORM},
        )
        assert reply.status_code == status
        assert hook.empty_for(0.3)
    assert actions.calls == []


def test_mattermost_token_in_the_authorization_header() -> None:
    actions = FakeActions()
    with Recorder() as hook:
        body = mattermost_form("status", hook.url, token="")
        headers = {"Content-Type": FORM, "Authorization": f"Token {MM_TOKEN}"}
        assert (
            TestClient(app(actions=actions)).post("/chat/mattermost", content=body, headers=headers).status_code == 200
        )
        assert hook.next()[1]["text"].startswith("latest: ok")


def test_without_a_response_url_nothing_runs() -> None:
    actions = FakeActions()
    reply = TestClient(app(actions=actions)).post(
        "/chat/mattermost", content=mattermost_form("scan acme", ""), headers={"Content-Type": FORM}
    )
    assert "without a response URL" in reply.json()["text"] and actions.calls == []


def test_chat_routes_exist_only_when_configured() -> None:
    web = TestClient(app())
    assert web.post("/chat/slack", content=b"").status_code == 404
    assert web.post("/chat/mattermost", content=b"").status_code == 404
