"""``dockmend run`` through forge outages: it finishes, and the forge ends as a fault-free
run leaves it.

Each case places its faults at exact requests (triggers), so that a failure replays;
one case draws them at random from a fixed seed. A repository whose requests keep
failing past the platform's retries is put back and tried again at the end of the run
(its request is then looked up twice); when it still fails it is reported, the exit status
is 1, and the next run without faults reaches the fault-free state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.integration.forges import Forge
from tests.resilience.checks import requests_recorded_wrongly
from tests.resilience.conftest import Baseline
from tests.resilience.launch import Bot
from tests.resilience.org import duplicates_and_orphans, final_state, started

KINDS = ("github", "gitlab")
ERROR, BUSY = Fault(FaultKind.SERVER_ERROR, 502), Fault(FaultKind.SERVER_ERROR, 503)
LIMITED = Fault(FaultKind.TOO_MANY_REQUESTS, 429, retry_after=1)
ABUSE = Fault(FaultKind.SECONDARY_RATE_LIMIT, 403, retry_after=0)
THROTTLED = Fault(FaultKind.TOO_MANY_REQUESTS, 429, retry_after=0)
DROP, LOST = Fault(FaultKind.DROP), Fault(FaultKind.DROP, after=True)
# what a path means on each forge: the request's creation, a commit, a branch, the tree
PATHS = {
    "request": {"github": r"/pulls$", "gitlab": r"/merge_requests$"},
    "commit": {"github": r"/git/commits$", "gitlab": r"/repository/commits$"},
    "branch": {"github": r"/git/refs$", "gitlab": r"/repository/commits$"},
    "tree": {"github": r"/git/trees/", "gitlab": r"/repository/tree"},
}
Faulty = Callable[[str], Faults]


def at(what: str, method: str, fault: Fault, nth: int = 1, times: int = 1) -> Callable[[str], Trigger]:
    return lambda kind: Trigger(method, PATHS[what][kind], None, fault, nth, times)


def triggers(*made: Callable[[str], Trigger]) -> Faulty:
    return lambda kind: Faults(triggers=[make(kind) for make in made])


CASES: dict[str, Faulty] = {
    "5xx on a read and on the request's creation": triggers(
        at("tree", "GET", ERROR, nth=3), at("request", "POST", BUSY, nth=2)
    ),
    "429 with Retry-After: 1, then 403 with Retry-After: 0 three times": triggers(
        at("request", "POST", LIMITED), at("tree", "GET", ABUSE, nth=2, times=3)
    ),
    "a dropped connection before a commit, a lost answer after a branch": triggers(
        at("commit", "POST", DROP, nth=2), at("branch", "POST", LOST, nth=3)
    ),
    "the request made, its answer lost": triggers(at("request", "POST", LOST, nth=2)),
    "slow responses": lambda kind: Faults(latency=0.02),
    "a few of each, seeded": lambda kind: Faults(
        too_many_requests_rate=0.03, secondary_rate_limit_rate=0.03, lost_answer_rate=0.02, seed=5
    ),
}


def writes_nothing_more(forge: Forge, bot: Bot) -> None:
    mark = forge.mark()
    assert bot.run().exit_code == 0
    assert forge.writes_since(mark) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
def test_faults_change_no_outcome(kind: str, case: str, tmp_path: Path, baseline: Callable[[str], Baseline]) -> None:
    faults = CASES[case](kind)
    with started(kind, tmp_path, faults) as forge:
        bot = Bot(forge, tmp_path)
        ran = bot.run()
        assert ran.exit_code == 0, ran.err
        assert all(t.spent for t in faults.triggers), faults.triggers  # every fault was met
        assert faults.injected or faults.latency
        assert duplicates_and_orphans(forge) == requests_recorded_wrongly(bot, forge) == []
        assert final_state(forge) == baseline(kind).state


def monorepo(forge: Forge) -> str:
    """The monorepo's part of a request path (python-gitlab uses the numeric id it was given)."""
    if forge.kind == "github":
        return "/acme/monorepo/"
    return f"/projects/(acme%2Fmonorepo|{forge.em.project('acme/monorepo').id})/"  # type: ignore[attr-defined]


def refused(forge: Forge, times: int) -> Trigger:
    """The monorepo's request creation, refused ``times`` in a row (429, Retry-After: 0)."""
    return Trigger("POST", monorepo(forge) + ".*" + PATHS["request"][forge.kind].lstrip("/"), None, THROTTLED, 1, times)


def request_lookups(forge: Forge) -> int:
    """How often the monorepo's request was looked up by its branch (once per attempt at the repository)."""
    em = forge.em  # type: ignore[attr-defined]
    gets = [p for m, p, _ in em.requests if m == "GET"] if forge.kind == "github" else []
    gets += [r["path"] for r in em.requests if r["method"] == "GET"] if forge.kind == "gitlab" else []
    return sum(bool(re.search(monorepo(forge) + r".*(pulls|merge_requests)(\?|$)", p)) for p in gets)


@pytest.mark.parametrize("kind", KINDS)
def test_a_repository_past_its_retries_is_tried_again_at_the_end(
    kind: str, tmp_path: Path, baseline: Callable[[str], Baseline]
) -> None:
    with started(kind, tmp_path) as forge:
        refusals = refused(forge, 8)  # the platforms' attempts per call
        forge.set_faults(Faults(triggers=[refusals]))
        bot = Bot(forge, tmp_path)
        ran = bot.run()
        assert ran.exit_code == 0, ran.err
        # two attempts: the first knows from the organisation-wide search that the branch has
        # no request, the second (at the end of the run) looks up the branch it pushed
        assert refusals.spent and request_lookups(forge) == 1
        assert final_state(forge) == baseline(kind).state


@pytest.mark.parametrize("kind", KINDS)
def test_a_repository_still_failing_is_reported_and_the_next_run_catches_up(
    kind: str, tmp_path: Path, baseline: Callable[[str], Baseline]
) -> None:
    with started(kind, tmp_path) as forge:
        forge.set_faults(Faults(triggers=[refused(forge, 99)]))
        bot = Bot(forge, tmp_path)
        ran = bot.run()
        assert ran.exit_code == 1
        assert re.search(r"acme/monorepo: failed: unavailable, try later", ran.err), ran.err
        forge.set_faults(None)
        assert bot.run().exit_code == 0
        assert duplicates_and_orphans(forge) == []  # the branch the failed run made has its request now
        assert final_state(forge) == baseline(kind).state
        writes_nothing_more(forge, bot)
