from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from fixers import entrypoint as ep
from fixers.base import Context, ImageConfig, ImageUnreachable
from fixers.document import Document, Stage
from fixers.engine import run_fixers
from fixers.rules import exec_form
from tests.fixers.helpers import fixed, run

UNKNOWN_BASE = "CMD left in shell form: the ENTRYPOINT of the base image {} is unknown"

CHANGED = [
    # a CMD whose ENTRYPOINT is known to be empty: scratch, ENTRYPOINT [], a stage chain
    ("FROM scratch\nCMD nginx -g 'daemon off;'\n", 'FROM scratch\nCMD ["nginx", "-g", "daemon off;"]\n'),
    ("FROM scratch\nCMD exec /app --port 8080\n", 'FROM scratch\nCMD ["/app", "--port", "8080"]\n'),
    ("FROM scratch\ncmd /app\n", 'FROM scratch\ncmd ["/app"]\n'),
    ("FROM scratch\n  CMD   /app   \n", 'FROM scratch\n  CMD   ["/app"]\n'),
    ("FROM scratch\nCMD /app \"hello world\" ''\n", 'FROM scratch\nCMD ["/app", "hello world", ""]\n'),
    ("FROM scratch\nCMD /app --name 'café' --sep=,\n", 'FROM scratch\nCMD ["/app", "--name", "café", "--sep=,"]\n'),
    ("FROM scratch\nCMD /app '\"q\"'\n", 'FROM scratch\nCMD ["/app", "\\"q\\""]\n'),
    (
        "FROM scratch\nCMD /app \\\n    --verbose \\\n    --port=80\nLABEL a=b\n",
        'FROM scratch\nCMD ["/app", "--verbose", "--port=80"]\nLABEL a=b\n',
    ),
    ("FROM scratch\r\nCMD /app --x\r\nLABEL a=b\r\n", 'FROM scratch\r\nCMD ["/app", "--x"]\r\nLABEL a=b\r\n'),
    ("\ufeffFROM scratch\nCMD /app\n", '\ufeffFROM scratch\nCMD ["/app"]\n'),
    # well-known official images that never set an ENTRYPOINT
    ("FROM python:3.12\nCMD python app.py\n", 'FROM python:3.12\nCMD ["python", "app.py"]\n'),
    ("FROM docker.io/library/debian:12\nCMD /app\n", 'FROM docker.io/library/debian:12\nCMD ["/app"]\n'),
    (
        "FROM python:3.12\nENTRYPOINT []\nCMD python -m http.server\n",
        'FROM python:3.12\nENTRYPOINT []\nCMD ["python", "-m", "http.server"]\n',
    ),
    (
        'FROM debian:12\nENTRYPOINT ["/usr/bin/tini", "--"]\nCMD /usr/bin/app serve\n',
        'FROM debian:12\nENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["/usr/bin/app", "serve"]\n',
    ),
    (
        "FROM scratch AS base\nCOPY app /app\nFROM base\nCMD /app serve\n",
        'FROM scratch AS base\nCOPY app /app\nFROM base\nCMD ["/app", "serve"]\n',
    ),
    (
        "FROM node:20 AS base\nENTRYPOINT []\nFROM base\nCMD node server.js\n",
        'FROM node:20 AS base\nENTRYPOINT []\nFROM base\nCMD ["node", "server.js"]\n',
    ),
    # an ENTRYPOINT with no CMD to receive: its own, inherited ones are cleared
    ("FROM debian:12\nENTRYPOINT java -jar /app.jar\n", 'FROM debian:12\nENTRYPOINT ["java", "-jar", "/app.jar"]\n'),
    ("FROM debian:12\nentrypoint exec /srv/run\n", 'FROM debian:12\nentrypoint ["/srv/run"]\n'),
    (
        'FROM debian:12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nENTRYPOINT /usr/bin/app\n',
        'FROM debian:12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nENTRYPOINT ["/usr/bin/app"]\n',
    ),
    (
        'FROM debian:12\nSHELL ["/bin/sh", "-eu", "-c"]\nENTRYPOINT /usr/bin/app\n',
        'FROM debian:12\nSHELL ["/bin/sh", "-eu", "-c"]\nENTRYPOINT ["/usr/bin/app"]\n',
    ),
    (
        'FROM debian:12 AS a\nENTRYPOINT /app\nFROM a AS b\nENTRYPOINT ["/b"]\nFROM b\nCMD ["--v"]\n',
        'FROM debian:12 AS a\nENTRYPOINT ["/app"]\nFROM a AS b\nENTRYPOINT ["/b"]\nFROM b\nCMD ["--v"]\n',
    ),
    (
        "FROM debian:12 AS a\nENTRYPOINT /app\nFROM a\nLABEL x=y\n",
        'FROM debian:12 AS a\nENTRYPOINT ["/app"]\nFROM a\nLABEL x=y\n',
    ),
    # the rest of the file stays as it is: comments, heredoc bodies, other stages
    (
        "# build\nFROM golang:1.22 AS build\nRUN <<EOF\ngo build -o /app\nEOF\n\nFROM scratch\n# run\nCMD /app\n",
        '# build\nFROM golang:1.22 AS build\nRUN <<EOF\ngo build -o /app\nEOF\n\nFROM scratch\n# run\nCMD ["/app"]\n',
    ),
]

