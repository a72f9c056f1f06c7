"""Rescans of an unchanged estate read nothing but the listing (both forges, real clients).

The runner remembers each completed scan in a real state database (SQLite here;
:mod:`bot.service.memory`); the next run skips a repository whose listing shows the
same change marker, under the same settings. A push to one repository's default
branch brings back exactly that repository; changed settings bring back all of them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.engine.changes import REBASE_BOX, Kind, rebase_asked
from bot.engine.options import RequestHistory, RunOptions, no_history
from bot.engine.report import OK, PlainReporter, RunSummary
from bot.engine.run import UNCHANGED, Runner
from bot.platforms import build_platform
from bot.service.memory import StateMemory
from bot.settings import config
from bot.state import db
from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.integration import estate
from tests.integration.forges import FORGES, Forge, started

READS = {"GET", "HEAD"}


@dataclass
class Bench:
    forge: Forge
    memory: StateMemory

    def run(
        self, run_id: str, history: Callable[[str], RequestHistory] = no_history
    ) -> tuple[RunSummary, list[tuple[str, str]]]:
        """One run with the memory; the summary and every request it made (method, path)."""
        cfg = config.load(self.forge.config_file())
        builders = self.forge.builders()
        platforms = {name: build_platform(s, self.forge.env, builders=builders) for name, s in cfg.platforms.items()}
        before = self.forge.mark()
        options = RunOptions(offline=True, run_id=run_id, memory=self.memory, history=history)
        out, err = io.StringIO(), io.StringIO()
        summary = Runner(cfg, platforms, PlainReporter(out, err), options).run()
        self.memory.flush()
        return summary, requests_since(self.forge, before)


def requests_since(forge: Forge, mark: int) -> list[tuple[str, str]]:
    em = forge.em  # type: ignore[attr-defined]
    seen = em.requests[mark:]
    return [(r["method"], r["path"]) if isinstance(r, dict) else (r[0], r[1]) for r in seen]


@pytest.fixture(params=FORGES)
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    engine, sessions = db.open_database(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with started(request.param, tmp_path / "forge") as forge:
            yield Bench(forge, StateMemory(sessions))
    finally:
        engine.dispose()


def scanned(summary: RunSummary) -> set[str]:
    """Repositories the run read (not skipped as unchanged, nor left out by the listing's filters)."""
    read = ("no Dockerfile", "opted out", "empty")  # skipped after reading the tree
    return {r.repo for r in summary.results if r.status == OK or r.reason.startswith(read)}


def unchanged(summary: RunSummary) -> set[str]:
    return {r.repo for r in summary.results if r.reason == UNCHANGED}


def test_an_unchanged_estate_costs_the_listing_only(bench: Bench) -> None:
    first, first_requests = bench.run("run-1")
    assert not first.failed and first.count(OK) >= 10
    second, second_requests = bench.run("run-2")
    assert scanned(second) == set()
    assert unchanged(second) == scanned(first)
    assert all(method in READS for method, _ in second_requests)
    assert len(second_requests) <= 2, second_requests  # one listing page (and GitHub's user check)
    assert len(first_requests) > 20 * len(second_requests)


def test_a_push_brings_back_that_repository_only(bench: Bench) -> None:
    bench.run("run-1")
    project = estate.fixable(bench.forge.kind)[0]
    bench.forge.human_commit(project, "main", {"README.md": b"# Moved on\n"})
    after, _ = bench.run("run-2")
    assert scanned(after) == {bench.forge.name(project)}
    assert [r.outcomes[0].kind.value for r in after.results if r.status == OK] == ["rebased"]


def test_changed_settings_bring_back_every_repository(bench: Bench) -> None:
    first, _ = bench.run("run-1")
    path = bench.forge.config_file()
    text = bench.forge.config_text() + "labels: {org.opencontainers.image.vendor: Acme Corp}\n"
    bench.forge.config_text = lambda: text  # type: ignore[method-assign]
    assert path.exists()
    after, _ = bench.run("run-2")
    assert scanned(after) == scanned(first)


def test_a_ticked_rebase_box_brings_back_that_repository_in_the_same_run(bench: Bench) -> None:
    """Ticking the box edits the request, not the repository: the listing's marker does not
    move, yet the organisation-wide look-up's bodies show the tick, so the run scans it."""
    first, _ = bench.run("run-1")
    project = estate.fixable(bench.forge.kind)[0]
    name = bench.forge.name(project)
    (request,) = bench.forge.snapshot()[name].requests
    assert REBASE_BOX in request.body and request.state == "open"
    ticked = request.body.replace(REBASE_BOX, REBASE_BOX.replace("[ ]", "[x]"))
    bench.forge.edit(project, request.number, ticked, issue=False)
    after, _ = bench.run("run-2")
    assert scanned(after) == {name}  # the others stay skipped as unchanged
    assert unchanged(after) == scanned(first) - {name}
    (result,) = (r for r in after.results if r.repo == name)
    assert [o.kind for o in result.outcomes] == [Kind.REBASED]  # recreated on the default branch
    (again,) = bench.forge.snapshot()[name].requests
    assert again.number == request.number and not rebase_asked(again.body)


def test_without_the_survey_the_repository_own_requests_are_read(bench: Bench) -> None:
    """The organisation-wide look-up lost (GitHub: an incomplete search; GitLab: the group
    listing refused): the open requests the state store knows are looked up one by one,
    as for their fates, and their bodies show the tick."""
    bench.run("run-1")
    project = estate.fixable(bench.forge.kind)[0]
    name = bench.forge.name(project)
    (request,) = bench.forge.snapshot()[name].requests
    bench.forge.edit(project, request.number, request.body.replace("- [ ]", "- [x]", 1), issue=False)
    assert rebase_asked(bench.forge.snapshot()[name].requests[0].body)
    lose_the_survey(bench.forge)
    known = RequestHistory(frozenset({request.branch}))
    after, _ = bench.run("run-2", history=lambda full_name: known if full_name == name else RequestHistory())
    assert scanned(after) == {name}
    (result,) = (r for r in after.results if r.repo == name)
    assert [o.kind for o in result.outcomes] == [Kind.REBASED]


def lose_the_survey(forge: Forge) -> None:
    em = forge.em  # type: ignore[attr-defined]
    if forge.kind == "github":
        em.search_incomplete = True  # GitHub timed out: every repository is looked up
    else:  # the group's merge requests cannot be listed (the retries outlasted)
        down = Fault(FaultKind.SERVER_ERROR, 503)
        em.set_faults(Faults(triggers=[Trigger("GET", r"/groups/[^/]+/merge_requests", fault=down, times=1000)]))
