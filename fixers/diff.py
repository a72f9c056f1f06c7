"""A report as a unified diff (the Dockerfile and any script it rewrote), as git shows it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fixers.engine import FileReport


def unified_diff(report: FileReport) -> str:
    import difflib  # only when a diff is shown

    pairs = [(report.path, report.before, report.after)]
    pairs += [(str(Path(report.path).parent / c.path), c.before, c.after) for c in report.files]
    chunks: list[str] = []
    for name, before, after in pairs:
        old = before.decode("utf-8", "replace").splitlines(keepends=True)
        new = after.decode("utf-8", "replace").splitlines(keepends=True)
        chunks += difflib.unified_diff(old, new, f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)
