from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fixers.base import Context, RepoInfo
from fixers.rules import add_labels
from fixers.rules.add_labels import _literal, _quote
from tests import hadolint
from tests.fixers.helpers import fixed, run

EMPTY = Context()
ALPINE = 'LABEL org.opencontainers.image.base.name="alpine:3.20"\n'
DEMO = Context(repo=RepoInfo(name="demo", url="https://github.com/acme/demo", license="MIT"))

# With nothing known of the repository, only base.name and expose-services can be derived.
EMPTY_CASES = [
    (
        "FROM python:3.12-slim\nRUN pip install app\n",
        'FROM python:3.12-slim\nLABEL org.opencontainers.image.base.name="python:3.12-slim"\nRUN pip install app\n',
    ),
    (
        "FROM nginx:1.27\nEXPOSE 80 443/tcp 53/udp\n",
        "FROM nginx:1.27\n"
        'LABEL io.openshift.expose-services="80:http,443:https,53/udp:dns" \\\n'
        '      org.opencontainers.image.base.name="nginx:1.27"\n'
        "EXPOSE 80 443/tcp 53/udp\n",
    ),
    (
        "FROM postgres:16\nEXPOSE 5432\nEXPOSE 5432/tcp\n",
        "FROM postgres:16\n"
        'LABEL io.openshift.expose-services="5432:postgresql" \\\n'
        '      org.opencontainers.image.base.name="postgres:16"\n'
        "EXPOSE 5432\nEXPOSE 5432/tcp\n",
    ),
    # one port without a well-known name, a variable or a range: no expose-services at all
    ("FROM app:1\nEXPOSE 80 9999\n", 'FROM app:1\nLABEL org.opencontainers.image.base.name="app:1"\nEXPOSE 80 9999\n'),
    ("FROM app:1\nEXPOSE $PORT\n", 'FROM app:1\nLABEL org.opencontainers.image.base.name="app:1"\nEXPOSE $PORT\n'),
    (
        "FROM app:1\nEXPOSE 8000-8010\n",
        'FROM app:1\nLABEL org.opencontainers.image.base.name="app:1"\nEXPOSE 8000-8010\n',
    ),
    # only the final stage is labelled; an earlier stage's EXPOSE is not the image's
    (
        "FROM golang:1.22 AS build\nEXPOSE 8080\nRUN go build -o /app\n\nFROM alpine:3.20\nCOPY --from=build /app /\n",
        "FROM golang:1.22 AS build\nEXPOSE 8080\nRUN go build -o /app\n\nFROM alpine:3.20\n"
        + ALPINE
        + "COPY --from=build /app /\n",
    ),
    # a final stage built FROM an earlier one inherits its EXPOSE; base.name is not a stage
    (
        "FROM python:3.12 AS base\nEXPOSE 8000\nFROM base\nCMD serve\n",
        'FROM python:3.12 AS base\nEXPOSE 8000\nFROM base\nLABEL io.openshift.expose-services="8000:http"\nCMD serve\n',
    ),
    # layout: CRLF, lower case, indentation, continuation, no final newline, flags, digests
    ("FROM alpine:3.20\r\nRUN true\r\n", "FROM alpine:3.20\r\n" + ALPINE.replace("\n", "\r\n") + "RUN true\r\n"),
    ("from alpine:3.20\nrun true\n", "from alpine:3.20\n" + ALPINE.replace("LABEL", "label") + "run true\n"),
    (
        "FROM alpine:3.20\n  EXPOSE 443\n",
        "FROM alpine:3.20\n"
        'LABEL io.openshift.expose-services="443:https" \\\n'
        '      org.opencontainers.image.base.name="alpine:3.20"\n'
        "  EXPOSE 443\n",
    ),
    (
        "FROM golang AS b\n  FROM alpine:3.20\n  EXPOSE 443\n",
        "FROM golang AS b\n  FROM alpine:3.20\n"
        '  LABEL io.openshift.expose-services="443:https" \\\n'
        '        org.opencontainers.image.base.name="alpine:3.20"\n'
        "  EXPOSE 443\n",
    ),
    (
        "FROM \\\n    alpine:3.20 \\\n    AS final\nRUN true\n",
        'FROM \\\n    alpine:3.20 \\\n    AS final\nLABEL org.opencontainers.image.base.name="alpine:3.20"\nRUN true\n',
    ),
    ("ARG V=1\nFROM alpine:3.20", 'ARG V=1\nFROM alpine:3.20\nLABEL org.opencontainers.image.base.name="alpine:3.20"'),
    (
        "FROM --platform=$BUILDPLATFORM alpine:3.20@sha256:" + "a" * 64 + "\n",
        "FROM --platform=$BUILDPLATFORM alpine:3.20@sha256:" + "a" * 64 + "\n"
        'LABEL org.opencontainers.image.base.name="alpine:3.20@sha256:' + "a" * 64 + '"\n',
    ),
    # comments and heredocs are left where they are
    (
        "FROM alpine:3.20\n# tools\nRUN <<EOF\napk add curl\nEOF\n",
        "FROM alpine:3.20\n" + ALPINE + "# tools\nRUN <<EOF\napk add curl\nEOF\n",
    ),
    (
        "FROM debian:12 AS a\nRUN <<EOF\nFROM x\nEOF\nFROM alpine:3.20\n",
        "FROM debian:12 AS a\nRUN <<EOF\nFROM x\nEOF\nFROM alpine:3.20\n" + ALPINE,
    ),
    (
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nEXPOSE 80 443\n",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'LABEL io.openshift.expose-services="80:http,443:https" `\n'
        '      org.opencontainers.image.base.name="mcr.microsoft.com/windows/servercore:ltsc2022"\n'
        "EXPOSE 80 443\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), EMPTY_CASES)
def test_empty_context(before: str, after: str) -> None:
    assert fixed(add_labels, before, EMPTY) == after


def _demo(base: str | None, indent: str = "", keyword: str = "LABEL", nl: str = "\n", esc: str = "\\") -> str:
    """The block DEMO adds after ``FROM base`` (base None: a stage or scratch)."""
    keys = [
        'io.k8s.display-name="demo"',
        'org.opencontainers.image.title="demo"',
        'org.opencontainers.image.source="https://github.com/acme/demo"',
        'org.opencontainers.image.url="https://github.com/acme/demo"',
        'org.opencontainers.image.licenses="MIT"',
    ]
    keys += [f'org.opencontainers.image.base.name="{base}"'] if base else []
    return f"{indent}{keyword} " + f" {esc}{nl}{indent}{' ' * len(keyword)} ".join(keys) + nl


DEMO_CASES = [
    ("FROM python:3.12-slim\nCMD app\n", "FROM python:3.12-slim\n" + _demo("python:3.12-slim") + "CMD app\n"),
    ("FROM scratch\nCOPY app /\n", "FROM scratch\n" + _demo(None) + "COPY app /\n"),
    (
        "FROM golang:1.22 AS build\nRUN go build\nFROM scratch\nCOPY --from=build /app /\n",
        "FROM golang:1.22 AS build\nRUN go build\nFROM scratch\n" + _demo(None) + "COPY --from=build /app /\n",
    ),
    ("from alpine:3.20\r\n", "from alpine:3.20\r\n" + _demo("alpine:3.20", keyword="label", nl="\r\n")),
    (
        "# escape=`\r\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\r\n",
        "# escape=`\r\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\r\n"
        + _demo("mcr.microsoft.com/windows/nanoserver:ltsc2022", nl="\r\n", esc="`"),
    ),
    # existing labels, in every form, are kept and not added again
    (
        "FROM alpine:3.20\nLABEL org.opencontainers.image.title=demo org.opencontainers.image.licenses=MIT\n",
        "FROM alpine:3.20\n"
        'LABEL io.k8s.display-name="demo" \\\n'
        '      org.opencontainers.image.source="https://github.com/acme/demo" \\\n'
        '      org.opencontainers.image.url="https://github.com/acme/demo" \\\n'
        '      org.opencontainers.image.base.name="alpine:3.20"\n'
        "LABEL org.opencontainers.image.title=demo org.opencontainers.image.licenses=MIT\n",
    ),
    (
        'FROM alpine:3.20\nLABEL "io.k8s.display-name"="Demo" \'org.opencontainers.image.title\'="Demo"\n'
        "LABEL org.opencontainers.image.source https://example.com/legacy form\n"
        "LABEL a=1 \\\n    # the licence\n    org.opencontainers.image.licenses=MIT \\\n"
        "    org.opencontainers.image.base.name=alpine\n",
        "FROM alpine:3.20\n"
        'LABEL org.opencontainers.image.url="https://github.com/acme/demo"\n'
        'LABEL "io.k8s.display-name"="Demo" \'org.opencontainers.image.title\'="Demo"\n'
        "LABEL org.opencontainers.image.source https://example.com/legacy form\n"
        "LABEL a=1 \\\n    # the licence\n    org.opencontainers.image.licenses=MIT \\\n"
        "    org.opencontainers.image.base.name=alpine\n",
    ),
    (
        "FROM alpine:3.20\nlabel ORG.OPENCONTAINERS.IMAGE.URL=x\nONBUILD LABEL org.opencontainers.image.source=y\n"
        "label io.k8s.display-name=x org.opencontainers.image.title=x org.opencontainers.image.licenses=x\n",
        "FROM alpine:3.20\n"
        'LABEL org.opencontainers.image.base.name="alpine:3.20"\n'
        "label ORG.OPENCONTAINERS.IMAGE.URL=x\nONBUILD LABEL org.opencontainers.image.source=y\n"
        "label io.k8s.display-name=x org.opencontainers.image.title=x org.opencontainers.image.licenses=x\n",
    ),
    # labels of an earlier, unrelated stage do not count ...
    (
        "FROM golang:1.22 AS build\nLABEL io.k8s.display-name=x\nFROM alpine:3.20\n",
        "FROM golang:1.22 AS build\nLABEL io.k8s.display-name=x\nFROM alpine:3.20\n" + _demo("alpine:3.20"),
    ),
    # ... those of the stages the final one is built FROM do
    (
        "FROM alpine:3.20 AS base\nLABEL io.k8s.display-name=x org.opencontainers.image.title=x\n"
        "FROM base AS mid\nLABEL org.opencontainers.image.licenses=x\nFROM mid\nRUN true\n",
        "FROM alpine:3.20 AS base\nLABEL io.k8s.display-name=x org.opencontainers.image.title=x\n"
        "FROM base AS mid\nLABEL org.opencontainers.image.licenses=x\nFROM mid\n"
        'LABEL org.opencontainers.image.source="https://github.com/acme/demo" \\\n'
        '      org.opencontainers.image.url="https://github.com/acme/demo"\n'
        "RUN true\n",
    ),
    # FROM base-$TARGETARCH may be either stage: both count, and EXPOSE is not known
    (
        "FROM alpine:3.20 AS base-amd64\nLABEL io.k8s.display-name=x org.opencontainers.image.title=x\n"
        "FROM alpine:3.20 AS base-arm64\nLABEL org.opencontainers.image.licenses=x\n"
        "FROM base-$TARGETARCH\nEXPOSE 80\n",
        "FROM alpine:3.20 AS base-amd64\nLABEL io.k8s.display-name=x org.opencontainers.image.title=x\n"
        "FROM alpine:3.20 AS base-arm64\nLABEL org.opencontainers.image.licenses=x\n"
        "FROM base-$TARGETARCH\n"
        'LABEL org.opencontainers.image.source="https://github.com/acme/demo" \\\n'
        '      org.opencontainers.image.url="https://github.com/acme/demo"\n'
        "EXPOSE 80\n",
    ),
    # a variable base: no base.name, even with a default (--build-arg can change it)
    ("ARG BASE=alpine:3.20\nFROM ${BASE}\n", "ARG BASE=alpine:3.20\nFROM ${BASE}\n" + _demo(None)),
    ("FROM alpine:${V}\n", "FROM alpine:${V}\n" + _demo(None)),
]


@pytest.mark.parametrize(("before", "after"), DEMO_CASES)
def test_repository_metadata(before: str, after: str) -> None:
    assert fixed(add_labels, before, DEMO) == after


RICH = RepoInfo(
    name="worker",
    url="https://gitlab.example.com/acme/worker",
    description='Runs "jobs" for $5\nin C:\\temp',
    license="Apache-2.0",
    topics=("queue", "Not A Topic", "python"),
    vendor="Acme",
)
CONFIGURED = [
    (
        Context(repo=RICH),
        "FROM python:3.12\nEXPOSE 6379\n",
        "FROM python:3.12\n"
        "LABEL io.k8s.description='Runs \"jobs\" for $5 in C:\\temp' \\\n"
        '      io.k8s.display-name="worker" \\\n'
        '      io.openshift.tags="queue,python" \\\n'
        '      io.openshift.expose-services="6379:redis" \\\n'
        '      org.opencontainers.image.title="worker" \\\n'
        "      org.opencontainers.image.description='Runs \"jobs\" for $5 in C:\\temp' \\\n"
        '      org.opencontainers.image.source="https://gitlab.example.com/acme/worker" \\\n'
        '      org.opencontainers.image.url="https://gitlab.example.com/acme/worker" \\\n'
        '      org.opencontainers.image.licenses="Apache-2.0" \\\n'
        '      org.opencontainers.image.vendor="Acme" \\\n'
        '      org.opencontainers.image.base.name="python:3.12"\n'
        "EXPOSE 6379\n",
    ),
    # configuration wins; an empty configured value leaves the key out; other valid
    # configured keys follow in name order; created/revision and invalid keys never
    (
        Context(
            repo=RepoInfo(name="demo", url="https://github.com/acme/demo"),
            labels={
                "org.opencontainers.image.title": "Demo $ervice",
                "org.opencontainers.image.url": "",
                "org.opencontainers.image.base.name": "",
                "io.openshift.non-scalable": "true",
                "org.opencontainers.image.documentation": "https://docs.example.com",
                "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
                "org.opencontainers.image.revision": "abc123",
                "Bad_Key": "x",
                "com.docker.thing": "x",
            },
        ),
        "FROM alpine:3.20\n",
        "FROM alpine:3.20\n"
        'LABEL io.k8s.display-name="demo" \\\n'
        '      org.opencontainers.image.title="Demo \\$ervice" \\\n'
        '      org.opencontainers.image.source="https://github.com/acme/demo" \\\n'
        '      io.openshift.non-scalable="true" \\\n'
        '      org.opencontainers.image.documentation="https://docs.example.com"\n',
    ),
    # backtick files: values with quotes or dollars are single-quoted (literal everywhere)
    (
        Context(repo=RepoInfo(name='C:\\app "x"', description="it's $5")),
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "LABEL io.k8s.display-name='C:\\app \"x\"' `\n"
        "      org.opencontainers.image.title='C:\\app \"x\"' `\n"
        '      org.opencontainers.image.base.name="mcr.microsoft.com/windows/servercore:ltsc2022"\n',
    ),
    # MAINTAINER stands for maintainer and authors; a URL that is not http(s) is not used
    (
        Context(repo=RepoInfo(url="git@github.com:acme/demo.git"), labels={"maintainer": "x", "vendor": "Acme"}),
        "FROM alpine:3.20\nMAINTAINER Jane <jane@example.com>\n",
        "FROM alpine:3.20\n"
        'LABEL org.opencontainers.image.base.name="alpine:3.20" \\\n'
        '      vendor="Acme"\n'
        "MAINTAINER Jane <jane@example.com>\n",
    ),
]


@pytest.mark.parametrize(("ctx", "before", "after"), CONFIGURED)
def test_configured_values(ctx: Context, before: str, after: str) -> None:
    assert fixed(add_labels, before, ctx) == after


UNCHANGED = [
    (EMPTY, "FROM scratch\nCOPY app /\n"),
    (EMPTY, "ARG BASE=alpine:3.20\nFROM $BASE\nEXPOSE 70000\n"),
    (EMPTY, "FROM alpine:3.20 AS base\nFROM base\nRUN true\n"),
    (EMPTY, "FROM alpine:3.20\nLABEL org.opencontainers.image.base.name=alpine\n"),
    (EMPTY, "FROM alpine:3.20\nLABEL org.opencontainers.image.base.name alpine:3.20\n"),
    (EMPTY, "# dockmend ignore=DM105\nFROM alpine:3.20\n"),
    (EMPTY, "# dockmend ignore-file=DM105\nFROM alpine:3.20\n"),
    (DEMO, "FROM alpine:3.20"),  # one line, no newline: no line-ending style to follow
    (DEMO, "FROM alpine:3.20\nARG K=org.opencontainers.image.title\nLABEL $K=demo\n"),  # unknown key
    (
        DEMO,
        "FROM alpine:3.20\nLABEL io.k8s.display-name=demo org.opencontainers.image.title=demo \\\n"
        "  org.opencontainers.image.source=x org.opencontainers.image.url=x \\\n"
        "  org.opencontainers.image.licenses=MIT org.opencontainers.image.base.name=alpine:3.20\n",
    ),
    (Context(labels={"org.opencontainers.image.base.name": ""}), "FROM alpine:3.20\n"),
    (Context(repo=RepoInfo(name="  ", license="not SPDX!", topics=("Bad Topic",))), "FROM scratch\n"),
    (Context(repo=RepoInfo(name="back\\slash'quote")), "FROM scratch\n"),  # fits no quoting: left out
]


@pytest.mark.parametrize(("ctx", "text"), UNCHANGED)
def test_unchanged(ctx: Context, text: str) -> None:
    report = run(add_labels, text, ctx)
    assert report.error is None
    assert report.after.decode() == text
    assert report.fixes == []
    assert report.findings == []


def test_fix_message_and_line() -> None:
    report = run(add_labels, "FROM golang AS b\nRUN x\nFROM alpine:3.20\nEXPOSE 80\n")
    assert [(f.code, f.line, f.message) for f in report.fixes] == [
        ("DM105", 3, "add labels io.openshift.expose-services, org.opencontainers.image.base.name")
    ]


QUOTES = [
    ("plain", "\\", '"plain"'),
    ("it's", "\\", '"it\'s"'),
    ('say "hi"', "\\", '"say \\"hi\\""'),
    ("$HOME ${X}", "\\", '"\\$HOME \\${X}"'),
    ("back`tick", "\\", '"back`tick"'),
    ("a\\b", "\\", "'a\\b'"),
    ("C:\\", "\\", None),  # hadolint misreads a value ending in the escape character
    ("a\\\\b", "\\", None),
    ("'\\", "\\", None),
    ("plain", "`", '"plain"'),
    ('say "hi" $5', "`", "'say \"hi\" $5'"),
    ("C:\\dir\\", "`", "'C:\\dir\\'"),
    ("tick`", "`", None),
    ("it's $5", "`", None),
]


@pytest.mark.parametrize(("value", "escape", "quoted"), QUOTES)
def test_quote(value: str, escape: str, quoted: str | None) -> None:
    assert _quote(value, escape) == quoted
    if quoted is not None:
        assert _literal(quoted, escape) == value  # the builder reads the value back


@pytest.mark.parametrize(
    ("word", "escape", "key"),
    [
        ("a.b", "\\", "a.b"),
        ('"a.b"', "\\", "a.b"),
        ("'a.b'", "\\", "a.b"),
        ('"a\\"b"', "\\", 'a"b'),
        ('"a`"b"', "`", 'a"b'),
        ("a\\.b", "\\", "a.b"),
        ('"it\'s"', "\\", "it's"),
        ("'$x'", "\\", "$x"),
        ("$K", "\\", None),
        ('"${K}.x"', "\\", None),
        ('"open', "\\", None),
    ],
)
def test_literal_keys(word: str, escape: str, key: str | None) -> None:
    assert _literal(word, escape) == key


@pytest.mark.skipif(not hadolint.available(), reason="hadolint not installed")
def test_no_new_hadolint_findings(tmp_path: Path) -> None:
    cases = [(EMPTY, b, a) for b, a in EMPTY_CASES] + [(DEMO, b, a) for b, a in DEMO_CASES]
    cases += [(c, b, a) for c, b, a in CONFIGURED]
    files = []
    for i, (_, before, after) in enumerate(cases):
        for kind, text in (("before", before), ("after", after)):
            (tmp_path / f"{i}.{kind}").write_text(text, newline="")
            files.append(tmp_path / f"{i}.{kind}")
    found = hadolint.lint(files)
    for i, case in enumerate(cases):
        new = found[tmp_path / f"{i}.after"] - found[tmp_path / f"{i}.before"]
        assert new == Counter(), (case[2], new)
