"""The pair table itself (no builds): enough pairs, every fixer covered, every case rewritten."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.equivalence.cases import FIXERS, Case, dm103, dm104, dm105, dm106, dm107, dm108, dm109, dm110, dm111, probes
from tests.equivalence.cases.corpus import corpus_cases
from tests.equivalence.pairs import rewrite, write_context
from tests.equivalence.session import _images

SYNTHETIC = [
    *dm103.CASES,
    *dm104.CASES,
    *dm105.CASES,
    *dm106.CASES,
    *dm107.CASES,
    *dm108.CASES,
    *dm109.CASES,
    *dm110.CASES,
    *dm111.CASES,
]


def test_at_least_thirty_pairs_cover_every_fixer() -> None:
    corpus, _ = corpus_cases()
    assert len(SYNTHETIC + corpus) >= 30
    per_fixer = Counter(c.code for c in SYNTHETIC)
    assert set(per_fixer) == set(FIXERS)
    assert min(per_fixer.values()) >= 5, per_fixer


def test_keys_are_unique() -> None:
    corpus, _ = corpus_cases()
    keys = [c.key for c in SYNTHETIC + corpus + probes.MUTANTS + probes.CONTROLS]
    assert len(keys) == len(set(keys))


def test_cases_build_only_from_served_images() -> None:
    corpus, _ = corpus_cases()
    assert set(_images(SYNTHETIC + corpus + probes.MUTANTS + probes.CONTROLS)) == {"debian", "busybox"}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.key) for c in SYNTHETIC + probes.MUTANTS])
def test_each_case_is_rewritten(case: Case, tmp_path: Path) -> None:
    write_context(tmp_path / "ctx", case.dockerfile, dict(case.files))
    after, files = rewrite(case, tmp_path / "ctx")
    assert after != case.dockerfile or files != dict(case.files)
