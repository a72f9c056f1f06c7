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

import jinja2

from bot.engine.body import BodyError, BodyInput, Image, counts, images, render_body, split_ref, table_of
from bot.engine.changes import findings_digest, fingerprint_trailer
from bot.engine.repoconfig import RepoConfig
from bot.platforms.base import ChangePlan, FileUpdate, Repo
from bot.settings.targets import TargetSettings
from fixers import records
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


PHRASES = {  # what a fix kind does, for titles (DM101/DM102 name their images)
    "DM103": "reorder layers for the build cache",
    "DM104": "clean package caches",
    "DM105": "add image labels",
    "DM106": "use the exec form",
    "DM107": "exec the entrypoint's command",
    "DM108": "replace MAINTAINER with a label",
    "DM109": "use COPY instead of ADD",
    "DM110": "update package lists with each install",
    "DM111": "merge package installs",
}
TITLE_LIMIT = 120
DEFAULT_TITLE = "{{ summary }} ({{ files }})"


def _move(image: Image) -> str:
    """ "alpine to 3.20", or "the python:3.12 digest" when only the digest moved."""
    tag, old_tag = split_ref(image.after)[1], split_ref(image.before)[1]
    if tag and tag == old_tag:
        return f"the {image.name}:{tag} digest"
    return f"{image.name} to {tag or 'a digest'}"


def _images(verb: str, found: Sequence[Image]) -> str:
    moves = list(dict.fromkeys(_move(image) for image in found))
    if not moves:
        return f"{verb} base images"
    if len(moves) > 2:
        return f"{verb} {len(moves)} base images"
    return f"{verb} " + " and ".join(moves)


def phrases(reports: Sequence[FileReport]) -> list[str]:
    """One phrase per fixer code, in code order; from→to read off the commit for images."""
    found = []
    for code in _codes(reports):
        if code in ("DM101", "DM102"):
            moved = [i for r in reports for i in images(r, [f for f in r.fixes if f.code == code])]
            found.append(_images("pin" if code == "DM101" else "update", moved))
        else:
            found.append(PHRASES.get(code, FIXERS[code].NAME.replace("-", " ") if code in FIXERS else code))
    return found


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _title_env() -> jinja2.Environment:
    return jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)


def check_title_template(text: str | None) -> None:
    """A target's ``title_template`` that does not compile is a configuration error."""
    if text is None:
        return
    try:
        _title_env().from_string(text)
    except jinja2.TemplateError as exc:
        raise BodyError(f"title template: {exc}") from None


def title(code: str | None, reports: Sequence[FileReport], template: str | None = None) -> str:
    """ "Pin alpine to 3.20 and clean package caches (2 Dockerfiles)": the same fixes give the
    same title. ``template`` (Jinja2) gets ``summary``, ``phrases``, ``files`` (the counts'
    phrase), ``counts``, ``codes`` and ``code`` (the fixer of a per-fixer request, or None)."""
    if code is not None:  # a per-fixer request: that fixer's changes only
        reports = [records.replace(r, fixes=[f for f in r.fixes if f.code == code]) for r in reports]
    said = phrases(reports)
    summary = _join(said)
    if len(summary) > TITLE_LIMIT - 30 and len(said) > 2:
        summary = f"{', '.join(said[:2])} and {len(said) - 2} more fix{'es' if len(said) > 3 else ''}"
    summary = summary[:1].upper() + summary[1:]
    numbers = counts(table_of(reports))
    try:
        text = (
            _title_env()
            .from_string(template or DEFAULT_TITLE)
            .render(
                summary=summary,
                phrases=said,
                files=numbers.phrase,
                counts=numbers,
                codes=_codes(reports),
                code=code,
            )
        )
    except jinja2.TemplateError as exc:
        raise BodyError(f"title template: {exc}") from None
    line = " ".join(text.split())
    return line if len(line) <= 255 else line[:254] + "…"


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
        title=title(code, changed, settings.title_template),
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
