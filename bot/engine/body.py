"""The request body: a Jinja2 template (users may bring their own) over a small view model.

Markdown is not HTML, so autoescaping is off; text that comes from repositories (paths,
messages quoting a Dockerfile) goes through the ``md``/``cell``/``code`` filters
(:mod:`bot.engine.markdown`), which make it inert: no HTML, link, image or mention can
come out of it, code spans are read and written the CommonMark way, ``|`` is escaped in
table cells. dockmend's own texts (guidelines, explanations) use ``markdown``, as
written. The body stays under GitHub's 65,536-character limit: excerpts are shortened,
then dropped, with a note saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from bot.engine import excerpts, markdown
from bot.engine.changes import findings_comment, fingerprint_comment
from bot.errors import DockmendError
from fixers.base import Finding, Risk
from fixers.document import Document, DocumentError
from fixers.engine import AppliedFix, FileReport
from fixers.registry import FIXERS

LIMIT = 65_536
MARGIN = 1_024  # room for what the bot may append later (the human-commits marker)
EXCERPT_STEPS = (24, 8, 0)  # lines per excerpt, tried in turn until the body fits
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_TEMPLATE = "request.md.j2"
RISK_TITLES = {
    Risk.SAFE: ("Safe changes", "These change nothing in what is built, beyond removing what they say they remove."),
    Risk.REVIEW: ("Changes to review", "These change build inputs on purpose: build the image and run its tests."),
}
FALLBACK_CHECKS = {
    Risk.SAFE.value: "skim the diff: what is built stays the same.",
    Risk.REVIEW.value: "build the image and run its tests.",
}
CHECKS = {  # what to check before merging, per fixer
    "DM101": "the pinned tag builds the image built today; check that its version line is the one to follow.",
    "DM102": "the base image changes: build the image, run its tests, skim the upstream release notes.",
    "DM103": "build the image: the moved RUN must not need the files that the COPY/ADD above it brought in.",
    "DM104": "build the image: nothing later in the build may need the package caches that are removed.",
    "DM105": "check that the label values (name, URL, licence, base image) describe the image.",
    "DM106": "the command now runs without a shell: start the container, check that it starts and stops.",
    "DM107": "start the container: the script's program should run as before, and stop promptly.",
}


@dataclass(frozen=True)
class BodyInput:
    repo_name: str
    default_branch: str
    reports: Sequence[FileReport]  # this request's changes; repository-relative paths
    findings: Sequence[tuple[str, Finding]] = ()  # (path, finding): what was not fixed
    problems: Sequence[tuple[str, str]] = ()  # (path, message): files that could not be processed
    fingerprint: str = ""
    run_id: str = ""
    version: str = ""
    findings_digest: str = ""  # see changes.findings_digest; a second marker line when set


@dataclass
class Item:
    path: str
    lines: str
    messages: list[str]
    excerpt: str = ""
    omitted: int = 0  # excerpt lines left out

    @property
    def fence(self) -> str:
        return excerpts.fence(self.excerpt)


@dataclass
class FixView:
    code: str
    name: str
    risk: str
    guideline: str
    explanation: str
    check: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Section:
    risk: str
    title: str
    intro: str
    fixes: list[FixView]


def _trusted(text: object) -> str:
    """dockmend's own Markdown (a fixer's guideline and explanation): as written."""
    return str(text)


def _spans(report: FileReport, fixes: list[AppliedFix]) -> list[tuple[int, int]]:
    try:
        doc = Document.parse(report.before)
    except DocumentError:
        return [(f.line, f.line) for f in fixes]
    found = [doc.instruction_at(f.line) for f in fixes]
    return [(i.start_line, i.end_line) if i else (f.line, f.line) for i, f in zip(found, fixes, strict=True)]


def _item(report: FileReport, fixes: list[AppliedFix], max_lines: int) -> Item:
    # A fix that rewrote another file of the build context names it in its message.
    others = [c for c in report.files if any(Path(c.path).name in f.message for f in fixes)]
    if others:
        selected = [h for c in others for h in excerpts.hunks(c.before, c.after)]
    else:
        selected = excerpts.around(report.before, report.after, _spans(report, fixes))
    text, omitted = excerpts.render(selected, max_lines)
    lines = ", ".join(str(n) for n in sorted({f.line for f in fixes}))
    return Item(report.path, lines, [f.message for f in fixes], text, omitted)


def _sections(reports: Sequence[FileReport], max_lines: int) -> list[Section]:
    views: dict[str, FixView] = {}
    for report in sorted(reports, key=lambda r: r.path):
        for code in sorted({f.code for f in report.fixes}):
            fixes = [f for f in report.fixes if f.code == code]
            fixer = FIXERS.get(code)
            view = views.setdefault(
                code,
                FixView(
                    code,
                    fixes[0].name,
                    fixes[0].risk.value,
                    fixer.GUIDELINE if fixer else "",
                    fixer.EXPLANATION if fixer else "",
                    CHECKS.get(code, FALLBACK_CHECKS.get(fixes[0].risk.value, "read the diff.")),
                ),
            )
            view.items.append(_item(report, fixes, max_lines))
    sections = []
    for risk, (title, intro) in RISK_TITLES.items():
        chosen = [v for code, v in sorted(views.items()) if v.risk == risk.value]
        if chosen:
            sections.append(Section(risk.value, title, intro, chosen))
    return sections


def environment(template: Path | None) -> tuple[jinja2.Environment, str]:
    folder, name = (template.parent, template.name) if template else (TEMPLATES, DEFAULT_TEMPLATE)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=False,  # Markdown: the filters escape what needs it
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=markdown.md, cell=markdown.cell, code=markdown.code, markdown=_trusted)
    return env, name


def check_template(template: Path | None) -> None:
    """Load a configured template once, before the run: a broken one is a configuration error."""
    env, name = environment(template)
    try:
        env.get_template(name)
    except jinja2.TemplateError as exc:
        raise BodyError(f"request template {template}: {exc}") from None


def render_body(data: BodyInput, template: Path | None = None, limit: int = LIMIT - MARGIN) -> str:
    """The Markdown body; excerpts shrink until it fits ``limit`` characters."""
    env, name = environment(template)
    try:
        tmpl = env.get_template(name)
    except jinja2.TemplateError as exc:
        raise BodyError(f"request template {template}: {exc}") from None
    body = ""
    for max_lines in EXCERPT_STEPS:
        body = _render(tmpl, data, max_lines, shortened=max_lines != EXCERPT_STEPS[0])
        if len(body) <= limit:
            return body
    note = "\n\n*(The description was cut here: it was too long. The commit has every change.)*\n"
    return body[: limit - len(note)] + note


def _render(tmpl: jinja2.Template, data: BodyInput, max_lines: int, shortened: bool) -> str:
    sections = _sections(data.reports, max_lines)
    rows = [(item.path, f"{fix.code} {fix.name}", fix.risk) for s in sections for fix in s.fixes for item in fix.items]
    try:
        return tmpl.render(
            marker="\n".join(
                [fingerprint_comment(data.fingerprint)]
                + ([findings_comment(data.findings_digest)] if data.findings_digest else [])
            ),
            repo=data.repo_name,
            default_branch=data.default_branch,
            rows=sorted(rows),
            sections=sections,
            fix_count=sum(len(r.fixes) for r in data.reports),
            file_count=len({row[0] for row in rows}),
            findings=sorted(data.findings, key=lambda item: (item[0], item[1].line, item[1].code)),
            problems=sorted(data.problems),
            excerpts_shortened=shortened,
            excerpts_dropped=max_lines == 0,
            codes=sorted({fix.code for s in sections for fix in s.fixes}),
            version=data.version,
            run_id=data.run_id,
            fingerprint=data.fingerprint,
        )
    except jinja2.TemplateError as exc:
        raise BodyError(f"request template: {exc}") from None


class BodyError(DockmendError):
    """A (user's) request template failed to load or render."""
