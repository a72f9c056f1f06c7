"""The GitHub platform's primitives, through the real PyGithub, against the emulator."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.engine.scan import RepoScan, pin_base
from bot.errors import DockmendError
from bot.platforms.base import (
    BranchExists,
    ChangePlan,
    FileUpdate,
    PlatformError,
    PlatformUnavailable,
    Repo,
    RequestState,
)
from bot.platforms.github import GitHubPlatform, from_settings
from bot.platforms.github_auth import Clients, Tuning
from bot.platforms.github_retry import RetryPolicy
from bot.settings.secrets import Secret
from bot.settings.targets import PlatformSettings, Target
from tests.emulators.faults import FaultKind, Faults
from tests.emulators.github import HUMAN, MIT_LICENSE, GitHubApp, GitHubEmulator, app_keypair
from tests.emulators.github_json import Issue, now

TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"
BOT_EMAIL = "dockmend[bot]@users.noreply.github.com"
DOCKERFILE = b"FROM alpine:3.19\nRUN apk add curl\n"


def seed(em: GitHubEmulator) -> None:
    """22 repositories of ``acme`` plus a user's: every kind the bot must tell apart."""
    for i in range(1, 13):
        em.add_repo(f"acme/app-{i:02d}", {"Dockerfile": DOCKERFILE, "README.md": b"# app\n"})
    em.add_repo(
        "acme/multi",
        {
            "Dockerfile": DOCKERFILE,
            "services/api/Dockerfile": b"FROM python:3.12\n",
            "services/web/Dockerfile.prod": b"FROM nginx\n",
            "scripts/run.sh": b"#!/bin/sh\nexec app\n",
            "LICENSE": MIT_LICENSE.encode(),
        },
        description="Several images",
        topics=["docker", "platform"],
    )
    em.add_repo("acme/old", {"Dockerfile": DOCKERFILE}, archived=True)
    em.add_repo("acme/forked", {"Dockerfile": DOCKERFILE}, fork=True)
    em.add_repo("acme/empty")
    em.add_repo("acme/template", {"Dockerfile": DOCKERFILE}, is_template=True)
    em.add_repo("acme/blocked", {"Dockerfile": DOCKERFILE}, disabled=True)
    em.add_repo("acme/docs", {"README.md": b"no images here\n"})
    em.add_repo("acme/legacy-api", {"Dockerfile": DOCKERFILE})
    em.add_repo("acme/tagged", {"Dockerfile": DOCKERFILE}, topics=["docker"])
    em.add_repo("acme/opted-out", {"Dockerfile": DOCKERFILE, ".dockmend.yml": b"enabled: false\n"})
    em.add_repo("jane/dotfiles", {"Dockerfile": DOCKERFILE}, owner_type="User")
    em.add_token(TOKEN)
    em.add_token("read-only", "reader", write=False)
    em.account("alice", "User")


def platform(em: GitHubEmulator, token: str = TOKEN, per_page: int = 100, **retry: object) -> GitHubPlatform:
    options: dict[str, object] = {"backoff": 0.0, "max_wait": 5.0, "sleep": lambda _: None, **retry}
    policy = RetryPolicy(**options)  # type: ignore[arg-type]
    tuning = Tuning(None, None, policy, per_page=per_page)
    return GitHubPlatform("gh", Clients(em.url, tuning, token=Secret(token)), bot_email=BOT_EMAIL)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHubEmulator]:
    em = GitHubEmulator(tmp_path_factory.mktemp("org"))
    seed(em)
    with em.running():
        yield em
    assert not em.errors


