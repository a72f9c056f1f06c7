"""Benchmark: ``dockmend run`` over a synthetic organisation, first run and unchanged rescan.

    python bench/org_scan.py [--forge github|gitlab|both] [--repos 1000] [--latency 0.05] [--concurrency 4]

For each forge: an emulator (in its own process, so that the peak RSS is the bot's
alone) seeded with N repositories (``bench/synthetic.py``: 70% without a Dockerfile,
20% clean, some with several, 10% needing fixes) answers every call after ``--latency``
seconds. The bot runs through :class:`~bot.engine.run.Runner` with the platforms a user's
configuration builds (no pauses between calls, ``concurrency`` repositories at once),
offline, with a fresh SQLite state database; then again with nothing changed. Printed
per run: requests in total, per repository and by kind, the minimum the design allows
and the ratio, wall time against the latency lower bound, peak RSS, the PASS/FAIL of
issue 7's targets, and the routes of the requests above the minimum. ``both`` runs each
forge in a process of its own. Exit status 0 whatever the figures: it is a benchmark.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.org_figures import RunFigures, report
from bench.synthetic import CLEAN, FIXES, NONE, OWNER, SynthRepo, blob_sha, organisation
from bot.engine.options import RunOptions
from bot.engine.report import PlainReporter, RunSummary
from bot.engine.run import UNCHANGED, Runner
from bot.platforms import build_platform
from bot.service.memory import StateMemory
from bot.service.record import record_summary
from bot.settings import config
from bot.state import db, store
from bot.state.requests import ignored_codes

SYNTHETIC = Path(__file__).resolve().parent / "synthetic.py"
TOKEN_ENV = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}


class Emulator:
    """``bench/synthetic.py`` in a child process: seeded, serving, its log on request."""

    def __init__(self, forge: str, repos: int, latency: float, root: Path, token: str) -> None:
        command = [sys.executable, str(SYNTHETIC), "--forge", forge, "--repos", str(repos)]
        command += ["--latency", str(latency), "--root", str(root)]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "BENCH_TOKEN": token}
        )
        hello = json.loads(self._line())
        self.url: str = hello["url"]
        self.seed_seconds: float = hello["seconds"]
        self.cpu = 0.0  # the emulator's CPU seconds (with its git processes) at the last log

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator exited ({self.proc.wait()})")
        return line

    def _send(self, command: str) -> None:
        stdin: IO[str] | None = self.proc.stdin
        assert stdin is not None
        stdin.write(command + "\n")
        stdin.flush()

    def log(self) -> tuple[list[tuple[str, str, int]], float]:
        """Requests since the last call, and the emulator's CPU seconds spent meanwhile."""
        self._send("log")
        answer = json.loads(self._line())
        spent, self.cpu = answer["cpu"] - self.cpu, answer["cpu"]
        return [(m, p, s) for m, p, s in answer["requests"]], spent

    def close(self) -> None:
        self._send("quit")
        self.proc.wait(timeout=30)


def config_text(forge: str, url: str, repos: int, concurrency: int) -> str:
    env = TOKEN_ENV[forge]
    if forge == "github":
        platform = (
            f"gh: {{type: github, url: {url}, token: ${{{env}}}, concurrency: {concurrency}, "
            "seconds_between_requests: 0, seconds_between_writes: 0}"
        )
        target = f"{{name: acme, platform: gh, owner: {OWNER}, max_requests: {repos}, onboarding: false}}"
    else:
        platform = f"gl: {{type: gitlab, url: {url}, token: ${{{env}}}, concurrency: {concurrency}}}"
        target = f"{{name: acme, platform: gl, group: {OWNER}, max_requests: {repos}, onboarding: false}}"
    return f"platforms:\n  {platform}\ntargets:\n  - {target}\n"


def results(summary: RunSummary) -> Counter[str]:
    counted: Counter[str] = Counter()
    for r in summary.results:
        reason = "unchanged" if r.reason == UNCHANGED else r.reason.split(" (")[0]
        counted[f"{r.status} ({reason})" if r.status == "skipped" else r.status] += 1
    return counted


