"""DM103 reorder-layers: (before, after) tables; most rows must not move anything."""

from __future__ import annotations

import tracemalloc

import pytest

from fixers.base import Risk
from fixers.document import Document
from fixers.rules import reorder_layers
from tests.fixers.helpers import fixed, run

MOVES = [
    pytest.param(
        "FROM centos:7\nADD myfile /myfile\nRUN yum install -y httpd && yum clean all\n",
        "FROM centos:7\nRUN yum install -y httpd && yum clean all\nADD myfile /myfile\n",
        id="guideline-example",
    ),
    pytest.param(
        'FROM alpine:3.20\nWORKDIR /app\n# the app\nCOPY . .\n\n# tools\nRUN apk add --no-cache curl\nCMD ["./run"]\n',
        'FROM alpine:3.20\nWORKDIR /app\n# tools\nRUN apk add --no-cache curl\n# the app\nCOPY . .\n\nCMD ["./run"]\n',
        id="comment-blocks-travel-with-their-instruction",
    ),
    pytest.param(
        "FROM debian:12\nCOPY --from=build /out /srv/app\nCOPY web/ /srv/web/\nCOPY conf.yml /srv/app/conf.yml\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates"
        " && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates"
        " && rm -rf /var/lib/apt/lists/*\n"
        "COPY --from=build /out /srv/app\nCOPY web/ /srv/web/\nCOPY conf.yml /srv/app/conf.yml\n",
        id="hops-a-run-of-copies",
    ),
    pytest.param(
        "FROM alpine:3.20\r\n# app\r\nCOPY . /app\r\n# curl\r\nRUN apk add --no-cache \\\r\n    curl\r\n",
        "FROM alpine:3.20\r\n# curl\r\nRUN apk add --no-cache \\\r\n    curl\r\n# app\r\nCOPY . /app\r\n",
        id="crlf",
    ),
    pytest.param(
        "# escape=`\nFROM alpine:3.20\nCOPY . /app\nRUN apk add --no-cache `\n    curl\n",
        "# escape=`\nFROM alpine:3.20\nRUN apk add --no-cache `\n    curl\nCOPY . /app\n",
        id="backtick-escape",
    ),
    pytest.param(
        "FROM debian:12\nCOPY . /app\n"
        "RUN apt-get update \\\n    # the TLS roots\n    && apt-get install -y ca-certificates \\\n"
        "\n    && apt-get clean\n"
        "USER 1001\n",
        "FROM debian:12\n"
        "RUN apt-get update \\\n    # the TLS roots\n    && apt-get install -y ca-certificates \\\n"
        "\n    && apt-get clean\n"
        "COPY . /app\nUSER 1001\n",
        id="continuation-with-comment-and-blank-lines",
    ),
    pytest.param(
        "from alpine:3.20\ncopy . /app\nrun apk add curl\n",
        "from alpine:3.20\nrun apk add curl\ncopy . /app\n",
        id="lower-case",
    ),
    pytest.param(
        "FROM golang:1.22 AS build\nCOPY . /src\nRUN go build -o /out/app /src\n"
        "FROM alpine:3.20\nCOPY --from=build /out/app /app/app\nRUN apk add --no-cache tzdata\n",
        "FROM golang:1.22 AS build\nCOPY . /src\nRUN go build -o /out/app /src\n"
        "FROM alpine:3.20\nRUN apk add --no-cache tzdata\nCOPY --from=build /out/app /app/app\n",
        id="multi-stage-only-the-install-moves",
    ),
    pytest.param(
        "FROM alpine:3.20\nCOPY . /app\nRUN apk add curl",
        "FROM alpine:3.20\nRUN apk add curl\nCOPY . /app",
        id="no-final-newline",
    ),
    pytest.param(
        "FROM alpine:3.20\nCOPY seed /data\nCOPY . /app\nRUN mkdir -p /data/cache\n",
        "FROM alpine:3.20\nCOPY seed /data\nRUN mkdir -p /data/cache\nCOPY . /app\n",
        id="stops-at-the-copy-it-depends-on",
    ),
    pytest.param(
        "FROM alpine:3.20\nRUN apk add a\nCOPY . /app\nCOPY x /srv/x\nRUN apk add b\n",
        "FROM alpine:3.20\nRUN apk add a\nCOPY . /app\nRUN apk add b\nCOPY x /srv/x\n",
        id="stops-short-of-a-new-DL3059",
    ),
    pytest.param(
        "FROM alpine:3.20\nCOPY a /a\nRUN apk add x && apk add y && apk add z\nCOPY b /b\n"
        "RUN apk add u && apk add v && apk add w\n",
        "FROM alpine:3.20\nRUN apk add x && apk add y && apk add z\nCOPY a /a\n"
        "RUN apk add u && apk add v && apk add w\nCOPY b /b\n",
        id="a-moved-run-is-never-joined-by-another",
    ),
    pytest.param(
        "FROM node:20\nCOPY --chown=app:app . /app\nRUN groupadd -r app && useradd -r -g app -s /bin/sh app\n",
        "FROM node:20\nRUN groupadd -r app && useradd -r -g app -s /bin/sh app\nCOPY --chown=app:app . /app\n",
        id="copy-chown-to-a-user-the-run-creates",
    ),
    pytest.param(
        "FROM python:3.12\nWORKDIR /usr/src/app\nCOPY . .\n"
        "RUN pip install --no-cache-dir gunicorn 'uvicorn[standard]'\n",
        "FROM python:3.12\nWORKDIR /usr/src/app\nRUN pip install --no-cache-dir gunicorn 'uvicorn[standard]'\n"
        "COPY . .\n",
        id="pip-named-packages",
    ),
    pytest.param(
        "FROM debian:12\nCOPY <<EOF /app/motd\nhello\nEOF\n# hadolint ignore=DL3008\n"
        "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null\n",
        "FROM debian:12\n# hadolint ignore=DL3008\n"
        "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null\n"
        "COPY <<EOF /app/motd\nhello\nEOF\n",
        id="hops-a-heredoc-copy-pragma-travels",
    ),
    pytest.param(
        "FROM alpine:3.20\nRUN <<EOF\nset -e\necho hi\nEOF\nEXPOSE 80\n"
        "COPY . /app\nRUN adduser -D -s /bin/sh -h /srv/home app\n",
        "FROM alpine:3.20\nRUN <<EOF\nset -e\necho hi\nEOF\nEXPOSE 80\n"
        "RUN adduser -D -s /bin/sh -h /srv/home app\nCOPY . /app\n",
        id="heredoc-run-above-stays-intact",
    ),
    pytest.param(
        "FROM fedora:40\nCOPY . /app\nRUN dnf -y install --setopt=install_weak_deps=False httpd && dnf clean all"
        " && mkdir -p /var/log/app && chown -R 1001:0 /var/log/app && chmod g=u /var/log/app\n",
        "FROM fedora:40\nRUN dnf -y install --setopt=install_weak_deps=False httpd && dnf clean all"
        " && mkdir -p /var/log/app && chown -R 1001:0 /var/log/app && chmod g=u /var/log/app\nCOPY . /app\n",
        id="system-setup-outside-the-destination",
    ),
    pytest.param(
        "FROM alpine:3.20 AS base\nWORKDIR /app\nFROM base\nCOPY . .\nRUN apk add curl\n",
        "FROM alpine:3.20 AS base\nWORKDIR /app\nFROM base\nRUN apk add curl\nCOPY . .\n",
        id="workdir-from-the-parent-stage",
    ),
    pytest.param(
        "FROM node:20\nCOPY . /home/node/app\nADD vendor.tar.gz /srv/vendor/\nRUN apt-get install -y curl\n",
        "FROM node:20\nRUN apt-get install -y curl\nCOPY . /home/node/app\nADD vendor.tar.gz /srv/vendor/\n",
        id="home-and-srv-are-application-places",
    ),
    pytest.param(
        "FROM golang:1.22\nENV GOPATH=/go\nENV PATH=$GOPATH/bin:$PATH\nCOPY . /app\nRUN apt-get install -y git\n",
        "FROM golang:1.22\nENV GOPATH=/go\nENV PATH=$GOPATH/bin:$PATH\nRUN apt-get install -y git\nCOPY . /app\n",
        id="env-paths-elsewhere",
    ),
    pytest.param(
        "FROM alpine:3.20\nCOPY . /app\n# about the copy\n\nRUN apk add curl\n",
        "FROM alpine:3.20\nRUN apk add curl\nCOPY . /app\n# about the copy\n\n",
        id="a-comment-after-a-blank-line-stays",
    ),
    pytest.param(
        "FROM debian:12 AS a\nENV PATH=/srv/app/bin:$PATH\nFROM debian:12 AS b\nCOPY . /srv/app\n"
        "RUN apt-get install -y x\n",
        "FROM debian:12 AS a\nENV PATH=/srv/app/bin:$PATH\nFROM debian:12 AS b\nRUN apt-get install -y x\n"
        "COPY . /srv/app\n",
        id="env-path-of-another-stage",
    ),
    pytest.param(
        "FROM debian:12 AS a\nFROM a\nCOPY . /srv/app\nRUN apt-get install -y x\nENV PATH=/srv/app/bin:$PATH\n",
        "FROM debian:12 AS a\nFROM a\nRUN apt-get install -y x\nCOPY . /srv/app\nENV PATH=/srv/app/bin:$PATH\n",
        id="env-path-after-the-run",
    ),
    pytest.param(
        "FROM debian:12 AS a\nENV APP=/srv/app\nFROM a\nENV TOOLS=$APP/tools\nCOPY . /srv/web\n"
        "RUN apt-get install -y x\n",
        "FROM debian:12 AS a\nENV APP=/srv/app\nFROM a\nENV TOOLS=$APP/tools\nRUN apt-get install -y x\n"
        "COPY . /srv/web\n",
        id="variable-from-the-parent-stage",
    ),
]