@pytest.fixture
def em(tmp_path: Path) -> Iterator[GitHubEmulator]:
    """A small emulator for the tests that write."""
    em = GitHubEmulator(tmp_path)
    em.add_repo("acme/api", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\nexec api\n"})
    em.add_repo("acme/web", {"Dockerfile": DOCKERFILE})
    em.add_token(TOKEN)
    em.add_token("read-only", "reader", write=False)
    em.account("alice", "User")
    with em.running():
        yield em
    assert not em.errors


def repo(em: GitHubEmulator, full_name: str) -> Repo:
    return Repo("gh", full_name, full_name, "main", f"{em.url}/{full_name}")


def plan(em: GitHubEmulator, full_name: str, content: bytes = b"FROM alpine:3.19.1\n", **extra: object) -> ChangePlan:
    base = em.store.head(full_name, "main")
    assert base is not None
    return ChangePlan(
        branch="dockmend/remediate",
        base_branch="main",
        base_sha=base,
        files=(FileUpdate("Dockerfile", content), FileUpdate("run.sh", b"#!/bin/sh\nexec api --v2\n", "100755")),
        title="Dockerfile fixes",
        body="Why and what.\n<!-- dockmend:fingerprint=abc12345 -->",
        commit_message="dockmend: DM101\n\nDockmend-Fingerprint: abc12345",
        fingerprint="abc12345",
        **extra,  # type: ignore[arg-type]
    )


# -- listing ---------------------------------------------------------------------------


def names(p: GitHubPlatform, target: Target) -> list[str]:
    return [r.full_name for r in p.list_repos(target)]


def test_listing_skips_archived_forks_templates_and_disabled(org: GitHubEmulator) -> None:
    before = len(org.requests)
    found = names(platform(org, per_page=5), Target("acme", "gh", "acme"))
    apps = [f"acme/app-{i:02d}" for i in range(1, 13)]
    assert sorted(found) == sorted(
        [*apps, "acme/docs", "acme/empty", "acme/legacy-api", "acme/multi", "acme/opted-out", "acme/tagged"]
    )  # an empty repository is listed: only its tree (409) says it is empty, never ``size``
    pages = [p for m, p, _ in org.requests[before:] if "/orgs/acme/repos" in p]
    assert len(pages) == 5  # 22 repositories, 5 a page: Link pagination followed to the end


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (Target("t", "gh", "acme", include=("acme/app-0*",), exclude=("acme/app-05",)), 8),
        (Target("t", "gh", "acme", exclude=("acme/legacy-*", "acme/app-*")), 5),
        (Target("t", "gh", "acme", topics=("docker",)), 2),
        (Target("t", "gh", "acme", include=("acme/old", "acme/forked"), include_forks=True, include_archived=True), 2),
    ],
)
def test_listing_filters(org: GitHubEmulator, target: Target, expected: int) -> None:
    assert len(names(platform(org), target)) == expected


def test_a_user_is_listed_like_an_organisation(org: GitHubEmulator) -> None:
    repos = list(platform(org).list_repos(Target("jane", "gh", "jane")))
    assert [(r.full_name, r.default_branch, r.url) for r in repos] == [
        ("jane/dotfiles", "main", org.url.removesuffix("/api/v3") + "/jane/dotfiles")
    ]


def test_listing_pages_are_asked_again_with_their_etag(em: GitHubEmulator) -> None:
    """The same platform lists again (``dockmend serve``'s next run): every unchanged page
    is a 304, which GitHub does not count against the rate limit; a page with a pushed
    repository comes back whole."""
    for i in range(3):
        em.add_repo(f"acme/svc-{i}", {"Dockerfile": DOCKERFILE})
    p, acme = platform(em, per_page=2), Target("acme", "gh", "acme")
    listed = {r.full_name: r for r in p.list_repos(acme)}
    assert len(listed) == 5
    used = em.rate(em.credentials[TOKEN], count=False)[1]
    since = len(em.requests)
    again = {r.full_name: r for r in p.list_repos(acme)}
    assert again == listed and em.rate(em.credentials[TOKEN], count=False)[1] == used
    assert [s for m, path, s in em.requests[since:] if "/orgs/acme/repos" in path] == [304, 304, 304]

    em.repos["acme/svc-2"].pushed_at = "2030-01-01T00:00:00Z"  # a push, as the listing shows it
    since = len(em.requests)
    moved = {r.full_name: r for r in p.list_repos(acme)}
    assert {n for n in moved if moved[n] != listed[n]} == {"acme/svc-2"}
    assert moved["acme/svc-2"].marker == "2030-01-01T00:00:00+00:00"
    assert sorted(s for m, path, s in em.requests[since:] if "/orgs/acme/repos" in path) == [200, 304, 304]
    assert p.repo_metadata(moved["acme/svc-2"]).name == "svc-2"  # what DM105 reads came with the page


