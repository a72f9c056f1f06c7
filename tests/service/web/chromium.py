"""Debian's Chromium driven by playwright-core under node, for the dashboard tests.

Needs ``apt-get install chromium`` and ``npm ci --prefix tests/service/web/browser``;
:func:`missing` says what is not there (the tests skip with that reason).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node is missing"
    if not (SCRIPTS / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is missing (npm ci --prefix tests/service/web/browser)"
    return None


def drive(script: str, base: str, shot: Path, token: str) -> dict[str, Any]:
    """Run ``browser/SCRIPT`` against the app at ``base``; what it reports (its last stdout line).

    The token goes to the script in its environment, never on its command line."""
    env = {**os.environ, "DOCKMEND_TOKEN": token, "CHROMIUM": str(CHROMIUM)}
    done = subprocess.run(
        ["node", str(SCRIPTS / script), base, str(shot)],
        env=env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report
