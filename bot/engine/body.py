"""The request body: a Jinja2 template (users may bring their own) over a small view model.

Markdown is not HTML, so autoescaping is off; text that comes from repositories (paths,
messages quoting a Dockerfile) goes through the ``md``/``cell``/``code`` filters
(:mod:`bot.engine.markdown`), which make it inert: no HTML, link, image or mention can
come out of it, code spans are read and written the CommonMark way, ``|`` is escaped in
table cells. dockmend's own texts (guidelines, explanations) use ``markdown``, as
written. The body stays under GitHub's 65,536-character limit: excerpts are shortened,
then dropped, with a note saying so.

Over 300 lines: the body's view model (rows, sections, items, excerpts) is built in one
pass over the commit's reports, and each part needs the others' numbers.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from bot.engine import excerpts, markdown
from bot.engine.changes import REBASE_BOX, findings_comment, fingerprint_comment
from bot.errors import DockmendError
from fixers.base import FileChange, Finding, Risk
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


@dataclass(frozen=True)
class Image:
    """One base image a fix moved: as written before and after (``name``, ``tag``, ``digest``)."""

    name: str
    before: str
    after: str

    @property
    def page(self) -> str:
        """The image's page (release notes, or its registry's tags): only for images in
        dockmend's own list, so that no link is ever built from repository text."""
        return OFFICIAL.get(self.name, "")


# Docker Hub's official images dockmend links to (their tags, or the upstream's release notes).
OFFICIAL = {
    name: notes or f"https://hub.docker.com/_/{name}/tags"
    for name, notes in {
        "alpine": "https://alpinelinux.org/releases/",
        "debian": "",
        "ubuntu": "",
        "python": "https://www.python.org/downloads/",
        "node": "https://github.com/nodejs/node/releases",
        "golang": "https://go.dev/doc/devel/release",
        "rust": "https://github.com/rust-lang/rust/releases",
        "ruby": "https://www.ruby-lang.org/en/downloads/releases/",
        "php": "https://www.php.net/ChangeLog-8.php",
        "openjdk": "",
        "eclipse-temurin": "",
        "nginx": "https://nginx.org/en/CHANGES",
        "httpd": "",
        "redis": "",
        "postgres": "https://www.postgresql.org/docs/release/",
        "mysql": "",
        "mariadb": "",
        "busybox": "",
        "centos": "",
        "fedora": "",
        "amazonlinux": "",
        "buildpack-deps": "",
        "maven": "",
        "gradle": "",
        "dotnet": "",
        "haproxy": "",
        "traefik": "",
    }.items()
}


@dataclass
class Item:
    """The changes of one fix kind in one file: its lines, what they say (each message once),
    and the excerpt of the commit's diff. ``path`` is the file that changed (a script a
    DM107 fix rewrote, not the Dockerfile that runs it); ``via`` the Dockerfile then."""

    path: str
    lines: str
    messages: list[str]
    excerpt: str = ""
    omitted: int = 0  # excerpt lines left out
    via: str = ""
    count: int = 1  # fixes
    notes: list[tuple[str, str]] = field(default_factory=list)  # (lines, message), each message once
    images: list[Image] = field(default_factory=list)

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

    @property
    def count(self) -> int:
        return sum(item.count for item in self.items)

    @property
    def files(self) -> list[str]:
        return sorted({item.path for item in self.items})


@dataclass
class Section:
    risk: str
    title: str
    intro: str
    fixes: list[FixView]


@dataclass(frozen=True)
class Row:
    """One line of the summary table: a fix kind in one file."""

    code: str
    fix: str  # "CODE name"
    path: str
    change: str  # Markdown, made safe: "`a:1` → `a:2`" or "2 changes, lines 3, 7"
    risk: str
    count: int


@dataclass(frozen=True)
class Counts:
    """What the intro and the title say, computed from the table's rows."""

    changes: int
    files: int
    dockerfiles: int
    others: int

    @property
    def phrase(self) -> str:
        """ "2 Dockerfiles", "1 Dockerfile and 1 other file"."""
        parts = [_plural(self.dockerfiles, "Dockerfile")] if self.dockerfiles else []
        if self.others:
            parts.append(_plural(self.others, "other file" if self.dockerfiles else "file"))
        return " and ".join(parts) or "no file"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


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


def context_path(report: FileReport, change: FileChange) -> str:
    """A build-context file's repository-relative path (as the commit writes it)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(report.path), change.path))


def split_ref(ref: str) -> tuple[str, str, str]:
    """``name[:tag][@digest]`` into its parts (the name lower case, ``docker.io/library/`` off)."""
    rest, _, digest = ref.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    name, tag = (rest[:colon], rest[colon + 1 :]) if colon > slash else (rest, "")
    name = name.lower()
    for prefix in ("docker.io/library/", "index.docker.io/library/", "library/"):
        name = name.removeprefix(prefix)
    return name, tag, digest


def images(report: FileReport, fixes: Sequence[AppliedFix]) -> list[Image]:
    """The base images the fixes moved, read off the commit: a FROM in the old file and the
    same stage's FROM in the new one (the safety gate keeps the stages)."""
    try:
        old, new = Document.parse(report.before), Document.parse(report.after)
    except DocumentError:
        return []
    found: list[Image] = []
    for fix in fixes:
        inst = old.instruction_at(fix.line)
        if inst is None or inst.keyword != "FROM" or not 0 <= inst.stage < len(new.stages):
            continue
        before, after = old.stages[inst.stage].base_resolved, new.stages[inst.stage].base_resolved
        if before != after:
            found.append(Image(split_ref(after)[0], before, after))
    return found