def test_metadata_comes_with_the_listing(org: GitHubEmulator) -> None:
    p = platform(org)
    multi = next(r for r in p.list_repos(Target("t", "gh", "acme", include=("acme/multi",))))
    before = len(org.requests)
    info = p.repo_metadata(multi)
    assert len(org.requests) == before
    assert (info.name, info.license, info.description, info.topics) == (
        "multi",
        "MIT",
        "Several images",
        ("docker", "platform"),
    )
    assert platform(org).repo_metadata(repo(org, "acme/app-01")).license is None  # not listed: one GET


# -- reading ---------------------------------------------------------------------------


def test_files_in_one_tree_call_and_contents_by_blob(org: GitHubEmulator) -> None:
    p, multi = platform(org), repo(org, "acme/multi")
    before = len(org.requests)
    files = {f.path: f for f in p.list_files(multi, "main")}
    assert len(org.requests) == before + 1
    assert set(files) == {
        "Dockerfile",
        "services/api/Dockerfile",
        "services/web/Dockerfile.prod",
        "scripts/run.sh",
        "LICENSE",
    }
    assert files["scripts/run.sh"].mode == "100755"
    assert p.read_file(multi, files["services/api/Dockerfile"]) == b"FROM python:3.12\n"
    assert p.list_files(repo(org, "acme/empty"), "main") == []


def test_threads_sharing_one_platform_each_get_their_own_answers(org: GitHubEmulator) -> None:
    """The runner calls one platform from several threads. A PyGithub client shared by
    threads can send one thread's request with another's URL (its connection takes the
    request in one call and sends it in the next), so each thread has its own client."""
    p = platform(org)
    names = ["acme/multi", "acme/docs", "acme/legacy-api", "acme/tagged", "acme/opted-out"] * 8
    expected = {name: sorted(f.path for f in p.list_files(repo(org, name), "main")) for name in set(names)}

    def paths(name: str) -> tuple[str, list[str]]:
        return name, sorted(f.path for f in p.list_files(repo(org, name), "main"))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(paths, names))
    assert all(found == expected[name] for name, found in answers)
    clients = {id(p._clients.for_owner("acme"))} | set(
        ThreadPoolExecutor(2).map(lambda _: id(p._clients.for_owner("acme")), range(2))
    )
    assert len(clients) >= 2  # another thread, another client


def test_missing_things_are_platform_errors(org: GitHubEmulator) -> None:
    p = platform(org)
    with pytest.raises(PlatformError, match="404") as missing:
        p.list_files(repo(org, "acme/nope"), "main")
    assert not isinstance(missing.value, PlatformUnavailable)
    assert p.branch_head(repo(org, "acme/app-01"), "dockmend/remediate") is None
    with pytest.raises(PlatformError, match="401"):
        platform(org, token="wrong").list_files(repo(org, "acme/app-01"), "main")


# -- writing ---------------------------------------------------------------------------


def test_write_branch_through_the_git_data_api(em: GitHubEmulator) -> None:
    p, api = platform(em), repo(em, "acme/api")
    change = plan(em, "acme/api")
    head = p.branch_head(api, "main")
    assert head is not None and head.sha == change.base_sha and head.authors == ()

    sha = p.write_branch(api, change, force=False)
    commit = em.store.commit_info("acme/api", sha)
    assert commit.parents == (change.base_sha,) and commit.author_email == BOT_EMAIL
    assert em.store.read("acme/api", sha, "Dockerfile") == b"FROM alpine:3.19.1\n"
    assert {e.path: e.mode for e in em.store.tree("acme/api", sha)}["run.sh"] == "100755"
    assert p.branch_head(api, "dockmend/remediate") == type(head)(sha, change.base_sha, (BOT_EMAIL,), commit.message)

    em.human_commit("acme/api", "main", {"README.md": b"moved on\n"})
    rebased = plan(em, "acme/api", b"FROM alpine:3.19.2\n")
    with pytest.raises(BranchExists, match="already exists"):  # creating, not moving
        p.write_branch(api, rebased, force=False)
    assert em.store.head("acme/api", "dockmend/remediate") == sha
    moved = p.write_branch(api, rebased, force=True)
    assert em.store.head("acme/api", "dockmend/remediate") == moved
    assert em.store.commit_info("acme/api", moved).parents == (rebased.base_sha,)


