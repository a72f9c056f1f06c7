"""The real-world Dockerfile corpus the tests read.

The permissively licensed files live in the repository (``tests/data/corpus``, with their
manifest and NOTICE), so a fresh clone runs every corpus test; the copyleft files of the
same corpus are added when ``../shared/corpus`` is present next to the checkout.
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IN_REPO = ROOT / "tests" / "data" / "corpus"
SHARED = ROOT.parent / "shared" / "corpus"


def folders() -> list[Path]:
    """The corpus folders present (each with ``files/`` and ``manifest.tsv``), in-repo first."""
    return [f for f in (IN_REPO, SHARED) if (f / "files").is_dir()]


def files() -> list[Path]:
    """Every corpus file once (by name), sorted by name."""
    found: dict[str, Path] = {}
    for folder in folders():
        for path in (folder / "files").iterdir():
            found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]


def manifest() -> dict[str, dict[str, str]]:
    """Manifest rows by file name: repository, path, commit, licence, source."""
    rows: dict[str, dict[str, str]] = {}
    for folder in folders():
        with (folder / "manifest.tsv").open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                rows.setdefault(row["file"], row)
    return rows
