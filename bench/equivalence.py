"""Benchmark: build every equivalence pair before and after its rewrite and compare the images.

    python bench/equivalence.py [--fixer DM104 …] [--no-corpus] [--probes] [--jobs 2]

Prints, per fixer, the pairs and images built, how many stayed within the fixer's
declaration (equivalent), and every pair that did not, with its diff; then the wall
time and whether the base-image cache was warm. Needs what the equivalence tests need
(buildah, debootstrap, skopeo, umoci, docker-registry, busybox-static; root).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.equivalence import bases
from tests.equivalence.cases import Case, dm103, dm104, dm105, dm106, dm107, dm108, dm109, dm110, dm111, probes
from tests.equivalence.cases.corpus import corpus_cases
from tests.equivalence.pairs import Outcome, Pairs
from tests.equivalence.session import Unavailable, environment


def select(args: argparse.Namespace) -> list[Case]:
    cases = [
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
    cases += [] if args.no_corpus else corpus_cases()[0]
    cases += [*probes.MUTANTS, *probes.CONTROLS] if args.probes else []
    return [c for c in cases if not args.fixer or c.code in args.fixer]


def table(outcomes: list[Outcome]) -> str:
    # pairs, images, equivalent, not equivalent, skipped or failed, seconds (of the pairs, of comparing)
    rows: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0.0, 0.0])
    for o in outcomes:
        kind = " corpus" if o.case.id.startswith("corpus/") else ""
        kind += "" if o.case.expect == "within" else f" ({o.case.expect})"
        row = rows[o.case.code + kind]
        row[0] += 1
        row[1] += o.builds
        row[2] += o.equivalent and not o.skipped
        row[3] += bool(o.outside)
        row[4] += bool(o.skipped or o.error)
        row[5] += o.seconds
        row[6] += o.compare_seconds
    head = ("fixer", "pairs", "images", "equivalent", "not equiv.", "skip/err", "pair s", "compare s")
    widths = (22, 5, 6, 10, 10, 8, 7, 9)
    lines = [" ".join(f"{h:>{w}}" if i else f"{h:<{w}}" for i, (h, w) in enumerate(zip(head, widths, strict=True)))]
    for code in sorted(rows):
        numbers = (f"{n:>{w}.0f}" for n, w in zip(rows[code], widths[1:], strict=True))
        lines.append(" ".join((f"{code:<22}", *numbers)))
    return "\n".join(lines)


def details(outcomes: list[Outcome]) -> str:
    parts = []
    for o in outcomes:
        if o.outside or o.error or o.skipped:
            parts.append(o.report())
    return "\n\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixer", action="append", help="only this fixer's pairs (repeatable)")
    parser.add_argument("--no-corpus", action="store_true", help="leave out the corpus pairs")
    parser.add_argument("--probes", action="store_true", help="add the wrong rewrites and the controls")
    parser.add_argument("--jobs", type=int, default=2, help="pairs built at a time (default 2)")
    args = parser.parse_args()
    cases = select(args)
    warm = any(bases.cache_root().glob("debian-*/index.json"))
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dockmend-equivalence-") as tmp:
        try:
            with environment(Path(tmp), cases) as env:
                ready = time.monotonic() - start
                runner = Pairs(env, Path(tmp), args.jobs)
                runner.submit(cases)
                outcomes = [runner.result(c) for c in cases]
                runner.close()
        except Unavailable as exc:
            print(f"cannot build here: {exc}", file=sys.stderr)
            return 2
    wall = time.monotonic() - start
    print(table(outcomes))
    if text := details(outcomes):
        print(f"\n{text}")
    print(
        f"\n{len(outcomes)} pairs in {wall:.0f} s ({'warm' if warm else 'cold'} base cache; ready after {ready:.0f} s)"
    )
    bad = [o for o in outcomes if o.error or (o.outside and o.case.expect != "outside")]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
