from __future__ import annotations

import pytest

from bot.service.chat.mattermost import verify_token
from bot.service.chat.slack import VerificationError
from bot.settings.registry_access import Secret


def test_the_configured_token_passes() -> None:
    verify_token(Secret("mm-token-1"), "mm-token-1")


@pytest.mark.parametrize(
    ("expected", "given", "reason"),
    [
        ("mm-token-1", "mm-token-2", "bad command token"),
        ("mm-token-1", "mm-token-1 ", "bad command token"),
        ("mm-token-1", "", "missing"),
        ("mm-token-1", None, "missing"),
        (None, "anything", "no command token"),
        ("", "", "no command token"),  # an unset token never passes
    ],
)
def test_refused(expected: str | None, given: str | None, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        verify_token(None if expected is None else Secret(expected), given)
