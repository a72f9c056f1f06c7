"""Messages to chat: results to a command's ``response_url``, and the weekly digest.

Slack goes through slack-sdk's :class:`WebhookClient`; Mattermost takes the same
``{"response_type", "text"}`` JSON, posted with httpx. Every text is scrubbed of the
configured secrets before it leaves, and neither URLs (a response or webhook URL is a
credential) nor secrets are logged.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

import httpx
from slack_sdk.webhook import WebhookClient

from bot.settings.secrets import Secret
from bot.settings.web import ChatSettings, TargetChatSettings

log = logging.getLogger(__name__)

MAX_TEXT = 3900  # Slack truncates long texts; keep a margin
TIMEOUT = 10.0


MIN_REDACTED = 6  # shorter values would mangle ordinary words (and are refused as tokens anyway)


def redact(text: str, secrets: Iterable[Secret]) -> str:
    for secret in secrets:
        value = secret.reveal()
        if len(value) >= MIN_REDACTED:
            text = text.replace(value, "***")
    return text


def clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 16].rstrip() + "\n… (truncated)"


class ReplyPoster:
    """Posts texts back to chat; never raises (a lost reply is logged, the work is done)."""

    def __init__(self, secrets: Sequence[Secret] = (), timeout: float = TIMEOUT) -> None:
        self._secrets = tuple(secrets)
        self._timeout = timeout
        # slack-sdk logs the URL at DEBUG and on retries; it is a credential, keep it quiet
        self._sdk_log = logging.Logger("dockmend.slack-sdk", logging.CRITICAL)

    def reply(self, platform: str, response_url: str, text: str, *, public: bool = False) -> bool:
        """Post to a command's response URL; ``public`` shows it to the channel."""
        body = clip(redact(text, self._secrets))
        kind = "in_channel" if public else "ephemeral"
        if platform == "slack":
            return self._slack(response_url, text=body, response_type=kind, replace_original=False)
        return self._json(response_url, {"response_type": kind, "text": body})

    def announce(self, platform: str, webhook: Secret, text: str) -> bool:
        """Post to an incoming webhook (a team channel)."""
        body = clip(redact(text, self._secrets))
        if platform == "slack":
            return self._slack(webhook.reveal(), text=body)
        return self._json(webhook.reveal(), {"text": body})

    def _slack(self, url: str, **payload: object) -> bool:
        try:
            response = WebhookClient(url, timeout=int(self._timeout), logger=self._sdk_log).send_dict(dict(payload))
        except Exception as exc:  # network errors: report the kind only, never the URL
            log.warning("posting to Slack failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning("posting to Slack failed: HTTP %s", response.status_code)
        return response.status_code == 200

    def _json(self, url: str, payload: dict[str, str]) -> bool:
        try:
            response = httpx.post(url, json=payload, timeout=self._timeout)
        except httpx.HTTPError as exc:
            log.warning("posting to Mattermost failed: %s", type(exc).__name__)
            return False
        if not response.is_success:
            log.warning("posting to Mattermost failed: HTTP %s", response.status_code)
        return response.is_success


# --- the weekly digest ----------------------------------------------------------------


class DigestRequest(Protocol):
    """A request opened by dockmend (the dashboard's ``RequestInfo`` fits)."""

    @property
    def target(self) -> str: ...
    @property
    def team(self) -> str | None: ...
    @property
    def repository(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def opened_at(self) -> datetime: ...


def digest_text(target: str, requests: Sequence[DigestRequest], since: datetime) -> str:
    """The digest of one target: the requests opened since ``since``, per team."""
    mine = [r for r in requests if r.target == target and r.opened_at >= since]
    if not mine:
        return f"*dockmend* weekly digest for {target}: no new requests since {since:%Y-%m-%d}."
    teams: dict[str, list[DigestRequest]] = defaultdict(list)
    for request in sorted(mine, key=lambda r: (r.repository, r.opened_at)):
        teams[request.team or "No team"].append(request)
    lines = [f"*dockmend* weekly digest for {target}: {len(mine)} new request(s) since {since:%Y-%m-%d}."]
    for team in sorted(teams):
        lines.append(f"\n*{team}*")
        lines.extend(f"• {r.repository}: {r.title} {r.url}" for r in teams[team])
    return "\n".join(lines)


def post_digests(
    chat: ChatSettings, requests: Sequence[DigestRequest], since: datetime, poster: ReplyPoster | None = None
) -> list[str]:
    """Post each target's digest to its webhook(s); the names of the targets posted."""
    poster = poster or ReplyPoster(chat.secrets())
    posted: list[str] = []
    for platform, target, entry in _digest_targets(chat):
        assert entry.digest_webhook is not None
        if poster.announce(platform, entry.digest_webhook, digest_text(target, requests, since)):
            posted.append(target)
    return posted


def _digest_targets(chat: ChatSettings) -> list[tuple[str, str, TargetChatSettings]]:
    found: list[tuple[str, str, TargetChatSettings]] = []
    for platform, section in (("slack", chat.slack), ("mattermost", chat.mattermost)):
        if section is not None:
            found.extend((platform, name, t) for name, t in section.targets.items() if t.digest_webhook is not None)
    return found
