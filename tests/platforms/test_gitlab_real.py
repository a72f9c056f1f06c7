"""What real GitLab does that a naive bot trips on, reproduced by the emulator: forks whose
upstream the token cannot read, the draft state kept in the title, and groups past the
offset pagination limit."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from bot.platforms.base import Repo
from bot.platforms.gitlab import GitLabPlatform
from bot.platforms.gitlab_retry import RetryPolicy
from bot.settings.secrets import Secret
from bot.settings.targets import Target
from tests.emulators.gitlab import TOKEN, GitLabEmulator
from tests.emulators.gitlab_model import Project
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


def test_a_group_past_the_offset_limit_is_listed_completely(emulator: GitLabEmulator) -> None:
    """60,000 projects on GitLab (totals hidden above 10,000, offsets stop at 50,000),
    scaled down four hundredfold through the emulator's limits: 150, 25 and 125."""
    world = emulator.world
    world.totals_limit, world.max_offset = 25, 125
    big = world.add_group("big")
    first = world.add_project(big, "p000", {"README.md": b"x\n"})
    for n in range(1, 150):  # copies of the first repository: seeding stays quick
        project = Project(world.next_id("project"), f"p{n:03d}", big)
        world.projects[project.id] = project
        shutil.copytree(world.store.path(first.full_path), world.store.path(project.full_path))
    request = urllib.request.Request(
        f"{emulator.url}/api/v4/groups/big/projects?include_subgroups=true&order_by=id&sort=asc&per_page=20&page=2",
        headers={"PRIVATE-TOKEN": TOKEN},
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.headers.get("X-Total") is None and 'rel="last"' not in (answer.headers.get("Link") or "")
    platform = GitLabPlatform("gl", emulator.url, Secret(TOKEN), retry=RetryPolicy(sleep=lambda _: None), per_page=25)
    repos = [r.full_name for r in platform.list_repos(Target("big", "gl", "big", include_forks=True))]
    assert len(repos) == len(set(repos)) == 150
    pages = [
        (parse_qs(r["query"]).get("sort"), r["status"]) for r in emulator.requests if r["path"].endswith("/projects")
    ]
    assert (["asc"], 405) in pages  # the limit met, then the rest from the other end
    assert [status for sort, status in pages if sort == ["desc"]] == [200, 200]  # down to the last id read
