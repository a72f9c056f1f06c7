"""The dashboard of a real service run, in Debian's headless Chromium; its screenshot is the README's.

The service is built as ``dockmend serve`` builds it (``create_service`` on a fresh SQLite
file) against the GitHub emulator holding the integration estate, with unthrottled
platforms as in ``tests/service/test_serve.py``, and served by uvicorn. Three real runs:

1. ``POST /api/runs`` with the bearer token: the first run opens the estate's requests.
2. People act through the emulator's API: two requests are merged, two are closed
   unmerged, and another repository gets the bot's fixes by hand.
3. A Mattermost ``scan acme/api`` from an allowed user: the bot closes that request.
4. The target's run as the scheduler starts it: the merged requests' branches are
   deleted, and the closes (in repositories not changed since) are looked up: the
   state database learns each request's fate.

What the page shows (the acceptance charts' data points included) is compared with the
state database and the emulator; the full-page screenshot is written to
``docs/dashboard.png``.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.platforms import build_platform
from bot.service.app import Service, create_service
from bot.service.web.acceptance import TOP_SERIES
from bot.service.web.dashboard import when
from bot.settings import config
from bot.state import findings, store
from bot.state import requests as state_requests
from bot.state.execution import RunRequest, guarded_run
from bot.state.models import Run
from tests.integration import estate, story
from tests.integration.forges import BRANCH, GITHUB_TOKEN, GitHub, RepoState
from tests.service.web.chromium import drive, missing
from tests.service.web.serving import Recorder, serve

TOKEN = "live-dashboard-token-0123456789abcdef"
MM_TOKEN = "live-mattermost-token-0123456789"
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "dashboard.png"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
WAIT = 60.0  # seconds: an upper bound, not a pace
MERGED = story.PROJECTS["svc-04"]  # a person merges the bot's request
ALSO_MERGED = story.PROJECTS["svc-01"]
CLOSED = (story.PROJECTS["web"], story.PROJECTS["gateway"])  # people close the bot's requests unmerged
BY_HAND = story.PROJECTS["api"]  # a person applies the bot's fixes on the default branch
HEADINGS = [
    "Acceptance", "Waiting longest", "Open requests", "Recent runs", "Next scheduled runs",
    "Repositories with findings",
]  # fmt: skip


def _service(forge: GitHub, tmp: Path) -> Service:
    path = tmp / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gh: {{type: github, url: {forge.em.url}, token: ${{GITHUB_TOKEN}}}}\n"
        "targets:\n"
        f"  - name: acme\n    platform: gh\n    owner: {estate.OWNER}\n    max_requests: 50\n    onboarding: false\n"
        '    schedule: {cron: "0 6 * * mon", timezone: Europe/Berlin}\n'
        "chat:\n  mattermost: {token: ${MATTERMOST_TOKEN}, allowed_users: [pmq6ewsgq7fh8ceyq5imd4yafh]}\n"
        "web: {listen: 127.0.0.1:8080, api_token: ${DOCKMEND_API_TOKEN}}\n"
    )
    cfg = config.load(path)
    env = {
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "DOCKMEND_API_TOKEN": TOKEN,
        "MATTERMOST_TOKEN": MM_TOKEN,
        "DOCKMEND_DATABASE_URL": f"sqlite:///{tmp / 'state.db'}",
    }
    builders = forge.builders()  # unthrottled PyGithub: the production pacing cannot be switched off
    platforms = {name: build_platform(s, env, builders=builders) for name, s in cfg.platforms.items()}
    return create_service(cfg, env, platforms=platforms, offline=True)


def _finished(service: Service, run_id: str) -> Run:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with service.sessions() as session:
            run = store.get_run(session, run_id)
            if run is not None and run.outcome is not None:
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def _api_run(base: str) -> str:
    answer = httpx.post(
        f"{base}/api/runs", json={"target": "acme", "requested_by": "ci"},
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    run_id: str = answer.json()["run_id"]
    return run_id


def _chat_scan(base: str, repo: str) -> str:
    """A Mattermost slash command; the text posted back when the scan has finished."""
    with Recorder() as hook:
        form = {
            "token": MM_TOKEN, "user_name": "alice", "user_id": "pmq6ewsgq7fh8ceyq5imd4yafh", "channel_id": "c-ops",
            "channel_name": "ops", "text": f"scan {repo}", "response_url": f"{hook.url}/hooks/live",
        }  # fmt: skip
        answer = httpx.post(f"{base}/chat/mattermost", data=form, timeout=10)
        assert answer.status_code == 200, answer.text
        texts: list[str] = [str(hook.next(WAIT)[1]["text"])]
        while "finished" not in texts[-1] and len(texts) < 3:  # a progress line comes first
            texts.append(str(hook.next(WAIT)[1]["text"]))
    return texts[-1]


def _people_act(forge: GitHub) -> None:
    state = forge.snapshot()
    forge.merge(MERGED, _open_number(state, MERGED))
    forge.merge(ALSO_MERGED, _open_number(state, ALSO_MERGED))
    for project in CLOSED:
        forge.close(project, _open_number(state, project))
    forge.human_commit(BY_HAND, "main", story.bot_changes(forge, BY_HAND, state[forge.name(BY_HAND)]))


def _open_number(state: dict[str, RepoState], project: estate.Project) -> int:
    (request,) = state[estate.github_name(project)].requests
    number: int = request.number
    return number


def _run_service(forge: GitHub, service: Service, base: str) -> list[str]:
    """The three runs of the module's docstring; their ids, oldest first."""
    first = _finished(service, _api_run(base))
    assert (first.outcome, first.requests_opened) == ("ok", len(estate.fixable("github")))
    _people_act(forge)
    said = _chat_scan(base, estate.github_name(BY_HAND))
    with service.sessions() as session:
        chat = store.recent_runs(session, 1)[0]
    assert chat.id in said and (chat.trigger, chat.outcome, chat.requests_closed) == ("chat", "ok", 1)
    scheduled = guarded_run(
        service.sessions, RunRequest("acme", "schedule"), service.run_target, holder=service.scheduler.holder
    )
    assert scheduled.outcome == "ok"
    for project in (MERGED, ALSO_MERGED):
        assert BRANCH not in forge.snapshot()[estate.github_name(project)].branches  # the merged request's
    return [first.id, chat.id, scheduled.run_id]