def test_pin_base_trusts_the_same_tree_and_lists_again_otherwise(em: GitHubEmulator) -> None:
    """The head's answer names its tree: the same sha as the scan's listing means the same
    files (one call, and the write needs no more); another tree is listed and compared."""
    p, api = platform(em), repo(em, "acme/api")
    scanned = RepoScan(None, p.list_files(api, "main"))
    tree, head = em.store.git("acme/api", "rev-parse", "main^{tree}", "main").split()
    empty = em.store.commit("acme/api", tree, (head,), "An empty commit", HUMAN)
    em.store.set_ref("acme/api", "main", empty)  # a new head, the same files
    since = len(em.requests)
    assert pin_base(p, api, scanned) == empty
    p.write_branch(api, plan(em, "acme/api"), force=False)
    read = [(m, path.split("?")[0]) for m, path, _ in em.requests[since:] if m == "GET"]
    assert read == [("GET", "/api/v3/repos/acme/api/branches/main")]

    scanned = RepoScan(None, p.list_files(repo(em, "acme/web"), "main"))
    em.human_commit("acme/web", "main", {"README.md": b"moved on\n"})
    with pytest.raises(PlatformUnavailable, match="moved during the scan"):
        pin_base(p, repo(em, "acme/web"), scanned)
    em.human_commit("acme/web", "main", {"README.md": None})  # and back: the same files again
    assert pin_base(p, repo(em, "acme/web"), scanned) == em.store.head("acme/web", "main")


def test_request_lifecycle(em: GitHubEmulator) -> None:
    p, api = platform(em), repo(em, "acme/api")
    people = {"reviewers": ("alice",), "team_reviewers": ("ops",), "assignees": ("alice",)}
    change = plan(em, "acme/api", b"FROM alpine:3.19.1\n", labels=("dockmend", "docker"), draft=True, **people)
    assert p.find_request(api, change.branch) is None
    p.write_branch(api, change, force=False)
    opened = p.open_request(api, change)
    assert (opened.state, opened.branch, opened.title) == (RequestState.OPEN, change.branch, change.title)
    pull = em.pulls["acme/api"][int(opened.id)]
    assert (pull.labels, pull.reviewers, pull.team_reviewers, pull.assignees, pull.draft) == (
        ["dockmend", "docker"],
        ["alice"],
        ["ops"],
        ["alice"],
        True,
    )
    assert p.find_request(api, change.branch) == opened
    assert p.open_request(api, change) == opened  # GitHub says it exists: the same one comes back
    assert list(em.pulls["acme/api"]) == [int(opened.id)]

    updated = p.update_request(api, opened, "New title", "New body")
    assert (updated.title, updated.body) == ("New title", "New body")
    p.comment(api, updated, "A note")
    p.close_request(api, updated, "Fixed upstream")
    assert [c.body for c in em.comments["acme/api"]] == ["A note", "Fixed upstream"]
    assert p.find_request(api, change.branch).state is RequestState.CLOSED  # type: ignore[union-attr]
    p.delete_branch(api, change.branch)
    p.delete_branch(api, change.branch)  # already gone: fine
    assert "dockmend/remediate" not in em.store.branches("acme/api")


def test_merged_is_told_from_closed(em: GitHubEmulator) -> None:
    p, web = platform(em), repo(em, "acme/web")
    change = plan(em, "acme/web")
    p.write_branch(web, change, force=False)
    opened = p.open_request(web, change)
    em.merge_pull("acme/web", int(opened.id))
    assert p.find_request(web, change.branch).state is RequestState.MERGED  # type: ignore[union-attr]


