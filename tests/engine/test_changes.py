"""The bot's manners (bot.engine.changes), on the local platform with real git."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine.changes import (
    FIXED_COMMENT,
    HUMAN_COMMENT,
    HUMAN_MARKER,
    REBASE_BOX,
    Kind,
    Outcome,
    close_if_fixed,
    ensure_change_request,
    findings_comment,
    findings_digest,
    findings_in,
    fingerprint_comment,
    fingerprint_in,
    fingerprint_trailer,
    rebase_asked,
)
from bot.engine.plan import fingerprint
from bot.platforms.base import ChangePlan, FileUpdate, PlatformError, Repo, RequestState
from bot.platforms.local import LocalPlatform
from bot.settings.targets import Target
from fixers.base import Finding
from tests.checkouts import Recorder, checkout, commit, commit_on, git, state, status

BRANCH = "dockmend/remediate"
BEFORE = "FROM alpine:3.20\nRUN apk add curl\n"
AFTER = "FROM alpine:3.20\nRUN apk add --no-cache curl\n"


@pytest.fixture
def env(tmp_path: Path) -> tuple[Recorder, Path]:
    root = checkout(tmp_path / "co", "app", {"Dockerfile": BEFORE, "README.md": "# app\n"})
    return Recorder(LocalPlatform("here", tmp_path / "co")), root


def repo_of(platform: Recorder) -> Repo:
    (repo,) = platform.list_repos(Target("t", "here", ""))
    return repo


def plan_for(repo: Repo, content: str = AFTER, branch: str = BRANCH) -> ChangePlan:
    files = (FileUpdate("Dockerfile", content.encode()),)
    print_ = fingerprint(files)
    assert repo.head_sha
    return ChangePlan(
        branch=branch,
        base_branch=repo.default_branch,
        base_sha=repo.head_sha,
        files=files,
        title="dockmend: fixes",
        body=f"{fingerprint_comment(print_)}\nThe body.\n",
        commit_message=f"dockmend: DM104\n\n{fingerprint_trailer(print_)}\n",
        fingerprint=print_,
        labels=("docker",),
    )


def stored(root: Path) -> list[dict[str, object]]:
    return json.loads((root / ".git/dockmend/requests.json").read_text())["requests"]  # type: ignore[no-any-return]


def test_markers_round_trip() -> None:
    assert fingerprint_in(fingerprint_comment("0123abcd")) == "0123abcd"
    assert fingerprint_in("subject\n\nbody\n\n" + fingerprint_trailer("89abcdef")) == "89abcdef"
    assert fingerprint_in("no marker here; Dockmend-Fingerprint: 1234abcd mid-line") is None


def test_created_on_its_branch_without_touching_the_checkout(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    outcome = ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    assert outcome.kind is Kind.CREATED and outcome.url and outcome.url.endswith("REQUEST.md#request-1")
    assert platform.writes == ["write_branch", "open_request"]
    assert git(root, "show", f"{BRANCH}:Dockerfile") == AFTER
    assert git(root, "log", "-1", "--format=%ae %P", BRANCH).split() == ["dockmend@localhost", repo.head_sha]
    assert (root / "Dockerfile").read_text() == BEFORE and status(root) == ""
    assert git(root, "symbolic-ref", "--short", "HEAD").strip() == "main"
    (request,) = stored(root)
    assert request["state"] == "open" and request["labels"] == ["docker"] and request["branch"] == BRANCH
    assert "# dockmend: fixes" in (root / ".git/dockmend/REQUEST.md").read_text()


def test_identical_content_writes_nothing(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    before, platform.writes = state(root), []
    again = plan_for(repo)
    again = ChangePlan(**{**again.__dict__, "body": again.body + "\nrun 2 footer\n"})  # another run id: same fixes
    assert ensure_change_request(platform, repo, again).kind is Kind.UNCHANGED  # type: ignore[arg-type]
    assert platform.writes == [] and state(root) == before


def test_changed_fixes_update_the_branch_and_the_body(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    platform.writes = []
    newer = plan_for(repo, AFTER + "USER 1001\n")
    outcome = ensure_change_request(platform, repo, newer)  # type: ignore[arg-type]
    assert outcome.kind is Kind.UPDATED and platform.writes == ["write_branch", "update_request"]
    assert git(root, "show", f"{BRANCH}:Dockerfile") == AFTER + "USER 1001\n"
    assert git(root, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"  # one commit, replaced
    (request,) = stored(root)
    assert fingerprint_in(str(request["body"])) == newer.fingerprint


def test_moved_default_branch_rebases_by_recreating_the_commit(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    new_main = commit(root, {"README.md": "# app, moved on\n"}, "docs")
    platform.writes = []
    repo = repo_of(platform)
    outcome = ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    assert outcome.kind is Kind.REBASED and platform.writes == ["write_branch"]
    assert git(root, "log", "-1", "--format=%P", BRANCH).strip() == new_main
    assert git(root, "show", f"{BRANCH}:README.md") == "# app, moved on\n"


@pytest.mark.parametrize("box", ["- [x]", "- [X]", "* [x]"])
def test_a_ticked_rebase_box_recreates_the_branch_and_the_body(env: tuple[Recorder, Path], box: str) -> None:
    platform, root = env
    repo = repo_of(platform)
    plan = plan_for(repo)
    plan = ChangePlan(**{**plan.__dict__, "body": f"{plan.body}{REBASE_BOX}\n"})
    ensure_change_request(platform, repo, plan)  # type: ignore[arg-type]
    data = json.loads((root / ".git/dockmend/requests.json").read_text())
    assert not rebase_asked(data["requests"][0]["body"])
    data["requests"][0]["body"] = data["requests"][0]["body"].replace("- [ ]", box)  # a person ticks it
    assert rebase_asked(data["requests"][0]["body"])
    (root / ".git/dockmend/requests.json").write_text(json.dumps(data))
    platform.writes = []
    outcome = ensure_change_request(platform, repo, plan)  # type: ignore[arg-type]
    assert outcome.kind is Kind.REBASED and platform.writes == ["write_branch", "update_request"]
    assert git(root, "log", "-1", "--format=%P", BRANCH).strip() == repo.head_sha  # on the default branch
    assert git(root, "show", f"{BRANCH}:Dockerfile") == AFTER
    (request,) = stored(root)
    assert request["body"] == plan.body and not rebase_asked(str(request["body"]))  # unticked again
    platform.writes = []
    assert ensure_change_request(platform, repo, plan).kind is Kind.UNCHANGED  # type: ignore[arg-type]
    assert platform.writes == []


def test_a_rebase_box_elsewhere_or_unticked_asks_nothing() -> None:
    assert not rebase_asked(REBASE_BOX)
    assert not rebase_asked("text - [x] <!-- dockmend:rebase --> mid-line")
    assert not rebase_asked("- [x] rebase / retry this request")  # no marker: someone's own list
    assert rebase_asked(f"intro\n\n  {REBASE_BOX.replace('[ ]', '[x]')}\n")


def test_human_commit_stops_the_bot_with_one_comment(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    human = commit_on(root, BRANCH, {"notes.txt": "mine\n"}, "my change")
    platform.writes = []
    changed = plan_for(repo, AFTER + "USER 1001\n")
    assert ensure_change_request(platform, repo, changed).kind is Kind.SKIPPED_HUMAN  # type: ignore[arg-type]
    assert platform.writes == ["comment", "update_request"]
    (request,) = stored(root)
    assert request["comments"] == [HUMAN_COMMENT] and HUMAN_MARKER in str(request["body"])
    before, platform.writes = state(root), []
    assert ensure_change_request(platform, repo, changed).kind is Kind.SKIPPED_HUMAN  # type: ignore[arg-type]
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.SKIPPED_HUMAN  # type: ignore[arg-type]
    assert platform.writes == [] and state(root) == before
    assert git(root, "rev-parse", BRANCH).strip() == human


def test_closed_unmerged_request_is_respected_until_the_fixes_change(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    data = json.loads((root / ".git/dockmend/requests.json").read_text())
    data["requests"][0]["state"] = "closed"  # a person closed it without merging
    (root / ".git/dockmend/requests.json").write_text(json.dumps(data))
    before, platform.writes = state(root), []
    assert ensure_change_request(platform, repo, plan_for(repo)).kind is Kind.SKIPPED_CLOSED  # type: ignore[arg-type]
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.NOTHING  # type: ignore[arg-type]
    assert platform.writes == [] and state(root) == before
    outcome = ensure_change_request(platform, repo, plan_for(repo, AFTER + "USER 1001\n"))  # type: ignore[arg-type]
    assert outcome.kind is Kind.CREATED and outcome.url and outcome.url.endswith("#request-2")
    assert [r["state"] for r in stored(root)] == ["closed", "open"]


def test_a_closed_fix_asked_for_again_is_proposed_again(env: tuple[Recorder, Path]) -> None:
    """The status issue's "propose it again" box: the same fix set, closed unmerged, opens anew."""
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    data = json.loads((root / ".git/dockmend/requests.json").read_text())
    data["requests"][0]["state"] = "closed"
    (root / ".git/dockmend/requests.json").write_text(json.dumps(data))
    outcome = ensure_change_request(platform, repo, plan_for(repo), again=True)  # type: ignore[arg-type]
    assert outcome.kind is Kind.CREATED and outcome.url and outcome.url.endswith("#request-2")
    assert [r["state"] for r in stored(root)] == ["closed", "open"]


