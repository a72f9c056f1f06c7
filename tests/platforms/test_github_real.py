"""What real GitHub does that a naive bot trips on, reproduced by the emulator (each
behaviour cites its evidence beside the emulator code): size computed hourly, the legacy
abuse-detection 403, plans without drafts, refused reviewers, refused requests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.platforms.base import PlatformError, RequestState
from bot.platforms.github import from_settings
from bot.platforms.github_auth import Tuning
from bot.platforms.github_retry import RetryPolicy
from bot.settings.targets import PlatformSettings, Target
from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.emulators.github import GitHubApp, GitHubEmulator, app_keypair
from tests.platforms.test_github import DOCKERFILE, TOKEN, plan, platform, repo


@pytest.fixture
def em(tmp_path: Path) -> Iterator[GitHubEmulator]:
    em = GitHubEmulator(tmp_path)
    em.add_repo("acme/api", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\nexec api\n"})
    em.add_repo("acme/fresh", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"}, size_computed=False)
    em.add_repo("acme/free", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"}, private=True, drafts=False)
    em.add_repo("acme/empty")
    em.add_token(TOKEN)
    em.account("alice", "User")
    with em.running():
        yield em
    assert not em.errors


def test_size_zero_is_not_empty_only_the_tree_says_so(em: GitHubEmulator) -> None:
    p = platform(em)
    listed = {r.full_name: r for r in p.list_repos(Target("acme", "gh", "acme"))}
    sizes = {full: size for full, (size, _) in ((f, em.derived(f)) for f in listed)}
    assert sizes["acme/api"] == 0 and sizes["acme/fresh"] == 0  # small, and not computed yet
    assert {"acme/api", "acme/fresh", "acme/empty"} <= set(listed)
    assert [f.path for f in p.list_files(listed["acme/fresh"], "main")] == ["Dockerfile", "run.sh"]
    assert p.list_files(listed["acme/empty"], "main") == []  # 409 "Git Repository is empty."


def test_the_abuse_detection_403_is_waited_out_like_a_secondary_limit(em: GitHubEmulator) -> None:
    abuse = Fault(FaultKind.ABUSE_DETECTION, 403)
    em.set_faults(Faults(triggers=[Trigger("GET", "/git/trees/", fault=abuse)]))
    waits: list[float] = []
    p = platform(em, sleep=waits.append, max_wait=120.0)
    assert [f.path for f in p.list_files(repo(em, "acme/api"), "main")] == ["Dockerfile", "run.sh"]
    assert waits == [60.0]  # no Retry-After: GitHub's advice, at least a minute
    assert [s for _, path, s in em.requests if "/git/trees/" in path] == [403, 200]


def test_a_plan_without_drafts_opens_the_request_ready_for_review(em: GitHubEmulator) -> None:
    p, free = platform(em), repo(em, "acme/free")
    change = plan(em, "acme/free", draft=True)
    p.write_branch(free, change, force=False)
    opened = p.open_request(free, change)
    (pull,) = em.pulls["acme/free"].values()
    assert opened.state is RequestState.OPEN and not pull.draft
    creates = [s for m, path, s in em.requests if m == "POST" and path.endswith("/acme/free/pulls")]
    assert creates == [422, 201]  # once refused as a draft, once opened: no retry storm


def test_a_refused_reviewer_keeps_the_assignees(em: GitHubEmulator) -> None:
    p, api = platform(em), repo(em, "acme/api")
    change = plan(em, "acme/api", reviewers=("stranger",), assignees=("alice",))
    p.write_branch(api, change, force=False)
    p.open_request(api, change)
    (pull,) = em.pulls["acme/api"].values()
    assert (pull.reviewers, pull.assignees) == ([], ["alice"])


def test_a_refused_request_leaves_no_branch_behind(em: GitHubEmulator) -> None:
    p, api = platform(em), repo(em, "acme/api")
    change = dataclasses.replace(plan(em, "acme/api"), base_branch="gone")  # GitHub: 422 base invalid
    p.write_branch(api, change, force=False)
    with pytest.raises(PlatformError, match="422"):
        p.open_request(api, change)
    assert "dockmend/remediate" not in em.store.branches("acme/api")
    assert p.branch_head(api, "dockmend/remediate") is None


def test_an_app_on_selected_repositories_lists_only_those(tmp_path: Path) -> None:
    private, public = app_keypair()
    app = GitHubApp(77, public, installations={"acme": 5}, selected={"acme": {"api"}})
    em = GitHubEmulator(tmp_path / "gh", tokens=[], app=app)
    em.add_repo("acme/api", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"})
    em.add_repo("acme/public-site", {"Dockerfile": DOCKERFILE})  # public, not given to the App
    key = tmp_path / "app.pem"
    key.write_text(private)
    with em.running():
        settings = PlatformSettings(name="gh", type="github", url=em.url, app_id="77", private_key_file=key)
        retry = RetryPolicy(backoff=0.0, max_wait=5.0, sleep=lambda _: None)
        p = from_settings(settings, {}, tuning=Tuning.unthrottled(retry))
        assert [r.full_name for r in p.list_repos(Target("acme", "gh", "acme"))] == ["acme/api"]
        listed = [path.split("?")[0] for _, path, _ in em.requests if "repos" in path or "repositories" in path]
        assert listed == ["/api/v3/installation/repositories"]  # never /orgs/acme/repos: it shows public-site
        api = repo(em, "acme/api")
        assert p.find_request(api, "dockmend/remediate") is None
        searched = next(path for _, path, _ in em.requests if "/search/issues" in path)
        assert "author%3Aapp%2Fdockmend" in searched  # the App's bot account, dockmend[bot]
        change = plan(em, "acme/api")
        p.write_branch(api, change, force=False)
        p.open_request(api, change)
        with pytest.raises(PlatformError, match="403"):  # what every write there would meet
            p.write_branch(repo(em, "acme/public-site"), plan(em, "acme/public-site"), force=False)
    assert not em.errors
