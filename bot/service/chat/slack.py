"""Slack request verification: ``X-Slack-Signature`` v0 over the raw body.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with HMAC-SHA256 and the
app's signing secret. The body must be the bytes as received (before form parsing).
A request older than five minutes, or dated in the future beyond a small clock skew,
is refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from bot.settings.secrets import Secret

MAX_AGE = 5 * 60  # seconds
MAX_SKEW = 30  # seconds a timestamp may be ahead of our clock
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"


class VerificationError(Exception):
    """The request is not from Slack (or is too old): refuse it. The message names no secret."""


def signature(secret: Secret, timestamp: str, body: bytes) -> str:
    """The ``v0=…`` signature Slack sends for this timestamp and body."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.reveal().encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify(secret: Secret | None, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """Raise :class:`VerificationError` unless the request is signed with ``secret`` and fresh."""
    if secret is None or not secret.reveal():
        raise VerificationError("no signing secret is configured")  # never "pass when unset"
    timestamp = headers.get(TIMESTAMP_HEADER)
    given = headers.get(SIGNATURE_HEADER)
    if not timestamp or not given:
        raise VerificationError("missing Slack signature headers")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise VerificationError("malformed request timestamp")
    age = (time.time() if now is None else now) - int(timestamp)
    if age > MAX_AGE:
        raise VerificationError("stale request timestamp")
    if age < -MAX_SKEW:
        raise VerificationError("request timestamp in the future")
    expected = signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace")):
        raise VerificationError("bad signature")
