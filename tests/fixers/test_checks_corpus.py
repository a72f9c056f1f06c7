"""Every check over the whole corpus: it reports, never edits, never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixers.base import Context, Fixer, Risk
from fixers.engine import run_fixers
from fixers.registry import FIXERS, by_name

CHECKS = [f for f in FIXERS.values() if f.RISK is Risk.REPORT]


@pytest.mark.corpus
@pytest.mark.parametrize("check", CHECKS, ids=[f.CODE for f in CHECKS])
def test_checks_report_without_editing(corpus_files: list[Path], check: Fixer) -> None:
    for path in corpus_files:
        report = run_fixers(path.name, path.read_bytes(), Context(), [check], by_name())
        assert report.error is None and report.after == report.before, path.name
        assert not any("safety gate" in f.message or "internal error" in f.message for f in report.findings)