def test_writes_whose_answers_were_lost_are_not_repeated(em: GitHubEmulator) -> None:
    """Half the POSTs are applied but their answers lost: the retries find their own work."""
    em.faults = Faults(lost_answer_rate=0.5, methods=frozenset({"POST"}), seed=8)
    p, api = platform(em, attempts=30), repo(em, "acme/api")
    change = plan(em, "acme/api", labels=("dockmend",))
    sha = p.write_branch(api, change, force=False)
    opened = p.open_request(api, change)
    p.comment(api, opened, "Once")
    lost = {path.rsplit("/", 1)[1] for _, path, _ in em.faults.injected}
    assert {"refs", "pulls", "comments"} <= lost  # (seeded) the three writes that are not content-addressed
    assert em.store.head("acme/api", "dockmend/remediate") == sha
    assert list(em.pulls["acme/api"]) == [1] and em.pulls["acme/api"][1].labels == ["dockmend"]
    assert [c.body for c in em.comments["acme/api"]] == ["Once"]


def test_a_refused_reviewer_does_not_cost_the_request(em: GitHubEmulator, caplog: pytest.LogCaptureFixture) -> None:
    p, api = platform(em), repo(em, "acme/api")
    change = plan(em, "acme/api", reviewers=("nobody-here",))
    p.write_branch(api, change, force=False)
    assert p.open_request(api, change).state is RequestState.OPEN
    assert "collaborator" in caplog.text


def test_read_only_token_is_refused_not_retried(em: GitHubEmulator) -> None:
    with pytest.raises(PlatformError, match="403 Resource not accessible") as refused:
        platform(em, token="read-only").write_branch(repo(em, "acme/api"), plan(em, "acme/api"), force=False)
    assert not isinstance(refused.value, PlatformUnavailable)


# -- rate limits and outages -------------------------------------------------------------


def test_primary_rate_limit_is_waited_out(em: GitHubEmulator) -> None:
    waits: list[float] = []
    p = platform(em, sleep=waits.append)
    em.exhaust_rate_limit(2, reset_in=0)
    assert [f.path for f in p.list_files(repo(em, "acme/web"), "main")] == ["Dockerfile"]
    assert len(waits) == 2 and all(w <= 1 for w in waits)


def test_secondary_rate_limits_honour_retry_after(em: GitHubEmulator) -> None:
    waits: list[float] = []
    em.faults = Faults(secondary_rate_limit_rate=0.5, too_many_requests_rate=0.5, retry_after=1, seed=3)
    assert platform(em, sleep=waits.append, attempts=20).list_files(repo(em, "acme/web"), "main")
    assert waits and set(waits) == {1.0}
    assert em.faults.count(FaultKind.SECONDARY_RATE_LIMIT) and em.faults.count(FaultKind.TOO_MANY_REQUESTS)


@pytest.mark.parametrize(
    ("faults", "reset_in"),
    [(Faults(server_error_rate=1.0), 0), (Faults(drop_rate=1.0), 0), (Faults(), 3600)],
    ids=["5xx", "dropped", "reset-beyond-max-wait"],
)
def test_beyond_the_bounds_the_forge_is_unavailable(em: GitHubEmulator, faults: Faults, reset_in: int) -> None:
    waits: list[float] = []
    em.faults = faults
    em.exhaust_rate_limit(100 if reset_in else 0, reset_in)
    with pytest.raises(PlatformUnavailable):
        platform(em, sleep=waits.append, attempts=4).list_files(repo(em, "acme/web"), "main")
    assert len(waits) == (0 if reset_in else 3)