def one_run(
    path: Path, env: dict[str, str], sessions: sessionmaker[Session], run_id: str
) -> tuple[RunSummary, float, str]:
    """A run as ``dockmend run --offline`` makes it (``bot.cli.serve.run_recorded``): platforms
    built afresh from the file, chat ``ignore`` codes and the last scans read from the state
    database, the run and the scans recorded in one transaction at the end."""
    started = time.perf_counter()
    cfg = config.load(path)
    platforms = {name: build_platform(s, env) for name, s in cfg.platforms.items()}
    out, err = io.StringIO(), io.StringIO()
    memory = StateMemory(sessions)
    ignored = ignored_codes(sessions)
    options = RunOptions(offline=True, run_id=run_id, memory=memory, ignored=ignored)
    with sessions.begin() as session:
        store.start_run(session, cfg.targets[0].name, "cli", run_id=run_id)
    summary = Runner(cfg, platforms, PlainReporter(out, err), options).run()
    counts = record_summary(sessions, summary, {t.name: t.target.platform for t in cfg.targets}, memory=memory)
    with sessions.begin() as session:
        store.finish_run(session, run_id, "failed" if summary.failed else "ok", counts)
    return summary, time.perf_counter() - started, err.getvalue()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def describe(forge: str, org: list[SynthRepo], args: argparse.Namespace, seeding: float) -> list[str]:
    kinds = Counter(r.kind for r in org)
    several = sum(len(r.dockerfiles) > 1 for r in org)
    return [
        f"== org_scan {forge}: {len(org)} repositories ({kinds[NONE]} without Dockerfile, {kinds[CLEAN]} clean, "
        f"{kinds[FIXES]} needing fixes; {sum(len(r.dockerfiles) for r in org)} Dockerfiles, {several} repositories "
        f"with several), latency {args.latency} s, concurrency {args.concurrency}",
        f"seeding            {seeding:.2f} s (git fast-import into one pool, repositories as alternates)",
    ]


def bench_forge(forge: str, args: argparse.Namespace) -> None:
    org = organisation(args.repos)
    dockerfile_blobs = frozenset(blob_sha(r.files[p]) for r in org for p in r.dockerfiles)
    token = f"bench-{secrets.token_hex(16)}"
    with tempfile.TemporaryDirectory(prefix="org-scan-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "git").mkdir()
        emulator = Emulator(forge, args.repos, args.latency, tmp / "git", token)
        engine, sessions = db.open_database(f"sqlite:///{tmp / 'state.db'}")
        try:
            for line in describe(forge, org, args, emulator.seed_seconds):
                print(line, flush=True)
            path = tmp / "dockmend.yaml"
            path.write_text(config_text(forge, emulator.url, args.repos, args.concurrency))
            for number, label in ((1, "run 1 (first, fresh state database)"), (2, "run 2 (nothing changed)")):
                cpu = cpu_seconds()
                summary, wall, _log = one_run(path, {TOKEN_ENV[forge]: token}, sessions, f"bench-{number}")
                first, (log, emulator_cpu) = number == 1, emulator.log()
                figures = RunFigures(
                    label, args.repos, log, wall, peak_rss_mb(), args.latency, args.concurrency,
                    dockerfile_blobs,
                    dockerfiles=sum(len(r.dockerfiles) for r in org) if first else 0,
                    trees=len(org) if first else 0,
                    results=results(summary), cpu=(cpu_seconds() - cpu, emulator_cpu),
                )  # fmt: skip
                for line in report(figures, first):
                    print(line, flush=True)
                failed = [f"{r.repo}: {r.reason}" for r in summary.results if r.status == "failed"]
                if failed:
                    print("  failed repositories:\n    " + "\n    ".join(failed[:10]))
        finally:
            engine.dispose()
            emulator.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--forge", choices=("github", "gitlab", "both"), default="both")
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the emulator waits before each answer")
    parser.add_argument("--concurrency", type=int, default=4, help="repositories worked on at once (the platform's)")
    args = parser.parse_args(argv)
    if args.forge == "both":  # a process per forge: each peak RSS is its own
        for forge in ("github", "gitlab"):
            rest: list[Any] = ["--repos", args.repos, "--latency", args.latency, "--concurrency", args.concurrency]
            subprocess.run([sys.executable, __file__, "--forge", forge, *map(str, rest)], check=False)
        return 0
    bench_forge(args.forge, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
