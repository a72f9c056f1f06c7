"""``chat:``, ``web:`` and ``database:``: the service's endpoints and its state database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from bot.settings.base import Names, Section, invalid
from bot.settings.secrets import Reference, SecretRef
from bot.settings.web import (
    ChatSettings,
    MattermostSettings,
    Secret,
    SlackSettings,
    TargetChatSettings,
    WebLimits,
    WebSettings,
    id_problem,
    is_header_name,
    parse_listen,
)

DEFAULT_DATABASE_URL = "sqlite:///./dockmend.db"
DATABASE_ENV = "DOCKMEND_DATABASE_URL"
_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg", "postgres")


def _resolve(ref: SecretRef | None, env: Mapping[str, str]) -> Secret | None:
    return ref.resolve(env) if ref is not None else None


class TargetChat(Section):
    """Who may act on one target from chat (in addition to the section's lists), and its digest."""

    allowed_users: Names = ()
    allowed_channels: Names = ()
    digest_webhook: Reference | None = None
    """A reference to the incoming-webhook URL the weekly digest is posted to (it is a credential)."""

    def settings(self, env: Mapping[str, str]) -> TargetChatSettings:
        webhook = _resolve(self.digest_webhook, env)
        return TargetChatSettings(tuple(self.allowed_users), tuple(self.allowed_channels), webhook)


class Slack(Section):
    """The Slack slash command, POST /chat/slack."""

    signing_secret: Reference
    """A reference to the app's signing secret."""
    allowed_users: Names = ()
    """Member IDs (U0123ABCD), never names (a name can be changed by its owner); "*" admits everyone."""
    allowed_channels: Names = ()
    """Channel IDs (C0123ABCD), never names; with both lists, the user AND the channel must match."""
    targets: Mapping[str, TargetChat] = {}
    """Per target name."""

    @model_validator(mode="after")
    def _ids(self) -> Slack:
        _ids_only("slack", self.allowed_users, self.allowed_channels, self.targets)
        return self

    def settings(self, env: Mapping[str, str]) -> SlackSettings:
        targets = {name: entry.settings(env) for name, entry in self.targets.items()}
        users, channels = tuple(self.allowed_users), tuple(self.allowed_channels)
        return SlackSettings(self.signing_secret.resolve(env), users, channels, targets)


class Mattermost(Section):
    """The Mattermost slash command, POST /chat/mattermost."""

    token: Reference
    """A reference to the slash command's token."""
    allowed_users: Names = ()
    """User IDs (26 characters), never names (a name can be changed by its owner); "*" admits everyone."""
    allowed_channels: Names = ()
    """Channel IDs (26 characters), never names."""
    targets: Mapping[str, TargetChat] = {}
    """Per target name."""

    @model_validator(mode="after")
    def _ids(self) -> Mattermost:
        _ids_only("mattermost", self.allowed_users, self.allowed_channels, self.targets)
        return self

    def settings(self, env: Mapping[str, str]) -> MattermostSettings:
        targets = {name: entry.settings(env) for name, entry in self.targets.items()}
        users, channels = tuple(self.allowed_users), tuple(self.allowed_channels)
        return MattermostSettings(self.token.resolve(env), users, channels, targets)


def _ids_only(
    platform: str, users: tuple[str, ...], channels: tuple[str, ...], targets: Mapping[str, TargetChat]
) -> None:
    lists = [((), users, channels)] + [
        (("targets", n), t.allowed_users, t.allowed_channels) for n, t in targets.items()
    ]
    for where, user_ids, channel_ids in lists:
        for kind, values in (("users", user_ids), ("channels", channel_ids)):
            for index, value in enumerate(values):
                if (why := id_problem(platform, kind, value)) is not None:
                    raise invalid(why, (*where, f"allowed_{kind}", index))


class Chat(Section):
    """Slash commands; a platform left out is not served."""

    slack: Slack | None = None
    mattermost: Mattermost | None = None

    def settings(self, env: Mapping[str, str]) -> ChatSettings:
        slack = self.slack.settings(env) if self.slack is not None else None
        return ChatSettings(slack, self.mattermost.settings(env) if self.mattermost is not None else None)


def _listen(value: str) -> str:
    if parse_listen(value) is None:
        raise invalid("expected HOST:PORT, like 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080")
    return value


def _header(value: str) -> str:
    if not is_header_name(value):
        raise invalid("expected a header name, like X-Forwarded-User")
    return value


class Limits(Section):
    """What one client may cost the web app (docs/security.md); a reverse proxy in front adds its own."""

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    """A request body over this is refused (413) before any handler reads it."""
    body_timeout: float = Field(default=30.0, gt=0)
    """Seconds for a whole request body to arrive (408 after)."""
    header_timeout: float = Field(default=10.0, gt=0)
    """Seconds for a request head to arrive; the connection is closed after."""
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    """A request head over this is refused (431)."""
    idle_timeout: int = Field(default=5, ge=1)
    """Seconds a keep-alive connection may wait for its next request."""
    max_connections: int = Field(default=256, ge=1)
    """Connections and requests in flight; past it, 503."""
    login_attempts_per_client: int = Field(default=10, ge=1)
    """POST /login attempts per minute from one client address (429 after)."""
    login_attempts_total: int = Field(default=60, ge=1)
    """POST /login attempts per minute from all clients together (429 after)."""

    def settings(self) -> WebLimits:
        return WebLimits(**self.model_dump())


class Web(Section):
    """The dashboard, the JSON API, probes and metrics."""

    listen: Annotated[str, AfterValidator(_listen)] = "127.0.0.1:8080"
    """HOST:PORT to serve on."""
    api_token: Reference | None = None
    """A reference to the bearer token of POST /api/runs and the dashboard (16+ random characters)."""
    trusted_user_header: Annotated[str, AfterValidator(_header)] | None = None
    """The dashboard trusts this header's user (only behind a proxy that sets and strips it)."""
    secure_cookies: bool = False
    """Mark the login cookie Secure (when served over HTTPS)."""
    limits: Limits = Limits()

    def settings(self, env: Mapping[str, str]) -> WebSettings:
        token = _resolve(self.api_token, env)
        return WebSettings(self.listen, token, self.trusted_user_header, self.secure_cookies, self.limits.settings())


def _database_url(value: str) -> str:
    url = urlsplit(value)
    if url.scheme not in _SCHEMES:
        raise invalid("expected a database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    if url.password is not None:
        raise invalid(f"a password cannot be written here: set {DATABASE_ENV} (or PGPASSWORD) instead")
    return value


class Database(Section):
    """The state database (runs, repositories, requests, schedule)."""

    url: Annotated[str, AfterValidator(_database_url)] = DEFAULT_DATABASE_URL
    """SQLite (a path relative to the working directory) or postgresql+psycopg://user@host/db;
    DOCKMEND_DATABASE_URL overrides it."""

    def effective_url(self, env: Mapping[str, str]) -> str:
        return env.get(DATABASE_ENV) or self.url
