"""The dashboard in a real headless Chromium (Debian's), driven by playwright-core.

Needs ``apt-get install chromium`` and ``npm ci --prefix tests/web/browser``; skips
otherwise. The README's screenshot comes from a live service (``test_browser_live.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.apps import TOKEN, app
from tests.web.serving import serve

HERE = Path(__file__).resolve().parent / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node is missing"
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is missing (npm ci --prefix tests/web/browser)"
    return None


@pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
def test_dashboard_in_chromium(tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"
    env = {**os.environ, "DOCKMEND_TOKEN": TOKEN, "CHROMIUM": str(CHROMIUM)}
    with serve(app()) as base:
        done = subprocess.run(
            ["node", str(HERE / "dashboard.mjs"), base, str(shot)],
            env=env, capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout.strip().splitlines()[-1])
    assert page["url"] == f"{base}/" and page["title"] == "dockmend"
    assert page["headings"] == ["Open requests", "Recent runs", "Next scheduled runs", "Repositories with findings"]
    assert len(page["runs"]) == 4 and "20250310T060000Z-9f3a21" in page["runs"][1] and "ok" in page["runs"][1]
    assert [
        "#412 dockmend: pin base images, clean apt caches",
        "https://github.example.com/acme/payments-api/pull/412",
    ] in page["requests"]
    assert len(page["requests"]) == 3
    assert page["stylesLoaded"] == "rgb(22, 27, 38)"  # the stylesheet applied (CSP allows it)
    assert shot.stat().st_size > 10_000
