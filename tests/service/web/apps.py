"""Apps built as the service builds them, on fake services."""

from __future__ import annotations

from fastapi import FastAPI

from bot.service.chat.commands import ChatActions
from bot.service.web.app import create_app
from bot.service.web.metrics import Metrics
from bot.settings.registry_access import Secret
from bot.settings.web import ChatSettings, MattermostSettings, ServiceSettings, SlackSettings, WebSettings
from tests.service.web.fakes import FakeServices

TOKEN = "api-token-0123456789abcdef"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MM_TOKEN = "xr3j5x3p4pfjpen8ka3cbm5rrk"
MM_USER = "pmq6ewsgq7fh8ceyq5imd4yafh"  # a Mattermost user ID (allow-lists hold IDs, never names)


def settings(*, header: str | None = None, chat: ChatSettings | None = None) -> ServiceSettings:
    return ServiceSettings(WebSettings(api_token=Secret(TOKEN), trusted_user_header=header), chat or ChatSettings())


def chat_settings() -> ChatSettings:
    return ChatSettings(
        SlackSettings(Secret(SLACK_SECRET), ("U123",), ("C123",)),
        MattermostSettings(Secret(MM_TOKEN), (MM_USER,)),
    )


def app(
    services: FakeServices | None = None,
    *,
    header: str | None = None,
    actions: ChatActions | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    chat = chat_settings() if actions is not None else None
    return create_app(settings(header=header, chat=chat), services or FakeServices(), chat=actions, metrics=metrics)
