"""Mattermost slash command verification: the command's token, compared in constant time."""

from __future__ import annotations

import hmac

from bot.service.chat.slack import VerificationError
from bot.settings.secrets import Secret


def verify_token(expected: Secret | None, given: str | None) -> None:
    """Raise :class:`VerificationError` unless ``given`` is the configured command token."""
    if expected is None or not expected.reveal():
        raise VerificationError("no command token is configured")  # never "pass when unset"
    if not given:
        raise VerificationError("missing command token")
    if not hmac.compare_digest(expected.reveal().encode("utf-8"), given.encode("utf-8", "replace")):
        raise VerificationError("bad command token")