def _short(ref: str) -> str:
    """``python:3.12@sha256:abcdef…`` with the digest cut to 12 hex digits."""
    name, _, digest = ref.partition("@")
    algo, _, hexa = digest.partition(":")
    return f"{name}@{algo}:{hexa[:12]}" if digest else name


def image_change(image: Image) -> str:
    """``before`` → ``after`` (a link to the image's page when dockmend knows it), safe Markdown."""
    after = markdown.code(_short(image.after))
    if image.page:
        after = f"[{after}]({image.page})"
    return f"{markdown.code(_short(image.before))} → {after}"


def _item(report: FileReport, fixes: list[AppliedFix], max_lines: int) -> Item:
    # A fix that rewrote another file of the build context names it in its message.
    others = [c for c in report.files if any(Path(c.path).name in f.message for f in fixes)]
    if others:
        selected = [h for c in others for h in excerpts.hunks(c.before, c.after)]
    else:
        selected = excerpts.around(report.before, report.after, _spans(report, fixes))
    text, omitted = excerpts.render(selected, max_lines)
    lines = ", ".join(str(n) for n in sorted({f.line for f in fixes}))
    messages = list(dict.fromkeys(f.message for f in fixes))
    notes = []
    for message in messages:
        at = ", ".join(str(n) for n in sorted({f.line for f in fixes if f.message == message}))
        notes.append((at, message))
    path = ", ".join(sorted({context_path(report, c) for c in others})) if others else report.path
    return Item(
        path,
        lines,
        messages,
        text,
        omitted,
        via=report.path if others else "",
        count=len(fixes),
        notes=notes,
        images=images(report, fixes),
    )


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
    for view in views.values():
        view.items.sort(key=lambda item: (item.path, item.via))
    sections = []
    for risk, (title, intro) in RISK_TITLES.items():
        chosen = [v for code, v in sorted(views.items()) if v.risk == risk.value]
        if chosen:
            sections.append(Section(risk.value, title, intro, chosen))
    return sections


def rows(sections: Sequence[Section]) -> list[Row]:
    """The summary table: one row per fix kind and file, safe kinds first."""
    found = []
    for section in sections:
        for fix in section.fixes:
            for item in fix.items:
                if item.images:
                    change = ", ".join(image_change(image) for image in item.images)
                else:
                    word = "change" if item.count == 1 else "changes"
                    where = f"line {item.lines}" if "," not in item.lines else f"lines {item.lines}"
                    change = f"{item.count} {word}, {where}" + (f" of {markdown.code(item.via)}" if item.via else "")
                found.append(Row(fix.code, f"{fix.code} {fix.name}", item.path, change, fix.risk, item.count))
    return found


def table_of(reports: Sequence[FileReport]) -> list[Row]:
    """The summary table's rows for these reports (what the title counts, too)."""
    return rows(_sections(reports, 0))


def counts(table: Sequence[Row]) -> Counts:
    """The numbers the intro and the title give: from the table's rows, nothing else."""
    paths = {path for row in table for path in row.path.split(", ")}
    dockerfiles = sum(1 for path in paths if _is_dockerfile(path))
    return Counts(sum(row.count for row in table), len(paths), dockerfiles, len(paths) - dockerfiles)


def _is_dockerfile(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return "dockerfile" in name or name.endswith(".dockerfile") or name == "containerfile"


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


_REF = re.compile(r"[A-Za-z0-9._/-]+")  # a branch name as git writes it; a placeholder is not one


def _render(tmpl: jinja2.Template, data: BodyInput, max_lines: int, shortened: bool) -> str:
    sections = _sections(data.reports, max_lines)
    table = rows(sections)
    numbers = counts(table)
    try:
        return tmpl.render(
            marker="\n".join(
                [fingerprint_comment(data.fingerprint)]
                + ([findings_comment(data.findings_digest)] if data.findings_digest else [])
            ),
            repo=data.repo_name,
            default_branch=data.default_branch if _REF.fullmatch(data.default_branch) else "",
            rows=table,
            sections=sections,
            fix_count=numbers.changes,
            file_count=numbers.files,
            counts=numbers,
            findings=sorted(data.findings, key=lambda item: (item[0], item[1].line, item[1].code)),
            problems=sorted(data.problems),
            excerpts_shortened=shortened,
            excerpts_dropped=max_lines == 0,
            codes=sorted({fix.code for s in sections for fix in s.fixes}),
            rebase=REBASE_BOX,
            version=data.version,
            run_id=data.run_id,
            fingerprint=data.fingerprint,
        )
    except jinja2.TemplateError as exc:
        raise BodyError(f"request template: {exc}") from None


class BodyError(DockmendError):
    """A (user's) request template failed to load or render."""
