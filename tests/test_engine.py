from __future__ import annotations

import types

import pytest

from fixers.base import Context, Finding, Fix, FixResult, Risk
from fixers.document import Document
from fixers.edits import Edit
from fixers.engine import InternalError, run_fixers
from fixers.registry import labels_only


def _fixer(code: str, fix: object, risk: Risk = Risk.SAFE) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        CODE=code,
        NAME=f"name-{code}",
        RISK=risk,
        GUIDELINE="g",
        MESSAGE="m",
        EXPLANATION="e",
        NEEDS_NETWORK=False,
        fix=fix,
    )


def _append_label(doc: Document, ctx: Context) -> FixResult:
    if any(i.keyword == "LABEL" for i in doc.instructions):
        return FixResult()
    end = doc.instructions[0].header_end
    return FixResult(fixes=[Fix(1, "label", [Edit.insert(end, doc.newline + 'LABEL a="b"')])])


def _breaks_heredoc(doc: Document, ctx: Context) -> FixResult:
    line = max(doc.heredoc_lines)
    return FixResult(fixes=[Fix(2, "oops", [Edit.insert(doc.line_start(line - 1), "x")])])


def _never_done(doc: Document, ctx: Context) -> FixResult:
    end = doc.instructions[0].header_end
    return FixResult(fixes=[Fix(1, "again", [Edit.insert(end, "\nLABEL more=1")])])


def _crashes(doc: Document, ctx: Context) -> FixResult:
    raise RuntimeError("bug")


def _report(doc: Document, ctx: Context) -> FixResult:
    return FixResult(findings=[Finding("DM299", "name-DM299", 3, "seen")])


def run(text: str, *fixers: types.SimpleNamespace) -> tuple[str, list[str]]:
    names = {f.NAME.lower(): f.CODE for f in fixers}
    report = run_fixers("Dockerfile", text.encode(), Context(), list(fixers), names)  # type: ignore[arg-type]
    return report.after.decode(), [f"{f.line} {f.code} {f.message}" for f in report.findings]


def test_applies_and_keeps_crlf() -> None:
    after, _ = run("FROM a\r\nRUN x\r\n", _fixer("DM190", _append_label))
    assert after == 'FROM a\r\nLABEL a="b"\r\nRUN x\r\n'


def test_gate_drops_a_fixer_that_edits_a_heredoc_body() -> None:
    text = "FROM a\nRUN <<EOF\necho hi\nEOF\n"
    after, findings = run(text, _fixer("DM191", _breaks_heredoc), _fixer("DM190", _append_label))
    assert after == 'FROM a\nLABEL a="b"\nRUN <<EOF\necho hi\nEOF\n'
    assert findings == ["2 DM191 rewrite not applied, it failed the safety gate: a heredoc body changed"]


def test_not_idempotent_fixer_is_dropped() -> None:
    after, findings = run("FROM a\n", _fixer("DM192", _never_done), _fixer("DM190", _append_label))
    assert after == 'FROM a\nLABEL a="b"\n'
    assert any("DM192" in f and "idempotent" in f for f in findings)


def test_a_crash_is_a_per_file_internal_error_and_the_file_is_untouched() -> None:
    for risk in (Risk.SAFE, Risk.REPORT):
        fixers = [_fixer("DM190", _append_label), _fixer("DM193", _crashes, risk)]
        report = run_fixers("Dockerfile", b"FROM a\n", Context(), fixers, {})  # type: ignore[arg-type]
        assert isinstance(report.error, InternalError)
        assert report.error.message == "internal error in DM193 name-DM193: RuntimeError: bug"
        assert report.after == report.before and not report.changed and report.fixes == []


def test_suppression_before_instruction_and_file_wide() -> None:
    text = "FROM a\n# dockmend ignore=name-DM299\nRUN x\n"
    assert run(text, _fixer("DM299", _report, Risk.REPORT))[1] == []
    text = "# dockmend ignore-file=DM190\nFROM a\n"
    assert run(text, _fixer("DM190", _append_label))[0] == text


def test_lines_map_back_to_the_original() -> None:
    report = run_fixers(
        "Dockerfile",
        b"FROM a\nRUN x\n",
        Context(),
        [_fixer("DM190", _append_label), _fixer("DM299", _report, Risk.REPORT)],  # type: ignore[list-item]
        {},
    )
    assert [(f.code, f.line) for f in report.findings] == [("DM299", 3)]


@pytest.mark.parametrize(
    ("codes", "only"), [(["DM105"], True), (["DM105", "DM105"], True), (["DM105", "DM108"], False), ([], False)]
)
def test_labels_only(codes: list[str], only: bool) -> None:
    assert labels_only(codes) is only