def _expected_requests(forge: GitHub) -> list[tuple[str, str]]:
    web = forge.em.url.removesuffix("/api/v3")
    return sorted(
        (f"#{r.number} {r.title}", f"{web}/{name}/pull/{r.number}")
        for name, repo in forge.snapshot().items()
        for r in repo.requests
        if r.state == "open"
    )


def _check_charts(charts: list[dict[str, Any]], ended: set[tuple[str, str, tuple[str, ...]]]) -> None:
    """The charts draw what the state database holds: per fixer, merged and closed counts
    (totals) and this week's percentage (the runs all happened this week)."""
    per_code: dict[str, dict[str, int]] = {}
    for _, fate, codes in ended:
        if fate in ("merged", "closed"):
            for code in codes:
                per_code.setdefault(code, {"merged": 0, "closed": 0})[fate] += 1
    by_figure = {c["figure"]: c for c in charts}
    assert set(by_figure) == {"chart-fixers", "chart-teams", "chart-totals"}
    assert all(c["width"] > 300 for c in charts)  # drawn, not collapsed
    bars = {(code, part): value for code, part, value in by_figure["chart-totals"]["bars"]}
    assert bars == {
        (code, part): n
        for code, tally in per_code.items()
        for part, n in (("merged", tally["merged"]), ("closed unmerged", tally["closed"]))
    }
    shown = {series: value for series, _, value in by_figure["chart-fixers"]["points"]}
    top = sorted(per_code, key=lambda code: (-sum(per_code[code].values()), code))[:TOP_SERIES]
    assert shown == {
        code: pytest.approx(100 * per_code[code]["merged"] / sum(per_code[code].values()), abs=0.05) for code in top
    }
    assert [value for _, _, value in by_figure["chart-teams"]["points"]] == [50]  # no teams: one line


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_the_dashboard_of_a_live_service_in_chromium(forge: GitHub, tmp_path: Path) -> None:
    service = _service(forge, tmp_path)
    service.start()
    try:
        with serve(service.app()) as base:
            run_ids = _run_service(forge, service, base)
            page = drive("live.mjs", base, tmp_path / "dashboard.png", TOKEN)
        with service.sessions() as session:
            runs = store.recent_runs(session)
            with_findings = [(r, f) for r, f in findings.repositories_with_findings(session) if f]
            ended = {
                (r.repository.full_name, r.fate, state_requests.codes_of(r))
                for r in state_requests.requests_ended_since(session, EPOCH)
            }
        (next_run,) = service.scheduler.next_runs()
    finally:
        service.stop()

    assert page["url"] == f"{base}/" and page["title"] == "dockmend" and page["headings"] == HEADINGS
    assert page["stylesLoaded"] == "rgb(22, 27, 38)"  # the stylesheet applied (CSP allows it)

    # runs: newest first, as recorded, with their triggers and counts
    assert [row[0] for row in page["runs"]] == [r.id for r in runs] == run_ids[::-1]
    assert [row[1] for row in page["runs"]] == ["ok", "ok", "ok"]
    assert [row[3] for row in page["runs"]] == ["schedule", "chat\nmattermost:alice", "api\napi:ci"]
    counts = [[int(n) for n in row[6:]] for row in page["runs"]]
    assert counts[2][0] == runs[2].repositories_scanned > 0 and counts[2][2] == len(estate.fixable("github"))
    assert counts[1][4] == 1  # the chat scan closed the request whose fixes landed by hand
    assert [c[2:] for c in counts] == [[r.requests_opened, r.requests_updated, r.requests_closed] for r in runs]

    # open requests: what the emulator holds open, linked to it; not the merged or closed ones
    requests = page["requests"]
    assert sorted((r["text"], r["href"]) for r in requests) == _expected_requests(forge)
    assert len(requests) == len(estate.fixable("github")) - 5
    shown = {r["href"].split("/")[4] for r in requests}
    assert not {p.name for p in (MERGED, ALSO_MERGED, BY_HAND, *CLOSED)} & shown
    assert all(r["fixes"] and all(c.startswith("DM") for c in r["fixes"]) for r in requests)

    # the weekly schedule, and the repositories with their findings (opened, visible)
    assert page["schedule"] == [["acme", when(next_run.at), "0 6 * * mon (Europe/Berlin)"]]
    assert next_run.at is not None
    berlin = next_run.at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.weekday(), berlin.hour, berlin.minute) == (0, 6, 0)
    repos = page["repositories"]
    assert [r["name"] for r in repos] == [row.full_name for row, _ in with_findings]
    assert [r["codes"] for r in repos] == [[f.code for f in found] for _, found in with_findings]
    assert "DM201" in next(r["codes"] for r in repos if r["name"] == estate.github_name(story.PROJECTS["ml"]))
    assert all(r["visible"] for r in repos)

    # fates: learnt from the forge, as people decided (the bot's own close is "fixed")
    fates = {name: fate for name, fate, _ in ended}
    decided = [(MERGED, "merged"), (ALSO_MERGED, "merged"), (CLOSED[0], "closed"), (CLOSED[1], "closed")]
    assert fates == {**{estate.github_name(p): fate for p, fate in decided}, estate.github_name(BY_HAND): "fixed"}
    assert page["acceptance"] == "2 merged, 2 closed unmerged (50% merged)"
    assert page["timeToMerge"].endswith(("min", "h"))
    _check_charts(page["charts"], ended)
    assert len(page["waiting"]) == min(10, len(requests))

    shot = tmp_path / "dashboard.png"
    assert shot.stat().st_size > 20_000
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
