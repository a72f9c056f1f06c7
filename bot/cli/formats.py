"""What `dockmend fix` prints: text, JSON, SARIF 2.1.0, GitHub workflow commands, GitLab Code Quality.

Every format carries the same facts: per file its fixes (the rewrites ``--check`` would
make), its findings (what needs a person) and an error that stopped it, each with a
code, a line and a severity (:mod:`fixers.severity`, overridden per code by the
configuration and the repository's ``.dockmend.yml``).

* ``sarif``: one run; ``tool.driver.rules`` holds every code that occurs, with the
  ``--explain`` text as help; a fix is a result of its code, and the first fix result of
  a file carries the whole rewrite of that file as a SARIF ``fix`` (``artifactChanges``
  with byte-range replacements; the rewrites of one file build on each other, so they
  are one change). Files that could not be processed are ``toolExecutionNotifications``.
* ``github``: ``::error``/``::warning``/``::notice`` workflow commands, one per fix,
  finding and error, which GitHub Actions shows as annotations on the lines.
* ``gitlab``: a Code Quality report (a JSON list of issues with ``description``,
  ``check_name``, ``fingerprint``, ``severity``, ``location.path`` and
  ``location.lines.begin``) for ``artifacts:reports:codequality``.

Over 300 lines: five output formats (text, JSON, SARIF, GitHub, GitLab) over one result
model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from bot import __version__
from bot.cli.fixentry import FORMATS
from fixers.base import Finding, Fixer, Risk
from fixers.diff import unified_diff
from fixers.engine import AppliedFix, FileReport
from fixers.records import field, record
from fixers.registry import FIXERS
from fixers.severity import Severity, at_or_above, severity_of

__all__ = ["FORMATS", "Result", "Style", "at_or_above", "explain_text", "severity_of"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
GITLAB_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


@record(frozen=True)
class Result:
    """One file's report and the severity overrides that apply to it."""

    report: FileReport
    severity: Mapping[str, str] = field(default_factory=dict)

    def _of(self, code: str) -> Severity:
        fixer = FIXERS.get(code)
        return severity_of(code, fixer.RISK if fixer else Risk.REPORT, self.severity)

    def fix_severity(self, fix: AppliedFix) -> Severity:
        return self._of(fix.code)

    def finding_severity(self, finding: Finding) -> Severity:
        return self._of(finding.code)


@record(frozen=True)
class Style:
    color: bool = False

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def severity(self, severity: Severity) -> str:
        return self.paint(severity.value, {"error": "1;31", "warning": "33", "info": "36"}[severity.value])


