"""DM111 merge-install-runs: consecutive install RUNs of one manager merged into one."""

from __future__ import annotations

import pytest

from fixers.base import Risk
from fixers.rules import merge_install_runs
from tests.fixers.helpers import fixed, run

CHANGED = [
    (
        "FROM python:3.12\nRUN pip install numpy\nRUN pip install pandas\n\nRUN pip3 install scipy\n",
        "FROM python:3.12\nRUN pip install numpy \\\n    && pip install pandas \\\n    && pip3 install scipy\n",
    ),
    # one update, the cleanup once at the end; a multi-line install keeps its lines
    (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y \\\n  b \\\n  c && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\n"
        "RUN apt-get update \\\n    && apt-get install -y a \\\n    && apt-get install -y \\\n        b \\\n"
        "        c \\\n    && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        'FROM alpine:3.20\nRUN apk add --no-cache curl\nRUN apk add --no-cache git\nCMD ["sh"]\n',
        'FROM alpine:3.20\nRUN apk add --no-cache curl \\\n    && apk add --no-cache git\nCMD ["sh"]\n',
    ),
    (
        "FROM fedora:40\nRUN dnf install -y gcc\nRUN yum install -y make && yum clean all\n",
        "FROM fedora:40\nRUN dnf install -y gcc \\\n    && yum install -y make \\\n    && yum clean all\n",
    ),
    # CRLF files keep their line ends
    (
        "FROM debian:12\r\nRUN apt-get install -y a\r\nRUN apt-get install -y b\r\n",
        "FROM debian:12\r\nRUN apt-get install -y a \\\r\n    && apt-get install -y b\r\n",
    ),
]

UNCHANGED = [
    # a comment documents one of them; something between; other managers
    "FROM python:3.12\nRUN pip install numpy\n# for the docs\nRUN pip install sphinx\n",
    "FROM python:3.12\nRUN pip install numpy\nENV X=1\nRUN pip install pandas\n",
    "FROM python:3.12\nRUN pip install numpy\nRUN apt-get install -y curl\n",
    # a RUN that does more than install, a --mount, a heredoc, JSON form, a `;` or `||`
    "FROM python:3.12\nRUN pip install numpy\nRUN pip install pandas && python -c 'import pandas'\n",
    "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install a\nRUN pip install b\n",
    "FROM python:3.12\nRUN pip install a\nRUN <<EOF\npip install b\nEOF\n",
    'FROM python:3.12\nRUN pip install a\nRUN ["pip", "install", "b"]\n',
    "FROM python:3.12\nRUN pip install a; pip install b\nRUN pip install c\n",
    "FROM python:3.12\nRUN pip install a || true\nRUN pip install c\n",
    # the lists removed by the first are what the second installs from
    "FROM debian:12\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\n"
    "RUN apt-get install -y b\n",
    # different stages
    "FROM python:3.12 AS a\nRUN pip install a\nFROM python:3.12\nRUN pip install b\n",
]


@pytest.mark.parametrize(("before", "after"), CHANGED)
def test_changed(before: str, after: str) -> None:
    assert fixed(merge_install_runs, before) == after


@pytest.mark.parametrize("text", UNCHANGED)
def test_unchanged(text: str) -> None:
    report = run(merge_install_runs, text)
    assert report.after.decode() == text
    assert not report.fixes


def test_one_fix_per_merged_chain_is_a_review() -> None:
    report = run(merge_install_runs, "FROM python:3.12\nRUN pip install a\nRUN pip install b\n")
    [applied] = report.fixes
    assert (applied.line, applied.code, applied.risk) == (2, "DM111", Risk.REVIEW)
    assert "2 consecutive pip install RUNs (lines 2-3)" in applied.message
