"""Onboarding: a repository's first contact is one small request that adds ``.dockmend.yml``.

With a target's ``onboarding: true`` (the default), a repository on a forge (GitHub, GitLab;
a local folder is never onboarded) that is *new to dockmend* gets, instead of its fixes,
one request from ``PREFIX/onboarding`` that adds a ``.dockmend.yml`` saying what dockmend
would do there (the fixes it found now, as comments in the file and as a collapsed list
in the body). Nothing else is opened in that repository until the request is decided:

- merged: "go". The file is on the default branch now, so the repository is not new any
  more: the next run proposes its fixes (and deletes the merged branch).
- closed without merge: "leave us alone". The bot finds that closed request on every
  run (as it finds a closed fix request) and opens nothing there again.
- open: the bot waits, and keeps the request's list of fixes up to date.

*New* is known from the forge itself, not from the state database (a run without one, or
a second service, must come to the same answer): the repository has no ``.dockmend.yml``
or ``.dockmend.yaml`` on its default branch, and no request of the bot, in any state,
from its onboarding branch or the branches of its fixes. A repository where dockmend
opened requests before onboarding existed is therefore not new, and is not asked. A
repository with nothing to fix is not asked either (there is nothing to say yet).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.engine import repoconfig
from bot.engine.changes import (
    Kind,
    Outcome,
    PlanDetail,
    close_if_fixed,
    ensure_change_request,
    fingerprint_comment,
    fingerprint_trailer,
    number_of,
)
from bot.engine.plan import branch_name, fixer_branches
from bot.engine.scan import RepoScan
from bot.platforms.base import ChangePlan, FileUpdate, Platform, Repo, RequestState
from bot.settings.targets import TargetSettings
from fixers.engine import FileReport

FORGES = frozenset({"github", "gitlab"})
SUFFIX = "onboarding"
TITLE = "Configure dockmend"
FILE = repoconfig.NAMES[0]


def branch(prefix: str) -> str:
    return f"{prefix}/{SUFFIX}"


@dataclass(frozen=True)
class Decision:
    """``go``: propose the fixes as usual. Otherwise ``reason`` says why not (for the
    report), and ``outcome`` is what happened to the onboarding request, when touched."""

    go: bool
    reason: str = ""
    outcome: Outcome | None = None


GO = Decision(True)


def applies(settings: TargetSettings, platform_type: str | None, found: RepoScan) -> bool:
    """Onboarding is on for the target, the platform is a forge, and there is no ``.dockmend.yml``."""
    return settings.onboarding and platform_type in FORGES and repoconfig.find(found.files) is None


def answered(settings: TargetSettings, platform_type: str | None, found: RepoScan) -> bool:
    """Onboarding is on, the platform is a forge, and the repository has its ``.dockmend.yml``."""
    return settings.onboarding and platform_type in FORGES and repoconfig.find(found.files) is not None


def decide(
    platform: Platform,
    repo: Repo,
    settings: TargetSettings,
    found: RepoScan,
    take: Callable[[], bool],
    give_back: Callable[[], None],
    *,
    dry_run: bool = False,
) -> Decision:
    """Whether ``repo`` (without a ``.dockmend.yml``) gets its fixes, or the onboarding
    request is opened, kept or respected. ``take`` asks the run's budget for a new request."""
    onboarding = branch(settings.branch_prefix)
    request = platform.find_request(repo, onboarding)
    if request is not None and request.state is RequestState.MERGED:
        return GO  # they said go (and removed the file since: their choice)
    if request is not None and request.state is RequestState.CLOSED:
        return Decision(False, f"onboarding declined (request #{request.id} closed): dockmend leaves it alone")
    reports = [r for group in found.groups.values() for r in group if r.changed and r.fixes]
    if request is None:
        if not reports:
            return GO  # nothing to propose: nothing to ask
        if any(platform.find_request(repo, b) is not None for b in _fix_branches(settings)):
            return GO  # dockmend was here before onboarding: not new
    plan = _plan(repo, settings, found, reports)
    if plan is None:  # an open onboarding request, and nothing to fix any more: it waits as it is
        return Decision(False, f"waiting for the onboarding request #{request.id if request else '?'}")
    allow = request is None and take()
    try:
        outcome = ensure_change_request(platform, repo, plan, allow_new=allow, dry_run=dry_run)
    except BaseException:
        if allow:
            give_back()
        raise
    if allow and outcome.kind is not Kind.CREATED:
        give_back()
    outcome = replace(outcome, plan=PlanDetail(plan.branch, plan.title, plan.fingerprint))
    if outcome.kind is Kind.DEFERRED:
        return Decision(False, "onboarding request deferred by the run's cap", outcome)
    number = outcome.number if outcome.number is not None else number_of(request)
    return Decision(False, f"waiting for the onboarding request #{number}", outcome)