def use_color(choice: str, stream: TextIO, env: Mapping[str, str]) -> bool:
    """``always``, ``never``, or ``auto``: a terminal, and NO_COLOR unset or empty (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def explain_text(fixer: Fixer) -> str:
    kind = "check (report only)" if fixer.RISK is Risk.REPORT else f"fixer, risk: {fixer.RISK.value}"
    severity = severity_of(fixer.CODE, fixer.RISK)
    return (
        f"{fixer.CODE} {fixer.NAME} — {kind}, default severity: {severity.value}\n"
        f"Guideline: {fixer.GUIDELINE}\n\n{fixer.MESSAGE}\n\n{fixer.EXPLANATION}\n"
    )


# text -----------------------------------------------------------------------------------


def _where(report: FileReport, line: int) -> str:
    return f"{report.path}:{line}" if line > 0 else report.path


def text(result: Result, out: TextIO, notes: TextIO, err: TextIO, diff: bool, quiet: bool, style: Style) -> None:
    """One file: errors on stderr; the diff on ``out``; fixes and findings on ``notes``."""
    report = result.report
    if report.error:
        print(f"{_where(report, report.error.line)}: {style.paint('error', '1;31')}: {report.error.message}", file=err)
        return
    if report.retry_later:
        print(f"{report.path}: not processed, try again later: {report.retry_later}", file=err)
        return
    if diff:
        out.write(unified_diff(report))
    if quiet:
        return
    path = style.paint(report.path, "1")
    for fix in report.fixes:
        level = style.severity(result.fix_severity(fix))
        print(f"{path}:{fix.line} {fix.code} {fix.name} [{level}]: {fix.message}", file=notes)
    for finding in report.findings:
        level = style.severity(result.finding_severity(finding))
        print(f"{path}:{finding.line} {finding.code} {finding.name} [{level}]: {finding.message}", file=notes)


def summary(results: Sequence[Result]) -> dict[str, int]:
    reports = [r.report for r in results]
    return {
        "files": len(reports),
        "changed": sum(r.changed for r in reports),
        "fixes": sum(len(r.fixes) for r in reports),
        "findings": sum(len(r.findings) for r in reports),
        "errors": sum(r.error is not None for r in reports),
        "retry_later": sum(r.retry_later is not None for r in reports),
    }


def summary_line(results: Sequence[Result], writes: bool) -> str:
    s = summary(results)
    verb = "rewrote" if writes else "would rewrite"
    return (
        f"{s['files']} file(s) checked, {verb} {s['changed']} ({s['fixes']} fix(es)), "
        f"{s['findings']} finding(s), {s['errors']} error(s)"
        + (f", {s['retry_later']} to try again later" if s["retry_later"] else "")
    )


# documents ------------------------------------------------------------------------------


def write(kind: str, results: Sequence[Result], fail_on: str, out: TextIO, err: TextIO) -> None:
    import json  # json, hashlib and difflib: only for the documents, not the text output

    if kind == "json":
        json.dump(as_json(results, fail_on), out, indent=2)
        out.write("\n")
    elif kind == "sarif":
        json.dump(as_sarif(results), out, indent=2)
        out.write("\n")
    elif kind == "gitlab":
        json.dump(as_gitlab(results), out, indent=2)
        out.write("\n")
    elif kind == "github":
        for line in as_github(results):
            print(line, file=out)
        print(summary_line(results, writes=False), file=err)
    else:
        raise ValueError(f"unknown format {kind!r}")


def as_json(results: Sequence[Result], fail_on: str = "warning") -> dict[str, Any]:
    files = []
    for result in results:
        r = result.report
        files.append(
            {
                "path": r.path,
                "changed": r.changed,
                "fixes": [
                    {
                        "code": f.code,
                        "name": f.name,
                        "risk": f.risk.value,
                        "severity": result.fix_severity(f).value,
                        "line": f.line,
                        "message": f.message,
                    }
                    for f in r.fixes
                ],
                "findings": [
                    {
                        "code": f.code,
                        "name": f.name,
                        "severity": result.finding_severity(f).value,
                        "line": f.line,
                        "message": f.message,
                    }
                    for f in r.findings
                ],
                "error": {"message": r.error.message, "line": r.error.line} if r.error else None,
                "retry_later": r.retry_later,
            }
        )
    return {"files": files, "summary": summary(results), "fail_on": fail_on}


def _relative(path: str) -> str:
    """A path as code-scanning services want it: relative to the working folder (the
    repository's root in CI), POSIX separators."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


def _rule(fixer: Fixer) -> dict[str, Any]:
    return {
        "id": fixer.CODE,
        "name": fixer.NAME,
        "shortDescription": {"text": fixer.MESSAGE},
        "fullDescription": {"text": fixer.EXPLANATION.split("\n\n")[0].strip() or fixer.MESSAGE},
        "help": {"text": explain_text(fixer)},
        "defaultConfiguration": {"level": SARIF_LEVEL[severity_of(fixer.CODE, fixer.RISK)]},
        "properties": {
            "risk": fixer.RISK.value,
            "guideline": fixer.GUIDELINE,
            "tags": ["dockerfile", "check" if fixer.RISK is Risk.REPORT else "fix"],
        },
    }


def _location(path: str, line: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _relative(path)}}
    if line > 0:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def replacements(before: bytes, after: bytes) -> list[dict[str, Any]]:
    """SARIF replacements turning ``before`` into ``after``: byte ranges of ``before``
    (by whole lines) and the text that replaces them, in order."""
    import difflib

    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    offsets = [0]
    for line in old:
        offsets.append(offsets[-1] + len(line))
    result = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        inserted = b"".join(new[j1:j2]).decode("utf-8", errors="surrogateescape")
        result.append(
            {
                "deletedRegion": {"byteOffset": offsets[i1], "byteLength": offsets[i2] - offsets[i1]},
                "insertedContent": {"text": inserted},
            }
        )
    return result


def _fix_of(report: FileReport) -> dict[str, Any]:
    changes = [
        {"artifactLocation": {"uri": _relative(report.path)}, "replacements": replacements(report.before, report.after)}
    ]
    folder = Path(report.path).parent
    for change in report.files:
        changes.append(
            {
                "artifactLocation": {"uri": _relative(str(folder / change.path))},
                "replacements": replacements(change.before, change.after),
            }
        )
    codes = ", ".join(dict.fromkeys(f.code for f in report.fixes))
    return {"description": {"text": f"dockmend's rewrite of this file ({codes})"}, "artifactChanges": changes}


