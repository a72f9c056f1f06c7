"""What real GitLab does that a naive bot trips on, reproduced by the emulator: forks whose
upstream the token cannot read, and the draft state kept in the title."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.platforms.base import Repo
from bot.platforms.gitlab import GitLabPlatform
from tests.emulators.gitlab import GitLabEmulator
from tests.platforms.test_gitlab import DOCKERFILE, head_of, plan, target
from tests.platforms.test_gitlab_survey import make


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[GitLabEmulator]:
    for path in ("acme/api", "acme/mirror", "upstream/lib"):
        (tmp_path / "seed" / path).mkdir(parents=True)
        (tmp_path / "seed" / path / "Dockerfile").write_bytes(DOCKERFILE)
    (tmp_path / "seed" / "acme" / "mirror" / ".project").write_text('{"forked_from": "upstream/lib"}')
    with GitLabEmulator(tmp_path / "seed", tmp_path / "git") as running:
        yield running


def listed(platform: GitLabPlatform, **options: object) -> dict[str, Repo]:
    return {r.full_name: r for r in platform.list_repos(target(**options))}


@pytest.mark.parametrize("readable", [True, False])
def test_a_fork_is_a_fork_whether_or_not_its_upstream_is_readable(emulator: GitLabEmulator, readable: bool) -> None:
    emulator.project("acme/mirror").upstream_readable = readable
    assert set(listed(make(emulator))) == {"acme/api"}
    forks = listed(make(emulator), include_forks=True)
    assert forks["acme/mirror"].fork and not forks["acme/api"].fork


def test_a_draft_stays_a_draft_when_its_request_is_updated(emulator: GitLabEmulator) -> None:
    platform = make(emulator)
    api = listed(platform)["acme/api"]
    change = plan(head_of(emulator, "acme/api"), {"Dockerfile": b"FROM alpine:3.20\n"}, draft=True)
    platform.write_branch(api, change, force=False)
    opened = platform.open_request(api, change)
    assert opened.title == "Draft: Dockerfile fixes"
    updated = platform.update_request(api, opened, "Dockerfile fixes (2)", change.body)
    assert updated.title == "Draft: Dockerfile fixes (2)"
    (mr,) = emulator.world.merge_requests
    assert mr.draft
    ready = platform.update_request(api, platform.open_request(api, change), "Dockerfile fixes (3)", change.body)
    assert ready.title.startswith("Draft: ")  # a retried open finds the same request
