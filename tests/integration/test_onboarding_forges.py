"""Onboarding and presets against the GitHub and GitLab emulators, through the real clients.

Onboarding (``onboarding: true``, the default): a new repository's first request adds a
``.dockmend.yml`` listing the fixes found, and nothing else is opened there; merged, the
fixes follow on the next run; closed unmerged, nothing more is opened on later runs.
Presets: a ``.dockmend.yml`` that extends a file of another repository of the
organisation, read through the forge.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.engine.options import RunOptions
from bot.engine.report import PlainReporter, RunSummary
from bot.engine.run import Runner
from bot.platforms import build_platform
from bot.settings import config
from tests.integration import estate
from tests.integration.estate import APT, PIP, README, Kind, Project
from tests.integration.forges import BRANCH, FORGES, Forge, RepoState, started

ONBOARDING = "dockmend/onboarding"
API = Project("api", Kind.FIXES, {"": PIP}, README)
WORKER = Project("worker", Kind.FIXES, {"": APT}, README)
CLEAN = Project("clean", Kind.CLEAN, {"": estate.TIDY}, README)
PRESETS = Project("dockmend-config", Kind.NO_DOCKERFILE, extra={"presets/base.yml": "fixers: {select: [DM104]}\n"})
WEB = Project("web", Kind.FIXES, {"": PIP}, {".dockmend.yml": "extends: acme/dockmend-config:presets/base.yml\n"})


def run(forge: Forge, onboarding: bool, run_id: str, *, dry_run: bool = False, cap: int = 50) -> RunSummary:
    """``dockmend run --offline`` with the forge's configuration, onboarding on or off."""
    text = forge.config_text().replace("onboarding: false", f"onboarding: {str(onboarding).lower()}")
    text = text.replace("max_requests: 50", f"max_requests: {cap}")
    assert f"onboarding: {str(onboarding).lower()}" in text and f"max_requests: {cap}" in text
    path = forge.tmp / "onboarding.yaml"
    path.write_text(text)
    cfg = config.load(path)
    builders = forge.builders()
    platforms = {name: build_platform(s, forge.env, builders=builders) for name, s in cfg.platforms.items()}
    out = io.StringIO()
    return Runner(
        cfg, platforms, PlainReporter(out, out), RunOptions(dry_run=dry_run, offline=True, run_id=run_id)
    ).run()


def requests(state: RepoState) -> list[tuple[str, str]]:
    return sorted((r.branch, r.state) for r in state.requests)


@pytest.mark.parametrize("kind", FORGES)
def test_onboarding_merged_means_go_and_closed_means_leave_us_alone(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API, WORKER, CLEAN]) as forge:
        api, worker, clean = (forge.name(p) for p in (API, WORKER, CLEAN))
        first = run(forge, True, "run-1")
        assert not first.failed
        seen = forge.snapshot()
        # one small request per repository with fixes, and nothing else
        assert requests(seen[api]) == [(ONBOARDING, "open")]
        assert requests(seen[worker]) == [(ONBOARDING, "open")]
        assert requests(seen[clean]) == []
        assert BRANCH not in seen[api].branches
        (asked,) = seen[api].requests
        assert asked.title == "Configure dockmend"
        assert "<details><summary>What dockmend would change now (3 fixes in 1 file)</summary>" in asked.body
        for code in ("DM104 consolidate-cleanup", "DM105 add-labels", "DM106 exec-form"):
            assert f"- `Dockerfile`: {code}" in asked.body
        added = forge.files(API, ONBOARDING)
        assert set(added) - set(forge.files(API, "HEAD")) == {".dockmend.yml"}  # it adds the file, nothing else
        text = added[".dockmend.yml"].decode()
        assert "#   Dockerfile: DM104 consolidate-cleanup\n" in text and text.endswith("enabled: true\n")

        # a second run with nothing decided changes nothing
        mark = forge.mark()
        run(forge, True, "run-2")
        assert forge.writes_since(mark) == []

        forge.merge(API, asked.number)
        forge.close(WORKER, seen[worker].requests[0].number)
        run(forge, True, "run-3")
        seen = forge.snapshot()
        # merged: its fixes follow, and the merged onboarding branch is gone
        assert requests(seen[api]) == [(ONBOARDING, "merged"), (BRANCH, "open")]
        assert ONBOARDING not in seen[api].branches
        fixes = forge.files(API, BRANCH)
        assert b"--no-cache-dir" in fixes["Dockerfile"] and ".dockmend.yml" in fixes
        # closed: nothing more, on this run and the next
        assert requests(seen[worker]) == [(ONBOARDING, "closed")]
        mark = forge.mark()
        fourth = run(forge, True, "run-4")
        assert {w.repo for w in forge.writes_since(mark)} == set()
        assert requests(forge.snapshot()[worker]) == [(ONBOARDING, "closed")]
        (result,) = [r for r in fourth.results if r.repo == worker]
        assert result.reason.startswith("onboarding declined")


