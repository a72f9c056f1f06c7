"""Cron expressions as people write them, turned into APScheduler 3 triggers.

Five fields are a crontab line (``minute hour day month day-of-week``); six put seconds
first (``second minute hour day month day-of-week``), for tests and fine schedules.
Day-of-week numbers follow crontab (0 and 7 are Sunday, 1 is Monday): APScheduler 3
counts from Monday = 0, so ``CronTrigger.from_crontab("0 6 * * 1")`` alone would run on
Tuesdays. Unlike Vixie cron, a line restricting both day-of-month and day-of-week
matches days that satisfy both (APScheduler's rule), not either.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

DEFAULT_CRON = "0 6 * * 1"  # weekly, Monday 06:00 in the target's timezone
DEFAULT_TIMEZONE = "UTC"
_CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_APSCHEDULER_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_STEPS = 10_000


def parse_cron(expression: str, timezone: str = DEFAULT_TIMEZONE) -> CronTrigger:
    """A trigger for ``expression`` in ``timezone`` (an IANA name); ValueError says what is wrong."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"a cron expression has 5 fields (or 6 with seconds first), not {len(fields)}")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {timezone!r} (expected an IANA name such as Europe/Paris)") from None
    day_of_week = _weekdays(weekday)
    try:
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=zone
        )
    except ValueError as exc:
        raise ValueError(f"cron {expression!r}: {exc}") from None


def _weekdays(field: str) -> str:
    """Crontab day-of-week → APScheduler's, as day names (which mean the same in both)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.lower().split(","):
        days |= _weekday_item(item)
    if len(days) == 7:
        return "*"
    return ",".join(name for name in _APSCHEDULER_DAYS if _CRONTAB_DAYS.index(name) in days)


def _weekday_item(item: str) -> set[int]:
    base, _, step_text = item.partition("/")
    step = _number(step_text, "step") if step_text else 1
    if step < 1:
        raise ValueError(f"day of week: bad step in {item!r}")
    if base == "*":
        first, last = 0, 6
    elif "-" in base:
        low, high = base.split("-", 1)
        first, last = _weekday(low), _weekday(high)
        if last == 0 < first:
            last = 7  # "fri-sun"
    else:
        first = _weekday(base)
        last = 6 if step_text else first
    if first > last:
        raise ValueError(f"day of week: range {base!r} runs backwards")
    return {day % 7 for day in range(first, last + 1, step)}


def _weekday(text: str) -> int:
    if text in _CRONTAB_DAYS:
        return _CRONTAB_DAYS.index(text)
    value = _number(text, "day of week")
    if not 0 <= value <= 7:
        raise ValueError(f"day of week {value} is out of range (0-7, 0 and 7 are Sunday)")
    return value


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{what}: {text!r} is not a number or a day name (sun-sat)")
    return int(text)


def latest_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's last fire time at or before ``now``: which scheduled slot a late job serves."""
    back = timedelta(seconds=1)
    first = trigger.get_next_fire_time(None, now - back)
    while first is None or first > now:
        back *= 2
        if back > timedelta(days=800):
            return None
        first = trigger.get_next_fire_time(None, now - back)
    fire: datetime = first
    for _ in range(_MAX_STEPS):
        following = trigger.get_next_fire_time(fire, now)
        if following is None or following > now:
            break
        fire = following
    return fire
