"""From the fixer reports of one repository to the change plans (one request each).

Grouping ``repository`` (the default) bundles every fix in one request on
``<prefix>/remediate``; grouping ``fixer`` opens one request per fixer on
``<prefix>/<code>-<name>``. The fingerprint is a hash of the paths and new contents:
the same fixes give the same fingerprint, whatever the run.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.engine.body import BodyInput, render_body
from bot.engine.changes import findings_digest, fingerprint_trailer
from bot.engine.repoconfig import RepoConfig
from bot.platforms.base import ChangePlan, FileUpdate, Repo
from bot.settings.targets import TargetSettings
from fixers.base import Finding
from fixers.engine import FileReport
from fixers.registry import FIXERS

REMEDIATE = "remediate"


@dataclass(frozen=True)
class PlanContext:
    """What every plan of one repository shares."""

    repo: Repo
    base_sha: str
    settings: TargetSettings
    repo_config: RepoConfig
    modes: Mapping[str, str]  # path -> git mode of the files at base_sha
    findings: Sequence[tuple[str, Finding]] = ()
    problems: Sequence[tuple[str, str]] = ()
    run_id: str = ""
    version: str = ""


def branch_name(prefix: str, code: str | None) -> str:
    if code is None:
        return f"{prefix}/{REMEDIATE}"
    return f"{prefix}/{code}-{FIXERS[code].NAME}"


def fixer_branches(prefix: str) -> list[str]:
    """Every per-fixer branch under ``prefix`` (to close what is no longer needed)."""
    return [branch_name(prefix, code) for code in FIXERS]


def file_updates(reports: Sequence[FileReport], modes: Mapping[str, str]) -> tuple[FileUpdate, ...]:
    """The new contents: each changed Dockerfile and the build-context files fixers rewrote."""
    updates: dict[str, FileUpdate] = {}
    for report in reports:
        if report.after != report.before:
            updates[report.path] = FileUpdate(report.path, report.after, modes.get(report.path, "100644"))
        for change in report.files:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(report.path), change.path))
            updates[path] = FileUpdate(path, change.after, modes.get(path, "100644"))
    return tuple(updates[path] for path in sorted(updates))


def fingerprint(files: Sequence[FileUpdate]) -> str:
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.path):
        data = file.path.encode()
        digest.update(b"%d:%s%d:" % (len(data), data, len(file.content)) + file.content)
    return digest.hexdigest()[:24]


def _codes(reports: Sequence[FileReport]) -> list[str]:
    return sorted({fix.code for report in reports for fix in report.fixes})


def commit_message(reports: Sequence[FileReport], print_: str) -> str:
    codes = _codes(reports)
    subject = "dockmend: " + ", ".join(f"{code} {FIXERS[code].NAME}" if code in FIXERS else code for code in codes)
    lines = [f"- {r.path}: {', '.join(_codes([r]))}" for r in reports if r.fixes]
    return "\n".join([subject[:200], "", *lines, "", fingerprint_trailer(print_), ""])


def title(code: str | None, reports: Sequence[FileReport]) -> str:
    if code is not None:
        return f"dockmend: {code} {FIXERS[code].NAME} in Dockerfiles"
    count = len({r.path for r in reports if r.fixes})
    return f"dockmend: Dockerfile fixes ({', '.join(_codes(reports))}) in {count} file{'s' if count != 1 else ''}"


def build_plan(ctx: PlanContext, code: str | None, reports: Sequence[FileReport]) -> ChangePlan | None:
    """The plan for one group (``code`` None: the whole repository); None when nothing changes."""
    changed = [r for r in reports if r.changed and r.fixes]
    files = file_updates(changed, ctx.modes)
    if not files:
        return None
    print_ = fingerprint(files)
    digest = findings_digest(ctx.findings, ctx.problems)
    settings = ctx.settings
    body = BodyInput(
        repo_name=ctx.repo.full_name,
        default_branch=ctx.repo.default_branch,
        reports=changed,
        findings=ctx.findings,
        problems=ctx.problems,
        fingerprint=print_,
        run_id=ctx.run_id,
        version=ctx.version,
        findings_digest=digest,
    )
    return ChangePlan(
        branch=branch_name(settings.branch_prefix, code),
        base_branch=ctx.repo.default_branch,
        base_sha=ctx.base_sha,
        files=files,
        title=title(code, changed),
        body=render_body(body, settings.template),
        commit_message=commit_message(changed, print_),
        fingerprint=print_,
        findings=digest,
        labels=settings.labels,
        reviewers=ctx.repo_config.reviewers or settings.reviewers,
        team_reviewers=settings.team_reviewers,
        assignees=settings.assignees,
        draft=settings.draft,
    )
