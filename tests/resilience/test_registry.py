"""``dockmend run`` (online, not --offline) while the registry is down or flaky.

The configuration points Docker Hub names at a :class:`FaultyMirror` in front of Debian's
docker-registry. A repository whose Dockerfiles need the registry while it is down is
tried again at the end of the run and, the registry still down, reported failed ("a
registry was unavailable, try later"); it gets nothing: no branch, no request, not even
one with only the fixes that need no registry (the next run would have to rewrite it).
The others are handled as usual. When the registry is back, the next run scans the
failed repositories again (they were not remembered as done) and reaches the state of a
run that never saw the outage; the run after that skips everything. An outage that ends
before the run does is caught up in that run. A registry that fails now and then changes
no outcome: the client retries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.integration.forges import Forge
from tests.registry.catalog import push_catalog
from tests.registry.push import Pusher
from tests.registry.servers import Registry, registry_binary, run_registry
from tests.resilience.checks import requests_recorded_wrongly, still_running
from tests.resilience.launch import Bot, Ran
from tests.resilience.org import duplicates_and_orphans
from tests.resilience.registry_faults import (
    NEEDS_REGISTRY,
    NO_REGISTRY,
    ORG,
    FaultyMirror,
    final_state,
    mirror_of,
    started,
)

UNAVAILABLE = "failed: a registry was unavailable, try later ("
UNCHANGED = "skipped: unchanged since the last run"
FOREVER = 10**9
# 503 with a Retry-After past the client's bound (30 s): it gives up at once, no backoff
MAINTENANCE = Fault(FaultKind.SERVER_ERROR, 503, retry_after=3600)
BUSY, LIMITED = Fault(FaultKind.SERVER_ERROR, 503), Fault(FaultKind.TOO_MANY_REQUESTS, 429, retry_after=0)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    if registry_binary() is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    with run_registry(tmp_path_factory.mktemp("registry"), "anonymous") as running:
        pusher = Pusher(running.url)
        try:
            push_catalog(pusher)
        finally:
            pusher.http.close()
        yield running


def mirrored(forge: Forge, tmp: Path, mirror: FaultyMirror) -> Bot:
    return Bot(forge, tmp, extra=f"registries:\n  docker.io: {{mirror: {mirror.url}}}\n")


def online(bot: Bot) -> Ran:
    """One run with the registry; afterwards nothing is duplicated, orphaned or left running."""
    ran = bot.run(offline=False)
    assert duplicates_and_orphans(bot.forge) == requests_recorded_wrongly(bot, bot.forge) == still_running(bot) == []
    return ran


@pytest.fixture(scope="module")
def baseline(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    """``baseline(kind)``: final_state() after one run with a healthy registry (once per kind)."""
    made: dict[str, dict[str, Any]] = {}

    def get(kind: str) -> dict[str, Any]:
        if kind not in made:
            tmp = tmp_path_factory.mktemp(f"registry-baseline-{kind}")
            with started(kind, tmp) as forge, mirror_of(registry.url) as mirror:
                ran = online(mirrored(forge, tmp, mirror))
                assert ran.exit_code == 0, ran.err
                made[kind] = final_state(forge)
        return made[kind]

    return get


def statuses(forge: Forge, ran: Ran) -> dict[str, str]:
    """Project name -> what the run's log line says of it."""
    names = {forge.name(p): p.name for p in ORG}
    lines = (re.match(r"(\S+): (.*)$", line) for line in ran.err.splitlines())
    return {names[m.group(1)]: m.group(2) for m in lines if m and m.group(1) in names}


def changes(state: dict[str, Any], project: str) -> dict[str, str]:
    """What the bot's branch changes in ``project`` (its commits carry it, see org.final_state)."""
    commits = state[project]["commits"]
    return dict(commits[-1][2]) if commits else {}


def test_the_baseline_uses_the_registry(baseline: Callable[[str], dict[str, Any]]) -> None:
    """What the outage must not leave half-done: pins and bumps beside fixes that need no registry."""
    changed = baseline("gitlab")
    assert changes(changed, "pinned")["Dockerfile"].startswith("FROM alpine:3.20\n")
    assert "RUN apk add --no-cache curl" in changes(changed, "pinned")["Dockerfile"]
    assert changes(changed, "bumped")["Dockerfile"].startswith("FROM python:3.11.9-slim-bookworm\n")
    assert changes(changed, "monorepo")["app/Dockerfile"].startswith("FROM alpine:3.18.4\n")
    assert changed["clean"]["requests"] == [] and changed["static"]["requests"] != []


ORG_NAMES = tuple(p.name for p in ORG)
OUTAGES = {"answering 503, Retry-After: 3600": "maintenance", "stopped (nothing listening)": "stopped"}


def go_down(mirror: FaultyMirror, how: str) -> None:
    if how == "stopped":
        mirror.stop()
    else:
        mirror.faults = Faults(triggers=[Trigger("", "", None, MAINTENANCE, 1, FOREVER)])


def come_back(mirror: FaultyMirror, how: str) -> None:
    if how == "stopped":
        mirror.start()
    mirror.faults = None


def reported(forge: Forge, ran: Ran) -> dict[str, str]:
    """The run failed the repositories that need the registry, and only those: their statuses."""
    assert ran.exit_code == 1, ran.err
    said = statuses(forge, ran)
    assert {name: said[name].startswith(UNAVAILABLE) for name in ORG_NAMES} == {
        name: name in NEEDS_REGISTRY for name in ORG_NAMES
    }, ran.err
    return said


