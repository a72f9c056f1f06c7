"""Run fixers over one Dockerfile: apply, gate, check idempotence, report.

Nothing raises out of :func:`run_fixers`: a file that cannot be parsed (or not within
its time budget) and a file on which a fixer or the engine crashed are both a per-file
``error``; the file is then left untouched and the caller goes on with the next one."""

from __future__ import annotations

from collections.abc import Sequence

from fixers import pragmas, shell
from fixers.base import Context, FileChange, Finding, Fix, Fixer, FixResult, RegistryUnavailable, Risk
from fixers.buildkit import Budget
from fixers.document import Document, DocumentError
from fixers.edits import EditConflict, LineShift, apply_edits, map_back, shifts
from fixers.gate import GateError, check, check_file_change
from fixers.records import field, record, replace

MAX_ROUNDS = 3


@record(frozen=True)
class AppliedFix:
    code: str
    name: str
    risk: Risk
    line: int  # in the original file
    message: str


@record
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


class InternalError(DocumentError):
    """A bug met on this file (a fixer or the engine raised): the file is left untouched,
    and the run reports it as its own outcome (``dockmend fix`` exits 2)."""


class _Crash(Exception):
    def __init__(self, fixer: Fixer, exc: Exception) -> None:
        super().__init__(f"{fixer.CODE} {fixer.NAME}")
        self.fixer = fixer
        self.exc = exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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


@record
class _Pass:
    doc: Document
    steps: list[list[LineShift]] = field(default_factory=list)
    fixes: list[AppliedFix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    used: list[Fixer] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)  # codes the gate or a crash dropped


def _fix(fixer: Fixer, doc: Document, ctx: Context) -> FixResult:
    """The fixer's result; a crash (a bug) is raised as :class:`_Crash`, never past run_fixers."""
    try:
        return fixer.fix(doc, ctx)
    except RegistryUnavailable:
        raise
    except Exception as exc:
        raise _Crash(fixer, exc) from exc


def _apply_one(state: _Pass, fixer: Fixer, ctx: Context, sup: Suppressions, overlay: _Overlay, budget: Budget) -> None:
    doc = state.doc
    result = _fix(fixer, doc, ctx)
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
        new = check(doc, apply_edits(doc.text, edits), budget) if edits else doc
        for change in (c for fix in fixes for c in fix.files):
            check_file_change(change)
    except (GateError, EditConflict) as exc:
        state.findings.append(_dropped(fixer, line, str(exc)))
        state.rejected.add(fixer.CODE)
        return
    except DocumentError:  # over the file's budget: the whole file is an error
        raise
    except Exception as exc:  # the fixer's edits made the engine or the gate crash
        raise _Crash(fixer, exc) from exc
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
        if _keep(_fix(fixer, state.doc, ctx).fixes, state.doc, fixer, sup):
            return fixer
    return None


def run_fixers(
    path: str,
    data: bytes,
    ctx: Context,
    fixers: Sequence[Fixer],
    names: dict[str, str],
    parse_timeout: float | None = None,
) -> FileReport:
    """Fix one Dockerfile's bytes. Errors become ``report.error``; nothing raises.

    Every BuildKit parse of the file (its own and the gate's of each rewrite) shares one
    budget of ``parse_timeout`` seconds (default :func:`fixers.buildkit.default_timeout`);
    over it, the file's error is "too complex to parse within N s". A crash (a bug in a
    fixer or the engine) is an :class:`InternalError`. Either way the file is untouched.
    A registry that is unavailable (after its retries) leaves the whole file untouched,
    marked ``retry_later``: it is never a finding, and never a half-fixed file."""
    try:
        with shell.file_scope():
            return _run(path, data, ctx, fixers, names, Budget.start(parse_timeout))
    except RegistryUnavailable as exc:
        return FileReport(path, data, data, retry_later=str(exc))
    except _Crash as crash:
        where = f"{crash.fixer.CODE} {crash.fixer.NAME}"
        return FileReport(path, data, data, error=InternalError(f"internal error in {where}: {_describe(crash.exc)}"))
    except DocumentError as exc:
        return FileReport(path, data, data, error=exc)
    except Exception as exc:  # a bug of the engine itself: this file only
        return FileReport(path, data, data, error=InternalError(f"internal error: {_describe(exc)}"))


def _run(
    path: str, data: bytes, ctx: Context, fixers: Sequence[Fixer], names: dict[str, str], budget: Budget
) -> FileReport:
    report = FileReport(path, data, data)
    original = Document.parse(data, budget=budget)
    sup = Suppressions(original, names)
    for check_fixer in (f for f in fixers if f.RISK is Risk.REPORT):
        found = _fix(check_fixer, original, ctx).findings
        report.findings += [f for f in found if not sup.suppressed(original, f.code, f.line)]
    rewriters = [f for f in fixers if f.RISK is not Risk.REPORT and not (ctx.offline and f.NEEDS_NETWORK)]
    notes: list[Finding] = []
    for _ in range(MAX_ROUNDS):
        overlay = _Overlay(ctx)
        state = _Pass(original)
        run_ctx = replace(ctx, files=overlay)
        last = -1  # the last rewriter that changed something in this pass
        for index, fixer in enumerate(rewriters):
            applied = len(state.used)
            _apply_one(state, fixer, run_ctx, sup, overlay, budget)
            if len(state.used) > applied:
                last = index
        # the rewriters after the last change already ran on the final text: only those
        # up to it are asked again (none when nothing changed)
        culprit = _not_fixed_point(state, rewriters[: last + 1], run_ctx, sup)
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
