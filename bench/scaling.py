"""Benchmark: how the fixer engine scales with a Dockerfile's size, shape by shape.

    python bench/scaling.py [--sizes 1000,10000,50000] [--shapes apt,copy,...]
                            [--select CODES] [--ignore CODES] [--timeout S]

For each shape (below) and size (lines), a synthetic file is fixed by every selected
fixer (offline: no registry) in a fresh process, which reports the engine's wall time
and its peak memory (the process's peak RSS, and the BuildKit parser child's, which
parses the files over the in-process bound of fixers.buildkit.in_process). Per shape
it prints the figures and the exponent fitted to time ~ lines^k (least squares on the
logarithms), then PASS/FAIL per target:

* every shape's exponent is at most 1.2 (linear, or n log n, in the file's size);
* a 50,000-line file is fixed in under 10 s and under 200 MB (the largest size run).

Exit status 1 if any target fails. The shapes:

apt       RUN apt-get install blocks with one package per continuation line
copy      COPY then RUN, over and over (what DM103 reorders)
heredoc   RUN <<EOF heredocs of shell lines
mixed     stages of ARG/ENV/WORKDIR/COPY --from/RUN/USER/EXPOSE/CMD, each from the previous
from-arg  30 stages ``FROM ${BASE} AS sN`` (a global ARG), each with a body
chained   a chain of stages, each ``FROM`` the previous (10,000 lines: 2,500 stages)
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
MAX_EXPONENT = 1.2
LARGE = 50_000
MAX_SECONDS = 10.0
MAX_MB = 200.0


def _fill(head: list[str], block: Callable[[int], list[str]], lines: int) -> str:
    """Whole blocks only (a cut block may not parse), as many as fit in ``lines``."""
    out = list(head)
    i = 0
    while len(out) + len(block(i)) <= lines:
        out += block(i)
        i += 1
    return "\n".join(out) + "\n"


def apt(lines: int) -> str:
    def block(i: int) -> list[str]:
        return ["RUN apt-get update && apt-get install -y \\", *[f"    p{i}x{k} \\" for k in range(7)], "    z"]

    return _fill(["FROM debian:12"], block, lines)


def copy(lines: int) -> str:
    return _fill(["FROM alpine:3.19"], lambda i: [f"COPY f{i} /f{i}", f"RUN make t{i}"], lines)


def heredoc(lines: int) -> str:
    def block(i: int) -> list[str]:
        return ["RUN <<EOF", *[f"echo {i}.{k}" for k in range(8)], "EOF"]

    return _fill(["FROM alpine:3.19"], block, lines)


def mixed(lines: int) -> str:
    def block(i: int) -> list[str]:
        base = f"b{i - 1}" if i else "golang:1.22"
        return [
            f"FROM {base} AS b{i}",
            f"ARG V{i}=1",
            f"ENV P{i}=/o/{i}",
            f"WORKDIR /w{i}",
            *([f"COPY --from=b{i - 1} /o /o"] if i else []),
            f"COPY s{i} .",
            f"RUN go build -o /o/{i} .",
            "RUN apk add --no-cache git",
            "USER 1000",
            f"EXPOSE {8000 + i % 1000}",
            f'CMD ["/o/{i}"]',
        ]

    return _fill([], block, lines)


def from_arg(lines: int) -> str:
    per = max((lines - 1) // 30 - 1, 1)

    def block(i: int) -> list[str]:
        body = [f"RUN echo {i}.{k}" if k % 2 else f"COPY f{i}.{k} /f" for k in range(per)]
        return [f"FROM ${{BASE}} AS s{i}", *body]

    return "\n".join(["ARG BASE=alpine:3.19", *[line for i in range(30) for line in block(i)]]) + "\n"


def chained(lines: int) -> str:
    def block(i: int) -> list[str]:
        return [f"FROM s{i - 1} AS s{i}", f"RUN echo {i}", f"ENV K{i}={i}", f"COPY f{i} /f{i}"]

    return _fill(["FROM alpine:3.19 AS s-1"], block, lines)


SHAPES: dict[str, Callable[[int], str]] = {
    "apt": apt,
    "copy": copy,
    "heredoc": heredoc,
    "mixed": mixed,
    "from-arg": from_arg,
    "chained": chained,
}


def measure(shape: str, lines: int, select: Sequence[str], ignore: Sequence[str]) -> dict[str, object]:
    """In this (fresh) process: fix one synthetic file, report time and peak memory."""
    from fixers import buildkit
    from fixers.base import Context
    from fixers.engine import run_fixers
    from fixers.registry import by_name
    from fixers.registry import select as choose

    data = SHAPES[shape](lines).encode()
    fixers = choose(select, ignore)
    buildkit.prepare()  # the parser's loading and its child's start are not the file's
    start = time.perf_counter()
    report = run_fixers("Dockerfile", data, Context(offline=True), fixers, by_name(), parse_timeout=600)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    buildkit.shutdown()
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "shape": shape,
        "lines": data.count(b"\n"),
        "bytes": len(data),
        "seconds": seconds,
        "peak_mb": peak,
        "parser_mb": child,
        "error": report.error.message if report.error else None,
        "fixes": len(report.fixes),
    }


def exponent(points: Sequence[tuple[float, float]]) -> float:
    """The slope of log(seconds) against log(lines), least squares."""
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(max(y, 1e-6)) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def run_one(shape: str, lines: int, args: argparse.Namespace) -> dict[str, object]:
    command = [sys.executable, str(Path(__file__).resolve()), "--one", shape, str(lines)]
    command += [f"--select={','.join(args.select)}", f"--ignore={','.join(args.ignore)}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return {"shape": shape, "lines": lines, "timeout": args.timeout}
    if done.returncode:
        return {"shape": shape, "lines": lines, "crash": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=f"1000,10000,{LARGE}", help="lines, comma-separated")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated, of: " + ", ".join(SHAPES))
    parser.add_argument("--select", default="", help="fixer codes or names (default: all)")
    parser.add_argument("--ignore", default="", help="fixer codes or names left out")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per measurement")
    parser.add_argument("--one", nargs=2, metavar=("SHAPE", "LINES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.select = [s for s in args.select.split(",") if s]
    args.ignore = [s for s in args.ignore.split(",") if s]
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.select, args.ignore)))
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(unknown)}")
    failed = False
    print(f"{'shape':10} {'lines':>7} {'bytes':>9} {'seconds':>9} {'peak MB':>8} {'parser MB':>9}  result")
    for shape in shapes:
        points: list[tuple[float, float]] = []
        for size in sizes:
            got = run_one(shape, size, args)
            if "timeout" in got or "crash" in got:
                why = f"over {args.timeout:g} s" if "timeout" in got else f"crashed: {got['crash']}"
                print(f"{shape:10} {size:>7} {'':>9} {'':>9} {'':>8} {'':>9}  {why}")
                print(f"FAIL {shape}: {size} lines {why}")
                failed = True
                break
            seconds, peak = float(str(got["seconds"])), float(str(got["peak_mb"]))
            note = f"error: {got['error']}" if got["error"] else f"{got['fixes']} fix(es)"
            print(
                f"{shape:10} {got['lines']:>7} {got['bytes']:>9} {seconds:>9.3f} {peak:>8.0f} "
                f"{float(str(got['parser_mb'])):>9.0f}  {note}"
            )
            if got["error"]:
                print(f"FAIL {shape}: {size} lines: {got['error']}")
                failed = True
            points.append((float(str(got["lines"])), seconds))
            if size == sizes[-1] and size >= LARGE:
                ok = seconds < MAX_SECONDS and peak < MAX_MB
                print(
                    f"{'PASS' if ok else 'FAIL'} {shape}: {size} lines in {seconds:.2f} s "
                    f"(< {MAX_SECONDS:g}), {peak:.0f} MB (< {MAX_MB:g})"
                )
                failed |= not ok
        if len(points) >= 2:
            k = exponent(points)
            print(f"{'PASS' if k <= MAX_EXPONENT else 'FAIL'} {shape}: exponent {k:.2f} (<= {MAX_EXPONENT})")
            failed |= k > MAX_EXPONENT
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
