"""One search per organisation for the bot's pull requests (GET /search/issues), then
per-repository look-ups only where it names something; anything less than a complete
answer falls back to looking every repository up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.platforms.github import from_settings
from bot.platforms.github_auth import Tuning
from bot.platforms.github_retry import RetryPolicy
from bot.settings import config
from bot.settings.targets import Target
from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.emulators.github import GitHubEmulator
from tests.platforms.test_github import DOCKERFILE, TOKEN, plan, platform, repo

BRANCH = "dockmend/remediate"


@pytest.fixture
def em(tmp_path: Path) -> Iterator[GitHubEmulator]:
    em = GitHubEmulator(tmp_path)
    for name in ("api", "web", "db", "ops"):
        em.add_repo(f"acme/{name}", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\nexec x\n"})
    em.add_token(TOKEN)
    em.add_token("human-token", "jane")
    with em.running():
        yield em
    assert not em.errors


def calls(em: GitHubEmulator, since: int) -> list[str]:
    return [path.split("?")[0].removeprefix("/api/v3") for _, path, _ in em.requests[since:]]


def open_pull(em: GitHubEmulator, full_name: str) -> None:
    p = platform(em)
    change = plan(em, full_name)
    p.write_branch(repo(em, full_name), change, force=False)
    p.open_request(repo(em, full_name), change)


def test_one_search_spares_the_lookups_of_repositories_it_does_not_name(em: GitHubEmulator) -> None:
    open_pull(em, "acme/api")
    p, since = platform(em), len(em.requests)
    for name in ("acme/web", "acme/db", "acme/ops"):
        assert p.find_request(repo(em, name), BRANCH) is None
        assert p.branch_head(repo(em, name), BRANCH) is None
    assert calls(em, since) == ["/search/issues"]  # one search for the whole organisation
    query = next(path for _, path, _ in em.requests[since:] if "/search/issues" in path)
    assert "author%3A%40me" in query and "head%3Adockmend%2F" in query and "user%3Aacme" in query
    found = p.find_request(repo(em, "acme/api"), BRANCH)  # named: looked up as before
    assert found is not None and found.branch == BRANCH
    assert calls(em, since)[1:] == ["/repos/acme/api/pulls"]


def test_requests_of_others_and_other_branches_do_not_count(em: GitHubEmulator) -> None:
    human = platform(em, token="human-token")
    change = plan(em, "acme/web")
    human.write_branch(repo(em, "acme/web"), change, force=False)
    human.open_request(repo(em, "acme/web"), change)  # jane's pull request from dockmend/…
    p, since = platform(em), len(em.requests)
    assert p.find_request(repo(em, "acme/web"), BRANCH) is None
    assert "/repos/acme/web/pulls" not in calls(em, since)


def test_a_branch_written_in_this_run_is_looked_up(em: GitHubEmulator) -> None:
    p = platform(em)
    assert p.branch_head(repo(em, "acme/db"), BRANCH) is None  # surveyed: nothing there
    sha = p.write_branch(repo(em, "acme/db"), plan(em, "acme/db"), force=False)
    head = p.branch_head(repo(em, "acme/db"), BRANCH)
    assert head is not None and head.sha == sha


@pytest.mark.parametrize("how", ["incomplete", "failed"])
def test_an_incomplete_or_lost_search_falls_back_to_every_lookup(em: GitHubEmulator, how: str) -> None:
    open_pull(em, "acme/api")
    if how == "incomplete":
        em.search_incomplete = True  # GitHub timed out: its answer may miss some
    else:
        down = Fault(FaultKind.SERVER_ERROR, 502)
        em.set_faults(Faults(triggers=[Trigger("GET", "/search/issues", fault=down, times=99)]))
    p, since = platform(em, attempts=2), len(em.requests)
    assert p.find_request(repo(em, "acme/web"), BRANCH) is None
    assert p.find_request(repo(em, "acme/db"), BRANCH) is None
    assert calls(em, since).count("/search/issues") == (1 if how == "incomplete" else 2)  # one search, retried
    assert calls(em, since).count("/repos/acme/web/pulls") == 1
    assert calls(em, since).count("/repos/acme/db/pulls") == 1


def test_the_search_limit_is_waited_out(em: GitHubEmulator) -> None:
    waits: list[float] = []
    em.search_calls[:] = [time.time()] * 30  # this minute's 30 searches are spent
    p = platform(em, sleep=waits.append, max_wait=120.0)
    assert p.find_request(repo(em, "acme/web"), BRANCH) is None
    assert waits and 0 < waits[0] <= 61  # until the minute's window ends


def test_each_listing_asks_again(em: GitHubEmulator) -> None:
    """A platform ``dockmend serve`` keeps: the next run's listing asks the search again."""
    p = platform(em)
    list(p.list_repos(Target("acme", "gh", "acme")))
    assert p.find_request(repo(em, "acme/web"), BRANCH) is None
    open_pull(em, "acme/web")  # another process's request, after this one's search
    list(p.list_repos(Target("acme", "gh", "acme")))
    found = p.find_request(repo(em, "acme/web"), BRANCH)
    assert found is not None and found.branch == BRANCH


@pytest.mark.parametrize("survey", [True, False])
def test_the_survey_key_of_the_configuration_turns_the_search_off(
    em: GitHubEmulator, tmp_path: Path, survey: bool
) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gh: {{type: github, url: {em.url}, token: ${{GITHUB_TOKEN}}, survey: {str(survey).lower()}}}\n"
        "targets:\n  - {name: acme, platform: gh, owner: acme}\n"
    )
    settings = config.load(path).platforms["gh"]
    retry = RetryPolicy(backoff=0.0, max_wait=5.0, sleep=lambda _: None)
    p = from_settings(settings, {"GITHUB_TOKEN": TOKEN}, tuning=Tuning.unthrottled(retry))
    since = len(em.requests)
    assert p.find_request(repo(em, "acme/web"), BRANCH) is None
    searched = "/search/issues" in calls(em, since)
    assert searched is survey