UNCHANGED = [
    # a Windows platform: the table of well-known images does not apply
    "FROM --platform=windows/amd64 python:3.12\nCMD python app.py\n",
    # shell features: only a shell can run these
    "FROM scratch\nCMD /app --home $HOME\n",
    "FROM scratch\nCMD /app --home ${HOME}\n",
    'FROM scratch\nCMD /app "$PORT"\n',
    "FROM scratch\nCMD /app --date $(date)\n",
    "FROM scratch\nCMD /app `date`\n",
    "FROM scratch\nCMD java -jar /app/*.jar\n",
    "FROM scratch\nCMD /app?\n",
    "FROM scratch\nCMD /migrate && /app\n",
    "FROM scratch\nCMD /app || /fallback\n",
    "FROM scratch\nCMD /app | tee /log\n",
    "FROM scratch\nCMD /setup; /app\n",
    "FROM scratch\nCMD /app > /log\n",
    "FROM scratch\nCMD /app 2>&1\n",
    "FROM scratch\nCMD /app < /input\n",
    "FROM scratch\nCMD (/app)\n",
    "FROM scratch\nCMD /app &\n",
    "FROM scratch\nCMD ~/app\n",
    "FROM scratch\nCMD /app --dir=~/data\n",
    "FROM scratch\nCMD /app # comment\n",
    "FROM scratch\nCMD /app a\\ b\n",
    "FROM scratch\nCMD /app {a,b}\n",
    "FROM scratch\nCMD ! /app\n",
    "FROM scratch\nCMD NODE_ENV=production node app.js\n",
    "FROM scratch\nCMD echo hello\n",
    "FROM scratch\nCMD [ -f /x ]\n",
    "FROM scratch\nCMD exec\n",
    "FROM scratch\nCMD exec -a name /app\n",
    "FROM scratch\nCMD /app 'unterminated\n",
    # JSON already; ONBUILD and HEALTHCHECK commands are not the image's command
    'FROM scratch\nCMD ["/app"]\n',
    "FROM scratch\nONBUILD CMD /app\n",
    "FROM scratch\nonbuild ENTRYPOINT /app\n",
    "FROM scratch\nHEALTHCHECK CMD /healthcheck\n",
    # a shell other than a plain POSIX one, or a Windows image
    'FROM scratch\nSHELL ["/bin/bash", "-lc"]\nCMD /app\n',
    'FROM scratch\nSHELL ["/bin/bash", "-x", "-c"]\nCMD /app\n',
    'FROM scratch\nSHELL ["/bin/zsh", "-c"]\nCMD /app\n',
    'FROM scratch\nSHELL ["pwsh", "-Command"]\nCMD /app\n',
    'FROM scratch\nENV BASH_ENV=/etc/profile\nSHELL ["/bin/bash", "-c"]\nCMD node app.js\n',
    'FROM scratch AS a\nENV BASH_ENV=/etc/profile\nFROM a\nSHELL ["/bin/bash", "-c"]\nCMD node app.js\n',
    'FROM scratch AS a\nONBUILD SHELL ["/bin/bash", "-lc"]\nFROM a\nCMD /app\n',
    "# escape=`\nFROM scratch\nCMD app.exe\n",
    "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nENTRYPOINT app.exe\n",
    "FROM --platform=windows/amd64 example/app\nENTRYPOINT app.exe\n",
    # a comment inside the continuation would be lost
    "FROM scratch\nCMD /app \\\n# the port\n  --port 80\n",
    # suppressed
    "FROM scratch\n# dockmend ignore=DM106\nCMD /app\n",
    "# dockmend ignore-file=DM106\nFROM scratch\nCMD /app\n",
]

