"""What real GitHub does that a naive bot trips on, reproduced by the emulator (each
behaviour cites its evidence beside the emulator code): size computed hourly, the legacy
abuse-detection 403, plans without drafts, refused reviewers, refused requests, rulesets
and signed commits."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.changes import Kind, ensure_change_request
from bot.engine.options import RunOptions
from bot.engine.report import OK, PlainReporter, RepoResult
from bot.engine.run import Runner
from bot.platforms.base import PlatformError, Refused, RequestState
from bot.platforms.github import GitHubPlatform, from_settings
from bot.platforms.github_auth import Tuning
from bot.platforms.github_retry import RetryPolicy
from bot.settings import config
from bot.settings.targets import PlatformSettings, Target
from tests.emulators.faults import Fault, FaultKind, Faults, Trigger
from tests.emulators.github import GitHubApp, GitHubEmulator, app_keypair
from tests.platforms.test_github import BOT_EMAIL, DOCKERFILE, TOKEN, plan, platform, repo


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


# -- rulesets and signed commits ---------------------------------------------------------


@pytest.fixture
def app_em(tmp_path: Path) -> Iterator[tuple[GitHubEmulator, Path]]:
    private, public = app_keypair()
    em = GitHubEmulator(tmp_path / "gh", app=GitHubApp(77, public, installations={"acme": 5}))
    em.add_repo("acme/signed", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"}, rules=["required_signatures"])
    em.add_repo("acme/locked", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"}, rules=["creation"])
    em.add_token(TOKEN)
    key = tmp_path / "app.pem"
    key.write_text(private)
    with em.running():
        yield em, key
    assert not em.errors


def app_platform(em: GitHubEmulator, key: Path) -> GitHubPlatform:
    settings = PlatformSettings(name="gh", type="github", url=em.url, app_id="77", private_key_file=key)
    return from_settings(settings, {}, tuning=Tuning.unthrottled(RetryPolicy(backoff=0.0, sleep=lambda _: None)))


def test_an_apps_commits_are_left_for_github_to_sign_and_stay_its_own(app_em: tuple[GitHubEmulator, Path]) -> None:
    em, key = app_em
    p, signed = app_platform(em, key), repo(em, "acme/signed")
    sha = p.write_branch(signed, plan(em, "acme/signed"), force=False)  # "require signed commits" lets it through
    assert sha in em.signed and em.store.head("acme/signed", "dockmend/remediate") == sha
    bot = em.accounts["dockmend[bot]"]
    assert em.store.commit_info("acme/signed", sha).author_email == f"{bot.id}+dockmend[bot]@users.noreply.github.com"
    head = p.branch_head(signed, "dockmend/remediate")
    assert head is not None and head.authors == (p.bot_email,)  # recognised as the bot's own: never "a human's"
    # moved again (a rebase): still signed, still the bot's
    assert p.write_branch(signed, plan(em, "acme/signed", b"FROM alpine:3.20\n"), force=True) in em.signed


def test_a_tokens_commits_carry_the_configured_identity_and_a_signature_rule_refuses_them(
    app_em: tuple[GitHubEmulator, Path],
) -> None:
    em, _ = app_em
    p, signed = platform(em), repo(em, "acme/signed")
    with pytest.raises(Refused, match=r"Repository rule violations found.*Commits must have verified signatures"):
        p.write_branch(signed, plan(em, "acme/signed"), force=False)
    assert list(em.store.branches("acme/signed")) == ["main"]  # no branch left behind
    refs = [status for method, path, status in em.requests if method == "POST" and path.endswith("/git/refs")]
    assert refs == [422]  # asked once: a rule is not retried
    commit = next(r.body for r in em.responses if r.template == "/repos/{owner}/{repo}/git/commits")
    assert commit["author"]["email"] == BOT_EMAIL and not commit["verification"]["verified"]


def test_a_ruleset_refusal_is_the_repositorys_outcome_once(app_em: tuple[GitHubEmulator, Path]) -> None:
    em, key = app_em
    p = app_platform(em, key)
    locked = repo(em, "acme/locked")
    outcome = ensure_change_request(p, locked, plan(em, "acme/locked"))
    assert outcome.kind is Kind.REFUSED and outcome.detail is not None
    assert "Cannot create ref due to creations being restricted" in outcome.detail
    assert list(em.store.branches("acme/locked")) == ["main"]
    assert "acme/locked" not in em.pulls or not em.pulls["acme/locked"]
    refs = [status for method, path, status in em.requests if method == "POST" and path.endswith("/git/refs")]
    assert refs == [422]


def test_protected_deletion_is_a_refusal_not_already_gone(app_em: tuple[GitHubEmulator, Path]) -> None:
    em, key = app_em
    p, signed = app_platform(em, key), repo(em, "acme/signed")
    p.write_branch(signed, plan(em, "acme/signed"), force=False)
    em.repos["acme/signed"].rules.append("deletion")
    with pytest.raises(Refused, match="Cannot delete this branch"):
        p.delete_branch(signed, "dockmend/remediate")
    assert "dockmend/remediate" in em.store.branches("acme/signed")


def run(em: GitHubEmulator, tmp_path: Path, target: str) -> tuple[dict[str, RepoResult], str]:
    """One run of the bot on ``target`` (its YAML mapping's fields), offline; results and log."""
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gh: {{type: github, url: {em.url}, token: ${{GITHUB_TOKEN}}}}\n"
        f"targets:\n  - {{name: acme, platform: gh, owner: acme, onboarding: false, {target}}}\n"
    )
    cfg = config.load(path)
    retry = RetryPolicy(backoff=0.0, max_wait=5.0, sleep=lambda _: None)
    platforms = {"gh": from_settings(cfg.platforms["gh"], {"GITHUB_TOKEN": TOKEN}, tuning=Tuning.unthrottled(retry))}
    out, err = io.StringIO(), io.StringIO()
    summary = Runner(cfg, platforms, PlainReporter(out, err), RunOptions(offline=True)).run()
    return {r.repo: r for r in summary.results}, err.getvalue()


