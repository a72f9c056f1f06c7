from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fixers.base import Context, LabelPolicy, RepoInfo
from fixers.records import replace
from fixers.rules import add_labels
from fixers.rules.add_labels import _literal, _quote
from tests import hadolint
from tests.fixers.helpers import fixed, run

EMPTY = Context()
DESCRIBED = Context(repo=RepoInfo(description="Demo"))
DESC = 'LABEL org.opencontainers.image.description="Demo"\n'
DEMO = Context(repo=RepoInfo(name="demo", url="https://github.com/acme/demo", license="MIT"))
OPENSHIFT = LabelPolicy(profile="openshift")

# Layout: where the one LABEL goes and how it is written (one known value: the description).
LAYOUT_CASES = [
    ("FROM python:3.12-slim\nRUN pip install app\n", "FROM python:3.12-slim\n" + DESC + "RUN pip install app\n"),
    # only the final stage is labelled
    (
        "FROM golang:1.22 AS build\nRUN go build -o /app\n\nFROM alpine:3.20\nCOPY --from=build /app /\n",
        "FROM golang:1.22 AS build\nRUN go build -o /app\n\nFROM alpine:3.20\n" + DESC + "COPY --from=build /app /\n",
    ),
    ("FROM alpine:3.20\r\nRUN true\r\n", "FROM alpine:3.20\r\n" + DESC.replace("\n", "\r\n") + "RUN true\r\n"),
    ("from alpine:3.20\nrun true\n", "from alpine:3.20\n" + DESC.replace("LABEL", "label") + "run true\n"),
    (
        "FROM golang AS b\n  FROM alpine:3.20\n  EXPOSE 443\n",
        "FROM golang AS b\n  FROM alpine:3.20\n  " + DESC + "  EXPOSE 443\n",
    ),
    (
        "FROM \\\n    alpine:3.20 \\\n    AS final\nRUN true\n",
        "FROM \\\n    alpine:3.20 \\\n    AS final\n" + DESC + "RUN true\n",
    ),
    ("ARG V=1\nFROM alpine:3.20", "ARG V=1\nFROM alpine:3.20\n" + DESC.rstrip("\n")),
    (
        "FROM --platform=$BUILDPLATFORM alpine:3.20@sha256:" + "a" * 64 + "\n",
        "FROM --platform=$BUILDPLATFORM alpine:3.20@sha256:" + "a" * 64 + "\n" + DESC,
    ),
    # comments and heredocs are left where they are
    (
        "FROM alpine:3.20\n# tools\nRUN <<EOF\napk add curl\nEOF\n",
        "FROM alpine:3.20\n" + DESC + "# tools\nRUN <<EOF\napk add curl\nEOF\n",
    ),
    (
        "FROM debian:12 AS a\nRUN <<EOF\nFROM x\nEOF\nFROM alpine:3.20\n",
        "FROM debian:12 AS a\nRUN <<EOF\nFROM x\nEOF\nFROM alpine:3.20\n" + DESC,
    ),
    # never the base image's name: it goes stale when the FROM is pinned or bumped
    ("ARG BASE=alpine:3.20\nFROM ${BASE}\n", "ARG BASE=alpine:3.20\nFROM ${BASE}\n" + DESC),
    ("FROM cassandra\n", "FROM cassandra\n" + DESC),
]


@pytest.mark.parametrize(("before", "after"), LAYOUT_CASES)
def test_layout(before: str, after: str) -> None:
    assert fixed(add_labels, before, DESCRIBED) == after


def _demo(indent: str = "", keyword: str = "LABEL", nl: str = "\n", esc: str = "\\") -> str:
    """The block DEMO adds after the final FROM: source and licence, no title (which image?)."""
    keys = ['org.opencontainers.image.source="https://github.com/acme/demo"', 'org.opencontainers.image.licenses="MIT"']
    return f"{indent}{keyword} " + f" {esc}{nl}{indent}{' ' * len(keyword)} ".join(keys) + nl