def tidy(platform: Platform, repo: Repo, settings: TargetSettings, *, dry_run: bool = False) -> Outcome | None:
    """The repository has its ``.dockmend.yml``: a merged onboarding request's branch is
    deleted, an open one (the file came another way) is closed. None when there is none."""
    outcome = close_if_fixed(platform, repo, branch(settings.branch_prefix), dry_run=dry_run)
    return None if outcome.kind is Kind.NOTHING else outcome


def _fix_branches(settings: TargetSettings) -> list[str]:
    if settings.grouping == "repository":
        return [branch_name(settings.branch_prefix, None)]
    return fixer_branches(settings.branch_prefix)


def _plan(repo: Repo, settings: TargetSettings, found: RepoScan, reports: Sequence[FileReport]) -> ChangePlan | None:
    if not reports or not found.base_sha:
        return None
    content = config_file(repo, reports)
    print_ = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
    return ChangePlan(
        branch=branch(settings.branch_prefix),
        base_branch=repo.default_branch,
        base_sha=found.base_sha,
        files=(FileUpdate(FILE, content.encode("utf-8")),),
        title=TITLE,
        body=body(reports, print_),
        commit_message=f"{TITLE}\n\nAdd {FILE}: merge to let dockmend propose its fixes here.\n\n"
        f"{fingerprint_trailer(print_)}\n",
        fingerprint=print_,
        labels=settings.labels,
        reviewers=settings.reviewers,
        team_reviewers=settings.team_reviewers,
        assignees=settings.assignees,
        draft=settings.draft,
    )


def _fixes(reports: Sequence[FileReport]) -> list[tuple[str, str]]:
    """(path, "DM104 consolidate-cleanup") once per file and kind, in path order."""
    rows = {(r.path, f"{fix.code} {fix.name}") for r in reports for fix in r.fixes}
    return sorted(rows)


def config_file(repo: Repo, reports: Sequence[FileReport]) -> str:
    """The ``.dockmend.yml`` the request adds: what dockmend would do, and the settings it reads."""
    lines = [
        f"# dockmend: Dockerfile fixes for {repo.full_name}.",
        "# This file tells dockmend it may open requests with its fixes here; delete it, or set",
        "# `enabled: false`, to stop them. What it would change now:",
        "#",
        *(f"#   {path}: {fix}" for path, fix in _fixes(reports)),
        "#",
        "# Optional settings (the service's are used where none is given):",
        "# extends: [dockmend:minimal]          # presets: dockmend:NAME or OWNER/REPO:PATH",
        "# fixers: {select: [], ignore: []}     # fixer codes (DM104) or names (consolidate-cleanup)",
        "# reviewers: []                        # reviewers of dockmend's requests here",
        "enabled: true",
    ]
    return "\n".join(lines) + "\n"


def body(reports: Sequence[FileReport], fingerprint: str) -> str:
    """The request's body: what merging and closing mean, and the fixes in a collapsed list."""
    rows = _fixes(reports)
    files = len({path for path, _ in rows})
    items = "\n".join(f"- `{path}`: {fix}" for path, fix in rows)
    return "\n".join(
        [
            fingerprint_comment(fingerprint),
            "dockmend keeps Dockerfiles safe and small. Before it proposes any change here, it asks.",
            "",
            f"- **Merge** this request to add `{FILE}`: dockmend then opens its fixes here (one request).",
            "- **Close** it without merging: dockmend leaves this repository alone.",
            "",
            f"<details><summary>What dockmend would change now ({len(rows)} "
            f"fix{'es' if len(rows) != 1 else ''} in {files} file{'s' if files != 1 else ''})</summary>",
            "",
            items,
            "",
            "</details>",
            "",
        ]
    )