def test_a_run_reports_a_refusal_once_per_repository_and_asks_again_next_run(
    app_em: tuple[GitHubEmulator, Path], tmp_path: Path
) -> None:
    em, _ = app_em
    fixable = b"FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nADD app.py /app/\nUSER 1000\n"
    files = {"Dockerfile": fixable}  # DM104 and DM109: two fixers, two branches
    em.add_repo("acme/rules", files, rules=["creation"])
    em.add_repo("acme/open", files)
    target = "grouping: fixer, max_requests_per_repo: 5, include: [acme/rules, acme/open]"
    first, log = run(em, tmp_path, target)
    assert "refused dockmend/" in log  # the forge's words beside it
    [refused] = first["acme/rules"].outcomes  # several fixer branches planned; one tried
    assert first["acme/rules"].status == OK and refused.kind is Kind.REFUSED
    assert "Repository rule violations found" in (refused.detail or "")
    opened = first["acme/open"].outcomes  # the same files where no rule applies: several requests
    assert len(opened) > 1 and {o.kind for o in opened} == {Kind.CREATED}
    refs = [p for m, p, s in em.requests if m == "POST" and p.endswith("/git/refs") and "acme/rules" in p]
    assert len(refs) == 1 and list(em.store.branches("acme/rules")) == ["main"]
    run(em, tmp_path, target)  # the next run asks again (a ruleset can change without a push), once
    refs = [p for m, p, s in em.requests if m == "POST" and p.endswith("/git/refs") and "acme/rules" in p]
    assert len(refs) == 2


def test_a_dockerfile_stored_in_git_lfs_is_skipped_with_its_reason(em: GitHubEmulator, tmp_path: Path) -> None:
    pointer = (
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"
    )
    fixable = b"FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nUSER 1000\n"
    em.add_repo("acme/lfs", {"Dockerfile": pointer})
    em.add_repo("acme/mixed", {"Dockerfile": pointer, "svc/Dockerfile": fixable})
    results, _ = run(em, tmp_path, "include: [acme/lfs, acme/mixed]")
    assert (results["acme/lfs"].status, results["acme/lfs"].reason) == ("skipped", "Dockerfiles stored in Git LFS")
    mixed = results["acme/mixed"]
    assert mixed.status == OK and [o.kind for o in mixed.outcomes] == [Kind.CREATED]
    assert {path for path, *_ in mixed.found} <= {"svc/Dockerfile"}  # the pointer is no parse problem
    [pull] = em.pulls["acme/mixed"].values()
    assert "not processed" not in (pull.body or "")  # no problem in the checklist (it would also keep requests open)


