"""The GitLab platform, through the real python-gitlab, against the GitLab emulator.

One emulator (served below ``/gitlab``, like a self-managed instance) holds a group with
subgroups and 20+ projects: archived, a fork, an empty one, some without Dockerfiles,
some with several in subfolders, one in another group. Tests that write use their own
project. Retries never really wait: the platform's sleep is a recorder.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.scan import RepoScan, pin_base
from bot.platforms.base import (
    BranchExists,
    ChangePlan,
    FileUpdate,
    PlatformError,
    PlatformUnavailable,
    Repo,
    RepoFile,
    RequestState,
    same_marker,
)
from bot.platforms.gitlab import GitLabPlatform, from_settings
from bot.platforms.gitlab_retry import RetryPolicy
from bot.settings.secrets import Secret
from bot.settings.targets import PlatformSettings, Target
from fixers.base import RepoInfo
from tests.emulators.faults import SHARED_KINDS, Faults
from tests.emulators.github import MIT_LICENSE as MIT
from tests.emulators.gitlab import TOKEN, GitLabEmulator
from tests.emulators.gitlab_model import Issue

BOT_EMAIL = "dockmend@noreply.invalid"
DOCKERFILE = b"FROM alpine:latest\nRUN apk add curl\n"
CLI_TOOLS = [f"acme/tools/cli-{n:02}" for n in range(1, 13)]
INFRA = {"acme/platform/infra/terraform", "acme/platform/infra/base-images"}
LISTED = {
    "acme/api",
    "acme/web",
    "acme/docs",
    "acme/platform/billing",
    "acme/platform/auth",
    "acme/platform/infra/terraform",
    "acme/platform/infra/base-images",
    "acme/ml",
    "acme/manners",
    *CLI_TOOLS,
}


def seed_tree(root: Path) -> Path:
    files: dict[str, bytes | str] = {
        "acme/api/Dockerfile": DOCKERFILE,
        "acme/api/LICENSE": MIT,
        "acme/web/Dockerfile": DOCKERFILE,
        "acme/web/docker/Dockerfile.dev": DOCKERFILE,
        "acme/docs/README.md": "# docs\n",
        "acme/platform/billing/services/api/Dockerfile": DOCKERFILE,
        "acme/platform/billing/services/worker/Dockerfile": b"FROM python:3\r\nCMD worker\r\n",
        "acme/platform/billing/tools/Dockerfile": DOCKERFILE,
        "acme/platform/billing/.project": '{"description": "Billing"}',
        "acme/platform/auth/Dockerfile": DOCKERFILE,
        "acme/platform/auth/entrypoint.sh": "#!/bin/sh\nexec app\n",
        "acme/platform/infra/terraform/main.tf": "terraform {}\n",
        "acme/platform/infra/base-images/alpine/Dockerfile": DOCKERFILE,
        "acme/platform/infra/base-images/debian/Dockerfile": DOCKERFILE,
        "acme/platform/infra/base-images/.project": "",
        "acme/ml/Dockerfile": DOCKERFILE,
        "acme/manners/Dockerfile": DOCKERFILE,
        "acme/ml/.project": '{"topics": ["ml", "gpu"]}',
        "acme/legacy/Dockerfile": DOCKERFILE,
        "acme/legacy/.project": '{"archived": true}',
        "acme/api-fork/Dockerfile": DOCKERFILE,
        "acme/api-fork/.project": '{"forked_from": "acme/api"}',
        "acme/empty/.project": "",
        "other/secret/Dockerfile": DOCKERFILE,
        **{f"{tool}/Dockerfile": DOCKERFILE for tool in CLI_TOOLS},
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitLabEmulator]:
    seed = seed_tree(tmp_path_factory.mktemp("seed"))
    with GitLabEmulator(seed, tmp_path_factory.mktemp("git"), prefix="/gitlab") as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def platform(emulator: GitLabEmulator, sleeps: list[float]) -> GitLabPlatform:
    return make(emulator, sleeps)


def make(emulator: GitLabEmulator, sleeps: list[float], per_page: int = 100, token: str = TOKEN) -> GitLabPlatform:
    retry = RetryPolicy(sleep=sleeps.append)
    return GitLabPlatform("gl", emulator.url, Secret(token), bot_email=BOT_EMAIL, retry=retry, per_page=per_page)


def repo_of(emulator: GitLabEmulator, path: str) -> Repo:
    """The repository as list_repos gives it (tested on its own), without listing the group."""
    project = emulator.project(path)
    return Repo("gl", path, str(project.id), project.default_branch, f"{emulator.url}/{path}")


def target(**options: object) -> Target:
    return Target("acme", "gl", "acme", **options)  # type: ignore[arg-type]


def plan(base_sha: str, files: dict[str, bytes], fingerprint: str = "0f1e2d3c", **options: object) -> ChangePlan:
    return ChangePlan(
        branch="dockmend/remediate",
        base_branch="main",
        base_sha=base_sha,
        files=tuple(FileUpdate(p, c, "100755" if p.endswith(".sh") else "100644") for p, c in files.items()),
        title="Dockerfile fixes",
        body=f"Why and how.\n<!-- dockmend:fingerprint={fingerprint} -->",
        commit_message=f"dockmend: fix Dockerfiles\n\nDockmend-Fingerprint: {fingerprint}",
        fingerprint=fingerprint,
        **options,  # type: ignore[arg-type]
    )


def head_of(emulator: GitLabEmulator, path: str, branch: str = "main") -> str:
    sha = emulator.world.branches(emulator.project(path)).get(branch)
    assert sha is not None
    return sha


def api_paths(emulator: GitLabEmulator, since: int = 0) -> list[str]:
    return [f"{r['method']} {r['path']}?{r['query']}" for r in emulator.requests[since:]]


# -- listing


def test_lists_the_group_with_subgroups_skipping_archived_forks_empty_and_other_groups(
    emulator: GitLabEmulator, sleeps: list[float]
) -> None:
    platform = make(emulator, sleeps, per_page=5)
    since = len(emulator.requests)
    repos = list(platform.list_repos(target()))
    assert {r.full_name for r in repos} == LISTED
    assert len(repos) == len(LISTED)  # no duplicates across pages
    pages = [p for p in api_paths(emulator, since) if "/groups/" in p]
    assert len(pages) == 5  # 24 projects of acme, 5 a page: python-gitlab followed Link rel="next"
    assert all(p.startswith("GET /groups/acme/projects?") for p in pages)
    assert "include_subgroups=True" in pages[0] and "archived=False" in pages[0]
    billing = next(r for r in repos if r.full_name == "acme/platform/billing")
    assert billing.id == str(emulator.project("acme/platform/billing").id)
    assert (billing.default_branch, billing.description) == ("main", "Billing")
    assert billing.url == f"{emulator.url}/acme/platform/billing"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"include_archived": True}, LISTED | {"acme/legacy"}),
        ({"include_forks": True}, LISTED | {"acme/api-fork"}),
        ({"include": ("acme/platform/*",)}, {r for r in LISTED if r.startswith("acme/platform/")}),
        ({"exclude": ("acme/tools/*", "*/infra/*")}, LISTED - set(CLI_TOOLS) - INFRA),
        ({"topics": ("gpu", "nothing")}, {"acme/ml"}),
    ],
)  # fmt: skip
def test_target_filters(platform: GitLabPlatform, options: dict[str, object], expected: set[str]) -> None:
    assert {r.full_name for r in platform.list_repos(target(**options))} == expected


def test_a_subgroup_is_a_target_by_its_path(platform: GitLabPlatform) -> None:
    names = {r.full_name for r in platform.list_repos(Target("infra", "gl", "acme/platform/infra"))}
    assert names == INFRA


def test_repo_metadata_reads_the_licence_only_where_there_is_a_licence_file(
    emulator: GitLabEmulator, platform: GitLabPlatform
) -> None:
    """After the listing and the scan's tree: a project without a LICENSE (or COPYING…) file
    at its root has no licence for GitLab to detect, and the listing says the rest."""
    repos = {r.full_name: r for r in platform.list_repos(target())}
    api, ml = repos["acme/api"], repos["acme/ml"]
    for repo in (api, ml):
        platform.list_files(repo, repo.default_branch)
    since = len(emulator.requests)
    unread = platform.repo_metadata(ml)
    assert api_paths(emulator, since) == []
    assert unread == RepoInfo("ml", ml.url, None, None, ("ml", "gpu"))
    assert platform.repo_metadata(api).license == "MIT"
    assert [p.split("?")[0] for p in api_paths(emulator, since)] == [f"GET /projects/{api.id}"]
    assert "license=True" in api_paths(emulator, since)[0]


def test_pin_base_reads_the_heads_root_folder_not_the_whole_tree(
    emulator: GitLabEmulator, platform: GitLabPlatform
) -> None:
    """The head's root folder (one page) has the digest of the scan's listing: that
    listing is the head's, and the write lists nothing more. A change deep in a subfolder
    changes a subtree id in the root: the whole tree is listed again and compared."""
    billing = repo_of(emulator, "acme/platform/billing")
    since = len(emulator.requests)
    scanned = RepoScan(None, platform.list_files(billing, "main"))
    assert platform.tree_of(billing, "main") is not None
    head = pin_base(platform, billing, scanned)
    assert head == head_of(emulator, "acme/platform/billing")
    trees = [p for p in api_paths(emulator, since) if "/repository/tree" in p]
    assert len(trees) == 2 and "recursive=True" in trees[0] and "recursive=False" in trees[1]
    assert platform.list_files(billing, head) == scanned.files  # kept: no call
    assert len([p for p in api_paths(emulator, since) if "/repository/tree" in p]) == 2

    scanned = RepoScan(None, platform.list_files(billing, "main"))
    emulator.commit("acme/platform/billing", "main", {"services/api/notes.md": "moved on\n"})
    try:
        with pytest.raises(PlatformUnavailable, match="moved during the scan"):
            pin_base(platform, billing, scanned)
    finally:
        emulator.commit("acme/platform/billing", "main", {"services/api/notes.md": None})


def test_list_files_walks_the_whole_tree_across_pages(emulator: GitLabEmulator, sleeps: list[float]) -> None:
    platform = make(emulator, sleeps, per_page=2)
    billing = repo_of(emulator, "acme/platform/billing")
    since = len(emulator.requests)
    files = platform.list_files(billing, "main")
    assert [f.path for f in files] == [
        "services/api/Dockerfile",
        "services/worker/Dockerfile",
        "tools/Dockerfile",
    ]
    tree_pages = [p for p in api_paths(emulator, since) if "/repository/tree" in p]
    assert len(tree_pages) == 4  # 3 blobs + 4 trees, 2 a page: one logical call, every page
    assert tree_pages[0].startswith(f"GET /projects/{billing.id}/repository/tree?")
    assert "recursive=True" in tree_pages[0]
    auth = platform.list_files(repo_of(emulator, "acme/platform/auth"), "main")
    assert {f.path: f.mode for f in auth} == {"Dockerfile": "100644", "entrypoint.sh": "100755"}


def test_trees_by_sha_are_read_once(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    web = repo_of(emulator, "acme/web")
    sha = head_of(emulator, "acme/web")
    since = len(emulator.requests)
    assert platform.list_files(web, sha) == platform.list_files(web, sha)
    assert len(api_paths(emulator, since)) == 1


def test_read_file_by_blob_sha_keeps_bytes(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    billing = repo_of(emulator, "acme/platform/billing")
    worker = next(f for f in platform.list_files(billing, "main") if f.path == "services/worker/Dockerfile")
    assert platform.read_file(billing, worker) == b"FROM python:3\r\nCMD worker\r\n"


def test_repo_metadata_names_the_licence(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    info = platform.repo_metadata(repo_of(emulator, "acme/api"))
    assert (info.name, info.license, info.url) == ("api", "MIT", repo_of(emulator, "acme/api").url)
    ml = platform.repo_metadata(repo_of(emulator, "acme/ml"))
    assert (ml.license, ml.topics) == (None, ("ml", "gpu"))


def test_projects_by_numeric_id_and_by_encoded_path(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    numeric = repo_of(emulator, "acme/platform/infra/base-images")
    by_path = Repo("gl", numeric.full_name, numeric.full_name, "main", numeric.url)
    since = len(emulator.requests)
    assert platform.list_files(by_path, "main") == platform.list_files(numeric, "main")
    paths = api_paths(emulator, since)
    assert paths[0].startswith("GET /projects/acme%2Fplatform%2Finfra%2Fbase-images/repository/tree?")
    assert paths[1].startswith(f"GET /projects/{numeric.id}/repository/tree?")


# -- branches and commits


def test_write_branch_is_one_commit_from_the_base_with_the_bot_identity(
    emulator: GitLabEmulator, platform: GitLabPlatform
) -> None:
    auth = repo_of(emulator, "acme/platform/auth")
    base = head_of(emulator, "acme/platform/auth")
    assert platform.branch_head(auth, "dockmend/remediate") is None
    files = {
        "Dockerfile": b"FROM alpine:3.20\r\n",
        "entrypoint.sh": b'#!/bin/sh\nexec app "$@"\n',
        "new.sh": b"#!/bin/sh\n",
    }
    since = len(emulator.requests)
    sha = platform.write_branch(auth, plan(base, files), force=False)
    writes = [p for p in api_paths(emulator, since) if not p.startswith("GET")]
    assert writes == [f"POST /projects/{auth.id}/repository/commits?"]
    commit = emulator.world.commit(emulator.project(auth.full_name), sha)
    assert (commit.parents, commit.author_email, commit.author_name) == ((base,), BOT_EMAIL, "dockmend[bot]")
    listed = {f.path: f for f in platform.list_files(auth, sha)}
    assert {p: f.mode for p, f in listed.items()} == {
        "Dockerfile": "100644",
        "entrypoint.sh": "100755",
        "new.sh": "100755",
    }
    assert platform.read_file(auth, listed["Dockerfile"]) == b"FROM alpine:3.20\r\n"
    head = platform.branch_head(auth, "dockmend/remediate")
    assert head is not None
    assert (head.sha, head.base_sha, head.authors) == (sha, base, (BOT_EMAIL,))
    assert "Dockmend-Fingerprint: 0f1e2d3c" in head.message


def test_rebase_human_commit_and_force(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    web = repo_of(emulator, "acme/web")
    first = platform.write_branch(web, plan(head_of(emulator, "acme/web"), {"Dockerfile": b"FROM nginx:1\n"}), False)
    with pytest.raises(BranchExists, match="already exists"):
        platform.write_branch(web, plan(head_of(emulator, "acme/web"), {"Dockerfile": b"FROM nginx:2\n"}), False)
    moved = emulator.commit("acme/web", "main", {"README.md": "news\n"}, "Upstream moves on")
    rebased = platform.write_branch(web, plan(moved, {"Dockerfile": b"FROM nginx:1\n"}), force=True)
    head = platform.branch_head(web, "dockmend/remediate")
    assert head is not None and head.sha == rebased != first
    assert (head.base_sha, head.authors) == (moved, (BOT_EMAIL,))
    emulator.commit("acme/web", "dockmend/remediate", {"Dockerfile": "FROM nginx:1-alpine\n"}, "tweak")
    head = platform.branch_head(web, "dockmend/remediate")
    assert head is not None and head.authors == (BOT_EMAIL, "alice@example.com") and head.base_sha == moved
    platform.delete_branch(web, "dockmend/remediate")
    platform.delete_branch(web, "dockmend/remediate")  # already gone: fine
    assert platform.branch_head(web, "dockmend/remediate") is None


def test_a_lost_commit_answer_is_not_an_error(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    cli = repo_of(emulator, "acme/tools/cli-01")
    the_plan = plan(head_of(emulator, cli.full_name), {"Dockerfile": b"FROM alpine:3.20\n"})
    sha = platform.write_branch(cli, the_plan, force=False)
    assert platform.write_branch(cli, the_plan, force=False) == sha  # a retry after the first attempt landed


# -- merge requests


def test_merge_request_lifecycle(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    ml = repo_of(emulator, "acme/ml")
    the_plan = plan(
        head_of(emulator, "acme/ml"),
        {"Dockerfile": b"FROM alpine:3.20\n"},
        labels=("dockmend", "docker"),
        reviewers=("bob", "nobody"),
        assignees=("alice",),
        team_reviewers=("acme/sre",),
    )
    assert platform.find_request(ml, the_plan.branch) is None
    platform.write_branch(ml, the_plan, force=False)
    opened = platform.open_request(ml, the_plan)
    assert opened.state is RequestState.OPEN and opened.branch == the_plan.branch
    assert opened.url == f"{emulator.url}/acme/ml/-/merge_requests/{opened.id}"
    assert platform.open_request(ml, the_plan) == opened  # an open one exists: it is the answer
    [mr] = emulator.merge_requests("acme/ml")
    assert (mr.labels, mr.assignee_ids, mr.reviewer_ids, mr.remove_source_branch) == (
        ["dockmend", "docker"],
        [2],
        [3],
        True,
    )
    assert platform.find_request(ml, the_plan.branch) == opened
    updated = platform.update_request(ml, opened, "New title", "New body")
    assert (updated.title, updated.body) == ("New title", "New body")
    platform.comment(ml, updated, "A word.")
    platform.close_request(ml, updated, "Not needed any more.")
    closed = platform.find_request(ml, the_plan.branch)
    assert closed is not None and closed.state is RequestState.CLOSED
    assert [n.body for n in mr.notes] == ["A word.", "Not needed any more."]


def test_merged_and_closed_are_told_apart_and_the_newest_wins(
    emulator: GitLabEmulator, platform: GitLabPlatform
) -> None:
    cli = repo_of(emulator, "acme/tools/cli-02")
    the_plan = plan(head_of(emulator, cli.full_name), {"Dockerfile": b"FROM alpine:3.20\n"}, draft=True)
    platform.write_branch(cli, the_plan, force=False)
    first = platform.open_request(cli, the_plan)
    assert first.title == "Draft: Dockerfile fixes"
    emulator.close(cli.full_name, int(first.id))
    second = platform.open_request(cli, the_plan)
    assert second.id != first.id
    emulator.merge(cli.full_name, int(second.id))
    found = platform.find_request(cli, the_plan.branch)
    assert found is not None and (found.id, found.state) == (second.id, RequestState.MERGED)
    assert platform.branch_head(cli, the_plan.branch) is None  # remove_source_branch on merge


# -- failures


def test_faults_are_outlasted_without_duplicates(
    emulator: GitLabEmulator, platform: GitLabPlatform, sleeps: list[float]
) -> None:
    faults = Faults.uniform(0.05, seed=7, retry_after=1)
    emulator.set_faults(faults)
    try:
        repos = [r for r in platform.list_repos(target()) if r.full_name in CLI_TOOLS[2:]]
        for repo in repos * 2:  # twice: the second pass finds what the first made
            the_plan = plan(head_of(emulator, repo.full_name), {"Dockerfile": b"FROM alpine:3.20\n"})
            files = platform.list_files(repo, the_plan.base_sha)
            assert platform.read_file(repo, files[0]) == DOCKERFILE
            if platform.branch_head(repo, the_plan.branch) is None:
                platform.write_branch(repo, the_plan, force=False)
            if platform.find_request(repo, the_plan.branch) is None:
                platform.open_request(repo, the_plan)
    finally:
        emulator.set_faults(None)
    assert len(repos) == 10
    for repo in repos:
        assert [mr.state for mr in emulator.merge_requests(repo.full_name)] == ["opened"]
        assert set(emulator.world.branches(emulator.project(repo.full_name))) == {"main", "dockmend/remediate"}
    assert all(faults.count(kind) > 0 for kind in SHARED_KINDS)
    assert sleeps and max(sleeps) <= RetryPolicy().max_delay


def test_an_outage_becomes_platform_unavailable_after_bounded_waits(
    emulator: GitLabEmulator, sleeps: list[float]
) -> None:
    platform = GitLabPlatform(
        "gl", emulator.url, Secret(TOKEN), retry=RetryPolicy(attempts=4, max_delay=30, sleep=sleeps.append)
    )
    emulator.set_faults(Faults(too_many_requests_rate=1.0, retry_after=3600))
    try:
        with pytest.raises(PlatformUnavailable, match="HTTP 429 after 4 attempts"):
            list(platform.list_repos(target()))
    finally:
        emulator.set_faults(None)
    assert sleeps == [30, 30, 30]  # Retry-After honoured up to the cap
    emulator.set_faults(Faults(drop_rate=1.0))
    try:
        with pytest.raises(PlatformUnavailable, match="ConnectionError"):
            platform.read_file(repo_of(emulator, "acme/api"), RepoFile("Dockerfile", "0" * 40))
    finally:
        emulator.set_faults(None)


def test_missing_and_forbidden_are_platform_errors(
    emulator: GitLabEmulator, platform: GitLabPlatform, sleeps: list[float]
) -> None:
    api = repo_of(emulator, "acme/api")
    with pytest.raises(PlatformError, match="404") as missing:
        platform.read_file(api, RepoFile("Dockerfile", "0" * 40))
    assert not isinstance(missing.value, PlatformUnavailable)
    emulator.forbidden.add("acme/api")
    try:
        with pytest.raises(PlatformError, match="403") as forbidden:
            platform.list_files(api, "main")
    finally:
        emulator.forbidden.clear()
    assert not isinstance(forbidden.value, PlatformUnavailable) and sleeps == []


def test_the_token_never_shows(emulator: GitLabEmulator, sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    platform = make(emulator, sleeps)
    shown = [repr(platform)]
    emulator.set_faults(Faults(server_error_rate=0.5, drop_rate=0.5, too_many_requests_rate=0.5, seed=1))
    try:
        list(platform.list_repos(target()))
    finally:
        emulator.set_faults(None)
    assert any("waiting" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    for failing in (
        lambda: platform.read_file(repo_of(emulator, "acme/api"), RepoFile("x", "0" * 40)),
        lambda: list(make(emulator, sleeps, token="glpat-wrong-secret").list_repos(target())),
    ):
        with pytest.raises(PlatformError) as raised:
            failing()
        shown.append("".join(traceback.format_exception(raised.value, limit=0)))  # messages, chained too
    assert "401" in shown[-1]
    for text in [caplog.text, *shown]:
        assert TOKEN not in text and "glpat-wrong-secret" not in text, text


def test_built_from_settings_with_a_token_reference(emulator: GitLabEmulator) -> None:
    settings = PlatformSettings("gl", "gitlab", url=emulator.url, token_env="GITLAB_TOKEN", bot_email="bot@example.com")
    platform = from_settings(settings, {"GITLAB_TOKEN": TOKEN})
    assert platform.bot_email == "bot@example.com" and TOKEN not in repr(platform)
    assert "acme/api" in {r.full_name for r in platform.list_repos(target())}
    with pytest.raises(PlatformError, match="token"):
        from_settings(PlatformSettings("gl", "gitlab", url=emulator.url), {})


def test_emulator_state_shows_branches_and_requests(emulator: GitLabEmulator) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{emulator.url}/_emulator/state") as answer:
        state = json.load(answer)
    assert state["projects"]["acme/api"]["branches"].keys() == {"main"}
    assert state["requests"]


# -- the manners of bot.engine.changes hold on these primitives


def test_the_bots_manners_on_gitlab(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    from bot.engine.changes import Kind, close_if_fixed, ensure_change_request

    path = "acme/manners"
    cli = repo_of(emulator, path)

    def run(fingerprint: str = "0a1b2c3d", content: bytes = b"FROM alpine:3.20\n") -> Kind:
        the_plan = plan(head_of(emulator, path), {"Dockerfile": content}, fingerprint=fingerprint)
        return ensure_change_request(platform, cli, the_plan).kind

    assert run() is Kind.CREATED
    since = len(emulator.requests)
    assert run() is Kind.UNCHANGED
    assert all(r["method"] == "GET" for r in emulator.requests[since:])  # a second run writes nothing
    emulator.commit(path, "main", {"README.md": "moved on\n"})
    assert run() is Kind.REBASED
    emulator.commit(path, "dockmend/remediate", {"Dockerfile": "FROM alpine:3.20.1\n"}, "mine now")
    assert run() is Kind.SKIPPED_HUMAN and run() is Kind.SKIPPED_HUMAN
    [mr] = emulator.merge_requests(path)
    assert len(mr.notes) == 1  # told once
    emulator.close(path, mr.iid)
    platform.delete_branch(cli, "dockmend/remediate")
    assert run() is Kind.SKIPPED_CLOSED
    assert run("4e5f6a7b", b"FROM alpine:3.21\n") is Kind.CREATED
    emulator.commit(path, "main", {"Dockerfile": "FROM alpine:3.21\n"}, "landed upstream")
    assert close_if_fixed(platform, cli, "dockmend/remediate").kind is Kind.CLOSED
    assert [m.state for m in emulator.merge_requests(path)] == ["closed", "closed"]
    assert platform.branch_head(cli, "dockmend/remediate") is None


def test_reads_by_path_name_the_commit_that_pins_the_base(emulator: GitLabEmulator, platform: GitLabPlatform) -> None:
    """The files API answers with the commit it read (``commit_id``): a request's base is
    pinned with no branch or tree call. A written file found in the cache (never read in
    this scan) is read by path, one call; one that differs from the listing is refused."""
    billing = repo_of(emulator, "acme/platform/billing")
    files = {f.path: f for f in platform.list_files(billing, "main")}
    api, worker = files["services/api/Dockerfile"], files["services/worker/Dockerfile"]
    since = len(emulator.requests)
    assert platform.read_file(billing, api).startswith(b"FROM")
    assert len(api_paths(emulator, since)) == 1 and "/repository/files/" in api_paths(emulator, since)[0]
    since = len(emulator.requests)
    head = platform.read_at(billing, {api.path: api.sha})
    assert head == head_of(emulator, "acme/platform/billing")
    assert api_paths(emulator, since) == []  # no branch read, no tree read
    assert platform.list_files(billing, head) == tuple(files.values())  # kept for the write: no call

    since = len(emulator.requests)  # the cache had it: one read by path, for its commit
    assert platform.read_at(billing, {worker.path: worker.sha}) == head
    assert len(api_paths(emulator, since)) == 1

    platform.list_files(billing, "main")
    platform.read_file(billing, api)
    emulator.commit("acme/platform/billing", "main", {api.path: "FROM alpine:3.20\n"})
    try:
        with pytest.raises(PlatformUnavailable, match="moved during the scan"):
            platform.read_at(billing, {api.path: api.sha, worker.path: worker.sha})  # read again: api changed
    finally:
        emulator.commit("acme/platform/billing", "main", {api.path: platform.read_file(billing, api).decode()})


def test_after_its_writes_the_marker_is_a_bound_from_their_answers(
    emulator: GitLabEmulator, platform: GitLabPlatform
) -> None:
    """No call after the bot's writes: the times their answers give bound the project's
    ``last_activity_at``. The listing then shows a time within the bound (the bot's own
    doing); a later event moves it past."""
    billing = repo_of(emulator, "acme/platform/billing")
    head = head_of(emulator, "acme/platform/billing")
    platform.write_branch(billing, plan(head, {"services/api/Dockerfile": b"FROM alpine:3.20\n"}), force=False)
    platform.open_request(billing, plan(head, {}))
    since = len(emulator.requests)
    marker = platform.marker(billing)
    assert api_paths(emulator, since) == [] and marker is not None and marker.startswith("<=")
    assert same_marker(marker, emulator.project("acme/platform/billing").last_activity_at)
    emulator.commit("acme/platform/billing", "main", {"NOTES.md": "later\n"})
    try:
        now = emulator.project("acme/platform/billing").last_activity_at
        assert not same_marker(marker, now)
        assert platform.marker(billing) == now  # read: one call
    finally:
        emulator.commit("acme/platform/billing", "main", {"NOTES.md": None})


def test_same_marker() -> None:
    assert same_marker("2026-12-06T11:00:00Z", "2026-12-06T11:00:00Z")
    assert not same_marker("2026-12-06T11:00:00Z", "2026-12-06T11:00:01Z")
    assert not same_marker("2026-12-06T11:00:00Z", None)
    bound = "<=2026-12-06T11:00:00.500000+00:00"
    assert same_marker(bound, "2026-12-06T11:00:00.400Z") and same_marker(bound, "2026-12-06T11:00:00.500Z")
    assert not same_marker(bound, "2026-12-06T11:00:00.501Z")
    assert not same_marker(bound, "not a time") and not same_marker("<=garbage", "2026-12-06T11:00:00Z")


def test_the_status_issue_is_the_bots_own_found_by_its_marker(
    emulator: GitLabEmulator, platform: GitLabPlatform
) -> None:
    path = "acme/docs"
    p, project = emulator.project(path), repo_of(emulator, path)
    marker = "<!-- dockmend:status -->"
    alice = emulator.world.user("alice")
    assert alice is not None
    emulator.world.issues.append(
        Issue(emulator.world.next_id("issue"), 90, p.id, "Status", f"{marker} quoted", alice.id)
    )
    assert platform.find_issue(project, marker) is None  # a person's issue, even with the marker
    opened = platform.open_issue(project, "Status", f"{marker}\nfirst")
    assert platform.find_issue(project, marker) == opened
    edited = platform.update_issue(project, opened, "Status", f"{marker}\nsecond")
    assert (edited.id, edited.body) == (opened.id, f"{marker}\nsecond")
    assert platform.surveyed(project, "dockmend/", issues=True) is None  # not listed through its group
    fresh = make(emulator, [])  # a new run: the group's issues of the bot in one listing, with their bodies
    listed = {r.full_name: r for r in fresh.list_repos(target())}
    mark = len(emulator.requests)
    assert fresh.surveyed(listed[path], "dockmend/", issues=True) == (edited.body,)
    assert fresh.find_issue(listed["acme/web"], marker) is None  # the listing names no issue there
    assert not any("/issues" in r["path"] and "/projects/" in r["path"] for r in emulator.requests[mark:])
