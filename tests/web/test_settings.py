from __future__ import annotations

import pytest

from bot.errors import DockmendError
from bot.registry_settings import Secret
from bot.web.app import create_app
from bot.web.settings import (
    ChatSettings,
    MattermostSettings,
    ServiceSettings,
    SlackSettings,
    TargetChatSettings,
    WebSettings,
    chat_from_mapping,
    web_from_mapping,
)
from tests.chat.fakes import FakeActions
from tests.web.fakes import FakeServices

TOKEN = "api-token-0123456789abcdef"


def test_the_documented_shape() -> None:
    chat = chat_from_mapping(
        {
            "slack": {"signing_secret": "slack-secret-1", "allowed_users": ["U123"], "allowed_channels": ["C123"]},
            "mattermost": {"token": "mm-token-1", "allowed_users": ["alice"]},
        }
    )
    web = web_from_mapping({"listen": "127.0.0.1:8080", "api_token": TOKEN})
    assert chat.slack is not None and chat.slack.signing_secret is not None
    assert chat.slack.signing_secret.reveal() == "slack-secret-1"
    assert (chat.slack.allowed_users, chat.slack.allowed_channels) == (("U123",), ("C123",))
    assert chat.mattermost is not None and chat.mattermost.allowed_users == ("alice",)
    assert (web.host, web.port, web.trusted_user_header) == ("127.0.0.1", 8080, None)
    ServiceSettings(web, chat).validate()


def test_per_target_lists_and_digest_webhooks() -> None:
    chat = chat_from_mapping(
        {
            "slack": {
                "signing_secret": "s" * 32,
                "targets": {"acme": {"allowed_users": ["U9"], "digest_webhook": "https://hooks.example/T/B/x"}},
            }
        }
    )
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


@pytest.mark.parametrize(
    ("chat", "web", "message"),
    [
        (
            {"slack": {"signing_secret": "x", "allowed_user": ["U1"]}},
            None,
            "unknown key 'allowed_user' (did you mean 'allowed_users'?)",
        ),
        ({"teams": {}}, None, "chat: unknown key 'teams'"),
        ({"slack": {"signing_secret": 42}}, None, "chat.slack.signing_secret must be a reference"),
        ({"slack": {"allowed_users": "U1"}}, None, "chat.slack.allowed_users must be a list"),
        ({"mattermost": {"targets": {"a": {"allowed_users": [""]}}}}, None, "chat.mattermost.targets.a.allowed_users"),
        (None, {"listen": 8080}, "web.listen must be text"),
        (None, {"api_tokens": "x"}, "did you mean 'api_token'"),
        (None, {"secure_cookies": "yes"}, "web.secure_cookies must be true or false"),
    ],
)
def test_bad_shapes(chat: object, web: object, message: str) -> None:
    with pytest.raises(DockmendError) as info:
        chat_from_mapping(chat)  # type: ignore[arg-type]
        web_from_mapping(web)  # type: ignore[arg-type]
    assert message in str(info.value)


SLACK = SlackSettings(Secret("slack-secret-1"), ("U1",))
MM = MattermostSettings(Secret("mm-token-1"), ("alice",))


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
                        Secret("t0ken"), ("a",), targets={"x": TargetChatSettings(digest_webhook=Secret(""))}
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