DEMO_CASES = [
    ("FROM python:3.12-slim\nCMD app\n", "FROM python:3.12-slim\n" + _demo() + "CMD app\n"),
    ("FROM scratch\nCOPY app /\n", "FROM scratch\n" + _demo() + "COPY app /\n"),
    # no OpenShift labels for a file that does not use them, whatever it EXPOSEs
    ("FROM nginx:1.27\nEXPOSE 80 443/tcp\n", "FROM nginx:1.27\n" + _demo() + "EXPOSE 80 443/tcp\n"),
    ("from alpine:3.20\r\n", "from alpine:3.20\r\n" + _demo(keyword="label", nl="\r\n")),
    (
        "# escape=`\r\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\r\n",
        "# escape=`\r\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\r\n" + _demo(nl="\r\n", esc="`"),
    ),
    # a MAINTAINER gives the authors
    (
        "FROM alpine:3.20\nMAINTAINER Jane Doe <jane@example.com>\n",
        "FROM alpine:3.20\n"
        'LABEL org.opencontainers.image.source="https://github.com/acme/demo" \\\n'
        '      org.opencontainers.image.licenses="MIT" \\\n'
        '      org.opencontainers.image.authors="Jane Doe <jane@example.com>"\n'
        "MAINTAINER Jane Doe <jane@example.com>\n",
    ),
    # existing labels, in every form, are kept and not added again
    (
        "FROM alpine:3.20\nLABEL org.opencontainers.image.title=demo org.opencontainers.image.licenses=MIT\n",
        "FROM alpine:3.20\n"
        'LABEL org.opencontainers.image.source="https://github.com/acme/demo"\n'
        "LABEL org.opencontainers.image.title=demo org.opencontainers.image.licenses=MIT\n",
    ),
    # labels of an earlier, unrelated stage do not count ...
    (
        "FROM golang:1.22 AS build\nLABEL org.opencontainers.image.licenses=x\nFROM alpine:3.20\n",
        "FROM golang:1.22 AS build\nLABEL org.opencontainers.image.licenses=x\nFROM alpine:3.20\n" + _demo(),
    ),
    # ... those of the stages the final one is built FROM do
    (
        "FROM alpine:3.20 AS base\nLABEL org.opencontainers.image.licenses=x\nFROM base\nRUN true\n",
        "FROM alpine:3.20 AS base\nLABEL org.opencontainers.image.licenses=x\nFROM base\n"
        'LABEL org.opencontainers.image.source="https://github.com/acme/demo"\n'
        "RUN true\n",
    ),
    # FROM base-$TARGETARCH may be either stage: both count
    (
        "FROM alpine:3.20 AS base-amd64\nLABEL org.opencontainers.image.licenses=x\n"
        "FROM alpine:3.20 AS base-arm64\nLABEL org.opencontainers.image.source=y\n"
        "FROM base-$TARGETARCH\nEXPOSE 80\n",
        "FROM alpine:3.20 AS base-amd64\nLABEL org.opencontainers.image.licenses=x\n"
        "FROM alpine:3.20 AS base-arm64\nLABEL org.opencontainers.image.source=y\n"
        "FROM base-$TARGETARCH\nEXPOSE 80\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), DEMO_CASES)
def test_repository_metadata(before: str, after: str) -> None:
    assert fixed(add_labels, before, DEMO) == after


@pytest.mark.parametrize(
    ("policy", "path", "title"),
    [
        (LabelPolicy(), "Dockerfile", None),  # a repository's name is not every image's title
        (LabelPolicy(single_image=True), "Dockerfile", "demo"),
        (LabelPolicy(titles={"services/api/Dockerfile": "Demo API"}), "services/api/Dockerfile", "Demo API"),
        (LabelPolicy(titles={"services/api/Dockerfile": "Demo API"}), "services/web/Dockerfile", None),
        (LabelPolicy(single_image=True, titles={"Dockerfile": "Demo"}), "Dockerfile", "Demo"),
    ],
)
def test_title_names_this_image_only(policy: LabelPolicy, path: str, title: str | None) -> None:
    after = fixed(add_labels, "FROM alpine:3.20\n", replace(DEMO, path=path, label_policy=policy))
    expected = f'LABEL org.opencontainers.image.title="{title}" \\\n      ' if title else "LABEL "
    assert after == "FROM alpine:3.20\n" + expected + _demo()[len("LABEL ") :]


RICH = RepoInfo(
    name="worker",
    url="https://gitlab.example.com/acme/worker",
    description='Runs "jobs" for $5\nin C:\\temp',
    license="Apache-2.0",
    topics=("queue", "Not A Topic", "python"),
    vendor="Acme",
)
OPENSHIFT_CASES = [
    # the profile asks for the platform labels; EXPOSE gives expose-services
    (
        Context(repo=RICH, label_policy=LabelPolicy(profile="openshift", single_image=True)),
        "FROM python:3.12\nEXPOSE 6379\n",
        "FROM python:3.12\n"
        "LABEL io.k8s.description='Runs \"jobs\" for $5 in C:\\temp' \\\n"
        '      io.k8s.display-name="worker" \\\n'
        '      io.openshift.tags="queue,python" \\\n'
        '      io.openshift.expose-services="6379:redis" \\\n'
        '      org.opencontainers.image.title="worker" \\\n'
        "      org.opencontainers.image.description='Runs \"jobs\" for $5 in C:\\temp' \\\n"
        '      org.opencontainers.image.source="https://gitlab.example.com/acme/worker" \\\n'
        '      org.opencontainers.image.licenses="Apache-2.0"\n'
        "EXPOSE 6379\n",
    ),
    (
        Context(label_policy=OPENSHIFT),
        "FROM nginx:1.27\nEXPOSE 80 443/tcp 53/udp\n",
        "FROM nginx:1.27\n"
        'LABEL io.openshift.expose-services="80:http,443:https,53/udp:dns"\n'
        "EXPOSE 80 443/tcp 53/udp\n",
    ),
    (
        Context(label_policy=OPENSHIFT),
        "FROM postgres:16\nEXPOSE 5432\nEXPOSE 5432/tcp\n",
        'FROM postgres:16\nLABEL io.openshift.expose-services="5432:postgresql"\nEXPOSE 5432\nEXPOSE 5432/tcp\n',
    ),
    # a final stage built FROM an earlier one inherits its EXPOSE
    (
        Context(label_policy=OPENSHIFT),
        "FROM python:3.12 AS base\nEXPOSE 8000\nFROM base\nCMD serve\n",
        'FROM python:3.12 AS base\nEXPOSE 8000\nFROM base\nLABEL io.openshift.expose-services="8000:http"\nCMD serve\n',
    ),
    (
        Context(label_policy=OPENSHIFT),
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nEXPOSE 80 443\n",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'LABEL io.openshift.expose-services="80:http,443:https"\nEXPOSE 80 443\n',
    ),
    # a file that already uses the platform labels gets the rest of them, without the profile
    (
        Context(repo=RICH),
        "FROM python:3.12\nLABEL io.k8s.display-name=Worker\nEXPOSE 8080\n",
        "FROM python:3.12\n"
        "LABEL io.k8s.description='Runs \"jobs\" for $5 in C:\\temp' \\\n"
        '      io.openshift.tags="queue,python" \\\n'
        '      io.openshift.expose-services="8080:http" \\\n'
        "      org.opencontainers.image.description='Runs \"jobs\" for $5 in C:\\temp' \\\n"
        '      org.opencontainers.image.source="https://gitlab.example.com/acme/worker" \\\n'
        '      org.opencontainers.image.licenses="Apache-2.0"\n'
        "LABEL io.k8s.display-name=Worker\nEXPOSE 8080\n",
    ),
]


OPENSHIFT_CASES.append(
    # a configured platform label asks for the set too (the file has it after this run)
    (
        Context(repo=RepoInfo(description="Jobs"), labels={"io.openshift.tags": "jobs"}),
        "FROM python:3.12\nEXPOSE 80\n",
        "FROM python:3.12\n"
        'LABEL io.k8s.description="Jobs" \\\n'
        '      io.openshift.tags="jobs" \\\n'
        '      io.openshift.expose-services="80:http" \\\n'
        '      org.opencontainers.image.description="Jobs"\n'
        "EXPOSE 80\n",
    )
)


@pytest.mark.parametrize(("ctx", "before", "after"), OPENSHIFT_CASES)
def test_openshift_labels_only_when_asked_or_used(ctx: Context, before: str, after: str) -> None:
    assert fixed(add_labels, before, ctx) == after


CONFIGURED = [
    # configuration wins; an empty configured value leaves the key out; other valid
    # configured keys follow in name order; build-time values, invalid keys and
    # placeholders never
    (
        Context(
            repo=RepoInfo(name="demo", url="https://github.com/acme/demo"),
            labels={
                "org.opencontainers.image.title": "Demo $5ervice",
                "org.opencontainers.image.source": "",
                "io.openshift.non-scalable": "true",
                "org.opencontainers.image.documentation": "https://docs.example.com",
                "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
                "org.opencontainers.image.revision": "abc123",
                "org.opencontainers.image.version": "1.2.3",
                "org.opencontainers.image.base.name": "alpine:3.20",
                "org.opencontainers.image.base.digest": "sha256:" + "a" * 64,
                "org.opencontainers.image.vendor": "%%VENDOR%%",
                "org.opencontainers.image.url": "{{ .URL }}",
                "org.opencontainers.image.description": "@DESCRIPTION@",
                "io.k8s.description": "$DESCRIPTION",
                "io.k8s.display-name": "${NAME}",
                "Bad_Key": "x",
                "com.docker.thing": "x",
            },
        ),
        "FROM alpine:3.20\n",
        "FROM alpine:3.20\n"
        'LABEL org.opencontainers.image.title="Demo \\$5ervice" \\\n'
        '      io.openshift.non-scalable="true" \\\n'
        '      org.opencontainers.image.documentation="https://docs.example.com"\n',
    ),
    # backtick files: values with quotes or dollars are single-quoted (literal everywhere)
    (
        Context(repo=RepoInfo(name='C:\\app "x"', description="it's $5"), label_policy=LabelPolicy(single_image=True)),
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "LABEL org.opencontainers.image.title='C:\\app \"x\"'\n",
    ),
    # a URL that is not http(s) is not used; an unresolved MAINTAINER is not an author
    (
        Context(repo=RepoInfo(url="git@github.com:acme/demo.git"), labels={"vendor": "Acme"}),
        "FROM alpine:3.20\nMAINTAINER $AUTHOR\n",
        'FROM alpine:3.20\nLABEL vendor="Acme"\nMAINTAINER $AUTHOR\n',
    ),
]


@pytest.mark.parametrize(("ctx", "before", "after"), CONFIGURED)
def test_configured_values(ctx: Context, before: str, after: str) -> None:
    assert fixed(add_labels, before, ctx) == after


UNCHANGED = [
    # nothing known of the repository: nothing to add (never base.name nor a guessed port)
    (EMPTY, "FROM python:3.12-slim\nEXPOSE 80\n"),
    (EMPTY, "FROM scratch\nCOPY app /\n"),
    (EMPTY, "ARG BASE=alpine:3.20\nFROM $BASE\nEXPOSE 70000\n"),
    (Context(label_policy=OPENSHIFT), "FROM app:1\nEXPOSE 80 9999\n"),  # one port with no well-known name
    (Context(label_policy=OPENSHIFT), "FROM app:1\nEXPOSE $PORT\n"),
    (Context(label_policy=OPENSHIFT), "FROM app:1\nEXPOSE 8000-8010\n"),
    (Context(label_policy=OPENSHIFT), "FROM golang:1.22 AS build\nEXPOSE 8080\nFROM alpine:3.20\n"),
    (DEMO, "# dockmend ignore=DM105\nFROM alpine:3.20\n"),
    (DEMO, "# dockmend ignore-file=DM105\nFROM alpine:3.20\n"),
    # any case, and ONBUILD (a trigger sets it in the child image)
    (
        DEMO,
        "FROM alpine:3.20\nlabel ORG.OPENCONTAINERS.IMAGE.SOURCE=x\n"
        "ONBUILD LABEL org.opencontainers.image.licenses=y\n",
    ),
    (DEMO, "FROM alpine:3.20"),  # one line, no newline: no line-ending style to follow
    (DEMO, "FROM alpine:3.20\nARG K=org.opencontainers.image.source\nLABEL $K=x\n"),  # unknown key
    (DEMO, "FROM alpine:3.20\nLABEL org.opencontainers.image.source=x \\\n  org.opencontainers.image.licenses=MIT\n"),
    (Context(repo=RepoInfo(name="demo", topics=("a",))), "FROM alpine:3.20\n"),  # a name alone titles nothing
    (Context(repo=RepoInfo(license="not SPDX!", description="  ")), "FROM scratch\n"),
    (Context(repo=RepoInfo(description="docker:%%VERSION%%")), "FROM scratch\n"),
    (Context(repo=RepoInfo(description="back\\slash'quote")), "FROM scratch\n"),  # fits no quoting: left out
]


@pytest.mark.parametrize(("ctx", "text"), UNCHANGED)
def test_unchanged(ctx: Context, text: str) -> None:
    report = run(add_labels, text, ctx)
    assert report.error is None
    assert report.after.decode() == text
    assert report.fixes == []
    assert report.findings == []


def test_fix_message_and_line() -> None:
    report = run(add_labels, "FROM golang AS b\nRUN x\nFROM alpine:3.20\nEXPOSE 80\n", DEMO)
    assert [(f.code, f.line, f.message) for f in report.fixes] == [
        ("DM105", 3, "add labels org.opencontainers.image.source, org.opencontainers.image.licenses")
    ]


def test_many_stages_named_by_a_variable() -> None:
    """``FROM ${BASE} AS sN`` may name every earlier stage (its time: bench/scaling.py)."""
    text = "FROM alpine:3.20 AS s0\n" + "".join(f"FROM ${{BASE}} AS s{i}\n" for i in range(1, 400))
    report = run(add_labels, text, DEMO)
    assert [f.line for f in report.fixes] == [400]


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
    cases = [(DESCRIBED, b, a) for b, a in LAYOUT_CASES] + [(DEMO, b, a) for b, a in DEMO_CASES]
    cases += [(c, b, a) for c, b, a in OPENSHIFT_CASES + CONFIGURED]
    files = []
    for i, (_, before, after) in enumerate(cases):
        for kind, text in (("before", before), ("after", after)):
            (tmp_path / f"{i}.{kind}").write_text(text, newline="")
            files.append(tmp_path / f"{i}.{kind}")
    found = hadolint.lint(files)
    for i, case in enumerate(cases):
        new = found[tmp_path / f"{i}.after"] - found[tmp_path / f"{i}.before"]
        assert new == Counter(), (case[2], new)
