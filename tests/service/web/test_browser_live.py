"""The dashboard of a real service run, in Debian's headless Chromium; its screenshot is the README's.

The service is built as ``dockmend serve`` builds it (``create_service`` on a fresh SQLite
file) against the GitHub emulator holding the integration estate, with unthrottled
platforms as in ``tests/service/test_serve.py``, and served by uvicorn. Three real runs:

1. ``POST /api/runs`` with the bearer token: the first run opens the estate's requests.
2. People act: a request is merged; another repository gets the bot's fixes by hand.
3. A Mattermost ``scan acme/api`` from an allowed user: the bot closes that request.
4. The target's run as the scheduler starts it: the merged request's branch is deleted.

What the page shows is compared with the state database and the emulator; the
full-page screenshot is written to ``docs/dashboard.png``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.platforms import build_platform
from bot.service.app import Service, create_service
from bot.service.web.dashboard import when
from bot.settings import config
from bot.state import findings, store
from bot.state.execution import RunRequest, guarded_run
from bot.state.models import Run
from tests.integration import estate, story
from tests.integration.forges import BRANCH, GITHUB_TOKEN, GitHub, RepoState
from tests.service.web.chromium import drive, missing
from tests.service.web.serving import Recorder, serve

TOKEN = "live-dashboard-token-0123456789abcdef"
MM_TOKEN = "live-mattermost-token-0123456789"
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "dashboard.png"
WAIT = 60.0  # seconds: an upper bound, not a pace
MERGED = story.PROJECTS["svc-04"]  # a person merges the bot's request
BY_HAND = story.PROJECTS["api"]  # a person applies the bot's fixes on the default branch
HEADINGS = ["Open requests", "Recent runs", "Next scheduled runs", "Repositories with findings"]


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
    assert BRANCH not in forge.snapshot()[estate.github_name(MERGED)].branches  # the merged request's
    return [first.id, chat.id, scheduled.run_id]


def _expected_requests(forge: GitHub) -> list[tuple[str, str]]:
    web = forge.em.url.removesuffix("/api/v3")
    return sorted(
        (f"#{r.number} {r.title}", f"{web}/{name}/pull/{r.number}")
        for name, repo in forge.snapshot().items()
        for r in repo.requests
        if r.state == "open"
    )


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
    assert len(requests) == len(estate.fixable("github")) - 2
    shown = {r["href"].split("/")[4] for r in requests}
    assert MERGED.name not in shown and BY_HAND.name not in shown
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

    shot = tmp_path / "dashboard.png"
    assert shot.stat().st_size > 20_000
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
