"""The ``chat:`` and ``web:`` settings as the service uses them, with secrets resolved.

The sections are validated by :mod:`bot.settings.service` (documented in
``config/dockmend.example.yaml``); :meth:`bot.settings.config.Config.service_settings` resolves
their secret references into these. :meth:`ServiceSettings.validate` refuses a service
whose chat endpoint or API is enabled without a secret: a check that passes when the
secret is unset is the classic webhook hole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import DockmendError
from bot.settings.secrets import Secret

__all__ = [
    "ChatSettings",
    "MattermostSettings",
    "Secret",
    "ServiceSettings",
    "SlackSettings",
    "TargetChatSettings",
    "WebLimits",
    "WebSettings",
    "id_problem",
    "is_header_name",
    "parse_listen",
]

MIN_TOKEN = 16  # the login form must not be a guessing game
# Allow-lists hold IDs: a user or channel *name* can be changed by whoever owns it.
ID_PATTERNS = {
    ("slack", "users"): (
        re.compile(r"[UW][A-Z0-9]+"),
        "a Slack member ID like U0123ABCD (profile → ⋮ → Copy member ID)",
    ),
    ("slack", "channels"): (
        re.compile(r"[CGD][A-Z0-9]+"),
        "a Slack channel ID like C0123ABCD (channel details, at the bottom)",
    ),
    ("mattermost", "users"): (
        re.compile(r"[a-z0-9]{26}"),
        "a Mattermost user ID (26 characters; System Console → Users)",
    ),
    ("mattermost", "channels"): (re.compile(r"[a-z0-9]{26}"), "a Mattermost channel ID (26 characters; View Info)"),
}
_HEADER = re.compile(r"[A-Za-z0-9-]+")
_LISTEN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})")


@dataclass(frozen=True)
class TargetChatSettings:
    """Who may act on one target from chat, and where its weekly digest goes."""

    allowed_users: tuple[str, ...] = ()
    allowed_channels: tuple[str, ...] = ()
    digest_webhook: Secret | None = None  # an incoming-webhook URL: it is a credential


@dataclass(frozen=True)
class SlackSettings:
    signing_secret: Secret | None = None
    allowed_users: tuple[str, ...] = ()
    allowed_channels: tuple[str, ...] = ()
    targets: Mapping[str, TargetChatSettings] = field(default_factory=dict)


@dataclass(frozen=True)
class MattermostSettings:
    token: Secret | None = None
    allowed_users: tuple[str, ...] = ()
    allowed_channels: tuple[str, ...] = ()
    targets: Mapping[str, TargetChatSettings] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatSettings:
    slack: SlackSettings | None = None  # None: the endpoint is not served
    mattermost: MattermostSettings | None = None

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret of the section, to scrub from anything posted back."""
        found: list[Secret | None] = []
        for section in (self.slack, self.mattermost):
            if section is not None:
                found.append(section.signing_secret if isinstance(section, SlackSettings) else section.token)
                found.extend(t.digest_webhook for t in section.targets.values())
        return tuple(s for s in found if s is not None and s.reveal())

    def validate(self) -> None:
        if self.slack is not None:
            _require(self.slack.signing_secret, "chat.slack.signing_secret")
            _require_lists(self.slack.allowed_users, self.slack.allowed_channels, self.slack.targets, "chat.slack")
            _check_ids("slack", self.slack)
        if self.mattermost is not None:
            _require(self.mattermost.token, "chat.mattermost.token")
            mm = self.mattermost
            _require_lists(mm.allowed_users, mm.allowed_channels, mm.targets, "chat.mattermost")
            _check_ids("mattermost", mm)
        for name, section in (("slack", self.slack), ("mattermost", self.mattermost)):
            for target, entry in (section.targets if section is not None else {}).items():
                if entry.digest_webhook is not None:
                    _require(entry.digest_webhook, f"chat.{name}.targets.{target}.digest_webhook", "no digest to post")