def as_sarif(results: Sequence[Result]) -> dict[str, Any]:
    codes = {f.code for r in results for f in r.report.fixes} | {f.code for r in results for f in r.report.findings}
    used = sorted(codes & set(FIXERS))
    index = {code: i for i, code in enumerate(used)}
    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for result in results:
        report = result.report
        if report.error or report.retry_later:
            message = report.error.message if report.error else f"not processed, try again later: {report.retry_later}"
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{report.path}: {message}"},
                    "locations": [_location(report.path, report.error.line if report.error else 0)],
                }
            )
            continue
        for n, fix in enumerate(report.fixes):
            item = _result(
                fix.code,
                index,
                result.fix_severity(fix),
                f"{fix.message} (dockmend fix rewrites this)",
                report,
                fix.line,
            )
            if n == 0 and report.changed:
                item["fixes"] = [_fix_of(report)]
            sarif_results.append(item)
        for finding in report.findings:
            sarif_results.append(
                _result(finding.code, index, result.finding_severity(finding), finding.message, report, finding.line)
            )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dockmend",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(FIXERS[code]) for code in used],
            }
        },
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "columnKind": "unicodeCodePoints",
        "results": sarif_results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _result(
    code: str, index: Mapping[str, int], severity: Severity, message: str, report: FileReport, line: int
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ruleId": code,
        "level": SARIF_LEVEL[severity],
        "message": {"text": message},
        "locations": [_location(report.path, line)],
        "partialFingerprints": {"dockmend/v1": _fingerprint(report.path, code, message)},
    }
    if code in index:
        item["ruleIndex"] = index[code]
    return item


def _fingerprint(path: str, code: str, message: str) -> str:
    """Stable while lines move: the file, the code and the message (not the line)."""
    return _sha256(f"{_relative(path)}\0{code}\0{message}")


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, path: str, line: int, title: str, message: str) -> str:
    props = [f"file={_escape_property(_relative(path))}"]
    if line > 0:
        props.append(f"line={line}")
    props.append(f"title={_escape_property(title)}")
    return f"::{kind} {','.join(props)}::{_escape_data(message)}"


def as_github(results: Sequence[Result]) -> list[str]:
    lines = []
    for result in results:
        report = result.report
        if report.error:
            lines.append(
                _command("error", report.path, report.error.line, "dockmend: not processed", report.error.message)
            )
            continue
        if report.retry_later:
            lines.append(_command("warning", report.path, 0, "dockmend: try again later", report.retry_later))
            continue
        for fix in report.fixes:
            kind = GITHUB_COMMAND[result.fix_severity(fix)]
            lines.append(_command(kind, report.path, fix.line, f"{fix.code} {fix.name} (fixable)", fix.message))
        for finding in report.findings:
            kind = GITHUB_COMMAND[result.finding_severity(finding)]
            lines.append(_command(kind, report.path, finding.line, f"{finding.code} {finding.name}", finding.message))
    return lines


def as_gitlab(results: Sequence[Result]) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def issue(code: str, severity: Severity, message: str, path: str, line: int) -> None:
        base = _fingerprint(path, code, message)
        seen[base] = seen.get(base, 0) + 1  # the same message twice in a file: two issues
        fingerprint = _sha256(f"{base}\0{seen[base]}")
        issues.append(
            {
                "type": "issue",
                "description": f"{code}: {message}",
                "check_name": code,
                "categories": ["Security" if code in ("DM201", "DM202", "DM206") else "Style"],
                "fingerprint": fingerprint,
                "severity": GITLAB_SEVERITY[severity],
                "location": {"path": _relative(path), "lines": {"begin": max(line, 1)}},
            }
        )

    for result in results:
        report = result.report
        if report.error:
            issue("dockmend-error", Severity.ERROR, report.error.message, report.path, report.error.line)
            continue
        for fix in report.fixes:
            issue(
                fix.code, result.fix_severity(fix), f"{fix.message} (dockmend fix rewrites this)", report.path, fix.line
            )
        for finding in report.findings:
            issue(finding.code, result.finding_severity(finding), finding.message, report.path, finding.line)
    return issues