def test_landed_fixes_close_the_request_and_delete_the_branch(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    platform.writes = []
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.CLOSED  # type: ignore[arg-type]
    assert platform.writes == ["close_request", "delete_branch"]
    (request,) = stored(root)
    assert request["state"] == "closed" and request["comments"] == [FIXED_COMMENT]
    assert BRANCH not in git(root, "branch", "--list")
    assert (root / ".git/dockmend/REQUEST.md").read_text() == "No open dockmend request.\n"
    platform.writes = []
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.NOTHING  # type: ignore[arg-type]
    assert platform.writes == []


def test_a_merged_requests_branch_is_deleted(env: tuple[Recorder, Path]) -> None:
    """Regression (tests/integration, GitHub): a merged pull request's branch stayed forever:
    GitHub keeps head branches unless the repository deletes them."""
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    git(root, "merge", "-q", "--ff-only", BRANCH)  # merged: the request reads as merged
    assert platform.find_request(repo, BRANCH).state is RequestState.MERGED
    platform.writes = []
    assert close_if_fixed(platform, repo, BRANCH, dry_run=True).kind is Kind.BRANCH_DELETED  # type: ignore[arg-type]
    assert platform.writes == []
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.BRANCH_DELETED  # type: ignore[arg-type]
    assert platform.writes == ["delete_branch"] and BRANCH not in git(root, "branch", "--list")


def test_cap_and_dry_run_write_nothing(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    before = state(root)
    deferred = ensure_change_request(platform, repo, plan_for(repo), allow_new=False)  # type: ignore[arg-type]
    dry = ensure_change_request(platform, repo, plan_for(repo), dry_run=True)  # type: ignore[arg-type]
    assert (deferred.kind, dry.kind, dry.dry_run) == (Kind.DEFERRED, Kind.CREATED, True)
    assert platform.writes == [] and state(root) == before


def test_updates_are_not_capped(env: tuple[Recorder, Path]) -> None:
    platform, _ = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    outcome = ensure_change_request(platform, repo, plan_for(repo, "FROM alpine:3.21\n"), allow_new=False)  # type: ignore[arg-type]
    assert outcome.kind is Kind.UPDATED


def test_a_local_merge_reads_as_merged(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    git(root, "merge", "-q", "--ff-only", BRANCH)
    request = platform.find_request(repo_of(platform), BRANCH)
    assert request is not None and request.state is RequestState.MERGED


def test_a_checked_out_bot_branch_is_left_alone(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    ensure_change_request(platform, repo, plan_for(repo))  # type: ignore[arg-type]
    git(root, "checkout", "-q", BRANCH)
    with pytest.raises(PlatformError, match="checked out"):
        ensure_change_request(platform, repo, plan_for(repo, "FROM alpine:3.21\n"))  # type: ignore[arg-type]
    assert repo_of(platform).default_branch == "main"  # not the bot's branch, though checked out


# -- a run that died between the branch and its request left an orphan branch ---------------

Act = Callable[[Recorder, Repo], Outcome]
NEWER = AFTER + "USER 1001\n"
ORPHAN_CASES = [
    # (what the next run does, its outcome, its writes, the bot branch still there)
    (
        "wanted: its request",
        lambda p, r: ensure_change_request(p, r, plan_for(r)),
        Kind.CREATED,
        ["open_request"],
        True,
    ),
    (
        "wanted, other fixes now",
        lambda p, r: ensure_change_request(p, r, plan_for(r, NEWER)),
        Kind.CREATED,
        ["write_branch", "open_request"],
        True,
    ),
    (
        "the cap is reached",
        lambda p, r: ensure_change_request(p, r, plan_for(r), allow_new=False),
        Kind.DEFERRED,
        ["delete_branch"],
        False,
    ),
    (
        "the cap is reached, dry run",
        lambda p, r: ensure_change_request(p, r, plan_for(r), allow_new=False, dry_run=True),
        Kind.DEFERRED,
        [],
        True,
    ),
    ("no fixes needed", lambda p, r: close_if_fixed(p, r, BRANCH), Kind.BRANCH_DELETED, ["delete_branch"], False),
    (
        "no fixes needed, dry run",
        lambda p, r: close_if_fixed(p, r, BRANCH, dry_run=True),
        Kind.BRANCH_DELETED,
        [],
        True,
    ),
]


@pytest.mark.parametrize(("case", "act", "kind", "writes", "kept"), ORPHAN_CASES, ids=[c[0] for c in ORPHAN_CASES])
def test_an_orphan_branch_is_reused_or_deleted(
    env: tuple[Recorder, Path], case: str, act: Act, kind: Kind, writes: list[str], kept: bool
) -> None:
    platform, root = env
    repo = repo_of(platform)
    platform.write_branch(repo, plan_for(repo), force=False)  # and then the run died
    platform.writes = []
    outcome = act(platform, repo)
    assert (outcome.kind, platform.writes) == (kind, writes)
    assert (BRANCH in git(root, "branch", "--list")) == kept
    requests = stored(root) if (root / ".git/dockmend/requests.json").exists() else []
    assert [r["state"] for r in requests] == (["open"] if kind is Kind.CREATED else [])
    if kept:  # one commit of the bot's: never a second one on top
        assert git(root, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"


def test_an_orphan_branch_with_someone_elses_commit_stays(env: tuple[Recorder, Path]) -> None:
    platform, root = env
    repo = repo_of(platform)
    platform.write_branch(repo, plan_for(repo), force=False)
    human = commit_on(root, BRANCH, {"notes.txt": "mine\n"}, "my change")
    platform.writes = []
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.NOTHING  # type: ignore[arg-type]
    assert ensure_change_request(platform, repo, plan_for(repo), allow_new=False).kind is Kind.SKIPPED_HUMAN  # type: ignore[arg-type]
    assert platform.writes == [] and git(root, "rev-parse", BRANCH).strip() == human


def test_no_branch_and_no_request_is_nothing(env: tuple[Recorder, Path]) -> None:
    platform, _ = env
    repo = repo_of(platform)
    assert close_if_fixed(platform, repo, BRANCH).kind is Kind.NOTHING  # type: ignore[arg-type]
    assert platform.writes == []


def test_changed_findings_refresh_the_body_only(env: tuple[Recorder, Path]) -> None:
    """The checklist changed (a finding fixed by hand, a registry back up), the fixes did not:
    the body is updated, the branch is not touched; the same findings again change nothing."""
    platform, root = env
    repo = repo_of(platform)

    def with_findings(digest: str) -> ChangePlan:
        plan = plan_for(repo)
        body = f"{fingerprint_comment(plan.fingerprint)}\n{findings_comment(digest)}\nThe body.\n"
        return ChangePlan(**{**plan.__dict__, "body": body, "findings": digest})

    before = findings_digest([("Dockerfile", Finding("DM207", "unreachable-base", 1, "x: unreachable"))], [])
    after = findings_digest([], [])
    assert before != after and findings_digest([], []) == after
    ensure_change_request(platform, repo, with_findings(before))  # type: ignore[arg-type]
    platform.writes = []
    assert ensure_change_request(platform, repo, with_findings(after)).kind is Kind.UPDATED  # type: ignore[arg-type]
    assert platform.writes == ["update_request"]
    (request,) = stored(root)
    assert findings_in(str(request["body"])) == after
    platform.writes = []
    assert ensure_change_request(platform, repo, with_findings(after)).kind is Kind.UNCHANGED  # type: ignore[arg-type]
    assert platform.writes == []
