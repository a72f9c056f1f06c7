"""Run fixers over one Dockerfile: apply, gate, check idempotence, report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from fixers import pragmas
from fixers.base import Context, FileChange, Finding, Fix, Fixer, RegistryUnavailable, Risk
from fixers.document import Document, DocumentError
from fixers.edits import EditConflict, LineShift, apply_edits, map_back, shifts
from fixers.gate import GateError, check, check_file_change

MAX_ROUNDS = 3


@dataclass(frozen=True)
class AppliedFix:
    code: str
    name: str
    risk: Risk
    line: int  # in the original file
    message: str


@dataclass
class FileReport:
    path: str
    before: bytes
    after: bytes
    fixes: list[AppliedFix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    error: DocumentError | None = None
    retry_later: str | None = None  # a registry was unavailable: the file is left for a later run

    @property
    def changed(self) -> bool:
        return self.after != self.before or bool(self.files)


class Suppressions:
    """``# dockmend ignore=CODE,…`` before an instruction; ``ignore-file=`` anywhere."""

    def __init__(self, doc: Document, names: dict[str, str]) -> None:
        self.names = names
        self.file = pragmas.file_codes(doc, names)

    def suppressed(self, doc: Document, code: str, line: int) -> bool:
        return code in self.file or code in pragmas.codes_above(doc, line, self.names)


class _Overlay:
    """The build context as the fixers applied so far have changed it."""

    def __init__(self, ctx: Context) -> None:
        self.base = ctx.files
        self.changes: dict[str, FileChange] = {}

    def read(self, path: str) -> bytes | None:
        change = self.changes.get(path)
        return change.after if change else self.base.read(path)


def _keep(fixes: list[Fix], doc: Document, fixer: Fixer, sup: Suppressions) -> list[Fix]:
    return [f for f in fixes if not sup.suppressed(doc, fixer.CODE, f.line)]


def _dropped(fixer: Fixer, line: int, why: str) -> Finding:
    return Finding(fixer.CODE, fixer.NAME, line, f"rewrite not applied, it failed the safety gate: {why}")


@dataclass
class _Pass:
    doc: Document
    steps: list[list[LineShift]] = field(default_factory=list)
    fixes: list[AppliedFix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    used: list[Fixer] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)  # codes the gate or a crash dropped


def _apply_one(state: _Pass, fixer: Fixer, ctx: Context, sup: Suppressions, overlay: _Overlay) -> None:
    doc = state.doc
    try:
        result = fixer.fix(doc, ctx)
    except RegistryUnavailable:
        raise
    except Exception as exc:  # a fixer bug must never take the file or the run down
        state.findings.append(_dropped(fixer, 1, f"internal error {type(exc).__name__}: {exc}"))
        state.rejected.add(fixer.CODE)
        return
    state.findings += [
        replace(f, line=map_back(f.line, state.steps))
        for f in result.findings
        if not sup.suppressed(doc, f.code, f.line)
    ]
    fixes = _keep(result.fixes, doc, fixer, sup)
    if not fixes:
        return
    edits = [edit for fix in fixes for edit in fix.edits]
    line = map_back(fixes[0].line, state.steps)
    try:
        new = check(doc, apply_edits(doc.text, edits)) if edits else doc
        for change in (c for fix in fixes for c in fix.files):
            check_file_change(change)
    except (GateError, EditConflict) as exc:
        state.findings.append(_dropped(fixer, line, str(exc)))
        state.rejected.add(fixer.CODE)
        return
    state.fixes += [
        AppliedFix(fixer.CODE, fixer.NAME, fixer.RISK, map_back(f.line, state.steps), f.message) for f in fixes
    ]
    for change in (c for fix in fixes for c in fix.files):
        overlay.changes[change.path] = FileChange(change.path, overlay.read(change.path) or b"", change.after)
    state.steps.append(shifts(doc.text, edits))
    state.used.append(fixer)
    state.doc = new


def _not_fixed_point(state: _Pass, rewriters: list[Fixer], ctx: Context, sup: Suppressions) -> Fixer | None:
    """The first fixer that would still change the result (each is rerun, not just those
    that changed something: one fixer's edit may give another something to do)."""
    for fixer in (f for f in rewriters if f.CODE not in state.rejected):
        try:
            again = _keep(fixer.fix(state.doc, ctx).fixes, state.doc, fixer, sup)
        except RegistryUnavailable:
            raise
        except Exception:
            return fixer
        if again:
            return fixer
    return None


def run_fixers(path: str, data: bytes, ctx: Context, fixers: Sequence[Fixer], names: dict[str, str]) -> FileReport:
    """Fix one Dockerfile's bytes. Errors become ``report.error``; nothing raises.

    A registry that is unavailable (after its retries) leaves the whole file untouched,
    marked ``retry_later``: it is never a finding, and never a half-fixed file."""
    try:
        return _run(path, data, ctx, fixers, names)
    except RegistryUnavailable as exc:
        return FileReport(path, data, data, retry_later=str(exc))


def _run(path: str, data: bytes, ctx: Context, fixers: Sequence[Fixer], names: dict[str, str]) -> FileReport:
    report = FileReport(path, data, data)
    try:
        original = Document.parse(data)
    except DocumentError as exc:
        report.error = exc
        return report
    sup = Suppressions(original, names)
    for check_fixer in (f for f in fixers if f.RISK is Risk.REPORT):
        found = _safe_findings(check_fixer, original, ctx)
        report.findings += [f for f in found if not sup.suppressed(original, f.code, f.line)]
    rewriters = [f for f in fixers if f.RISK is not Risk.REPORT and not (ctx.offline and f.NEEDS_NETWORK)]
    notes: list[Finding] = []
    for _ in range(MAX_ROUNDS):
        overlay = _Overlay(ctx)
        state = _Pass(original)
        run_ctx = replace(ctx, files=overlay)
        for fixer in rewriters:
            _apply_one(state, fixer, run_ctx, sup, overlay)
        culprit = _not_fixed_point(state, rewriters, run_ctx, sup)
        if culprit is None:
            break
        notes.append(_dropped(culprit, 1, "a second run would change the file again (not idempotent)"))
        rewriters = [f for f in rewriters if f is not culprit]
    else:
        report.findings += notes
        return report
    report.after = state.doc.encode()
    report.fixes = sorted(state.fixes, key=lambda f: (f.line, f.code))
    report.findings = sorted(report.findings + notes + state.findings, key=lambda f: (f.line, f.code))
    report.files = list(overlay.changes.values())
    return report


def _safe_findings(fixer: Fixer, doc: Document, ctx: Context) -> list[Finding]:
    try:
        return fixer.fix(doc, ctx).findings
    except RegistryUnavailable:
        raise
    except Exception as exc:
        return [Finding(fixer.CODE, fixer.NAME, 1, f"check failed with an internal error: {exc}")]
