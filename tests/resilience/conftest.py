"""A fault-free run of ``dockmend run`` per forge: what every faulty or crashed run must end at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.resilience.checks import requests_recorded_wrongly, still_running
from tests.resilience.launch import Bot
from tests.resilience.org import duplicates_and_orphans, final_state, started


@dataclass(frozen=True)
class Baseline:
    state: dict[str, Any]  # final_state() after one fault-free run
    requests: int  # how many API requests that run made


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Baseline]:
    """``baseline(kind)``: the fault-free run on a freshly seeded forge (made once per kind)."""
    made: dict[str, Baseline] = {}

    def get(kind: str) -> Baseline:
        if kind not in made:
            made[kind] = _fault_free(kind, tmp_path_factory.mktemp(f"baseline-{kind}"))
        return made[kind]

    return get


def _fault_free(kind: str, tmp: Path) -> Baseline:
    with started(kind, tmp) as forge:
        bot = Bot(forge, tmp)
        ran = bot.run()
        assert ran.exit_code == 0, ran.err
        assert duplicates_and_orphans(forge) == requests_recorded_wrongly(bot, forge) == still_running(bot) == []
        return Baseline(final_state(forge), forge.mark())
