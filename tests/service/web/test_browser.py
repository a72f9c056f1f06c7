"""The dashboard in a real headless Chromium (Debian's), driven by playwright-core.

Needs ``apt-get install chromium`` and ``npm ci --prefix tests/service/web/browser``; skips
otherwise. The README's screenshot comes from a live service (``test_browser_live.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.web.apps import TOKEN, app
from tests.service.web.chromium import drive, missing
from tests.service.web.serving import serve


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_dashboard_in_chromium(tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"
    with serve(app()) as base:
        page = drive("dashboard.mjs", base, shot, TOKEN)
    assert page["url"] == f"{base}/" and page["title"] == "dockmend"
    assert page["headings"] == [
        "Acceptance", "Waiting longest", "Open requests", "Recent runs", "Next scheduled runs",
        "Repositories with findings",
    ]  # fmt: skip
    assert len(page["runs"]) == 4 and "20250310T060000Z-9f3a21" in page["runs"][1] and "ok" in page["runs"][1]
    assert [
        "#412 dockmend: pin base images, clean apt caches",
        "https://github.example.com/acme/payments-api/pull/412",
    ] in page["requests"]
    assert len(page["requests"]) == 3
    assert page["stylesLoaded"] == "rgb(22, 27, 38)"  # the stylesheet applied (CSP allows it)
    assert shot.stat().st_size > 10_000
