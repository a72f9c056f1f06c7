"""A seeded mutator over the Dockerfiles of the tests: every mutant goes through the
engine with every offline fixer. Any exception out of ``run_fixers``, and any
:class:`InternalError` (a fixer or the engine crashed on the file), fails; so does an
error without a line, or a result that is not a fixed point of the fixers."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from fixers.base import Context
from fixers.engine import InternalError, run_fixers
from fixers.registry import FIXERS, by_name

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted(p for p in ROOT.rglob("*") if p.is_file() and ("Dockerfile" in p.name or p.suffix == ".Dockerfile"))
TOKENS = [
    b"\\\n", b"\\", b"`\n", b"\n", b"\r\n", b"\x00", b"\xff", b"${a:-", b"}", b"${", b"$a", b"<<EOF\n", b"EOF\n",
    b"<<-'X'\n", b"X\n", b"FROM ", b"FROM ${BASE} AS s\n", b"ARG BASE=alpine\n", b" AS ", b"--from=0 ", b"--mount=",
    b"# escape=`\n", b"# syntax=x\n", b"# dockmend ignore=DM104\n", b"#", b'"', b"'", b"[", b"]", b'["a"', b"&&",
    b";", b"|", b"(", b")", b"RUN apt-get install -y x\n", b"COPY . /\n", b"USER root\n", b"ONBUILD ", b"exec ",
    b"CMD ", b"ENTRYPOINT [\"/e.sh\"]\n", b"SHELL [\"cmd\"]\n", b"\t", b" ", b"=", b"\xef\xbb\xbf",
]  # fmt: skip
MUTANTS = 1500
SECONDS = 30


def mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(data))
        kind = rng.randrange(5)
        if kind == 0:
            data = data[:at] + rng.choice(TOKENS) + data[at:]
        elif kind == 1:
            data = data[:at] + data[at + rng.randint(1, 40) :]
        elif kind == 2:  # a span repeated
            span = data[at : at + rng.randint(1, 60)]
            data = data[:at] + span * rng.randint(2, 30) + data[at:]
        elif kind == 3:  # two lines swapped
            lines = data.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        else:
            data = data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[at:]
    return data


def test_there_are_seeds() -> None:
    assert len(SEEDS) >= 10


@pytest.mark.parametrize("seed", [15])
def test_mutants_never_crash_the_engine(seed: int) -> None:
    rng = random.Random(seed)
    fixers, names = [f for f in FIXERS.values() if not f.NEEDS_NETWORK], by_name()
    sources = [p.read_bytes() for p in SEEDS]
    deadline = time.monotonic() + SECONDS
    done = 0
    while done < MUTANTS and time.monotonic() < deadline:
        data = mutate(rng, rng.choice(sources))
        report = run_fixers("Dockerfile", data, Context(offline=True), fixers, names)
        assert not isinstance(report.error, InternalError), (data, report.error)
        if report.error is not None:
            assert report.error.line >= 1 and report.error.message, data
        elif report.changed:
            again = run_fixers("Dockerfile", report.after, Context(offline=True), fixers, names)
            assert again.error is None and not again.changed, (data, report.after, again.error)
        done += 1
    assert done >= 100  # enough mutants ran within the time
