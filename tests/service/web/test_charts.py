"""The dashboard's acceptance charts: valid SVG whose drawn numbers are the data's, the
acceptance arithmetic, the dashboard section, and the fate counters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bot.service.web import svg
from bot.service.web.acceptance import WEEKS, acceptance, hours_text, week_start
from bot.service.web.metrics import Metrics
from tests.service.web.apps import TOKEN, app
from tests.service.web.fakes import FakeServices, sample_ended, sample_requests

NS = {"s": "http://www.w3.org/2000/svg"}
NOW = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)  # a Wednesday


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # raises on anything that is not well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def test_a_line_chart_draws_each_value_where_it_belongs() -> None:
    labels = ["w1", "w2", "w3", "w4"]
    chart = parse(
        svg.line_chart(
            "t", labels, [svg.Series("DM104", [100, 50, None, 0]), svg.Series("DM106", [25, None, None, None])]
        )
    )
    groups = chart.findall("s:g[@class='series']", NS)
    assert [g.get("data-series") for g in groups] == ["DM104", "DM106"]
    circles = groups[0].findall("s:circle", NS)
    assert [(c.get("data-label"), float(c.get("data-value", ""))) for c in circles] == [
        ("w1", 100),
        ("w2", 50),
        ("w4", 0),
    ]
    plot_h = svg.HEIGHT - svg.TOP - svg.BOTTOM
    ys = [float(c.get("cy", "")) for c in circles]
    assert ys == [svg.TOP, svg.TOP + plot_h / 2, svg.TOP + plot_h]  # 100 %, 50 %, 0 %
    xs = [float(c.get("cx", "")) for c in circles]
    step = (svg.WIDTH - svg.LEFT - svg.RIGHT) / 3
    assert xs == pytest.approx([svg.LEFT, svg.LEFT + step, svg.LEFT + 3 * step])
    # the week without data breaks the line: two stretches, the lone point none
    assert len(groups[0].findall("s:polyline", NS)) == 2
    assert circles[1].findtext("s:title", namespaces=NS) == "DM104, w2: 50%"


def test_a_bar_chart_is_to_scale() -> None:
    bars = [
        svg.Bar("DM104", [("merged", 6, svg.MERGED), ("closed", 2, svg.CLOSED)], "75% merged"),
        svg.Bar("DM106", [("merged", 1, svg.MERGED), ("closed", 3, svg.CLOSED)], "25% merged"),
    ]
    chart = parse(svg.bar_chart("t", bars, [("merged", svg.MERGED)]))
    rows = chart.findall("s:g[@class='bar']", NS)
    widths = {
        (g.get("data-label"), r.get("data-part")): float(r.get("width", ""))
        for g in rows
        for r in g.findall("s:rect", NS)
    }
    values = {
        (g.get("data-label"), r.get("data-part")): int(r.get("data-value", ""))
        for g in rows
        for r in g.findall("s:rect", NS)
    }
    assert values == {("DM104", "merged"): 6, ("DM104", "closed"): 2, ("DM106", "merged"): 1, ("DM106", "closed"): 3}
    unit = widths[("DM104", "merged")] / 6
    for key, count in values.items():
        assert widths[key] == pytest.approx(unit * count, abs=0.1)
    assert "75% merged" in ET.tostring(rows[0], encoding="unicode")


def test_text_in_a_chart_is_escaped() -> None:
    chart = parse(svg.line_chart('<script>"&', ["a<b"], [svg.Series("x&y", [10])]))
    assert chart.get("aria-label") == '<script>"&'
    assert chart.find("s:g[@class='series']", NS).get("data-series") == "x&y"  # type: ignore[union-attr]


def test_acceptance_counts_peoples_decisions_per_fixer_team_and_week() -> None:
    ended = sample_ended(NOW)
    result = acceptance(ended, sample_requests(), NOW)
    assert len(result.weeks) == WEEKS and result.weeks[-1] == week_start(NOW).strftime("%d %b")
    # merged: 0 (DM104), 1 (DM104, DM106), 3 (DM105); closed: 2 (DM106), 4 (DM104); 5 was fixed by the bot
    assert (result.overall.merged, result.overall.closed) == (3, 2)
    rows = {row.code: row for row in result.fixers}
    assert [row.code for row in result.fixers] == ["DM104", "DM106", "DM105"]  # busiest first
    assert (rows["DM104"].tally.merged, rows["DM104"].tally.closed) == (2, 1)
    assert rows["DM104"].tally.rate == pytest.approx(200 / 3)
    assert rows["DM104"].median_hours == pytest.approx(17.5)  # 5 h and 30 h
    assert rows["DM106"].median_hours == 30 and rows["DM105"].tally.rate == 100
    assert result.median_hours == 5  # 5, 30 and 2 hours
    # the charts draw the same numbers, in the week each request ended
    chart = parse(result.by_fixer)
    dm104 = chart.find("s:g[@data-series='DM104']", NS)
    assert dm104 is not None
    drawn = {c.get("data-label"): float(c.get("data-value", "")) for c in dm104.findall("s:circle", NS)}
    week = {d: (week_start(NOW - timedelta(days=d))).strftime("%d %b") for d in (2, 9, 23)}
    assert drawn == {week[2]: 100, week[9]: 100, week[23]: 0}
    teams = parse(result.by_team)
    web = teams.find("s:g[@data-series='web']", NS)
    assert web is not None
    assert {float(c.get("data-value", "")) for c in web.findall("s:circle", NS)} == {50}  # one merged, one closed
    assert teams.find("s:g[@data-series='(no team)']", NS) is not None
    totals = parse(result.totals)
    merged = totals.find("s:g[@data-label='DM104']/s:rect[@data-part='merged']", NS)
    assert merged is not None and merged.get("data-value") == "2"
    # waiting longest: the oldest open request first, its age in days
    assert [(w.request.number, w.days) for w in result.waiting] == [(17, 16), (88, 9), (412, 2)]


def test_durations_for_people() -> None:
    assert [hours_text(h) for h in (None, 0.5, 5, 47.4, 84)] == ["—", "30 min", "5 h", "47 h", "3.5 d"]


def test_the_dashboard_shows_the_charts_and_the_waiting_requests() -> None:
    now = datetime.now(UTC)
    services = FakeServices(ended=sample_ended(now))
    html = TestClient(app(services)).get("/", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "3 merged, 2 closed unmerged (60% merged)" in html
    for figure in ("chart-fixers", "chart-teams", "chart-totals"):
        found = re.search(rf'<figure id="{figure}"><figcaption>[^<]*</figcaption>(.*?)</figure>', html, re.S)
        assert found is not None
        parse(found.group(1))
    waiting = re.search(r'<section id="waiting".*?</section>', html, re.S)
    assert waiting is not None and waiting.group(0).index("#17 ") < waiting.group(0).index("#412 ")
    assert "<script" not in html


def test_the_dashboard_without_decisions() -> None:
    html = TestClient(app(FakeServices(ended=[]))).get("/", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "No request was merged or closed in that time." in html and 'id="chart-fixers"' not in html


def test_fates_are_counted_per_fixer_code() -> None:
    metrics = Metrics()
    metrics.request_ended("merged", ["DM104", "DM106", "DM104"])
    metrics.request_ended("closed", ["DM104", "not-a-code"])
    exposition = metrics.exposition()[0].decode()

    def value(code: str, fate: str) -> float | None:
        return metrics.registry.get_sample_value("dockmend_request_fates_total", {"code": code, "fate": fate})

    assert (value("DM104", "merged"), value("DM106", "merged"), value("DM104", "closed")) == (1, 1, 1)
    assert "not-a-code" not in exposition  # labels are fixer codes only
    with pytest.raises(ValueError, match="fate"):
        metrics.request_ended("fixed", ["DM104"])