@dataclass(frozen=True)
class WebLimits:
    """What one client may cost the web app (docs/security.md)."""

    max_body_bytes: int = 1024 * 1024
    body_timeout: float = 30.0  # seconds for a whole request body
    header_timeout: float = 10.0  # seconds for a request head
    max_header_bytes: int = 16 * 1024
    idle_timeout: int = 5  # seconds a keep-alive connection may wait for its next request
    max_connections: int = 256  # connections and requests in flight; past it, 503
    login_attempts_per_client: int = 10  # per minute, per client address
    login_attempts_total: int = 60  # per minute, all clients together


@dataclass(frozen=True)
class WebSettings:
    listen: str = "127.0.0.1:8080"
    api_token: Secret | None = None  # POST /api/runs, and the dashboard (bearer or login cookie)
    trusted_user_header: str | None = None  # e.g. X-Forwarded-User: the dashboard trusts it when named
    secure_cookies: bool = False  # set the login cookie with Secure (serve over HTTPS)
    limits: WebLimits = field(default_factory=WebLimits)

    @property
    def host(self) -> str:
        return _listen(self.listen)[0]

    @property
    def port(self) -> int:
        return _listen(self.listen)[1]

    def validate(self) -> None:
        _require(self.api_token, "web.api_token")
        assert self.api_token is not None
        if len(self.api_token.reveal()) < MIN_TOKEN:
            raise DockmendError(
                f"web.api_token is too short: use at least {MIN_TOKEN} random characters (openssl rand -hex 32)"
            )
        _listen(self.listen)
        if self.trusted_user_header is not None and not _HEADER.fullmatch(self.trusted_user_header):
            raise DockmendError(f"web.trusted_user_header: {self.trusted_user_header!r} is not a header name")


@dataclass(frozen=True)
class ServiceSettings:
    """What :func:`bot.service.web.app.create_app` needs: the ``web:`` and ``chat:`` sections."""

    web: WebSettings = field(default_factory=WebSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)

    def validate(self) -> None:
        """Raise a DockmendError naming the key when an enabled endpoint has no secret."""
        self.web.validate()
        self.chat.validate()


def _require(
    secret: Secret | None, key: str, why: str = "dockmend refuses to serve an endpoint anyone could call"
) -> None:
    if secret is None or not secret.reveal().strip():
        raise DockmendError(
            f"{key} is not set (or empty): {why}. Set the environment variable it references, or remove the section."
        )


def id_problem(platform: str, kind: str, value: str) -> str | None:
    """Why ``value`` cannot stand in the ``allowed_<kind>`` list of ``platform`` (None: it can)."""
    pattern, expected = ID_PATTERNS[(platform, kind)]
    if value == "*" or pattern.fullmatch(value):
        return None
    return (
        f"{value!r} is not {expected}: allow-lists match IDs only, since a name can be changed by its owner"
        " (earlier versions also matched names: replace them with IDs)"
    )


def _check_ids(platform: str, section: SlackSettings | MattermostSettings) -> None:
    lists = [("", section.allowed_users, section.allowed_channels)]
    lists += [(f"targets.{name}.", t.allowed_users, t.allowed_channels) for name, t in section.targets.items()]
    for where, users, channels in lists:
        for kind, values in (("users", users), ("channels", channels)):
            for value in values:
                if (why := id_problem(platform, kind, value)) is not None:
                    raise DockmendError(f"chat.{platform}.{where}allowed_{kind}: {why}")


def _require_lists(users: tuple[str, ...], channels: tuple[str, ...], targets: Mapping[str, Any], key: str) -> None:
    if not users and not channels and not any(t.allowed_users or t.allowed_channels for t in targets.values()):
        raise DockmendError(
            f"{key}: no allowed_users or allowed_channels, so nobody could use it; "
            f'list who may (or write allowed_users: ["*"] to admit everyone who can reach the command)'
        )


def parse_listen(value: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as (host, port), or None."""
    match = _LISTEN.fullmatch(value)
    if match is None or not 0 < int(match.group("port")) < 65536:
        return None
    return match.group("host").strip("[]"), int(match.group("port"))


def is_header_name(value: str) -> bool:
    return bool(_HEADER.fullmatch(value))


def _listen(value: str) -> tuple[str, int]:
    found = parse_listen(value)
    if found is None:
        raise DockmendError(f"web.listen: {value!r} must be HOST:PORT, like 127.0.0.1:8080 or [::1]:8080")
    return found