@pytest.mark.parametrize(("before", "after"), MOVES)
def test_moves(before: str, after: str) -> None:
    assert fixed(reorder_layers, before) == after


KEEPS = [
    pytest.param(
        "FROM debian:12\nCOPY x.deb /debs/x.deb\nRUN apt-get install -y /debs/x.deb\n", id="reads-copied-file"
    ),
    pytest.param("FROM debian:12\nCOPY pkgs /pkgs\nRUN apt-get install -y $(cat /pkgs)\n", id="substitution"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN apt-get install -y $PKGS\n", id="variable"),
    pytest.param("FROM debian:12\nWORKDIR /app\nCOPY . .\nRUN mkdir -p logs\n", id="relative-path"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN apt-get install -y ./x.deb\n", id="relative-deb"),
    pytest.param("FROM centos:7\nCOPY . /app\nRUN yum install -y x.rpm\n", id="local-rpm"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nRUN apk add py3-*\n", id="glob"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nWORKDIR /app\nRUN apk add curl\n", id="workdir-between"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nENV A=b\nRUN apk add curl\n", id="env-between"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nUSER 1001\nRUN apk add curl\n", id="user-between"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nARG V\nRUN apk add curl\n", id="arg-between"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nLABEL a=b\nRUN apk add curl\n", id="label-between"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nONBUILD RUN x\nRUN apk add curl\n", id="onbuild-between"),
    pytest.param(
        'FROM alpine:3.20\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nCOPY . /app\nRUN apk add x\n', id="shell"
    ),
    pytest.param("FROM alpine:3.20\nCOPY x /x\nFROM alpine:3.20\nRUN apk add curl\n", id="other-stage"),
    pytest.param(
        "FROM debian:12\nCOPY . /app\nRUN --mount=type=cache,target=/var/cache/apt apt-get install -y curl\n",
        id="mount-cache",
    ),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN --mount=type=bind,target=/x apt-get install -y curl\n", id="mount"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN --network=none apt-get clean\n", id="any-flag"),
    pytest.param("FROM node:20\nWORKDIR /app\nCOPY package.json .\nRUN npm install\n", id="npm"),
    pytest.param("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n", id="pip-r"),
    pytest.param("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install .\n", id="pip-dot"),
    pytest.param("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install app.whl\n", id="pip-wheel"),
    pytest.param("FROM golang:1.22\nCOPY . /src\nRUN go build -o /bin/app /src\n", id="go-build"),
    pytest.param("FROM gcc:14\nCOPY . /src\nRUN make -C /src\n", id="make"),
    pytest.param("FROM maven:3\nCOPY . /src\nRUN mvn -f /src package\n", id="mvn"),
    pytest.param("FROM debian:12\nCOPY install.sh /install.sh\nRUN /install.sh\n", id="script"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN cd /tmp && apt-get install -y curl\n", id="cd"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN apt-get install -y curl | tee /log\n", id="pipe"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN apt-get install -y curl > /app/log\n", id="redirect"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN apt-get -o Dir::Etc=/app install -y curl\n", id="option-path"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN apt-get -c /app/apt.conf install curl\n", id="unknown-option"),
    pytest.param("FROM debian:12\nCOPY . $APP\nRUN apt-get install -y curl\n", id="variable-destination"),
    pytest.param("FROM debian:12\nCOPY . .\nRUN apt-get install -y curl\n", id="unknown-workdir"),
    pytest.param(
        "FROM debian:12\nCOPY --from=build /out/ /usr/local/bin/\nRUN apt-get install -y curl\n", id="from-path"
    ),
    pytest.param("FROM alpine:3.20\nCOPY --from=xx / /\nRUN apk add --no-cache file git\n", id="from-root"),
    pytest.param("FROM debian:12\nADD rootfs.tar.gz /\nRUN apt-get install -y curl\n", id="archive-root"),
    pytest.param("FROM debian:12\nCOPY sources.list /etc/apt/\nRUN apt-get update\n", id="package-config"),
    pytest.param("FROM debian:12\nCOPY nginx.conf /etc/nginx/\nRUN apt-get install -y nginx\n", id="etc"),
    pytest.param("FROM debian:12\nCOPY site /var/www/html\nRUN apt-get install -y apache2\n", id="var-www"),
    pytest.param("FROM debian:12\nCOPY x /opt/x\nRUN apt-get install -y x\n", id="opt"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN rm -rf /app/tests\n", id="rm-copied-dir"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN rm -rf /app/*\n", id="rm-copied-glob"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN chown -R 1001 /app\n", id="chown-copied"),
    pytest.param("FROM debian:12\nCOPY run.sh /run.sh\nRUN chmod +x /run.sh\n", id="chmod-copied"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN mkdir -p /app\n", id="mkdir-destination"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN mkdir -p /app/logs\n", id="mkdir-inside-destination"),
    pytest.param(
        "FROM debian:12\nENV APP=/srv/app\nENV PATH=$APP/bin:$PATH\nCOPY . /srv/app\nRUN apt-get install -y x\n",
        id="env-path-through-a-variable",
    ),
    pytest.param(
        'FROM alpine:3.20 AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nCOPY . /app\nRUN apk add x\n',
        id="shell-in-the-parent-stage",
    ),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN ln -s /app/bin/x /usr/local/bin/x\n", id="ln-into-copy"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN ln -s app /x\n", id="ln-relative"),
    pytest.param("FROM debian:12\nCOPY . /home/app\nRUN useradd -m app\n", id="useradd-home"),
    pytest.param("FROM debian:12\nCOPY . /app\nRUN useradd -d /app app\n", id="useradd-home-dir"),
    pytest.param("FROM debian:12\nENV PATH=/app/bin:$PATH\nCOPY . /app\nRUN apt-get install -y x\n", id="env-path"),
    pytest.param("FROM debian:12\nENV PATH=$TOOLS/bin:$PATH\nCOPY . /app\nRUN apt-get install -y x\n", id="env-var"),
    pytest.param(
        "FROM debian:12 AS a\nENV PATH=/srv/app/bin:$PATH\nFROM a AS b\nFROM b\nCOPY . /srv/app\n"
        "RUN apt-get install -y x\n",
        id="env-path-of-the-grandparent-stage",
    ),
    pytest.param("ARG APP=/srv/app\nFROM debian:12\nCOPY . /srv/app\nRUN apt-get install -y x\n", id="global-arg-path"),
    pytest.param(
        "FROM debian:12 AS a\nFROM a AS b\nENV APP=/srv/app\nFROM a\nENV TOOLS=$APP/tools\nCOPY . /srv/web\n"
        "RUN apt-get install -y x\n",
        id="variable-of-a-sibling-stage",
    ),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nRUN <<EOF\napk add curl\nEOF\n", id="heredoc-run"),
    pytest.param('FROM alpine:3.20\nCOPY . /app\nRUN ["apk", "add", "curl"]\n', id="exec-form"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\n# dockmend ignore=DM103\nRUN apk add curl\n", id="suppressed"),
    pytest.param("FROM alpine:3.20\n# dockmend ignore=reorder-layers\nCOPY . /app\nRUN apk add x\n", id="copy-pinned"),
    pytest.param("FROM alpine:3.20\nRUN apk add a\nCOPY . /app\nRUN apk add b\n", id="would-add-DL3059"),
    pytest.param(
        "FROM alpine:3.20\nRUN apk add a && apk add b && apk add c\nCOPY . /app\n"
        "RUN apk add d && apk add e && apk add f\n",
        id="never-next-to-a-RUN",
    ),
    pytest.param("FROM alpine:3.20\nRUN apk add curl\nCOPY . /app\n", id="already-first"),
    pytest.param("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY . C:\\app\nRUN mkdir C:\\x\n", id="windows"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nRUN apk add curl & sleep 1\n", id="background"),
    pytest.param("FROM alpine:3.20\nCOPY . /app\nRUN if true; then apk add curl; fi\n", id="compound"),
]


@pytest.mark.parametrize("text", KEEPS)
def test_keeps(text: str) -> None:
    assert fixed(reorder_layers, text) == text


def test_one_fix_per_moved_run_with_message() -> None:
    report = run(reorder_layers, "FROM alpine:3.20\nCOPY a /a\nCOPY b /b\n# tools\nRUN apk add curl\n")
    assert [(f.line, f.code, f.risk, f.message) for f in report.fixes] == [
        (5, "DM103", Risk.REVIEW, "moved RUN `apk add curl` (line 5) above COPY (line 2) and 1 more COPY/ADD")
    ]


# Issue 13: an index refresh never moves without the install that reads it
REFRESH_KEPT = [
    "FROM debian:12\nCOPY . /app\nRUN apt-get update\nRUN apt-get install -y curl\n",
    "FROM debian:12\nCOPY . /app\nRUN apt-get -qq update\nCOPY b /srv/b\nRUN apt-get install -y curl\n",
    "FROM alpine:3.20\nCOPY . /app\nRUN apk update\nRUN apk add curl\n",
    "FROM fedora:40\nCOPY . /app\nRUN dnf makecache\nRUN dnf install -y gcc\n",
]


@pytest.mark.parametrize("text", REFRESH_KEPT)
def test_an_update_only_run_stays_with_its_install(text: str) -> None:
    assert fixed(reorder_layers, text) == text


def test_an_update_moves_with_its_install_in_one_run() -> None:
    text = "FROM debian:12\nCOPY . /app\nRUN apt-get update && apt-get install -y curl\n"
    assert fixed(reorder_layers, text) == "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\n"


def test_a_chain_of_stages_is_not_copied_stage_by_stage() -> None:
    """Issue 15: each stage's ENV paths were a copy of its parent's, so memory grew with
    the square of the stages along a chain. The paths are shared now: the planner's peak
    memory stays a small multiple of the file's size (it was ~1,400 times it here)."""
    text = "FROM alpine:3.20 AS s0\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nENV K{i}=/srv/k{i} L{i}=/opt/l/{i}\nCOPY f{i} /srv/f{i}\nRUN apk add c{i}\n"
        for i in range(1, 2000)
    )
    doc = Document.parse(text)
    tracemalloc.start()
    try:
        moves = reorder_layers._plan(doc)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(moves) == 1999  # every RUN moves above its stage's COPY
    assert peak < 60 * len(text)
