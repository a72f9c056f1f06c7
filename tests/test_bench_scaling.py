"""``bench/scaling.py`` at small sizes: every shape's files are generated, parse and are
fixed without error in a fresh process each, with figures for time and memory and a
fitted exponent. No timing is asserted (small sizes and a shared machine)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.scaling import SHAPES, exponent

BENCH = Path(__file__).resolve().parents[1] / "bench" / "scaling.py"
ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(.*)$", re.M)


def test_the_exponent_is_the_slope_on_logarithms() -> None:
    assert abs(exponent([(1000, 1.0), (10000, 10.0), (50000, 50.0)]) - 1.0) < 1e-9
    assert abs(exponent([(10, 1.0), (100, 100.0)]) - 2.0) < 1e-9


def test_small_sizes_of_every_shape() -> None:
    # DM105 is exponential in FROM ${BASE} stages until it is made linear (issue 15)
    command = [sys.executable, str(BENCH), "--sizes", "120,300", "--ignore", "DM105", "--timeout", "120"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode in (0, 1), done.stderr
    rows = ROW.findall(done.stdout)
    assert sorted({r[0] for r in rows}) == sorted(SHAPES), done.stdout
    assert len(rows) == 2 * len(SHAPES), done.stdout
    for shape, lines, size, seconds, peak, parser, note in rows:
        assert 80 <= int(lines) <= 300 and int(size) > 0 and float(seconds) > 0, (shape, lines)
        assert int(peak) > 0 and int(parser) > 0, (shape, peak, parser)
        assert note.endswith("fix(es)"), (shape, note)  # not an error
    for shape in SHAPES:
        assert re.search(rf"^(PASS|FAIL) {re.escape(shape)}: exponent -?[\d.]+ \(<= 1.2\)$", done.stdout, re.M)
