from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.settings.cron import DEFAULT_CRON, latest_fire, parse_cron

WEDNESDAY = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "timezone", "next_fire"),
    [
        (DEFAULT_CRON, "UTC", "2025-01-06 06:00:00 Mon +0000"),
        ("0 6 * * 1", "Europe/Paris", "2025-01-06 06:00:00 Mon +0100"),  # crontab's 1 is Monday
        ("0 6 * * 0", "UTC", "2025-01-05 06:00:00 Sun +0000"),
        ("0 6 * * 7", "UTC", "2025-01-05 06:00:00 Sun +0000"),
        ("0 6 * * 1-5", "UTC", "2025-01-02 06:00:00 Thu +0000"),
        ("0 6 * * 5-7", "UTC", "2025-01-03 06:00:00 Fri +0000"),
        ("0 6 * * fri-sun", "UTC", "2025-01-03 06:00:00 Fri +0000"),
        ("0 6 * * */2", "UTC", "2025-01-02 06:00:00 Thu +0000"),  # sun, tue, thu, sat
        ("0 6 * * 0,3", "UTC", "2025-01-05 06:00:00 Sun +0000"),
        ("0 6 * * MON", "UTC", "2025-01-06 06:00:00 Mon +0000"),
        ("30 0 12 * * *", "UTC", "2025-01-01 12:00:30 Wed +0000"),  # six fields: seconds first
        ("*/15 * * * *", "America/New_York", "2025-01-01 07:00:00 Wed -0500"),
    ],
)
def test_parse_cron(expression: str, timezone: str, next_fire: str) -> None:
    fire = parse_cron(expression, timezone).get_next_fire_time(None, WEDNESDAY)
    assert fire is not None and fire.strftime("%Y-%m-%d %H:%M:%S %a %z") == next_fire


@pytest.mark.parametrize(
    ("expression", "timezone", "message"),
    [
        ("0 6 * *", "UTC", "5 fields"),
        ("0 6 * * 8", "UTC", "out of range"),
        ("0 6 * * 3-1", "UTC", "backwards"),
        ("0 6 * * someday", "UTC", "not a number or a day name"),
        ("0 25 * * 1", "UTC", "'0 25 \\* \\* 1'"),
        (DEFAULT_CRON, "Mars/Olympus", "unknown timezone"),
    ],
)
def test_bad_cron(expression: str, timezone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cron(expression, timezone)


@pytest.mark.parametrize(
    ("expression", "now", "slot"),
    [
        (DEFAULT_CRON, WEDNESDAY, datetime(2024, 12, 30, 6, 0, tzinfo=UTC)),
        (DEFAULT_CRON, datetime(2024, 12, 30, 6, 0, tzinfo=UTC), datetime(2024, 12, 30, 6, 0, tzinfo=UTC)),
        ("*/5 * * * * *", datetime(2025, 1, 1, 12, 0, 7, 500, tzinfo=UTC), datetime(2025, 1, 1, 12, 0, 5, tzinfo=UTC)),
        ("0 0 1 1 *", WEDNESDAY, datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_latest_fire(expression: str, now: datetime, slot: datetime) -> None:
    assert latest_fire(parse_cron(expression), now) == slot
