"""The status issue against the GitHub and GitLab emulators, through the real clients.

With ``status_issue: true`` each repository gets one issue that the bot keeps true: what
is pending, what the caps deferred, what is ignored, a broken ``.dockmend.yml``. A box
ticked on the forge is acted on by the next run (a deferred fix opened past the cap, a
fix closed unmerged proposed again), and the issue is written again, unticked. An
unchanged issue is never written again; a dry run prints the issue and writes nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.engine import status
from bot.engine.changes import Kind
from bot.engine.options import RunOptions
from bot.engine.report import FAILED, PlainReporter, RunSummary
from bot.engine.run import UNCHANGED, Runner
from bot.platforms import build_platform
from bot.service.memory import StateMemory
from bot.settings import config
from bot.state import db
from tests.integration.estate import APT, PIP, README, Project
from tests.integration.estate import Kind as Estate
from tests.integration.forges import FORGES, Forge, Issue, started

API = Project("api", Estate.FIXES, {"": PIP}, README)
WORKER = Project("worker", Estate.FIXES, {"": APT}, README)
BROKEN = Project("broken", Estate.FIXES, {"": PIP}, {".dockmend.yml": "enable: false\n"})
BOT = {"github": "dockmend-bot", "gitlab": "dockmend-bot"}


def run(
    forge: Forge, run_id: str, *, cap: int, dry_run: bool = False, memory: StateMemory | None = None
) -> tuple[RunSummary, str]:
    """``dockmend run --offline`` with ``status_issue: true`` and ``max_requests: cap``."""
    text = forge.config_text().replace("max_requests: 50", f"max_requests: {cap}, status_issue: true")
    assert "status_issue: true" in text
    path = forge.tmp / "status.yaml"
    path.write_text(text)
    cfg = config.load(path)
    platforms = {n: build_platform(s, forge.env, builders=forge.builders()) for n, s in cfg.platforms.items()}
    out = io.StringIO()
    options = RunOptions(dry_run=dry_run, offline=True, run_id=run_id, memory=memory)
    summary = Runner(cfg, platforms, PlainReporter(out, out), options).run()
    if memory is not None:
        memory.flush()
    return summary, out.getvalue()


def the_issue(forge: Forge, project: Project) -> Issue:
    (issue,) = forge.issues(project)
    assert issue.state == "open" and issue.author == BOT[forge.kind] and status.MARKER in issue.body
    return issue


def tick(forge: Forge, project: Project, issue: Issue, verb: str) -> str:
    """Tick the first ``verb`` box of the issue, as a person does; the code it names."""
    box = f"- [ ] <!-- dockmend:{verb}:"
    assert box in issue.body
    forge.edit(project, issue.number, issue.body.replace(box, f"- [x] <!-- dockmend:{verb}:", 1), issue=True)
    start = issue.body.index(box) + len(box)
    return issue.body[start : start + 5]


def outcomes(summary: RunSummary, forge: Forge, project: Project) -> list[Kind]:
    (result,) = (r for r in summary.results if r.repo == forge.name(project))
    return [o.kind for o in result.outcomes]


@pytest.mark.parametrize("kind", FORGES)
def test_a_deferred_fix_asked_for_now_is_opened_past_the_cap(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API, WORKER]) as forge:
        first, _ = run(forge, "run-1", cap=0)
        assert outcomes(first, forge, API) == outcomes(first, forge, WORKER) == [Kind.DEFERRED]
        issue = the_issue(forge, WORKER)
        assert "## Deferred" in issue.body and "`max_requests`: 0 a run" in issue.body
        assert "- [ ] <!-- dockmend:now:DM104 --> DM104 `consolidate-cleanup`" in issue.body
        assert "No open request." in issue.body

        mark = forge.mark()  # the same state: nothing is written, the issues included
        run(forge, "run-2", cap=0)
        assert forge.writes_since(mark) == []

        code = tick(forge, WORKER, issue, "now")
        third, _ = run(forge, "run-3", cap=0)
        assert outcomes(third, forge, WORKER) == [Kind.CREATED]  # past the cap of 0
        assert outcomes(third, forge, API) == [Kind.DEFERRED]  # not asked for: still held back
        (request,) = forge.snapshot()[forge.name(WORKER)].requests
        after = the_issue(forge, WORKER)
        assert after.number == issue.number  # the same issue, written again
        assert "[x]" not in after.body and "## Deferred" not in after.body
        assert f"{request_url(forge, WORKER, request.number)}): " in after.body and code in after.body
        assert the_issue(forge, API).body == forge.issues(API)[0].body  # never two


def request_url(forge: Forge, project: Project, number: int) -> str:
    name = forge.name(project)
    kind = "pull" if forge.kind == "github" else "-/merge_requests"
    return f"/{name}/{kind}/{number}"


@pytest.mark.parametrize("kind", FORGES)
def test_a_closed_fix_asked_for_again_is_proposed_again(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [WORKER]) as forge:
        run(forge, "run-1", cap=5)
        (opened,) = forge.snapshot()[forge.name(WORKER)].requests
        assert f"/{opened.number}): " in the_issue(forge, WORKER).body
        forge.close(WORKER, opened.number)

        second, _ = run(forge, "run-2", cap=5)
        assert outcomes(second, forge, WORKER) == [Kind.SKIPPED_CLOSED]
        issue = the_issue(forge, WORKER)
        assert "## Ignored" in issue.body and "No open request." in issue.body
        assert (
            "- [ ] <!-- dockmend:unignore:DM104 --> DM104 `consolidate-cleanup`: its request was closed" in issue.body
        )

        tick(forge, WORKER, issue, "unignore")
        third, _ = run(forge, "run-3", cap=5)
        assert outcomes(third, forge, WORKER) == [Kind.CREATED]
        (result,) = third.results
        assert "DM104" in result.unignored and result.status_issue.startswith("updated ")
        requests = sorted(forge.snapshot()[forge.name(WORKER)].requests, key=lambda r: r.number)
        assert [r.state for r in requests] == ["closed", "open"]
        after = the_issue(forge, WORKER)
        assert "## Ignored" not in after.body and "[x]" not in after.body
        assert f"/{requests[1].number}): " in after.body


@pytest.mark.parametrize("kind", FORGES)
def test_a_broken_dockmend_yml_is_said_in_the_issue(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [BROKEN]) as forge:
        summary, _ = run(forge, "run-1", cap=5)
        (result,) = summary.results
        assert result.status == FAILED and "unknown key enable" in result.reason
        body = the_issue(forge, BROKEN).body
        assert "## Configuration errors" in body and "unknown key enable" in body
        assert forge.snapshot()[forge.name(BROKEN)].requests == ()


@pytest.mark.parametrize("kind", FORGES)
def test_a_dry_run_prints_the_issue_and_writes_nothing(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API]) as forge:
        mark = forge.mark()
        _, printed = run(forge, "dry-1", cap=0, dry_run=True)
        assert forge.writes_since(mark) == [] and forge.issues(API) == []
        assert f"{forge.name(API)}: status issue would be opened" in printed
        assert status.MARKER in printed and "- [ ] <!-- dockmend:now:DM104 -->" in printed


@pytest.mark.parametrize("kind", FORGES)
def test_a_box_ticked_in_an_unchanged_repository_is_acted_on_in_the_next_run(kind: str, tmp_path: Path) -> None:
    """The rescan memory would skip the repository (nothing was pushed); the ticked box in
    its status issue (GitHub: the owner's search for the bot's issues; GitLab: the
    project's issues) brings it back."""
    engine, sessions = db.open_database(f"sqlite:///{tmp_path / 'state.db'}")
    memory = StateMemory(sessions)
    try:
        with started(kind, tmp_path / "forge", [WORKER]) as forge:
            run(forge, "run-1", cap=5)
            (opened,) = forge.snapshot()[forge.name(WORKER)].requests
            forge.close(WORKER, opened.number)
            second, _ = run(forge, "run-2", cap=5, memory=memory)
            assert outcomes(second, forge, WORKER) == [Kind.SKIPPED_CLOSED]
            third, _ = run(forge, "run-3", cap=5, memory=memory)
            assert [r.reason for r in third.results] == [UNCHANGED]  # what the memory does
            tick(forge, WORKER, the_issue(forge, WORKER), "unignore")
            fourth, _ = run(forge, "run-4", cap=5, memory=memory)
            assert outcomes(fourth, forge, WORKER) == [Kind.CREATED]
            assert "## Ignored" not in the_issue(forge, WORKER).body
    finally:
        engine.dispose()
