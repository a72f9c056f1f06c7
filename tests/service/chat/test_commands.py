from __future__ import annotations

import pytest

from bot.errors import DockmendError
from bot.service.chat.commands import HELP, REFUSAL, Command, Inbound, Policy, UsageError, handle, parse
from bot.settings.web import TargetChatSettings
from tests.service.chat.fakes import FakeActions


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("  HELP  ", Command("help")),
        ("scan acme", Command("scan", "acme")),
        ("scan acme/app", Command("scan", "acme/app")),
        ("scan group/sub/app", Command("scan", "group/sub/app")),
        ("dry-run acme/app", Command("dry-run", "acme/app")),
        ("status", Command("status")),
        ("status 20250310T060000Z-9f3a21", Command("status", "20250310T060000Z-9f3a21")),
        ("ignore acme/app dm103", Command("ignore", "acme/app", "DM103")),
    ],
)
def test_parse(text: str, command: Command) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deploy prod", "I don't know `deploy`"),
        ("scan", "Usage: `scan <target|owner/repo>`"),
        ("scan a b", "Usage: `scan"),
        ("scan ../etc", "Usage: `scan"),
        ("dry-run acme", "Usage: `dry-run <owner/repo>`"),  # a repository, not a whole target
        ("status 1 2", "Usage: `status [run id]`"),
        ("ignore acme/app", "Usage: `ignore"),
        ("ignore acme/app rm-rf", "Usage: `ignore"),
        ("ignore acme DM103", "Usage: `ignore"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("|", r"\|")):
        parse(text)


POLICY = Policy.of(("U1",), ("C1",), {"acme": TargetChatSettings(allowed_users=("U2",))})


def slack(text: str, user: str = "U1", channel: str = "C1") -> Inbound:
    return Inbound("slack", text, user, "alice", channel, "general", "https://hooks.example/r/1")


@pytest.mark.parametrize(
    ("inbound", "allowed"),
    [
        (slack("scan acme"), True),
        (slack("scan acme", user="U9"), False),  # unknown user
        (slack("scan acme", channel="C9"), False),  # unknown channel
        (slack("scan acme", user="U2", channel="C9"), True),  # acme's own list admits U2 anywhere
        (slack("scan acme/app", user="U2", channel="C9"), True),
        (slack("scan acme-gl", user="U2"), False),  # but not for another target
        (slack("scan nope/nope", user="U2"), False),
        (slack("ignore acme-gl/x DM103", user="U2"), False),
        (slack("status", user="U2"), True),
        (slack("help", user="U9"), False),
    ],
)
def test_authorisation(inbound: Inbound, allowed: bool) -> None:
    actions = FakeActions()
    decision = handle(inbound, POLICY, actions)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reply == REFUSAL
        assert decision.job is None
    assert not [c for c in actions.calls if c[0] != "status"]  # handle itself never runs work


@pytest.mark.parametrize(
    ("users", "channels", "inbound", "allowed"),
    [
        ((), (), slack("help"), False),  # no lists: nobody
        (("*",), (), slack("help", user="U77", channel="C77"), True),
        ((), ("C1",), slack("help", user="U77"), True),
        (("id-1",), (), Inbound("mattermost", "help", "id-1", "alice", "ch-1", "town-square"), True),
        (("U1",), ("ch-9",), Inbound("mattermost", "help", "U1", "bob", "ch-9", "town-square"), True),
        # names never admit: their owners can change them
        (("alice",), (), Inbound("mattermost", "help", "id-1", "alice", "ch-1", "town-square"), False),
        (("U1",), ("town-square",), Inbound("mattermost", "help", "U1", "bob", "ch-9", "town-square"), False),
        (("alice",), (), slack("help", user="U77"), False),
    ],
)
def test_access_lists(users: tuple[str, ...], channels: tuple[str, ...], inbound: Inbound, allowed: bool) -> None:
    assert handle(inbound, Policy.of(users, channels, {}), FakeActions()).allowed is allowed


@pytest.mark.parametrize(
    ("text", "call", "result"),
    [
        ("scan acme/app", ("scan", "acme/app", "slack:alice"), "Run run-7 (acme/app) finished."),
        ("dry-run acme/app", ("dry-run", "acme/app"), "acme/app: 2 fixes would change Dockerfile"),
        ("status", ("status", ""), "latest: ok"),
        ("status run-3", ("status", "run-3"), "run-3: ok"),
        ("ignore acme/app DM103", ("ignore", "acme/app", "DM103", "slack:alice"), "DM103 is now ignored for acme/app"),
    ],
)
def test_dispatch(text: str, call: tuple[str, ...], result: str) -> None:
    actions = FakeActions()
    decision = handle(slack(text), POLICY, actions)
    assert decision.job is not None and not actions.calls  # nothing ran yet
    assert decision.job().startswith(result)
    assert actions.calls[0] == call


def test_help_and_usage_answer_at_once() -> None:
    assert handle(slack("help"), POLICY, FakeActions()).reply == HELP
    decision = handle(slack("frobnicate"), POLICY, FakeActions())
    assert decision.job is None and decision.reply.startswith("I don't know `frobnicate`.") and HELP in decision.reply


def test_scan_results_are_public_and_announced() -> None:
    decision = handle(slack("scan acme"), POLICY, FakeActions())
    assert decision.public and decision.progress == "slack:alice started a scan of acme."
    assert not handle(slack("dry-run acme/app"), POLICY, FakeActions()).public


def test_failures_are_reported_without_internals() -> None:
    actions = FakeActions(fail_with=DockmendError("no repository named acme/gone"))
    job = handle(slack("dry-run acme/gone"), POLICY, actions).job
    assert job is not None and job() == "Sorry, `dry-run` failed: no repository named acme/gone"
    actions.fail_with = RuntimeError("https://x-access-token:ghs_secret@github.com broke")
    job = handle(slack("scan acme"), POLICY, actions).job
    assert job is not None
    text = job()
    assert "ghs_secret" not in text and text.startswith("Sorry, `scan` failed unexpectedly")
