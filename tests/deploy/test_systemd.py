"""deploy/systemd/dockmend.service: the hardening and runtime settings the issue asks for,
and systemd's own verdict (`systemd-analyze verify` and `security`) where it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.files import DEPLOY, UNIT, config_references, env_example_names

ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (Debian: systemd)")
# systemd-analyze security's exposure, times ten: 1.4 today; "OK" ends at 2.0 (20).
MAX_EXPOSURE = 20


def _entries() -> dict[str, list[str]]:
    """``[Section]Key`` → its values in order (systemd keys may repeat)."""
    entries: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line
        elif line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            entries.setdefault(f"{section}{key.strip()}", []).append(value.strip())
    return entries


REQUIRED = [
    ("DynamicUser", "yes"),
    ("StateDirectory", "dockmend"),
    ("ProtectSystem", "strict"),
    ("ProtectHome", "yes"),
    ("PrivateTmp", "yes"),
    ("NoNewPrivileges", "yes"),
    ("CapabilityBoundingSet", ""),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
    ("SystemCallFilter", "@system-service"),
    ("Restart", "on-failure"),
    ("KillSignal", "SIGTERM"),
    ("EnvironmentFile", "/etc/dockmend/dockmend.env"),
    ("WorkingDirectory", "/var/lib/dockmend"),
    ("LimitNOFILE", "65536"),
]


@pytest.mark.parametrize(("key", "value"), REQUIRED, ids=[k for k, _ in REQUIRED])
def test_required_setting(key: str, value: str) -> None:
    assert value in _entries()[f"[Service]{key}"]


def test_serves_with_json_logs_and_state_in_the_state_directory() -> None:
    entries = _entries()
    (start,) = entries["[Service]ExecStart"]
    assert start.split()[1:] == ["serve", "--config", "/etc/dockmend/dockmend.yaml", "--log-format", "json"]
    environment = dict(e.split("=", 1) for e in entries["[Service]Environment"])
    assert environment["DOCKMEND_DATABASE_URL"] == "sqlite:////var/lib/dockmend/dockmend.db"
    assert int(re.sub(r"s$", "", entries["[Service]TimeoutStopSec"][0])) >= 30  # a running target finishes


def test_env_file_example_names_every_reference() -> None:
    assert config_references() <= env_example_names(DEPLOY / "systemd" / "dockmend.env.example")


def _checkable(tmp_path: Path, text: str) -> Path:
    """The unit with ExecStart on a program that exists here (verify checks it is executable)."""
    unit = tmp_path / "dockmend.service"
    unit.write_text(text.replace("/opt/dockmend/bin/dockmend", sys.executable), encoding="utf-8")
    return unit


@needs_systemd
@pytest.mark.parametrize(("extra", "clean"), [("", True), ("ProtectHomes=yes\n", False)], ids=["unit", "typo"])
def test_systemd_analyze_verify(tmp_path: Path, extra: str, clean: bool) -> None:
    text = UNIT.read_text(encoding="utf-8").replace("[Install]", extra + "\n[Install]")
    proc = subprocess.run([str(ANALYZE), "verify", str(_checkable(tmp_path, text))], capture_output=True, text=True)
    assert (proc.returncode == 0 and not proc.stderr.strip()) is clean, proc.stderr


@needs_systemd
def test_systemd_security_exposure_stays_low(tmp_path: Path) -> None:
    unit = _checkable(tmp_path, UNIT.read_text(encoding="utf-8"))
    args = [str(ANALYZE), "security", "--offline=yes", f"--threshold={MAX_EXPOSURE}", str(unit)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