@pytest.mark.parametrize("how", OUTAGES.values(), ids=list(OUTAGES))
def test_registry_down_fails_its_repositories_and_the_next_runs_catch_up(
    how: str, tmp_path: Path, registry: Registry, baseline: Callable[[str], dict[str, Any]]
) -> None:
    expected = baseline("gitlab")
    with started("gitlab", tmp_path) as forge, mirror_of(registry.url) as mirror:
        bot = mirrored(forge, tmp_path, mirror)
        go_down(mirror, how)
        mark = forge.mark()
        down = online(bot)
        said = reported(forge, down)
        assert said["static"].startswith("created ") and said["docs"] == "skipped: no Dockerfile"
        state = final_state(forge)
        untouched = {"branches": ["main"], "requests": [], "commits": []}
        assert {name: state[name] for name in NEEDS_REGISTRY} == dict.fromkeys(NEEDS_REGISTRY, untouched)
        assert {name: state[name] for name in NO_REGISTRY} == {name: expected[name] for name in NO_REGISTRY}
        assert {w.repo for w in forge.writes_since(mark)} == {forge.name(p) for p in ORG if p.name == "static"}

        come_back(mirror, how)
        back = online(bot)
        assert back.exit_code == 0, back.err
        # the failed ones were not remembered as done: scanned again; the others are skipped
        skipped = {name: said == UNCHANGED for name, said in statuses(forge, back).items()}
        assert skipped == {name: name in NO_REGISTRY for name in ORG_NAMES}
        assert final_state(forge) == expected

        mark = forge.mark()
        quiet = online(bot)
        assert quiet.exit_code == 0, quiet.err
        assert statuses(forge, quiet) == dict.fromkeys(ORG_NAMES, UNCHANGED)
        assert forge.writes_since(mark) == []


def test_an_outage_leaves_the_open_requests_as_they_are(
    tmp_path: Path, registry: Registry, baseline: Callable[[str], dict[str, Any]]
) -> None:
    """Down after a healthy run: no request is updated (without its pins) or closed. What
    the run can still decide from the tag lists it cached (DM102 needs no more) it may
    decide; the rest is reported for later."""
    expected = baseline("gitlab")
    with started("gitlab", tmp_path) as forge, mirror_of(registry.url) as mirror:
        bot = mirrored(forge, tmp_path, mirror)
        assert online(bot).exit_code == 0
        go_down(mirror, "maintenance")
        mark = forge.mark()
        down = online(bot)
        assert down.exit_code == 1, down.err
        said = statuses(forge, down)
        failed = {name for name, status in said.items() if status.startswith("failed")}
        assert {"pinned", "bumped"} <= failed <= set(NEEDS_REGISTRY), down.err  # DM101 asks for digests
        assert all(said[name].startswith(UNAVAILABLE) for name in failed), down.err
        assert {name: said[name] for name in NO_REGISTRY} == dict.fromkeys(NO_REGISTRY, UNCHANGED)
        assert forge.writes_since(mark) == []
        assert final_state(forge) == expected

        come_back(mirror, "maintenance")
        back = online(bot)
        assert back.exit_code == 0, back.err
        assert forge.writes_since(mark) == []
        assert final_state(forge) == expected


def test_an_outage_over_before_the_end_of_the_run_is_caught_up_in_it(
    tmp_path: Path, registry: Registry, baseline: Callable[[str], dict[str, Any]]
) -> None:
    """The registry drops every attempt of the first look-up (four): it is down for the run
    from then on, and the repositories that need it are set aside, not failed. At the end
    of the run they are tried again, the registry answers, and the one run reaches the
    state of a run that never saw the outage."""
    with started("gitlab", tmp_path) as forge, mirror_of(registry.url) as mirror:
        forge.concurrency = 1  # the four drops all meet the first look-up
        bot = mirrored(forge, tmp_path, mirror)
        drops = Trigger("", "/v2/", None, Fault(FaultKind.DROP), 1, 4)
        mirror.faults = Faults(triggers=[drops])
        ran = online(bot)
        assert ran.exit_code == 0, ran.err
        assert drops.spent and len(mirror.faults.injected) == 4
        assert not any(said.startswith("failed") for said in statuses(forge, ran).values()), ran.err
        assert final_state(forge) == baseline("gitlab")


FLAKY: dict[str, Any] = {
    "503 twice on a tag list, 429 (Retry-After: 0) on a manifest": Faults(
        triggers=[
            Trigger("GET", r"/tags/list", None, BUSY, 1, 2),
            Trigger("HEAD", r"/manifests/", None, LIMITED, 2, 1),
        ]
    ),
    "5xx and 429s, seeded": Faults(server_error_rate=0.1, too_many_requests_rate=0.1, seed=3),
    "a dropped connection": Faults(triggers=[Trigger("HEAD", r"/manifests/", None, Fault(FaultKind.DROP), 2, 1)]),
}


@pytest.mark.parametrize("faults", FLAKY.values(), ids=list(FLAKY))
def test_a_flaky_registry_changes_no_outcome(
    faults: Faults, tmp_path: Path, registry: Registry, baseline: Callable[[str], dict[str, Any]]
) -> None:
    """The client's retries outlast the faults; if some did not, those repositories are
    reported for later and the next run catches up (the seeded rates draw in whatever
    order the threads ask, so either may happen)."""
    with started("gitlab", tmp_path) as forge, mirror_of(registry.url) as mirror:
        bot = mirrored(forge, tmp_path, mirror)
        mirror.faults = faults
        ran = online(bot)
        assert faults.injected
        assert all(t.spent for t in faults.triggers), faults.triggers
        if ran.exit_code != 0:
            failed = {name: said for name, said in statuses(forge, ran).items() if said.startswith("failed")}
            assert failed and all(said.startswith(UNAVAILABLE) for said in failed.values()), ran.err
            mirror.faults = None
            assert online(bot).exit_code == 0
        assert final_state(forge) == baseline("gitlab")
