"""The ``chat:`` and ``web:`` configuration sections as typed settings.

```yaml
chat:
  slack:
    signing_secret: ${SLACK_SIGNING_SECRET}
    allowed_users: [U123]            # Slack member ids; "*" admits everyone
    allowed_channels: [C123]         # both lists given: the user AND the channel must match
    targets:                         # optional: who may act on one target (in addition)
      acme: {allowed_users: [U456], digest_webhook: ${ACME_SLACK_DIGEST_URL}}
  mattermost: {token: ${MATTERMOST_TOKEN}, allowed_users: [alice]}   # user names or ids
web:
  listen: 127.0.0.1:8080
  api_token: ${DOCKMEND_API_TOKEN}
  trusted_user_header: X-Forwarded-User   # only behind a proxy that sets and strips it
```

The config loader resolves ``${ENV}`` references; these functions take the resolved
text (or :class:`Secret` objects). :meth:`ServiceSettings.validate` refuses a service
whose chat endpoint or API is enabled without a secret: a check that passes when the
secret is unset is the classic webhook hole.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import DockmendError
from bot.registry_settings import Secret

__all__ = [
    "ChatSettings",
    "MattermostSettings",
    "Secret",
    "ServiceSettings",
    "SlackSettings",
    "TargetChatSettings",
    "WebSettings",
    "chat_from_mapping",
    "web_from_mapping",
]

MIN_TOKEN = 16  # the login form must not be a guessing game
_HEADER = re.compile(r"[A-Za-z0-9-]+")
_LISTEN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})")
_TARGET_KEYS = ("allowed_users", "allowed_channels", "digest_webhook")
_SLACK_KEYS = ("signing_secret", "allowed_users", "allowed_channels", "targets")
_MATTERMOST_KEYS = ("token", "allowed_users", "allowed_channels", "targets")
_WEB_KEYS = ("listen", "api_token", "trusted_user_header", "secure_cookies")


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
        if self.mattermost is not None:
            _require(self.mattermost.token, "chat.mattermost.token")
            mm = self.mattermost
            _require_lists(mm.allowed_users, mm.allowed_channels, mm.targets, "chat.mattermost")
        for name, section in (("slack", self.slack), ("mattermost", self.mattermost)):
            for target, entry in (section.targets if section is not None else {}).items():
                if entry.digest_webhook is not None:
                    _require(entry.digest_webhook, f"chat.{name}.targets.{target}.digest_webhook", "no digest to post")


@dataclass(frozen=True)
class WebSettings:
    listen: str = "127.0.0.1:8080"
    api_token: Secret | None = None  # POST /api/runs, and the dashboard (bearer or login cookie)
    trusted_user_header: str | None = None  # e.g. X-Forwarded-User: the dashboard trusts it when named
    secure_cookies: bool = False  # set the login cookie with Secure (serve over HTTPS)

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
    """What :func:`bot.web.app.create_app` needs: the ``web:`` and ``chat:`` sections."""

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


def _require_lists(users: tuple[str, ...], channels: tuple[str, ...], targets: Mapping[str, Any], key: str) -> None:
    if not users and not channels and not any(t.allowed_users or t.allowed_channels for t in targets.values()):
        raise DockmendError(
            f"{key}: no allowed_users or allowed_channels, so nobody could use it; "
            f'list who may (or write allowed_users: ["*"] to admit everyone who can reach the command)'
        )


def _listen(value: str) -> tuple[str, int]:
    match = _LISTEN.fullmatch(value)
    if match is None or not 0 < int(match.group("port")) < 65536:
        raise DockmendError(f"web.listen: {value!r} must be HOST:PORT, like 127.0.0.1:8080 or [::1]:8080")
    return match.group("host").strip("[]"), int(match.group("port"))


# --- from plain mappings (the loader's resolved values) -------------------------------


def chat_from_mapping(raw: Mapping[str, Any] | None) -> ChatSettings:
    if raw is None:
        return ChatSettings()
    section = _mapping(raw, "chat")
    _unknown(section, ("slack", "mattermost"), "chat")
    slack = mattermost = None
    if section.get("slack") is not None:
        node = _mapping(section["slack"], "chat.slack")
        _unknown(node, _SLACK_KEYS, "chat.slack")
        slack = SlackSettings(
            _secret(node.get("signing_secret"), "chat.slack.signing_secret"),
            *_lists(node, "chat.slack"),
            _targets(node.get("targets"), "chat.slack.targets"),
        )
    if section.get("mattermost") is not None:
        node = _mapping(section["mattermost"], "chat.mattermost")
        _unknown(node, _MATTERMOST_KEYS, "chat.mattermost")
        mattermost = MattermostSettings(
            _secret(node.get("token"), "chat.mattermost.token"),
            *_lists(node, "chat.mattermost"),
            _targets(node.get("targets"), "chat.mattermost.targets"),
        )
    return ChatSettings(slack, mattermost)


def web_from_mapping(raw: Mapping[str, Any] | None) -> WebSettings:
    node = _mapping(raw or {}, "web")
    _unknown(node, _WEB_KEYS, "web")
    listen = node.get("listen", WebSettings.listen)
    header = node.get("trusted_user_header")
    secure = node.get("secure_cookies", False)
    if not isinstance(listen, str):
        raise DockmendError("web.listen must be text, like 127.0.0.1:8080")
    if header is not None and not isinstance(header, str):
        raise DockmendError("web.trusted_user_header must be a header name, like X-Forwarded-User")
    if not isinstance(secure, bool):
        raise DockmendError("web.secure_cookies must be true or false")
    return WebSettings(listen, _secret(node.get("api_token"), "web.api_token"), header, secure)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DockmendError(f"{key} must be a mapping")
    return value


def _unknown(node: Mapping[str, Any], allowed: tuple[str, ...], key: str) -> None:
    for name in node:
        if name not in allowed:
            close = difflib.get_close_matches(str(name), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
            raise DockmendError(f"{key}: unknown key {name!r} ({hint})")


def _secret(value: Any, key: str) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise DockmendError(f"{key} must be a reference to a secret, like ${{ENV_VAR}}")
    return Secret(value)


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DockmendError(f"{key} must be a list of names or ids")
    return tuple(v.strip() for v in value)


def _lists(node: Mapping[str, Any], key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    users = _strings(node.get("allowed_users"), f"{key}.allowed_users")
    return users, _strings(node.get("allowed_channels"), f"{key}.allowed_channels")


def _targets(value: Any, key: str) -> dict[str, TargetChatSettings]:
    targets: dict[str, TargetChatSettings] = {}
    for name, raw in _mapping(value or {}, key).items():
        node = _mapping(raw or {}, f"{key}.{name}")
        _unknown(node, _TARGET_KEYS, f"{key}.{name}")
        webhook = _secret(node.get("digest_webhook"), f"{key}.{name}.digest_webhook")
        targets[str(name)] = TargetChatSettings(*_lists(node, f"{key}.{name}"), webhook)
    return targets
