"""Helpers for fixer tables: run one fixer through the engine (gate included)."""

from __future__ import annotations

from pathlib import Path

from fixers.base import Context, Fixer
from fixers.engine import FileReport, run_fixers
from fixers.registry import by_name


def run(fixer: Fixer, text: str, ctx: Context | None = None) -> FileReport:
    return run_fixers("Dockerfile", text.encode(), ctx or Context(), [fixer], by_name())


def fixed(fixer: Fixer, text: str, ctx: Context | None = None) -> str:
    """The text after ``fixer`` (and the gate); asserts no error and idempotence."""
    report = run(fixer, text, ctx)
    assert report.error is None, report.error
    after = report.after.decode()
    again = run(fixer, after, ctx)
    assert again.after == report.after, "not idempotent"
    return after


def corpus_report(fixer: Fixer, corpus_files: list[Path], name: str) -> FileReport:
    """``fixer`` alone over the corpus file called ``name``."""
    [path] = [p for p in corpus_files if p.name == name]
    return run_fixers(path.name, path.read_bytes(), Context(), [fixer], by_name())
