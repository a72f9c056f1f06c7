"""Whether teams merge what dockmend proposes: acceptance per fixer and per team, over
time, the time to merge, and the requests waiting longest, from the recorded fates.

Acceptance is merged / (merged + closed unmerged by a person), counted when a request
ended. A request the bot closed itself (its fixes landed another way) or one a newer
request replaced says nothing of a team's choice and is left out. A request counts once
for each fixer code in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from markupsafe import Markup

from bot.service.web import svg
from bot.service.web.model import RequestInfo

WEEKS = 12  # the charts' window
TOP_SERIES = 6  # lines per chart: the busiest fixers or teams
WAITING_SHOWN = 10
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class Tally:
    merged: int = 0
    closed: int = 0

    @property
    def rate(self) -> float | None:
        """Percent merged of those people decided on; None when none was."""
        decided = self.merged + self.closed
        return None if decided == 0 else 100 * self.merged / decided


@dataclass(frozen=True)
class FixerRow:
    code: str
    tally: Tally
    median_hours: float | None  # time to merge


@dataclass(frozen=True)
class Waiting:
    request: RequestInfo
    days: int


@dataclass(frozen=True)
class Acceptance:
    weeks: tuple[str, ...]  # labels of the periods, oldest first
    fixers: tuple[FixerRow, ...]  # busiest first
    overall: Tally
    median_hours: float | None  # time to merge, over every merged request of the window
    waiting: tuple[Waiting, ...]  # open requests, oldest first
    by_fixer: Markup  # the charts
    by_team: Markup
    totals: Markup


def week_start(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def acceptance(ended: Sequence[RequestInfo], open_: Sequence[RequestInfo], now: datetime) -> Acceptance:
    """``ended``: requests ended in the window (any fate); ``open_``: those still open."""
    first = week_start(now) - timedelta(weeks=WEEKS - 1)
    starts = [first + timedelta(weeks=n) for n in range(WEEKS)]
    decided = [r for r in ended if r.fate in ("merged", "closed") and r.closed_at is not None and r.closed_at >= first]
    labels = tuple(s.strftime("%d %b") for s in starts)

    def weekly(key: Callable[[RequestInfo], Iterable[str]]) -> list[svg.Series]:
        per: dict[str, list[Counter[str]]] = {}
        volume: Counter[str] = Counter()
        for r in decided:
            assert r.closed_at is not None
            index = (week_start(r.closed_at) - first).days // 7
            for name in set(key(r)):
                per.setdefault(name, [Counter() for _ in starts])[index][r.fate] += 1
                volume[name] += 1
        chosen = sorted(per, key=lambda name: (-volume[name], name))[:TOP_SERIES]
        return [
            svg.Series(name, [Tally(c["merged"], c["closed"]).rate for c in per[name]]) for name in chosen
        ]  # fmt: skip

    totals: dict[str, Counter[str]] = {}
    hours: dict[str, list[float]] = {}
    for r in decided:
        for code in set(r.fixes):
            totals.setdefault(code, Counter())[r.fate] += 1
            if r.fate == "merged":
                hours.setdefault(code, []).append(_hours(r))
    fixers = tuple(
        FixerRow(code, Tally(c["merged"], c["closed"]), median(hours[code]) if code in hours else None)
        for code, c in sorted(totals.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    )
    merged = [r for r in decided if r.fate == "merged"]
    overall = Tally(len(merged), len(decided) - len(merged))
    waiting = tuple(
        Waiting(r, (now - r.opened_at).days) for r in sorted(open_, key=lambda r: r.opened_at)[:WAITING_SHOWN]
    )
    bars = [
        svg.Bar(
            row.code,
            [("merged", row.tally.merged, svg.MERGED), ("closed unmerged", row.tally.closed, svg.CLOSED)],
            f"{round(row.tally.rate or 0)}% merged",
        )
        for row in fixers
    ]
    return Acceptance(
        labels,
        fixers,
        overall,
        median(_hours(r) for r in merged) if merged else None,
        waiting,
        svg.line_chart("Acceptance per fixer, by week", labels, weekly(lambda r: r.fixes)),
        svg.line_chart("Acceptance per team, by week", labels, weekly(lambda r: [r.team or NO_TEAM])),
        svg.bar_chart(
            "Requests merged and closed unmerged, per fixer",
            bars,
            [("merged", svg.MERGED), ("closed unmerged", svg.CLOSED)],
        ),
    )


def _hours(request: RequestInfo) -> float:
    assert request.closed_at is not None
    return max((request.closed_at - request.opened_at).total_seconds(), 0.0) / 3600


def hours_text(hours: float | None) -> str:
    """A duration for people: 5 h, 3.5 d."""
    if hours is None:
        return "—"
    if hours < 48:
        return f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"
    return f"{hours / 24:.1f} d"
