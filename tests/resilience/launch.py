"""``dockmend run --config FILE`` as a process of its own, and ``kill -9`` of it.

:class:`Bot` writes the configuration file a user would write for the forge (the token
by reference, the state database in ``DOCKMEND_DATABASE_URL``) and starts the real
command. :meth:`Bot.kill` is the callback a fault :class:`~tests.emulators.faults.Trigger`
calls from inside the emulator: SIGKILL, then wait until the process is dead, so that
no request of it arrives after the one that triggered.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.errors import DockmendError
from bot.settings import config
from bot.state import db, leases
from tests.integration import estate
from tests.integration.forges import Forge

ROOT = Path(__file__).resolve().parents[2]
PACING = "seconds_between_requests: 0, seconds_between_writes: 0"
TIMEOUT = 240  # seconds; a hung run fails the test instead of CI


@dataclass(frozen=True)
class Ran:
    exit_code: int  # negative: killed by that signal
    out: str
    err: str


def pacing_keys_exist(tmp: Path) -> bool:
    """Whether the github platform settings can switch PyGithub's pacing off."""
    probe = tmp / "probe.yaml"
    probe.write_text(f"platforms:\n  gh: {{type: github, token: ${{GITHUB_TOKEN}}, {PACING}}}\n")
    try:
        config.load(probe)
    except DockmendError:
        return False
    return True


class Bot:
    def __init__(self, forge: Forge, tmp: Path, *, max_requests: int = 50, extra: str = "") -> None:
        self.forge, self.tmp = forge, tmp
        self.max_requests, self.extra = max_requests, extra
        self.database = f"sqlite:///{tmp / 'state.db'}"
        self.paced_by_config = forge.kind == "github" and pacing_keys_exist(tmp)
        self.proc: subprocess.Popen[str] | None = None

    def config_file(self) -> Path:
        em = self.forge.em  # type: ignore[attr-defined]
        if self.forge.kind == "github":
            pacing = f", {PACING}" if self.paced_by_config else ""
            platform = f"gh: {{type: github, url: {em.url}, token: ${{GITHUB_TOKEN}}{pacing}}}"
            where = f"platform: gh, owner: {estate.OWNER}"
        else:
            platform = f"gl: {{type: gitlab, url: {em.url}, token: ${{GITLAB_TOKEN}}}}"
            where = f"platform: gl, group: {estate.OWNER}"
        path = self.tmp / "dockmend.yaml"
        path.write_text(
            f"platforms:\n  {platform}\n"
            f"targets:\n  - {{name: acme, {where}, max_requests: {self.max_requests}, labels: [dockmend],"
            " onboarding: false}\n"
            f"{self.extra}"
        )
        return path

    def command(self, offline: bool, kill_in: str) -> tuple[list[str], dict[str, str]]:
        hooks = {"DOCKMEND_TEST_KILL_IN": kill_in} if kill_in else {}
        if self.forge.kind == "github" and not self.paced_by_config:
            hooks["DOCKMEND_TEST_UNTHROTTLED"] = "1"
        dockmend = shutil.which("dockmend")
        program = [sys.executable, "-m", "tests.resilience.child"] if hooks or not dockmend else [dockmend]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.tmp),
            "XDG_CACHE_HOME": str(self.tmp / "cache"),
            "PYTHONPATH": str(ROOT),
            "DOCKMEND_DATABASE_URL": self.database,
            **self.forge.env,
            **hooks,
        }
        arguments = ["run", "--config", str(self.config_file()), *(["--offline"] if offline else [])]
        return [*program, *arguments], env

    def run(self, *, offline: bool = True, kill_in: str = "") -> Ran:
        argv, env = self.command(offline, kill_in)
        self.proc = subprocess.Popen(
            argv, env=env, cwd=self.tmp, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = self.proc.communicate(timeout=TIMEOUT)
        return Ran(self.proc.returncode, out, err)

    def kill(self) -> None:
        """SIGKILL the running command and wait for it to be gone (a zombie makes no request)."""
        assert self.proc is not None, "not started"
        self.proc.send_signal(signal.SIGKILL)
        stat = Path(f"/proc/{self.proc.pid}/stat")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.005)
        raise AssertionError(f"process {self.proc.pid} survived SIGKILL")

    def lease_runs_out(self) -> None:
        """What the passing of the lease's TTL does for a killed run: its lease expires."""
        engine, sessions = db.open_database(self.database)
        try:
            with sessions() as session:
                leases.purge_expired(session, now=datetime.now(UTC) + timedelta(days=1))
        finally:
            engine.dispose()
