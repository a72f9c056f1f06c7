from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import DockmendError
from bot.service.web.app import create_app
from bot.settings.config import load
from bot.settings.registry_access import Secret
from bot.settings.web import (
    ChatSettings,
    MattermostSettings,
    ServiceSettings,
    SlackSettings,
    TargetChatSettings,
    WebSettings,
)
from tests.service.chat.fakes import FakeActions
from tests.service.web.fakes import FakeServices

TOKEN = "api-token-0123456789abcdef"


# The interface of the issue, as outside tools rely on it.
DOCUMENTED = """\
chat:
  slack: {signing_secret: ${SLACK_SIGNING_SECRET}, allowed_users: [U123], allowed_channels: [C123]}
  mattermost: {token: ${MATTERMOST_TOKEN}, allowed_users: [pmq6ewsgq7fh8ceyq5imd4yafh]}
web: {listen: 127.0.0.1:8080, api_token: ${DOCKMEND_API_TOKEN}}
"""
ENV = {"SLACK_SIGNING_SECRET": "slack-secret-1", "MATTERMOST_TOKEN": "mm-token-1", "DOCKMEND_API_TOKEN": TOKEN}


def service(tmp_path: Path, text: str, env: dict[str, str]) -> ServiceSettings:
    path = tmp_path / "dockmend.yaml"
    path.write_text(text)
    return load(path).service_settings(env)


def test_the_documented_shape(tmp_path: Path) -> None:
    settings = service(tmp_path, DOCUMENTED, ENV)
    chat, web = settings.chat, settings.web
    assert chat.slack is not None and chat.slack.signing_secret is not None
    assert chat.slack.signing_secret.reveal() == "slack-secret-1"
    assert (chat.slack.allowed_users, chat.slack.allowed_channels) == (("U123",), ("C123",))
    assert chat.mattermost is not None and chat.mattermost.allowed_users == ("pmq6ewsgq7fh8ceyq5imd4yafh",)
    assert (web.host, web.port, web.trusted_user_header) == ("127.0.0.1", 8080, None)
    settings.validate()


def test_a_reference_that_is_not_set_names_its_place(tmp_path: Path) -> None:
    with pytest.raises(DockmendError) as info:
        service(tmp_path, DOCUMENTED, {**ENV, "MATTERMOST_TOKEN": ""})
    assert str(info.value) == (
        f"{tmp_path / 'dockmend.yaml'}:3:16: chat.mattermost.token: "
        "environment variable MATTERMOST_TOKEN is not set (or empty)"
    )


def test_per_target_lists_and_digest_webhooks(tmp_path: Path) -> None:
    text = """\
targets: [{name: acme, platform: here}]
platforms: {here: {type: local, path: .}}
chat:
  slack:
    signing_secret: ${SLACK}
    targets:
      acme: {allowed_users: [U9], digest_webhook: ${ACME_DIGEST}}
"""
    chat = service(tmp_path, text, {"SLACK": "s" * 32, "ACME_DIGEST": "https://hooks.example/T/B/x"}).chat
    assert chat.slack is not None
    entry = chat.slack.targets["acme"]
    assert entry.allowed_users == ("U9",) and entry.digest_webhook is not None
    chat.validate()  # a target's list is enough to make the section usable
    assert [s.reveal() for s in chat.secrets()] == ["s" * 32, "https://hooks.example/T/B/x"]


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:9000", "::1", 9000), ("0.0.0.0:80", "0.0.0.0", 80)],
)
def test_listen(listen: str, host: str, port: int) -> None:
    assert (WebSettings(listen).host, WebSettings(listen).port) == (host, port)


SLACK = SlackSettings(Secret("slack-secret-1"), ("U1",))
MM = MattermostSettings(Secret("mm-token-1"), ("pmq6ewsgq7fh8ceyq5imd4yafh",))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ServiceSettings(WebSettings(api_token=None)), "web.api_token is not set"),
        (ServiceSettings(WebSettings(api_token=Secret(""))), "web.api_token is not set"),
        (ServiceSettings(WebSettings(api_token=Secret("  "))), "web.api_token is not set"),
        (ServiceSettings(WebSettings(api_token=Secret("short"))), "web.api_token is too short"),
        (ServiceSettings(WebSettings("localhost", Secret(TOKEN))), "web.listen: 'localhost' must be HOST:PORT"),
        (ServiceSettings(WebSettings("1.2.3.4:70000", Secret(TOKEN))), "must be HOST:PORT"),
        (ServiceSettings(WebSettings(api_token=Secret(TOKEN), trusted_user_header="X User")), "not a header name"),
        (
            ServiceSettings(WebSettings(api_token=Secret(TOKEN)), ChatSettings(SlackSettings(None, ("U1",)))),
            "chat.slack.signing_secret is not set",
        ),
        (
            ServiceSettings(WebSettings(api_token=Secret(TOKEN)), ChatSettings(SlackSettings(Secret(""), ("U1",)))),
            "chat.slack.signing_secret is not set",
        ),
        (
            ServiceSettings(
                WebSettings(api_token=Secret(TOKEN)), ChatSettings(mattermost=MattermostSettings(None, ("a",)))
            ),
            "chat.mattermost.token is not set",
        ),
        (
            ServiceSettings(WebSettings(api_token=Secret(TOKEN)), ChatSettings(SlackSettings(Secret("s3cret")))),
            "nobody could use it",
        ),
        (
            ServiceSettings(
                WebSettings(api_token=Secret(TOKEN)),
                ChatSettings(
                    mattermost=MattermostSettings(
                        Secret("t0ken"), ("*",), targets={"x": TargetChatSettings(digest_webhook=Secret(""))}
                    )
                ),
            ),
            "chat.mattermost.targets.x.digest_webhook is not set",
        ),
    ],
)
def test_the_service_refuses_to_start_without_its_secrets(settings: ServiceSettings, message: str) -> None:
    with pytest.raises(DockmendError, match=message):
        settings.validate()
    with pytest.raises(DockmendError, match=message):
        create_app(settings, FakeServices(), chat=FakeActions())


def test_chat_needs_actions_wired() -> None:
    settings = ServiceSettings(WebSettings(api_token=Secret(TOKEN)), ChatSettings(mattermost=MM))
    with pytest.raises(DockmendError, match="no chat actions"):
        create_app(settings, FakeServices())


def test_secrets_never_print() -> None:
    settings = ServiceSettings(WebSettings(api_token=Secret(TOKEN)), ChatSettings(SLACK, MM))
    text = f"{settings!r} {settings}"
    assert TOKEN not in text and "slack-secret-1" not in text and "mm-token-1" not in text
    assert "Secret('***')" in text