def test_five_percent_of_every_failure_changes_no_outcome(tmp_path: Path) -> None:
    """Each kind of failure at 5% (and lost answers: the write happened, its answer did
    not arrive): every primitive still succeeds, with no duplicate pull, ref or comment."""
    em = GitHubEmulator(tmp_path)
    full_names = [f"acme/svc-{i}" for i in range(8)]
    for name in full_names:
        em.add_repo(name, {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\nexec api\n"})
    em.add_token(TOKEN)
    em.account("alice", "User")
    em.faults = Faults.uniform(0.05, seed=11)
    em.faults.lost_answer_rate = 0.05
    em.faults.abuse_detection_rate = 0.05  # waited out like a secondary limit, not a refusal
    with em.running():
        p = platform(em, attempts=12, max_wait=120.0)  # the secondary limit's minute (sleeps are not real)
        repos = list(p.list_repos(Target("acme", "gh", "acme")))
        assert [r.full_name for r in repos] == full_names
        for i, r in enumerate(repos):
            remediate(em, p, r, close=i % 2 == 1)
    assert not em.errors
    assert {k for _, _, k in em.faults.injected} == set(FaultKind)
    assert em.faults.lost_answers > 0
    for i, name in enumerate(full_names):
        (pull,) = em.pulls[name].values()
        assert (pull.labels, pull.reviewers, pull.title) == (["dockmend"], ["alice"], "Dockerfile fixes (2)")
        assert pull.state == ("closed" if i % 2 else "open")
        assert [c.body for c in em.comments.get(name, [])] == (["Closing"] if i % 2 else [])
        assert ("dockmend/remediate" in em.store.branches(name)) == (i % 2 == 0)
        if i % 2 == 0:
            assert len(em.store.log(name, "dockmend/remediate", exclude="main")) == 1


def remediate(em: GitHubEmulator, p: GitHubPlatform, r: Repo, close: bool) -> None:
    """What the bot does to one repository, primitive by primitive."""
    files = {f.path: f for f in p.list_files(r, "main")}
    assert p.read_file(r, files["Dockerfile"]) == DOCKERFILE
    assert p.repo_metadata(r).name == r.full_name.split("/")[1]
    head = p.branch_head(r, "main")
    assert head is not None and p.find_request(r, "dockmend/remediate") is None
    change = plan(em, r.full_name, labels=("dockmend",), reviewers=("alice",))
    p.write_branch(r, change, force=False)
    opened = p.open_request(r, change)
    p.write_branch(r, plan(em, r.full_name, b"FROM alpine:3.19.2\n"), force=True)
    p.update_request(r, opened, "Dockerfile fixes (2)", change.body)
    if close:
        p.close_request(r, opened, "Closing")
        p.delete_branch(r, change.branch)


# -- construction, GitHub App, secrets ------------------------------------------------------


def settings(em: GitHubEmulator, **fields: object) -> PlatformSettings:
    return PlatformSettings(name="gh", type="github", url=em.url, **fields)  # type: ignore[arg-type]


def unthrottled() -> Tuning:
    return Tuning.unthrottled(RetryPolicy(backoff=0.0, max_wait=5.0, sleep=lambda _: None))


@pytest.fixture
def app_em(tmp_path: Path) -> Iterator[tuple[GitHubEmulator, Path]]:
    private, public = app_keypair()
    em = GitHubEmulator(tmp_path / "gh", tokens=[], app=GitHubApp(77, public, installations={"acme": 5, "jane": 6}))
    em.add_repo("acme/api", {"Dockerfile": DOCKERFILE})
    em.add_repo("jane/tool", {"Dockerfile": DOCKERFILE}, owner_type="User")
    em.add_repo("other/x", {"Dockerfile": DOCKERFILE})
    key = tmp_path / "app.pem"
    key.write_text(private)
    with em.running():
        yield em, key
    assert not em.errors


def test_github_app_uses_an_installation_token_per_organisation(app_em: tuple[GitHubEmulator, Path]) -> None:
    em, key = app_em
    p = from_settings(settings(em, app_id="77", private_key_file=key), {}, tuning=unthrottled())
    assert names(p, Target("acme", "gh", "acme")) == ["acme/api"]
    api = repo(em, "acme/api")
    p.write_branch(api, plan(em, "acme/api"), force=False)
    assert p.open_request(api, plan(em, "acme/api")).state is RequestState.OPEN
    assert em.pulls["acme/api"][1].user == "dockmend[bot]"
    issue = p.open_issue(api, "Status", "<!-- dockmend:status -->")  # the App's issues: creator=<slug>[bot]
    assert em.issues["acme/api"][int(issue.id)].user == "dockmend[bot]"
    assert p.find_issue(api, "<!-- dockmend:status -->") == issue
    assert {c.owner for c in em.credentials.values()} == {"acme"}  # one installation token, scoped to acme
    with pytest.raises(PlatformError, match="installation for other: 404"):
        list(p.list_repos(Target("other", "gh", "other")))


def test_github_app_with_a_fixed_installation_and_a_wrong_key(app_em: tuple[GitHubEmulator, Path]) -> None:
    em, key = app_em
    p = from_settings(settings(em, app_id="77", private_key_file=key, installation_id="6"), {}, tuning=unthrottled())
    assert names(p, Target("jane", "gh", "jane")) == ["jane/tool"]
    key.write_text(app_keypair()[0])
    wrong = from_settings(settings(em, app_id="77", private_key_file=key), {}, tuning=unthrottled())
    with pytest.raises(PlatformError, match="401"):
        names(wrong, Target("acme", "gh", "acme"))


def test_secrets_never_reach_logs_reprs_or_errors(
    app_em: tuple[GitHubEmulator, Path], caplog: pytest.LogCaptureFixture
) -> None:
    em, key = app_em
    em.add_token(TOKEN)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub's own DEBUG lines print response bodies
    errors: list[str] = []
    by_token = from_settings(settings(em, token_env="GH_TOKEN"), {"GH_TOKEN": TOKEN}, tuning=unthrottled())
    by_app = from_settings(settings(em, app_id="77", private_key_file=key), {}, tuning=unthrottled())
    for p in (by_token, by_app):
        assert names(p, Target("acme", "gh", "acme")) == ["acme/api"]
        with pytest.raises(PlatformError) as missing:
            p.list_files(repo(em, "acme/missing"), "main")
        errors += [repr(p), str(missing.value), repr(missing.value), repr(missing.value.__cause__)]
    with pytest.raises(PlatformError) as refused:
        from_settings(settings(em, token_env="GH_TOKEN"), {"GH_TOKEN": "ghp_notvalid000000000000000000"}).list_files(
            repo(em, "acme/api"), "main"
        )
    errors.append(str(refused.value))
    secrets = [TOKEN, "ghp_notvalid", *em.credentials, key.read_text().splitlines()[1]]
    assert "GET /api/v3/orgs/acme/repos" in caplog.text.replace("http://", "").replace(em.url.split("/api")[0][7:], "")
    assert "installation" in caplog.text and "eyJ" not in caplog.text
    for secret in secrets:
        assert secret not in caplog.text
        assert not any(secret in error for error in errors)


def test_construction_from_settings(em: GitHubEmulator, tmp_path: Path) -> None:
    with pytest.raises(DockmendError, match="GH_TOKEN is not set"):
        from_settings(settings(em, token_env="GH_TOKEN"), {})
    with pytest.raises(DockmendError, match="not both"):
        from_settings(settings(em, token_env="T", app_id="1", private_key_file=tmp_path / "k"), {"T": "x"})
    with pytest.raises(DockmendError, match="private_key_file"):
        from_settings(settings(em, app_id="1", private_key_file=tmp_path / "missing.pem"), {})
    with pytest.raises(DockmendError, match="needs"):
        from_settings(settings(em), {})
    p = from_settings(settings(em, token_env="T", bot_email="bot@example.com"), {"T": TOKEN})
    assert p.bot_email == "bot@example.com" and TOKEN not in repr(p)
    assert p.tuning.seconds_between_writes == 1.0  # production keeps GitHub's pace


def test_the_emulator_runs_standalone(tmp_path: Path) -> None:
    (tmp_path / "acme" / "api" / "svc").mkdir(parents=True)
    (tmp_path / "acme" / "api" / "svc" / "Dockerfile").write_bytes(DOCKERFILE)
    (tmp_path / "github.json").write_text('{"acme/api": {"topics": ["docker"]}}')
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "tests.emulators.github", "--port", "0", "--seed", str(tmp_path)]
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True) as proc:
        try:
            url = (proc.stdout.readline() if proc.stdout else "").strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v3")
            request = urllib.request.Request(
                f"{url}/repos/acme/api/topics", headers={"Authorization": "token test-token"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.read() == b'{"names": ["docker"]}'
            with urllib.request.urlopen(url.removesuffix("/api/v3") + "/_emulator/state", timeout=10) as answer:
                assert list(json.load(answer)["branches"]["acme/api"]) == ["main"]
        finally:
            proc.terminate()


def test_the_bots_manners_on_github(em: GitHubEmulator) -> None:
    from bot.engine.changes import Kind, close_if_fixed, ensure_change_request, fingerprint_comment, fingerprint_trailer

    p, web = platform(em), repo(em, "acme/web")

    def run(fingerprint: str = "0a1b2c3d", content: bytes = b"FROM alpine:3.20\n") -> Kind:
        change = ChangePlan(
            branch="dockmend/remediate",
            base_branch="main",
            base_sha=em.store.head("acme/web", "main") or "",
            files=(FileUpdate("Dockerfile", content),),
            title="Dockerfile fixes",
            body=f"Why.\n{fingerprint_comment(fingerprint)}",
            commit_message=f"dockmend: fixes\n\n{fingerprint_trailer(fingerprint)}",
            fingerprint=fingerprint,
        )
        return ensure_change_request(p, web, change).kind

    assert run() is Kind.CREATED
    since = len(em.requests)
    assert run() is Kind.UNCHANGED
    assert {m for m, _, _ in em.requests[since:]} == {"GET"}  # a second run writes nothing
    em.human_commit("acme/web", "main", {"README.md": b"moved on\n"})
    assert run() is Kind.REBASED
    em.human_commit("acme/web", "dockmend/remediate", {"Dockerfile": b"FROM alpine:3.20.1\n"}, "mine now")
    assert run() is Kind.SKIPPED_HUMAN and run() is Kind.SKIPPED_HUMAN
    assert len(em.comments["acme/web"]) == 1  # told once
    em.close_pull("acme/web", 1)
    em.delete_branch("acme/web", "dockmend/remediate")
    assert run() is Kind.SKIPPED_CLOSED
    assert run("4e5f6a7b", b"FROM alpine:3.21\n") is Kind.CREATED
    em.human_commit("acme/web", "main", {"Dockerfile": b"FROM alpine:3.21\n"}, "landed upstream")
    assert close_if_fixed(p, web, "dockmend/remediate").kind is Kind.CLOSED
    assert [pull.state for pull in em.pulls["acme/web"].values()] == ["closed", "closed"]
    assert p.branch_head(web, "dockmend/remediate") is None


def test_the_status_issue_is_the_bots_own_found_by_its_marker(em: GitHubEmulator) -> None:
    """Never by title alone: a person's issue with the same title, or quoting the marker, is
    not the bot's; the bot's is found, edited, and named by the owner's search with its body."""
    p, api = platform(em), repo(em, "acme/api")
    marker = "<!-- dockmend:status -->"
    for body, login in ((f"{marker} quoted by a person", "alice"), ("no marker", "dockmend-bot")):
        number = em.next_number("acme/api")
        em.issues.setdefault("acme/api", {})[number] = Issue(number, next(em.ids), "Status", body, login, now())
    assert p.find_issue(api, marker) is None
    opened = p.open_issue(api, "Status", f"{marker}\nfirst")
    assert em.issues["acme/api"][int(opened.id)].user == "dockmend-bot"
    assert p.find_issue(api, marker) == opened
    edited = p.update_issue(api, opened, "Status", f"{marker}\n- [x] <!-- dockmend:now:DM104 -->")
    assert edited.id == opened.id and edited.body.endswith("DM104 -->")
    fresh = platform(em)  # a new run: one search per owner for the bot's issues, with their bodies
    assert sorted(fresh.surveyed(api, "dockmend/", issues=True) or ()) == [edited.body, "no marker"]
    assert fresh.find_issue(repo(em, "acme/legacy-api"), marker) is None  # the search names no issue there