@pytest.mark.parametrize("kind", FORGES)
def test_onboarding_off_opens_the_fixes_at_once(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API]) as forge:
        run(forge, False, "run-1")
        assert requests(forge.snapshot()[forge.name(API)]) == [(BRANCH, "open")]


@pytest.mark.parametrize("kind", FORGES)
def test_a_repository_the_bot_knows_is_not_asked(kind: str, tmp_path: Path) -> None:
    """A request of the bot already there (from before onboarding): not new, no onboarding."""
    with started(kind, tmp_path, [API]) as forge:
        run(forge, False, "run-1")
        forge.merge(API, forge.snapshot()[forge.name(API)].requests[0].number)
        forge.human_commit(API, "main", {"Dockerfile": PIP.files["Dockerfile"].encode()})  # the mistake is back
        run(forge, True, "run-2")
        assert [b for b, _ in requests(forge.snapshot()[forge.name(API)])] == [BRANCH, BRANCH]


@pytest.mark.parametrize("kind", FORGES)
def test_a_preset_in_a_repository_of_the_organisation(kind: str, tmp_path: Path) -> None:
    """web's .dockmend.yml extends acme/dockmend-config:presets/base.yml (select: DM104)."""
    with started(kind, tmp_path, [WEB, PRESETS]) as forge:
        summary = run(forge, True, "run-1")  # web has its .dockmend.yml: not onboarded
        assert not summary.failed, [r.reason for r in summary.results]
        (request,) = forge.snapshot()[forge.name(WEB)].requests
        assert request.branch == BRANCH and "DM104" in request.body and "DM106" not in request.body
        dockerfile = forge.files(WEB, BRANCH)["Dockerfile"].decode()
        assert "--no-cache-dir" in dockerfile and "CMD python -m api" in dockerfile  # DM106 not selected


@pytest.mark.parametrize("kind", FORGES)
def test_a_missing_preset_fails_that_repository_only(kind: str, tmp_path: Path) -> None:
    broken = Project("web", Kind.FIXES, {"": PIP}, {".dockmend.yml": "extends: acme/dockmend-config:nope.yml\n"})
    with started(kind, tmp_path, [broken, PRESETS, API]) as forge:
        summary = run(forge, False, "run-1")
        (result,) = [r for r in summary.results if r.repo == forge.name(broken)]
        assert result.status == "failed"
        assert result.reason == "acme/dockmend-config:nope.yml: extends: no file nope.yml in acme/dockmend-config"
        assert requests(forge.snapshot()[forge.name(API)]) == [(BRANCH, "open")]


@pytest.mark.parametrize("kind", FORGES)
def test_onboarding_requests_count_against_the_cap(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API, WORKER]) as forge:
        first = run(forge, True, "run-1", cap=1)
        reasons = {r.repo: r.reason for r in first.results}
        asked = [name for name, state in forge.snapshot().items() if requests(state) == [(ONBOARDING, "open")]]
        assert len(asked) == 1
        (other,) = {forge.name(API), forge.name(WORKER)} - set(asked)
        assert reasons[other] == "onboarding request deferred by the run's cap"
        assert requests(forge.snapshot()[other]) == []
        run(forge, True, "run-2", cap=1)
        assert requests(forge.snapshot()[other]) == [(ONBOARDING, "open")]


@pytest.mark.parametrize("kind", FORGES)
def test_a_dry_run_writes_nothing(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API]) as forge:
        mark = forge.mark()
        summary = run(forge, True, "run-1", dry_run=True)
        assert forge.writes_since(mark) == []
        (result,) = summary.results
        (outcome,) = result.outcomes
        assert (outcome.kind, outcome.branch, outcome.dry_run) == ("created", ONBOARDING, True)


@pytest.mark.parametrize("kind", FORGES)
def test_an_open_onboarding_request_follows_the_fixes(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API]) as forge:
        run(forge, True, "run-1")
        forge.human_commit(API, "main", {"tools/Dockerfile": APT.files["Dockerfile"].encode()})
        run(forge, True, "run-2")
        (asked,) = forge.snapshot()[forge.name(API)].requests
        assert asked.state == "open" and "- `tools/Dockerfile`: DM104 consolidate-cleanup" in asked.body
        assert b"#   tools/Dockerfile: DM104" in forge.files(API, ONBOARDING)[".dockmend.yml"]


@pytest.mark.parametrize("kind", FORGES)
def test_a_dockmend_yml_added_by_hand_answers_the_onboarding_request(kind: str, tmp_path: Path) -> None:
    with started(kind, tmp_path, [API]) as forge:
        run(forge, True, "run-1")
        forge.human_commit(API, "main", {".dockmend.yml": b"fixers: {select: [DM104]}\n"})
        run(forge, True, "run-2")
        state = forge.snapshot()[forge.name(API)]
        assert requests(state) == [(ONBOARDING, "closed"), (BRANCH, "open")]
        assert ONBOARDING not in state.branches
