from __future__ import annotations

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.service.chat.slack import MAX_AGE, MAX_SKEW, VerificationError, signature, verify
from bot.settings.registry_access import Secret

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BODY = b"token=x&team_id=T1&user_id=U123&command=%2Fdockmend&text=scan+acme%2Fapp"
NOW = 1_700_000_000


def headers(timestamp: int | str = NOW, sig: str | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(timestamp)
    return {
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sig
        if sig is not None
        else SignatureVerifier(secret).generate_signature(timestamp=ts, body=BODY),
    }


def test_a_signature_made_by_slack_sdk_verifies() -> None:
    verify(Secret(SECRET), headers(), BODY, now=NOW)
    assert signature(Secret(SECRET), str(NOW), BODY) == headers()["x-slack-signature"]


@pytest.mark.parametrize(
    ("secret", "hdrs", "body", "reason"),
    [
        (SECRET, headers(secret="another-secret"), BODY, "bad signature"),
        (SECRET, headers(), BODY + b"&x=1", "bad signature"),  # body changed after signing
        (SECRET, headers(sig="v0=" + "0" * 64), BODY, "bad signature"),
        (SECRET, headers(sig="v1=deadbeef"), BODY, "bad signature"),
        (SECRET, headers(sig="v0=ünïcode"), BODY, "bad signature"),
        (SECRET, headers(NOW - MAX_AGE - 1), BODY, "stale"),
        (SECRET, headers(NOW + MAX_SKEW + 5), BODY, "future"),
        (SECRET, headers("17e8"), BODY, "malformed"),
        (SECRET, headers("-5"), BODY, "malformed"),
        (SECRET, {"x-slack-signature": headers()["x-slack-signature"]}, BODY, "missing"),
        (SECRET, {"x-slack-request-timestamp": str(NOW)}, BODY, "missing"),
        (SECRET, {}, BODY, "missing"),
        (None, headers(), BODY, "no signing secret"),
        (
            "",
            {"x-slack-request-timestamp": str(NOW), "x-slack-signature": signature(Secret(""), str(NOW), BODY)},
            BODY,
            "no signing secret",
        ),  # an unset secret never passes, even with a signature made with it
    ],
)
def test_refused(secret: str | None, hdrs: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        verify(None if secret is None else Secret(secret), hdrs, body, now=NOW)


def test_a_small_clock_skew_and_four_minutes_of_age_pass() -> None:
    verify(Secret(SECRET), headers(NOW + MAX_SKEW - 1), BODY, now=NOW)
    verify(Secret(SECRET), headers(NOW - 240), BODY, now=NOW)


def test_the_error_names_no_secret() -> None:
    with pytest.raises(VerificationError) as info:
        verify(Secret(SECRET), headers(secret="wrong"), BODY, now=NOW)
    assert SECRET not in str(info.value)
