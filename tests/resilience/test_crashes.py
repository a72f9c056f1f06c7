"""``kill -9`` of ``dockmend run`` at exact points, then a run without faults.

The emulator kills the command when a given request of it arrives (from the second such
request on: one repository is done, the next one is half-way), and drops that request
before its work, or does the work and loses the answer. The state-write points kill the
process from inside (:mod:`tests.resilience.child`). A killed run holds the target's
lease until its TTL runs out; the test lets it run out, then runs again and checks:
no duplicate request, no bot branch without an open request, the open requests
recorded are the forge's, and the forge's final state is the fault-free run's. And
that the killed run is not left "running" for ever (see
:func:`test_a_killed_run_is_not_left_running`).
"""

from __future__ import annotations

import random
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.integration.forges import Forge
from tests.resilience.checks import requests_recorded_wrongly, still_running
from tests.resilience.conftest import Baseline
from tests.resilience.launch import Bot
from tests.resilience.org import duplicates_and_orphans, final_state, started

BEFORE, AFTER = Fault(FaultKind.DROP), Fault(FaultKind.DROP, after=True)
# point -> (method, path pattern, fault) per forge
POINTS = {
    "between the branch and the request": {
        "github": ("POST", r"/pulls$", BEFORE),
        "gitlab": ("POST", r"/merge_requests$", BEFORE),
    },
    "the request made, its answer lost": {
        "github": ("POST", r"/pulls$", AFTER),
        "gitlab": ("POST", r"/merge_requests$", AFTER),
    },
    "during the commit": {
        "github": ("POST", r"/git/commits$", BEFORE),
        "gitlab": ("POST", r"/repository/commits$", BEFORE),
    },
    "the branch made, its answer lost": {
        "github": ("POST", r"/git/refs$", AFTER),
        "gitlab": ("POST", r"/repository/commits$", AFTER),
    },
}
STATE_WRITES = {
    "a repository's row written, not committed": "bot.state.store:record_repository:2",
}
RESULTS_COMMITTED = "bot.service.record:record_summary:1"  # the run's row not finished
KINDS = ("github", "gitlab")
SEEDS = (11,)  # more seeds replay more points; CI keeps one


def recovered(forge: Forge, bot: Bot, crashed_code: int, expected: Baseline) -> None:
    """The killed run, then one without faults: everything as if nothing had happened."""
    assert crashed_code == -signal.SIGKILL
    forge.set_faults(None)
    bot.lease_runs_out()
    again = bot.run()
    assert again.exit_code == 0, again.err
    assert duplicates_and_orphans(forge) == []
    assert requests_recorded_wrongly(bot, forge) == []
    assert final_state(forge) == expected.state


def crash(kind: str, tmp: Path, expected: Baseline, trigger: Callable[[Bot], Trigger]) -> None:
    with started(kind, tmp) as forge:
        bot = Bot(forge, tmp)
        fired = trigger(bot)
        forge.set_faults(Faults(triggers=[fired]))
        crashed = bot.run()
        assert fired.spent, crashed.err  # the point was reached
        recovered(forge, bot, crashed.exit_code, expected)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("point", POINTS)
def test_killed_at_a_write(kind: str, point: str, tmp_path: Path, baseline: Callable[[str], Baseline]) -> None:
    method, path, fault = POINTS[point][kind]
    crash(kind, tmp_path, baseline(kind), lambda bot: Trigger(method, path, bot.kill, fault, nth=2))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_at_a_random_request(kind: str, seed: int, tmp_path: Path, baseline: Callable[[str], Baseline]) -> None:
    """Any request of the run, drawn from the fault-free run's count (seeded: it replays)."""
    expected = baseline(kind)
    nth = random.Random(seed).randint(1, expected.requests)
    fault = AFTER if seed % 2 else BEFORE
    crash(kind, tmp_path, expected, lambda bot: Trigger("", "", bot.kill, fault, nth=nth))


@pytest.mark.parametrize("point", STATE_WRITES)
def test_killed_during_the_state_write(point: str, tmp_path: Path, baseline: Callable[[str], Baseline]) -> None:
    with started("gitlab", tmp_path) as forge:
        bot = Bot(forge, tmp_path)
        crashed = bot.run(kill_in=STATE_WRITES[point])
        recovered(forge, bot, crashed.exit_code, baseline("gitlab"))


def test_a_killed_run_is_not_left_running(tmp_path: Path) -> None:
    with started("gitlab", tmp_path) as forge:
        bot = Bot(forge, tmp_path)
        assert bot.run(kill_in=RESULTS_COMMITTED).exit_code == -signal.SIGKILL
        assert len(still_running(bot)) == 1  # the killed one
        bot.lease_runs_out()
        assert bot.run().exit_code == 0
        assert still_running(bot) == []