FINDINGS = [
    # the base image's ENTRYPOINT would receive the words instead of `/bin/sh -c …`
    ("FROM node:20\nCMD node app.js\n", [(2, UNKNOWN_BASE.format("node:20"))]),
    ("FROM ghcr.io/acme/python:3.12\nCMD python app.py\n", [(2, UNKNOWN_BASE.format("ghcr.io/acme/python:3.12"))]),
    ("ARG BASE=node:20\nFROM $BASE\ncmd /app\n", [(3, UNKNOWN_BASE.format("$BASE (node:20)"))]),
    ("FROM base-${V}\nCMD /app\n", [(2, UNKNOWN_BASE.format("base-${V} (base-)"))]),
    (
        "FROM nginx:1.27 AS base\nRUN true\nFROM base\nCMD /app\n",
        [(4, UNKNOWN_BASE.format("nginx:1.27"))],
    ),
    (
        'FROM debian:12\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD postgres\n',
        [(3, "CMD left in shell form: the ENTRYPOINT on line 2 would receive its words instead of `/bin/sh -c …`")],
    ),
    (
        'FROM debian:12\nENTRYPOINT ["tini", "-p", "SIGTERM", "--"]\nCMD /app\n',
        [(3, "CMD left in shell form: the ENTRYPOINT on line 2 would receive its words instead of `/bin/sh -c …`")],
    ),
    (
        "FROM debian:12 AS a\nONBUILD ENTRYPOINT []\nFROM a\nCMD /app\n",
        [(4, "CMD left in shell form: an ONBUILD trigger of its base stage sets the ENTRYPOINT")],
    ),
    # a CMD would become the exec-form ENTRYPOINT's arguments
    (
        "FROM debian:12\nENTRYPOINT /app\nCMD /other\n",
        [
            (2, "ENTRYPOINT left in shell form: the CMD on line 3 would become its arguments"),
            (3, "CMD left in shell form: the shell-form ENTRYPOINT on line 2 ignores it"),
        ],
    ),
    (
        'FROM debian:12\nCMD ["--verbose"]\nENTRYPOINT /app\n',
        [(3, "ENTRYPOINT left in shell form: the CMD on line 2 would become its arguments")],
    ),
    (
        'FROM debian:12 AS a\nENTRYPOINT /app\nFROM a\nCMD ["--verbose"]\n',
        [(2, "ENTRYPOINT left in shell form: the CMD on line 4 would become its arguments")],
    ),
    (
        "FROM debian:12\nENTRYPOINT /app\nONBUILD CMD --verbose\n",
        [(2, "ENTRYPOINT left in shell form: the CMD on line 3 would become its arguments")],
    ),
    (
        "FROM debian:12 AS a\nONBUILD CMD --verbose\nFROM a\nENTRYPOINT /app\n",
        [(4, "ENTRYPOINT left in shell form: an ONBUILD trigger sets a CMD that would become its arguments")],
    ),
    # through a stage in between; a stage with its own ENTRYPOINT takes its children's CMDs
    (
        'FROM debian:12 AS a\nENTRYPOINT /app\nFROM a AS b\nLABEL x=y\nFROM b\nCMD ["--v"]\n',
        [(2, "ENTRYPOINT left in shell form: the CMD on line 6 would become its arguments")],
    ),
    (
        'FROM debian:12 AS a\nENTRYPOINT /app\nFROM a AS b\nENTRYPOINT ["/b"]\nCMD ["x"]\nFROM a\nCMD ["--v"]\n',
        [(2, "ENTRYPOINT left in shell form: the CMD on line 7 would become its arguments")],
    ),
]


@pytest.mark.parametrize(("before", "after"), CHANGED)
def test_converts(before: str, after: str) -> None:
    assert fixed(exec_form, before) == after


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(text: str) -> None:
    report = run(exec_form, text)
    assert report.error is None
    assert report.after == report.before
    assert report.fixes == []


