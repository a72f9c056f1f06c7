"""DM110 apt-update-with-install: a lone `RUN apt-get update` folded into its install."""

from __future__ import annotations

import pytest

from fixers.base import Risk
from fixers.rules import apt_update_with_install
from tests.fixers.helpers import fixed, run

CHANGED = [
    (
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    # flags of the update kept; the install's own layout kept
    (
        "FROM ubuntu:22.04\nRUN apt-get -qq update\nRUN apt-get install -y --no-install-recommends \\\n"
        "    curl \\\n    git\n",
        "FROM ubuntu:22.04\nRUN apt-get -qq update && apt-get install -y --no-install-recommends \\\n"
        "    curl \\\n    git \\\n    && rm -rf /var/lib/apt/lists/*\n",
    ),
    # harmless instructions between: an app COPY, a WORKDIR, an ENV the install does not use
    (
        "FROM debian:12\nRUN apt-get update -y\nWORKDIR /app\nCOPY . .\nENV PORT=8080\nRUN apt-get install -y curl\n",
        "FROM debian:12\nWORKDIR /app\nCOPY . .\nENV PORT=8080\n"
        "RUN apt-get update -y && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    # a later RUN still reads the lists: the update is folded, the lists kept
    (
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nRUN apt-get install -y git\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git\n",
    ),
    # the cleanup is already there: kept once
    (
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    # a builder stage that never ships: folded, not cleaned (DM104's rule)
    (
        "FROM debian:12 AS build\nRUN apt-get update\nRUN apt-get install -y gcc\n"
        "FROM debian:12\nCOPY --from=build /a /a\n",
        "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\n"
        "FROM debian:12\nCOPY --from=build /a /a\n",
    ),
]

UNCHANGED = [
    # something between could matter to the update, or depend on it
    "FROM debian:12\nRUN apt-get update\nUSER app\nRUN apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update\nCOPY sources.list /etc/apt/sources.list\nRUN apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update\nCOPY . .\nRUN apt-get install -y curl\n",  # WORKDIR unknown
    "FROM debian:12\nRUN apt-get update\nRUN curl -fsSL https://x/key | apt-key add -\nRUN apt-get install -y x\n",
    "FROM debian:12\nRUN apt-get update\nENV http_proxy=http://proxy:3128\nRUN apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update\nARG PKG=curl\nRUN apt-get install -y $PKG\n",
    'FROM debian:12\nRUN apt-get update\nSHELL ["/bin/bash", "-c"]\nRUN apt-get install -y curl\n',
    # the update does more, or is documented, or mounts something
    "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\nRUN apt-get install -y curl\n",
    "FROM debian:12\n# refresh the index\nRUN apt-get update\nRUN apt-get install -y curl\n",
    "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\nRUN apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update > /dev/null\nRUN apt-get install -y curl\n",
    # the install is not a plain `&&` chain starting with the install
    "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl || true\n",
    "FROM debian:12\nRUN apt-get update\nRUN set -eux; apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update\nRUN echo hi && apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update\nRUN <<EOF\napt-get install -y curl\nEOF\n",
    'FROM debian:12\nRUN apt-get update\nRUN ["apt-get", "install", "-y", "curl"]\n',
    # no install follows in the stage
    "FROM debian:12 AS a\nRUN apt-get update\nFROM a\nRUN apt-get install -y curl\n",
]


@pytest.mark.parametrize(("before", "after"), CHANGED)
def test_changed(before: str, after: str) -> None:
    assert fixed(apt_update_with_install, before) == after


@pytest.mark.parametrize("text", UNCHANGED)
def test_unchanged(text: str) -> None:
    report = run(apt_update_with_install, text)
    assert report.after.decode() == text
    assert not report.fixes


def test_one_fix_on_the_install_says_what_it_did() -> None:
    report = run(apt_update_with_install, "FROM debian:12\nRUN apt-get update\n\nRUN apt-get install -y curl\n")
    [applied] = report.fixes
    assert (applied.line, applied.code, applied.risk) == (4, "DM110", Risk.SAFE)
    assert "line 2" in applied.message and "rm -rf /var/lib/apt/lists/*" in applied.message
