"""One listing of the group's merge requests by source branch (GET /groups/:id/merge_requests),
then per-project look-ups only where it names something; a lost listing falls back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.platforms.base import Repo
from bot.platforms.gitlab import GitLabPlatform, from_settings
from bot.platforms.gitlab_retry import RetryPolicy
from bot.settings import config
from bot.settings.secrets import Secret
from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.emulators.gitlab import TOKEN, GitLabEmulator
from tests.platforms.test_gitlab import BOT_EMAIL, DOCKERFILE, api_paths, head_of, plan, target

BRANCH = "dockmend/remediate"
PROJECTS = ("acme/api", "acme/web", "acme/sub/db")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[GitLabEmulator]:
    for path in PROJECTS:
        (tmp_path / "seed" / path).mkdir(parents=True)
        (tmp_path / "seed" / path / "Dockerfile").write_bytes(DOCKERFILE)
    with GitLabEmulator(tmp_path / "seed", tmp_path / "git") as running:
        yield running


def make(emulator: GitLabEmulator, attempts: int = 8) -> GitLabPlatform:
    retry = RetryPolicy(attempts=attempts, sleep=lambda _: None)
    return GitLabPlatform("gl", emulator.url, Secret(TOKEN), bot_email=BOT_EMAIL, retry=retry)


def listed(platform: GitLabPlatform) -> dict[str, Repo]:
    return {r.full_name: r for r in platform.list_repos(target())}


def open_request(emulator: GitLabEmulator, path: str) -> None:
    platform = make(emulator)
    repo = listed(platform)[path]
    change = plan(head_of(emulator, path), {"Dockerfile": b"FROM alpine:3.20\n"})
    platform.write_branch(repo, change, force=False)
    platform.open_request(repo, change)


def test_one_group_listing_spares_the_lookups_of_projects_it_does_not_name(emulator: GitLabEmulator) -> None:
    open_request(emulator, "acme/sub/db")  # in a subgroup: the group listing includes it
    platform = make(emulator)
    repos = listed(platform)
    since = len(emulator.requests)
    for path in ("acme/api", "acme/web"):
        assert platform.find_request(repos[path], BRANCH) is None
        assert platform.branch_head(repos[path], BRANCH) is None
    calls = api_paths(emulator, since)
    assert len(calls) == 1 and calls[0].startswith("GET /groups/acme/merge_requests?")
    assert "source_branch=dockmend%2Fremediate" in calls[0] and "state=all" in calls[0]
    found = platform.find_request(repos["acme/sub/db"], BRANCH)
    assert found is not None and found.branch == BRANCH


def test_a_lost_group_listing_falls_back_to_every_lookup(emulator: GitLabEmulator) -> None:
    open_request(emulator, "acme/api")
    down = Fault(FaultKind.SERVER_ERROR, 502)
    emulator.set_faults(Faults(triggers=[Trigger("GET", "/groups/acme/merge_requests", fault=down, times=99)]))
    platform = make(emulator, attempts=2)
    repos = listed(platform)
    since = len(emulator.requests)
    assert platform.find_request(repos["acme/web"], BRANCH) is None
    found = platform.find_request(repos["acme/api"], BRANCH)
    assert found is not None
    per_project = [c for c in api_paths(emulator, since) if c.startswith("GET /projects/")]
    assert len(per_project) == 2


@pytest.mark.parametrize("survey", [True, False])
def test_the_survey_key_of_the_configuration_turns_the_group_listing_off(
    emulator: GitLabEmulator, tmp_path: Path, survey: bool
) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gl: {{type: gitlab, url: {emulator.url}, token: ${{GITLAB_TOKEN}}, "
        f"survey: {str(survey).lower()}}}\n"
        "targets:\n  - {name: acme, platform: gl, group: acme}\n"
    )
    platform = from_settings(config.load(path).platforms["gl"], {"GITLAB_TOKEN": TOKEN})
    repos = listed(platform)
    since = len(emulator.requests)
    assert platform.find_request(repos["acme/web"], BRANCH) is None
    grouped = any(c.startswith("GET /groups/acme/merge_requests") for c in api_paths(emulator, since))
    assert grouped is survey
