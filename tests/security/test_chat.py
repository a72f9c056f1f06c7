"""Chat commands: a captured request replayed, a renamed user or channel, and a user
allowed one target asking for the status of another."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.errors import DockmendError
from bot.service.adapters import ChatBridge
from bot.service.chat import slack
from bot.service.chat.commands import Inbound, Policy, handle
from bot.settings import config
from bot.settings.secrets import Secret
from bot.settings.web import ChatSettings, MattermostSettings, SlackSettings, TargetChatSettings
from bot.state import db, store
from tests.service.chat.fakes import FakeActions
from tests.service.chat.test_endpoints import slack_form, slack_headers
from tests.service.web.apps import app
from tests.service.web.serving import Recorder

SECRET = Secret("a-signing-secret-for-the-replay-test")


def test_a_replayed_slack_request_is_refused_and_runs_nothing_twice() -> None:
    actions = FakeActions()
    with Recorder() as hook:
        web = TestClient(app(actions=actions))
        body = slack_form("scan acme/app", f"{hook.url}/r")
        headers = slack_headers(body)
        assert web.post("/chat/slack", content=body, headers=headers).status_code == 200
        actions.done.wait(5)
        replayed = web.post("/chat/slack", content=body, headers=headers)
        assert replayed.status_code == 401
    assert [c for c in actions.calls if c[0] == "scan"] == [("scan", "acme/app", "slack:alice")]


def test_replays_are_remembered_for_the_window_only_and_in_bounded_memory() -> None:
    now = [1_000_000.0]
    replays = slack.Replays(clock=lambda: now[0])
    assert replays.first_time("v0=a", 1_000_000) and not replays.first_time("v0=a", 1_000_000)
    now[0] += slack.MAX_AGE + slack.MAX_SKEW + 1  # the timestamp is stale now: verify() refuses it anyway
    assert replays.first_time("v0=b", int(now[0]))
    assert "v0=a" not in replays._seen
    for n in range(slack.MAX_REMEMBERED + 10):
        replays.first_time(f"v0={n}", int(now[0]))
    assert len(replays._seen) == slack.MAX_REMEMBERED


def test_verify_refuses_the_second_delivery_of_one_signature() -> None:
    body = b"text=status"
    ts = "1700000000"
    headers = {slack.TIMESTAMP_HEADER: ts, slack.SIGNATURE_HEADER: slack.signature(SECRET, ts, body)}
    replays = slack.Replays(clock=lambda: 1_700_000_010.0)
    slack.verify(SECRET, headers, body, now=1_700_000_010, replays=replays)
    with pytest.raises(slack.VerificationError, match="replayed request"):
        slack.verify(SECRET, headers, body, now=1_700_000_020, replays=replays)


@pytest.mark.parametrize(
    ("users", "channels", "inbound"),
    [
        (("alice",), (), Inbound("slack", "help", "U999", "alice", "C1", "general")),  # renamed to alice
        (("U1",), ("ops",), Inbound("slack", "help", "U1", "bob", "C999", "ops")),  # a channel renamed to ops
    ],
)
def test_a_name_never_admits(users: tuple[str, ...], channels: tuple[str, ...], inbound: Inbound) -> None:
    assert not handle(inbound, Policy.of(users, channels, {}), FakeActions()).allowed


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("slack: {signing_secret: ${S}, allowed_users: [alice]}",
         "3:49: chat.slack.allowed_users[0]: 'alice' is not a Slack member ID"),
        ("slack: {signing_secret: ${S}, allowed_users: [U1], allowed_channels: [general]}",
         "3:73: chat.slack.allowed_channels[0]: 'general' is not a Slack channel ID"),
        ("slack: {signing_secret: ${S}, targets: {acme: {allowed_users: ['@bob']}}}",
         "3:66: chat.slack.targets.acme.allowed_users[0]: '@bob' is not a Slack member ID"),
        ("mattermost: {token: ${S}, allowed_users: [alice]}",
         "3:45: chat.mattermost.allowed_users[0]: 'alice' is not a Mattermost user ID"),
    ],
)  # fmt: skip
def test_names_in_allow_lists_are_a_configuration_error(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(f"# chat by IDs\nchat:\n  {section}\n")
    with pytest.raises(DockmendError) as caught:
        config.load(path)
    assert f"{path}:{message}" in str(caught.value)
    assert "IDs only" in str(caught.value)


def test_settings_built_in_code_refuse_names_too() -> None:
    with pytest.raises(DockmendError, match=r"chat\.mattermost\.allowed_users: 'alice' is not a Mattermost user ID"):
        ChatSettings(mattermost=MattermostSettings(Secret("t0ken"), ("alice",))).validate()
    with pytest.raises(DockmendError, match=r"chat\.slack\.targets\.acme\.allowed_channels: 'ops'"):
        targets = {"acme": TargetChatSettings(allowed_channels=("ops",))}
        ChatSettings(SlackSettings(SECRET, ("U1",), targets=targets)).validate()


def test_status_passes_the_targets_the_caller_may_see() -> None:
    policy = Policy.of((), (), {"acme": TargetChatSettings(allowed_users=("U2",))})
    actions = FakeActions()
    decision = handle(Inbound("slack", "status", "U2", "", "C1"), policy, actions)
    assert decision.job is not None
    decision.job()
    assert actions.visible == [frozenset({"acme"})]
    everyone = Policy.of(("U1",), (), {})
    decision = handle(Inbound("slack", "status", "U1", "", "C1"), everyone, actions)
    assert decision.job is not None
    decision.job()
    assert actions.visible[-1] is None


def test_status_in_the_store_shows_only_runs_of_visible_targets(tmp_path: Path) -> None:
    engine, sessions = db.open_database(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with sessions.begin() as session:
            mine = store.start_run(session, "acme", "schedule", now=datetime(2026, 1, 1, tzinfo=UTC))
            theirs = store.start_run(session, "secret-project", "schedule", now=datetime(2026, 1, 2, tzinfo=UTC))
        bridge = ChatBridge(sessions, None, (), lambda *a: "", lambda *a: "")  # type: ignore[arg-type]
        latest = bridge.status(None, frozenset({"acme"}))
        assert mine in latest and theirs not in latest and "secret-project" not in latest
        assert bridge.status(theirs, frozenset({"acme"})) == f"No run {theirs}."
        assert theirs in bridge.status(None) and theirs in bridge.status(theirs)
    finally:
        engine.dispose()
