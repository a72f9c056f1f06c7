from __future__ import annotations

from pathlib import Path

import pytest

from fixers.rules import root_user
from fixers.rules.root_user import is_root, resolve
from tests.fixers.helpers import corpus_report, run

CASES = [
    # no USER: reported on the final stage's FROM
    ("FROM debian\nRUN true\n", [(1, "DM206")]),
    ("FROM golang AS build\nUSER 1000\nFROM debian\nCOPY --from=build /x /x\n", [(3, "DM206")]),
    ("FROM debian AS base\nRUN true\nFROM base\nRUN true\n", [(3, "DM206")]),
    ("from debian\r\nrun true\r\n", [(1, "DM206")]),
    # root by name, number, with a group, or through a variable
    ("FROM debian\nUSER root\n", [(2, "DM206")]),
    ("FROM debian\nUSER 0\n", [(2, "DM206")]),
    ("FROM debian\nUSER root:root\n", [(2, "DM206")]),
    ("FROM debian\nUSER 0:0\n", [(2, "DM206")]),
    ("FROM debian\nUSER 0:1000\n", [(2, "DM206")]),
    ("FROM debian\nUSER app\nRUN x\nUSER root\nCMD app\n", [(4, "DM206")]),
    ("FROM debian\nARG RUN_AS=root\nUSER $RUN_AS\n", [(3, "DM206")]),
    ('FROM debian\nARG USER_ID=0\nUSER "$USER_ID:$USER_ID"\n', [(3, "DM206")]),
    ("ARG UID=0\nFROM debian\nARG UID\nUSER ${UID}\n", [(4, "DM206")]),
    ("FROM debian\nARG APP_USER\nUSER ${APP_USER:-root}\n", [(3, "DM206")]),
    # inherited through the stage chain
    ("FROM debian AS base\nUSER root\nFROM base\nRUN true\n", [(2, "DM206")]),
    ("FROM debian AS base\nUSER app\nFROM base\nUSER 0\n", [(4, "DM206")]),
    # non-root
    ("FROM debian\nUSER 1001\n", []),
    ("FROM debian\nUSER app:app\n", []),
    ("FROM debian\nUSER root\nRUN apt-get update\nUSER 1001\n", []),
    ("FROM debian AS base\nUSER 1001\nFROM base\nRUN true\n", []),
    ('FROM debian AS base\nUSER 1001\nFROM base AS mid\nRUN true\nFROM mid\nCMD ["app"]\n', []),
    ("FROM debian\nARG UID=1000\nENV APP_UID=${UID}\nUSER ${APP_UID}\n", []),
    ("ARG UID=0\nFROM debian\nUSER 1000\n", []),
    # unknown values and bases that set a user themselves: not reported
    ("FROM debian\nUSER $APP_UID\n", []),
    ("FROM debian\nUSER ${APP_UID:-0}\n", []),
    ("FROM debian\nARG UID\nUSER $UID\n", []),
    ("FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n", []),
    ("FROM jenkins/jenkins:lts\nRUN true\n", []),
    ("FROM registry.access.redhat.com/ubi9/python-312\nRUN true\n", []),
    ("FROM scratch\nCOPY app /app\n", []),
    ("ARG BASE\nFROM $BASE\nRUN true\n", []),
    ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerAdministrator\n", []),
    # a USER in an unrelated earlier stage does not count; ONBUILD USER neither
    ("FROM debian AS a\nUSER 1000\nFROM debian AS b\nONBUILD USER 1000\n", [(3, "DM206")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(root_user, text)
    assert report.error is None
    assert report.after == report.before
    assert [(f.line, f.code) for f in report.findings] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM debian\nUSER 0:0\n", "the final USER is 0:0"),
        ("FROM debian\nARG U=root\nUSER $U\n", "the final USER is $U (root)"),
        ("FROM debian\n", "the final stage sets no USER, so it runs as root unless its base image sets one"),
    ],
)
def test_messages(text: str, message: str) -> None:
    assert [f.message for f in run(root_user, text).findings] == [message]


@pytest.mark.parametrize(
    ("value", "scope", "expected"),
    [
        ("app", {}, "app"),
        ("$U", {"U": "1000"}, "1000"),
        ("${U}:${G}", {"U": "1000", "G": "0"}, "1000:0"),
        ("${U:-1001}", {"U": ""}, "1001"),
        ("${U:-1001}", {}, None),
        ("${U:+x}", {"U": ""}, ""),
        ("$U", {"U": ""}, None),
        ("$U", {}, None),
        ("$U", {"U": None}, None),
    ],
)
def test_resolve(value: str, scope: dict[str, str | None], expected: str | None) -> None:
    assert resolve(value, scope) == expected


@pytest.mark.parametrize(
    ("user", "root"),
    [("root", True), ("ROOT", True), ("0", True), ("000", True), ("0:1000", True), ("root:app", True)],
)
def test_is_root(user: str, root: bool) -> None:
    assert is_root(user) is root


@pytest.mark.parametrize("user", ["1000", "app", "1000:0", "rootless", "10"])
def test_is_not_root(user: str) -> None:
    assert is_root(user) is False


# Files of the corpus that showed a false positive or prove a true one.
REGRESSIONS = [
    ("qdrant__qdrant__Dockerfile", [(231, "DM206")]),  # ARG USER_ID=0, USER "$USER_ID:$USER_ID"
    ("jupyter__docker-stacks__images__docker-stacks-foundation__Dockerfile", []),  # ENV NB_UID=${NB_UID}
    ("apple__swift-docker__nightly-5.10__ubuntu__22.04__buildx__Dockerfile", []),  # FROM base-$TARGETARCH
    ("Azure__azure-functions-docker__host__3.0__nanoserver__1909__dotnet.Dockerfile", []),  # Windows
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), REGRESSIONS)
def test_corpus_regressions(corpus_files: list[Path], name: str, expected: list[tuple[int, str]]) -> None:
    report = corpus_report(root_user, corpus_files, name)
    assert [(f.line, f.code) for f in report.findings] == expected
