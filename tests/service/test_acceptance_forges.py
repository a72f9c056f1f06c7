"""Request fates and the fixer-stop policy, against the GitHub and GitLab emulators.

The runs are the service's recorded runs (:func:`bot.service.record.recorded_run`) on a
real SQLite state database, with the rescan memory on; people act between two runs
through the emulators (close a request, push to the default branch). One request per
fixer (``grouping: fixer``), so that DM104 has a request of its own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.engine.plan import branch_name
from bot.engine.report import RunSummary
from bot.platforms import build_platform
from bot.service.record import recorded_run
from bot.service.web.metrics import Metrics
from bot.settings import config
from bot.state import db
from bot.state.execution import RunRequest, guarded_run
from bot.state.models import ChangeRequest, Repository
from bot.state.store import RunCounts
from tests.integration.estate import APT, PIP, README, Kind, Project
from tests.integration.forges import FORGES, Forge, Request, started

DM104 = branch_name("dockmend", "DM104")
CLOSER = Project("closer", Kind.FIXES, {"": APT}, README)  # closes its DM104 requests
QUIET = Project("quiet", Kind.FIXES, {"": APT}, README)  # closes once, pushes nothing
KEEPER = Project("keeper", Kind.FIXES, {"": APT}, README)  # leaves its requests alone
PROJECTS = (CLOSER, QUIET, KEEPER)


@dataclass
class Bench:
    forge: Forge
    sessions: sessionmaker[Session]
    metrics: Metrics

    def run(self) -> tuple[RunSummary, str]:
        """One recorded run of the target; its summary and its log lines."""
        more = "max_requests: 50, max_requests_per_repo: 5, grouping: fixer,"
        text = self.forge.config_text().replace("max_requests: 50,", more)
        assert more in text
        path = self.forge.tmp / "acceptance.yaml"
        path.write_text(text)
        cfg = config.load(path)
        builders = self.forge.builders()
        platforms = {name: build_platform(s, self.forge.env, builders=builders) for name, s in cfg.platforms.items()}
        summaries: list[RunSummary] = []
        out, err = io.StringIO(), io.StringIO()

        def run_target(target: str, run_id: str) -> RunCounts:
            return recorded_run(
                cfg, self.sessions, target, run_id, offline=True, platforms=platforms, env=self.forge.env,
                metrics=self.metrics, out=out, err=err, summaries=summaries,
            )  # fmt: skip

        result = guarded_run(self.sessions, RunRequest("acme", "cli", "test"), run_target, holder="test")
        assert result.error is None and result.outcome == "ok", (result, err.getvalue())
        return summaries[0], err.getvalue()

    def requests(self, project: Project, branch: str = DM104) -> list[Request]:
        found = self.forge.snapshot()[self.forge.name(project)].requests
        return sorted((r for r in found if r.branch == branch), key=lambda r: r.number)

    def fates(self, project: Project) -> list[tuple[int, str]]:
        """(number, fate) of the project's DM104 requests in the state store, oldest first."""
        statement = (
            select(ChangeRequest.number, ChangeRequest.fate)
            .join(ChangeRequest.repository)
            .where(Repository.full_name == self.forge.name(project), ChangeRequest.branch == DM104)
            .order_by(ChangeRequest.number)
        )
        with self.sessions() as session:
            return [(number, fate) for number, fate in session.execute(statement)]

    def push(self, project: Project, folder: str) -> None:
        """A person adds a service (one more Dockerfile with a DM104 fix) on the default branch."""
        files = {f"{folder}/{path}": text.encode() for path, text in PIP.files.items()}
        self.forge.human_commit(project, "main", files)

    def counted(self, fate: str) -> float:
        value = self.metrics.registry.get_sample_value("dockmend_request_fates_total", {"code": "DM104", "fate": fate})
        return value or 0.0


@pytest.fixture(params=FORGES)
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    engine, sessions = db.open_database(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with started(request.param, tmp_path / "forge", PROJECTS) as forge:
            yield Bench(forge, sessions, Metrics())
    finally:
        engine.dispose()


def test_a_fixer_closed_unmerged_twice_is_no_longer_proposed_there(bench: Bench) -> None:
    bench.run()
    first = bench.requests(CLOSER)
    assert [r.state for r in first] == ["open"]
    bench.forge.close(CLOSER, first[0].number)
    bench.forge.close(QUIET, bench.requests(QUIET)[0].number)
    bench.push(CLOSER, "jobs")  # new DM104 fixes: a new fix set, so a new request

    _, log = bench.run()
    second = bench.requests(CLOSER)
    assert [r.state for r in second] == ["closed", "open"]
    assert bench.fates(CLOSER) == [(second[0].number, "closed"), (second[1].number, "open")]
    # quiet was not pushed to: not scanned, yet its request's close is learnt
    assert "quiet: skipped" in log.replace(bench.forge.name(QUIET), "quiet")
    assert [fate for _, fate in bench.fates(QUIET)] == ["closed"]
    assert bench.counted("closed") == 2

    bench.forge.close(CLOSER, second[1].number)
    bench.run()  # closer is unchanged: the second close is learnt
    assert [fate for _, fate in bench.fates(CLOSER)] == ["closed", "closed"]
    bench.push(CLOSER, "batch")  # more DM104 fixes: without the policy, a third request

    summary, log = bench.run()
    assert len(bench.requests(CLOSER)) == 2, "DM104 was proposed again after two closes"
    closer = next(r for r in summary.results if r.repo == bench.forge.name(CLOSER))
    assert closer.stopped == ("DM104",) and "DM104" not in closer.fix_codes
    assert "DM104 no longer proposed here" in log
    other = [r.state for r in bench.requests(CLOSER, branch_name("dockmend", "DM106"))]
    assert other == ["open"], "the other fixers are still proposed there"
    # the other repositories are not affected: one close is not two, none is none
    for project in (QUIET, KEEPER):
        result = next(r for r in summary.results if r.repo == bench.forge.name(project))
        assert result.stopped == ()
    assert [r.state for r in bench.requests(KEEPER)] == ["open"]
    assert bench.counted("closed") == 3 and bench.counted("merged") == 0


def test_a_merge_is_learnt_and_counted(bench: Bench) -> None:
    bench.run()
    request = bench.requests(KEEPER)[0]
    bench.forge.merge(KEEPER, request.number)
    bench.run()
    assert bench.fates(KEEPER) == [(request.number, "merged")]
    assert bench.counted("merged") == 1 and bench.counted("closed") == 0


def test_a_merge_is_learnt_when_the_forge_deleted_the_branch(bench: Bench) -> None:
    """Repositories that delete a merged request's branch: the request is looked up by the
    branch the state store knows, not found through the branch."""
    bench.run()
    request = bench.requests(KEEPER)[0]
    bench.forge.merge(KEEPER, request.number)
    bench.forge.store.delete_ref(bench.forge.name(KEEPER), DM104)
    assert DM104 not in bench.forge.snapshot()[bench.forge.name(KEEPER)].branches
    bench.run()
    assert bench.fates(KEEPER) == [(request.number, "merged")]
    assert bench.counted("merged") == 1