@pytest.mark.parametrize(("text", "expected"), FINDINGS)
def test_reports_what_it_cannot_convert(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(exec_form, text)
    assert report.after == report.before
    assert [(f.line, f.message) for f in report.findings] == expected
    assert {f.code for f in report.findings} <= {"DM106"}


class Files:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


BOOT = "FROM debian:12\nWORKDIR /app\nCOPY boot.sh run /app/\nCMD ./boot.sh --port 80\n"
SCRIPTS = [
    (BOOT, {"boot.sh": b"#!/bin/sh\nexec app\n"}, 'CMD ["./boot.sh", "--port", "80"]', []),
    (BOOT.replace("./boot.sh", "./run"), {"run": b"\x7fELF\x02\x01"}, 'CMD ["./run", "--port", "80"]', []),
    # no #! line: /bin/sh -c runs it as a shell script, exec form fails with "exec format error"
    (BOOT, {"boot.sh": b"set -e\nexec app\n"}, "CMD ./boot.sh --port 80", [(4, "boot.sh has no #! line")]),
    (BOOT, {}, "CMD ./boot.sh --port 80", [(4, "./boot.sh is a script whose #! line cannot be read")]),
    (
        "FROM debian:12\nCMD /usr/local/bin/start.sh\n",
        {},
        "CMD /usr/local/bin/start.sh",
        [(2, "/usr/local/bin/start.sh is a script whose #! line cannot be read")],
    ),
    # a program from the base image or from PATH: as before
    ("FROM debian:12\nCMD /usr/sbin/nginx -g daemon\n", {}, 'CMD ["/usr/sbin/nginx", "-g", "daemon"]', []),
    # run by a shell, the #! line does not matter
    ("FROM debian:12\nCMD sh /boot.sh\n", {}, 'CMD ["sh", "/boot.sh"]', []),
]


@pytest.mark.parametrize(("dockerfile", "files", "cmd", "findings"), SCRIPTS)
def test_a_started_script_needs_its_shebang(
    dockerfile: str, files: dict[str, bytes], cmd: str, findings: list[tuple[int, str]]
) -> None:
    report = run(exec_form, dockerfile, Context(files=Files(files)))
    assert report.after.decode().splitlines()[-1] == cmd
    got = [(f.line, f.message) for f in report.findings]
    assert len(got) == len(findings), got
    for (line, message), (want_line, want) in zip(got, findings, strict=True):
        assert line == want_line and f"left in shell form: {want}" in message


def test_a_child_stage_with_its_own_entrypoint_does_not_block_the_parent() -> None:
    text = 'FROM debian:12 AS a\nENTRYPOINT /app\nFROM a\nENTRYPOINT ["/other"]\nCMD ["x"]\n'
    assert fixed(exec_form, text) == text.replace("ENTRYPOINT /app", 'ENTRYPOINT ["/app"]')


class Registry:
    """A resolver that knows the configs of a few images (the registry is faked here)."""

    def __init__(self, entrypoints: dict[str, tuple[str, ...] | None]) -> None:
        self.entrypoints = entrypoints
        self.asked: list[tuple[str, str, str]] = []

    def tags(self, image: str) -> Sequence[str]:
        return []

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        return "sha256:" + "0" * 64

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        self.asked.append((image, reference, platform))
        if image not in self.entrypoints:
            raise ImageUnreachable(f"{image}: not found")
        return ImageConfig(self.digest(image, reference), entrypoint=self.entrypoints[image])


RESOLVED = [
    ("FROM ubuntu:22.04\nCMD /bin/bash\n", 'FROM ubuntu:22.04\nCMD ["/bin/bash"]\n', []),
    ("FROM python:3.12\nCMD python app.py\n", "FROM python:3.12\nCMD python app.py\n", [2]),
    ("FROM private/app:1\nCMD /app\n", "FROM private/app:1\nCMD /app\n", [2]),
]


@pytest.mark.parametrize(("before", "after", "finding_lines"), RESOLVED)
def test_a_resolver_tells_the_base_image_entrypoint(before: str, after: str, finding_lines: list[int]) -> None:
    registry = Registry({"ubuntu": None, "python": ("docker-entrypoint.sh",)})
    report = run(exec_form, before, Context(resolver=registry))
    assert report.after.decode() == after
    assert [f.line for f in report.findings] == finding_lines
    assert registry.asked[0][1:] in {("22.04", "linux/amd64"), ("3.12", "linux/amd64"), ("1", "linux/amd64")}


@pytest.mark.corpus
def test_corpus_no_crash_no_gate_drop(corpus_files: list[Path]) -> None:
    for path in corpus_files:
        report = run_fixers(path.name, path.read_bytes(), Context(), [exec_form], {})
        assert all(f.code == "DM106" and "left in shell form" in f.message for f in report.findings), path.name


def test_a_chain_of_stages_is_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: what an ENTRYPOINT would receive was looked for along every descendant's
    lineage, per stage (cubic in a chain of stages); the settings a stage inherits were a
    walk of its whole lineage, per instruction. Counted, not timed: the stages visited
    through lineages and the ONBUILD look-ups stay a small multiple of the stages."""
    visits = {"lineage": 0, "triggers": 0}
    lineage, triggers = Document.lineage, ep.triggers

    def counted_lineage(doc: Document, stage: Stage) -> list[Stage]:
        found = lineage(doc, stage)
        visits["lineage"] += len(found)
        return found

    def counted_triggers(doc: Document, stage: Stage) -> set[str]:
        visits["triggers"] += 1
        return triggers(doc, stage)

    monkeypatch.setattr(Document, "lineage", counted_lineage)
    monkeypatch.setattr(ep, "triggers", counted_triggers)
    stages = 1000
    text = "FROM debian:12 AS s0\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nENTRYPOINT serve{i}\nCMD run{i}\n" for i in range(1, stages)
    )
    report = run(exec_form, text)
    assert len(report.findings) == 2 * (stages - 1)  # each ENTRYPOINT and CMD left, with its reason
    assert visits["lineage"] + visits["triggers"] < 20 * stages