# -- renamed repositories ------------------------------------------------------------------


def test_a_repository_renamed_after_the_listing_is_asked_at_its_new_name(em: GitHubEmulator) -> None:
    em.add_repo("acme/deep", {"Dockerfile": DOCKERFILE, "svc/api/Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"})
    p = platform(em)
    [deep] = [r for r in p.list_repos(Target("acme", "gh", "acme")) if r.full_name == "acme/deep"]
    em.rename("acme/deep", "platform/deep-images")  # renamed and transferred between listing and scan
    files = {f.path for f in p.list_files(deep, deep.default_branch)}
    assert files == {"Dockerfile", "svc/api/Dockerfile", "run.sh"}  # recursive: not the 301's top level
    moved = [(m, path, s) for m, path, s in em.requests if "/repos/acme/deep/" in path]
    assert moved == [("GET", "/api/v3/repos/acme/deep/git/trees/main?recursive=1", 301)]
    change = dataclasses.replace(plan(em, "platform/deep-images"), files=plan(em, "platform/deep-images").files[:1])
    p.write_branch(deep, change, force=False)
    opened = p.open_request(deep, change)
    assert "platform/deep-images" in opened.url
    assert "dockmend/remediate" in em.store.branches("platform/deep-images")
    assert [pull.head for pull in em.pulls["platform/deep-images"].values()] == ["dockmend/remediate"]
    found = p.find_request(deep, "dockmend/remediate")
    assert found is not None and found.id == opened.id


def test_a_write_to_a_renamed_repository_is_not_taken_for_done(em: GitHubEmulator) -> None:
    p, api = platform(em), repo(em, "acme/api")
    change = plan(em, "acme/api")
    em.rename("acme/api", "acme/api-server")
    p.write_branch(api, change, force=False)  # its first call, a blob POST, answered 307
    writes = [s for m, path, s in em.requests if m == "POST" and "/repos/acme/api/" in path]
    assert writes == [307]  # once, then asked where the repository went, then written there
    assert em.store.head("acme/api-server", "dockmend/remediate") is not None
    head = p.branch_head(api, "dockmend/remediate")
    assert head is not None and head.authors == (BOT_EMAIL,)


# -- user accounts -------------------------------------------------------------------------


def test_an_app_on_a_user_account_is_found_among_the_apps_installations(tmp_path: Path) -> None:
    private, public = app_keypair()
    em = GitHubEmulator(tmp_path / "gh", tokens=[], app=GitHubApp(77, public, installations={"acme": 5, "jane": 6}))
    em.add_repo("jane/tool", {"Dockerfile": DOCKERFILE, "run.sh": b"#!/bin/sh\n"}, owner_type="User", private=True)
    em.add_repo("acme/api", {"Dockerfile": DOCKERFILE})
    key = tmp_path / "app.pem"
    key.write_text(private)
    with em.running():
        p = app_platform(em, key)
        assert [r.full_name for r in p.list_repos(Target("jane", "gh", "jane"))] == ["jane/tool"]
        asked = [(path.split("?")[0], status) for _, path, status in em.requests if "installation" in path]
        assert asked[:2] == [("/api/v3/orgs/jane/installation", 404), ("/api/v3/app/installations", 200)]
        tool = repo(em, "jane/tool")
        p.write_branch(tool, plan(em, "jane/tool"), force=False)  # the installation's token writes there
        assert em.store.head("jane/tool", "dockmend/remediate") is not None
    assert not em.errors


def test_a_token_lists_a_users_public_repositories_only(em: GitHubEmulator) -> None:
    em.add_repo("jane/site", {"Dockerfile": DOCKERFILE}, owner_type="User")
    em.add_repo("jane/secret", {"Dockerfile": DOCKERFILE}, owner_type="User", private=True)
    # /users/{u}/repos lists public repositories (GET /user/repos, for the token's own
    # private ones, is outside the API subset: README, "User targets")
    assert [r.full_name for r in platform(em).list_repos(Target("jane", "gh", "jane"))] == ["jane/site"]
