"""Slack request verification: ``X-Slack-Signature`` v0 over the raw body.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with HMAC-SHA256 and the
app's signing secret. The body must be the bytes as received (before form parsing).
A request older than five minutes, or dated in the future beyond a small clock skew,
is refused, so a captured request cannot be replayed later; within those minutes,
:class:`Replays` remembers every signature accepted, so it cannot be replayed either.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from bot.settings.secrets import Secret

MAX_AGE = 5 * 60  # seconds
MAX_SKEW = 30  # seconds a timestamp may be ahead of our clock
MAX_REMEMBERED = 50_000  # signatures kept for the window (about 5 MB at most)
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"


class VerificationError(Exception):
    """The request is not from Slack (or is too old): refuse it. The message names no secret."""


def signature(secret: Secret, timestamp: str, body: bytes) -> str:
    """The ``v0=…`` signature Slack sends for this timestamp and body."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.reveal().encode("utf-8"), base, hashlib.sha256).hexdigest()


class Replays:
    """Signatures accepted within the window. Bounded: past :data:`MAX_REMEMBERED`, the
    oldest are forgotten (only Slack can make valid signatures, so only a flood of real
    commands could fill it)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> when it expires, oldest first
        self._lock = threading.Lock()

    def first_time(self, signature: str, timestamp: int) -> bool:
        """Remember ``signature``; False if it was seen within its window already."""
        now = self.clock()
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now or len(self._seen) >= MAX_REMEMBERED):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = timestamp + MAX_AGE + MAX_SKEW
            return True


def verify(
    secret: Secret | None,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    replays: Replays | None = None,
) -> None:
    """Raise :class:`VerificationError` unless the request is signed with ``secret``, fresh,
    and (given ``replays``) not seen before."""
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
    if replays is not None and not replays.first_time(expected, int(timestamp)):
        raise VerificationError("replayed request")
