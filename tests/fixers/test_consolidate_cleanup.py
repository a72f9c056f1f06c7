"""DM104 consolidate-cleanup: package caches are cleaned in the RUN that fills them."""

from __future__ import annotations

import pytest

from fixers import pkgmanagers as pm
from fixers.base import Context
from fixers.rules import consolidate_cleanup
from tests.fixers.helpers import fixed, run

CHANGED = [
    # apt-get: one line, continuation styles, the `set -eux; \` style of official images
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y \\\n    curl\n",
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y \\\n"
        "    curl \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y \\\n        curl \\\n        wget\n",
        "FROM debian:12\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y \\\n"
        "        curl \\\n"
        "        wget \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y curl\n",
        "FROM debian:12\n"
        "RUN apt-get update && \\\n"
        "    apt-get install -y curl && \\\n"
        "    rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y --no-install-recommends \\\n"
        "\t\tca-certificates \\\n"
        "\t\tcurl\n",
        "FROM debian:12\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y --no-install-recommends \\\n"
        "\t\tca-certificates \\\n"
        "\t\tcurl \\\n"
        "\t; \\\n"
        "\trm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y curl\n",
        "FROM debian:12\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y curl; \\\n"
        "\trm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN set -eux; apt-get update; apt-get install -y curl\n",
        "FROM debian:12\nRUN set -eux; apt-get update; apt-get install -y curl; rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN set -ex && apt-get update && apt-get install -y curl\n",
        "FROM debian:12\nRUN set -ex && apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update; apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get update; apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt update && apt install -y curl\n",
        "FROM debian:12\nRUN apt update && apt install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get -qq update && apt-get -o Dpkg::Use-Pty=0 install -y curl\n",
        "FROM debian:12\n"
        "RUN apt-get -qq update && apt-get -o Dpkg::Use-Pty=0 install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    # endings: `|| true`, a pipeline, a trailing `;`, an escaped `\\;`, a compound command
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl || true\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl || true && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl | tee /log\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl | tee /log && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl;\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*;\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update && find / -xdev -name '*.pyc' -exec rm {} \\;\n",
        "FROM debian:12\n"
        "RUN apt-get update && find / -xdev -name '*.pyc' -exec rm {} \\; && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        'FROM debian:12\nRUN if [ -n "$X" ]; then apt-get update && apt-get install -y curl; fi\n',
        "FROM debian:12\n"
        'RUN if [ -n "$X" ]; then apt-get update && apt-get install -y curl; fi && rm -rf /var/lib/apt/lists/*\n',
    ),
    # spelling: lower case, comment lines inside, CRLF, backtick escape, trailing blanks
    (
        "FROM debian:12\nrun apt-get update && apt-get install -y curl\n",
        "FROM debian:12\nrun apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update \\\n    # the client\n    && apt-get install -y curl\n",
        "FROM debian:12\n"
        "RUN apt-get update \\\n"
        "    # the client\n"
        "    && apt-get install -y curl \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        'FROM debian:12\r\nRUN apt-get update && \\\r\n    apt-get install -y curl\r\nCMD ["bash"]\r\n',
        "FROM debian:12\r\n"
        "RUN apt-get update && \\\r\n"
        "    apt-get install -y curl && \\\r\n"
        "    rm -rf /var/lib/apt/lists/*\r\n"
        'CMD ["bash"]\r\n',
    ),
    (
        "# escape=`\nFROM debian:12\nRUN apt-get update && apt-get install -y `\n    curl\n",
        "# escape=`\n"
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y `\n"
        "    curl `\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl   \n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*   \n",
    ),
    # hadolint does not know `apt-get dist-clean`: the usual spelling is added
    (
        "FROM debian:13\nRUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y curl; \\\n\tapt-get dist-clean\n",
        "FROM debian:13\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y curl; \\\n"
        "\tapt-get dist-clean; \\\n"
        "\trm -rf /var/lib/apt/lists/*\n",
    ),
    # a later RUN that updates the lists itself, or reaches them through NodeSource's setup
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get update && apt-get install -y git\n",
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs\n",
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs\n",
    ),
    (
        "FROM debian:12 AS base\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "FROM base\n"
        "RUN apt-get update && apt-get install -y git\n",
        "FROM debian:12 AS base\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "FROM base\n"
        "RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*\n",
    ),
    # a later RUN whose update is conditional: its own lists are cleaned, the earlier ones kept
    (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN if [ -f x ]; then apt-get update; fi && apt-get install -y git\n",
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN if [ -f x ]; then apt-get update; fi && apt-get install -y git && rm -rf /var/lib/apt/lists/*\n",
    ),
    # a later RUN removes the lists before it installs: the earlier lists are not needed
    (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y a\n"
        "RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get install -y c\n",
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get install -y c\n",
    ),
    # rpm family and zypper
    ("FROM centos:7\nRUN yum install -y httpd\n", "FROM centos:7\nRUN yum install -y httpd && yum clean all\n"),
    (
        "FROM centos:7\nRUN yum --enablerepo epel install -y jq\n",
        "FROM centos:7\nRUN yum --enablerepo epel install -y jq && yum clean all\n",
    ),
    (
        "FROM fedora:40\nRUN dnf -y install \\\n    gcc \\\n    make\n",
        "FROM fedora:40\nRUN dnf -y install \\\n    gcc \\\n    make \\\n    && dnf clean all\n",
    ),
    (
        "FROM ubi9/ubi-minimal\nRUN microdnf install -y tar && microdnf update -y\n",
        "FROM ubi9/ubi-minimal\nRUN microdnf install -y tar && microdnf update -y && microdnf clean all\n",
    ),
    (
        "FROM opensuse/leap:15\nRUN zypper --non-interactive install -y curl\n",
        "FROM opensuse/leap:15\nRUN zypper --non-interactive install -y curl && zypper clean --all\n",
    ),
    (
        "FROM almalinux:8\nRUN yum install -y epel-release \\\n    && dnf install -y ccache\n",
        "FROM almalinux:8\n"
        "RUN yum install -y epel-release \\\n"
        "    && dnf install -y ccache \\\n"
        "    && yum clean all \\\n"
        "    && dnf clean all\n",
    ),
    # apk: --no-cache, and the `apk update` it makes useless
    ("FROM alpine:3.20\nRUN apk add curl\n", "FROM alpine:3.20\nRUN apk add --no-cache curl\n"),
    ("FROM alpine:3.20\nRUN apk update && apk add curl\n", "FROM alpine:3.20\nRUN apk add --no-cache curl\n"),
    (
        "FROM alpine:3.20\nRUN apk update \\\n    && apk add curl \\\n    && echo ok\n",
        "FROM alpine:3.20\nRUN apk add --no-cache curl \\\n    && echo ok\n",
    ),
    (
        "FROM alpine:3.20\nRUN set -eux; \\\n\tapk update; \\\n\tapk add curl; \\\n\tcurl --version\n",
        "FROM alpine:3.20\nRUN set -eux; \\\n\tapk add --no-cache curl; \\\n\tcurl --version\n",
    ),
    (
        "FROM alpine:3.20\nRUN apk update && apk --no-cache add curl\n",
        "FROM alpine:3.20\nRUN apk --no-cache add curl\n",
    ),
    ("FROM alpine:3.20\nRUN apk --update add curl\n", "FROM alpine:3.20\nRUN apk --update add --no-cache curl\n"),
    (
        "FROM alpine:3.20\n"
        "RUN apk add --no-cache --virtual .build gcc && apk add --virtual .run $deps && apk del .build\n",
        "FROM alpine:3.20\n"
        "RUN apk add --no-cache --virtual .build gcc && apk add --no-cache --virtual .run $deps && apk del .build\n",
    ),
    (
        "FROM alpine:3.20\nRUN apk add --no-network --virtual .run $deps\n",
        "FROM alpine:3.20\nRUN apk add --no-cache --no-network --virtual .run $deps\n",
    ),
    (
        "FROM alpine:3.20\nRUN apk update && apk upgrade && apk add curl\n",
        "FROM alpine:3.20\nRUN apk update && apk upgrade && apk add --no-cache curl\n",
    ),
    # pip, pip3, python -m pip, a venv's pip
    (
        "FROM python:3.12\nRUN pip install -r requirements.txt\n",
        "FROM python:3.12\nRUN pip install --no-cache-dir -r requirements.txt\n",
    ),
    (
        "FROM python:3.12\nRUN pip3 install flask && python3 -m pip install gunicorn\n",
        "FROM python:3.12\nRUN pip3 install --no-cache-dir flask && python3 -m pip install --no-cache-dir gunicorn\n",
    ),
    (
        "FROM python:3.12\nRUN python -m pip --disable-pip-version-check install -U pip\n",
        "FROM python:3.12\nRUN python -m pip --disable-pip-version-check install --no-cache-dir -U pip\n",
    ),
    (
        "FROM python:3.12\nRUN /venv/bin/pip install \\\n    -r requirements.txt\n",
        "FROM python:3.12\nRUN /venv/bin/pip install --no-cache-dir \\\n    -r requirements.txt\n",
    ),
    (
        "FROM python:3.12\nRUN pip install --no-cache -r requirements.txt\n",
        "FROM python:3.12\nRUN pip install --no-cache-dir --no-cache -r requirements.txt\n",
    ),
    # npm and yarn
    ("FROM node:20\nRUN npm ci\n", "FROM node:20\nRUN npm ci && npm cache clean --force\n"),
    (
        "FROM node:20\nRUN npm install --global \\\n    markdownlint-cli\n",
        "FROM node:20\nRUN npm install --global \\\n    markdownlint-cli \\\n    && npm cache clean --force\n",
    ),
    (
        "FROM node:20\nRUN yarn global add @vue/cli\n",
        "FROM node:20\nRUN yarn global add @vue/cli && yarn cache clean\n",
    ),
    # several managers in one RUN: cleanups in the order of their installs
    (
        "FROM node:20\nRUN apt-get update && apt-get install -y g++ \\\n    && npm ci\n",
        "FROM node:20\n"
        "RUN apt-get update && apt-get install -y g++ \\\n"
        "    && npm ci \\\n"
        "    && rm -rf /var/lib/apt/lists/* \\\n"
        "    && npm cache clean --force\n",
    ),
    (
        "FROM python:3.12\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y gcc \\\n"
        "    && pip install -r requirements.txt\n",
        "FROM python:3.12\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y gcc \\\n"
        "    && pip install --no-cache-dir -r requirements.txt \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    ),
    # a pip cache directory is no npm offline cache
    (
        "FROM node:20\nRUN pip install --cache-dir /w x && npm ci\n",
        "FROM node:20\nRUN pip install --cache-dir /w x && npm ci && npm cache clean --force\n",
    ),
    # fold a cleanup-only RUN that directly follows (blank lines between are fine)
    (
        'FROM centos:7\nRUN yum install -y httpd\n\nRUN yum clean all\nCMD ["httpd"]\n',
        'FROM centos:7\nRUN yum install -y httpd && yum clean all\nCMD ["httpd"]\n',
    ),
    (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y curl\n"
        "RUN apt-get clean && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y curl \\\n"
        "    && apt-get clean \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y curl\n"
        "RUN rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y curl; \\\n"
        "\trm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM centos:7\n"
        "RUN yum install -y httpd\n"
        "RUN yum clean all\n"
        "\n"
        "RUN rm -rf /var/cache/yum /tmp/*\n"
        'CMD ["httpd"]\n',
        'FROM centos:7\nRUN yum install -y httpd && yum clean all && rm -rf /var/cache/yum /tmp/*\nCMD ["httpd"]\n',
    ),
    (
        "FROM debian:12\nRUN --mount=type=secret,id=t apt-get update\nRUN apt-get clean\n",
        "FROM debian:12\nRUN --mount=type=secret,id=t apt-get update && apt-get clean && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "FROM debian:12\nRUN apt-get install -y curl\nRUN apt-get clean\n",
        "FROM debian:12\nRUN apt-get install -y curl && apt-get clean\n",
    ),
]

UNCHANGED = [
    # a later RUN still reads the lists: in the stage, in a child stage, in ONBUILD, after a copy
    "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git\n",
    "FROM debian:12 AS base\nRUN apt-get update && apt-get install -y curl\nFROM base\nRUN apt-get install -y git\n",
    "FROM debian:12 AS base\n"
    "RUN apt-get update && apt-get install -y curl\n"
    "FROM base AS mid\n"
    "FROM mid\n"
    "RUN apt-get install -y git\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nONBUILD RUN apt-get install -y git\n",
    "FROM debian:12 AS a\n"
    "RUN apt-get update && apt-get install -y curl\n"
    "FROM debian:12\n"
    "COPY --from=a / /\n"
    "RUN apt-get install -y git\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN sh -c 'apt-get install -y git'\n",
    # cache mounts keep the cache out of the layer already
    "FROM debian:12\n"
    "RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt apt-get update\n",
    "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n",
    "FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
    "FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n",
    "FROM centos:7\nRUN --mount=type=tmpfs,target=/var/cache/yum yum install -y httpd\n",
    # heredocs, JSON form, ONBUILD
    "FROM debian:12\nRUN <<EOF\napt-get update && apt-get install -y curl\nEOF\n",
    "FROM debian:12\nRUN <<EOF apt-get update\napt-get install -y curl\nEOF\n",
    'FROM debian:12\nRUN ["apt-get", "update"]\n',
    "FROM debian:12\nONBUILD RUN apt-get update && apt-get install -y curl\n",
    # already clean, in any spelling
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -r -f /var/lib/apt/lists\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -fr '/var/lib/apt/lists/'*\n",
    "FROM centos:7\nRUN yum install -y httpd && yum clean all\n",
    "FROM centos:7\nRUN yum install -y httpd && rm -rf /var/cache/yum\n",
    "FROM fedora:40\nRUN dnf install -y gcc && dnf clean all\n",
    "FROM opensuse/leap:15\nRUN zypper in -y curl && zypper cc -a\n",
    "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
    "FROM alpine:3.20\nRUN apk --no-cache add curl\n",
    "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
    "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n",
    "FROM python:3.12\nARG PIP_NO_CACHE_DIR=off\nRUN pip install flask\n",
    "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n",
    "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install flask\n",
    "FROM python:3.12\nRUN pip install --cache-dir /wheels flask\n",
    "FROM node:20\nRUN npm ci && npm cache clean --force\n",
    "FROM node:20\nRUN yarn install && yarn cache clean\n",
    # the end of the RUN is never reached, or runs in the background
    "FROM centos:7\nRUN yum install -y httpd &\n",
    "FROM centos:7\nRUN yum install -y httpd && exit 0\n",
    "FROM centos:7\nRUN yum install -y httpd && exec httpd\n",
    # the manager may be absent when the RUN ends: conditional, wrapped, or removed
    "FROM centos:7\nRUN if [ -x /usr/bin/yum ]; then yum install -y httpd; fi\n",
    "FROM centos:7\nRUN command -v yum && yum install -y httpd; echo done\n",
    "FROM centos:7\nRUN false || yum install -y httpd\n",
    "FROM debian:12\nRUN sudo apt-get update && sudo apt-get install -y curl\n",
    "FROM node:20-alpine\nRUN apk add --no-cache --virtual .b npm && npm install -g x && apk del .b\n",
    "FROM node:20\nRUN HOME=/tmp npm ci\n",
    # not an install
    "FROM node:20\nRUN npm exec -- playwright install chromium\n",
    "FROM debian:12\nRUN apt-get install -y curl\n",
    "FROM centos:7\nRUN yum makecache\n",
    "FROM python:3.12\nRUN pipenv install\n",
    # the author decided: a comment about caches, a hadolint ignore, apt caching set up
    "FROM node:20\n# warm the yarn cache for later builds\nRUN yarn install\n",
    "FROM debian:12\n# hadolint ignore=DL3008,DL3009\nRUN apt-get update && apt-get install -y curl\n",
    "FROM debian:12\nRUN rm /etc/apt/apt.conf.d/docker-clean && apt-get update && apt-get install -y curl\n",
    "FROM alpine:3.20\nRUN ln -s /var/cache/apk /etc/apk/cache && apk add curl\n",
    # globs may not expand: `rm -rf /var/lib/apt/lists/*` would do nothing, or fail
    "FROM debian:12\nRUN set -f; apt-get update && apt-get install -y curl\n",
    'FROM debian:12\nSHELL ["/bin/bash", "-c"]\nRUN shopt -s failglob; apt-get update && apt-get install -y curl\n',
    # Yarn 2+ keeps the installed packages in its cache (here: no sign of Yarn 1); offline installs
    "FROM node:20\nRUN yarn install --frozen-lockfile\n",
    "FROM node:20\nRUN corepack enable && yarn install --immutable\n",
    "FROM node:20\nCOPY .yarnrc.yml .\nRUN yarn install\n",
    "FROM node:20\nRUN npm ci\nRUN npm ci --offline\n",
    # Windows, or a backtick file that is not clearly Linux
    "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN pip install flask\n",
    "# escape=`\nFROM $BASE\nRUN apt-get update && apt-get install -y curl\n",
    'FROM debian:12\nSHELL ["powershell", "-Command"]\nRUN apt-get update\n',
    # the tokenizer is unsure, or a comment hides the end of the command
    "FROM debian:12\nRUN f() { apt-get update; }; f && apt-get install -y curl\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl # the client\n",
    'FROM debian:12\nRUN echo "unbalanced && apt-get update\n',
    # no fold: a comment between, flags, not cleanup only, not after an install, `;` inside
    "FROM centos:7\nRUN yum install -y httpd && yum clean all\n# tidy\nRUN rm -rf /tmp/*\n",
    "FROM centos:7\nRUN yum install -y httpd && yum clean all\nRUN --network=none rm -rf /tmp/*\n",
    "FROM centos:7\nRUN yum install -y httpd && yum clean all\nRUN rm -rf /tmp/* && make\n",
    "FROM centos:7\nRUN make\nRUN yum clean all\n",
    "FROM centos:7\nRUN yum install -y httpd &\nRUN yum clean all\nRUN rm -rf /tmp/*\n",
    "FROM centos:7\nRUN yum install -y httpd && yum clean all\nRUN rm -rf /tmp/*; yum clean all\n",
    "FROM centos:7\nRUN yum install -y httpd && yum clean all\nRUN rm -rf tmp/*\n",
    "FROM centos:7\nRUN set -f; yum install -y httpd && yum clean all\nRUN rm -rf /tmp/*\n",
]

# Shapes that went wrong on real files (corpus file in the comment)
REGRESSIONS = [
    # Azure azure-functions-docker host/4/*: a RUN ending in `find … -exec … {} \;`
    (
        "FROM debian:12\nRUN apt-get update && find /x -type f -exec chmod 644 {} \\;\n",
        "FROM debian:12\nRUN apt-get update && find /x -type f -exec chmod 644 {} \\; && rm -rf /var/lib/apt/lists/*\n",
    ),
    # quay Dockerfile: `;`-first continuation lines and a last line holding only `;`
    (
        "FROM ubi9/ubi-minimal\nRUN set -ex\\\n\t; microdnf update -y \\\n\t; tar --version\\\n\t;\n",
        "FROM ubi9/ubi-minimal\n"
        "RUN set -ex\\\n"
        "\t; microdnf update -y \\\n"
        "\t; tar --version; microdnf clean all\\\n"
        "\t;\n",
    ),
    # portainer dev-toolkit: "https://download…" in add-apt-repository is no `apt-get download`
    (
        "FROM ubuntu:20.04\n"
        "RUN apt-get update && apt-get install -y curl\n"
        'RUN add-apt-repository "deb https://download.docker.com/linux/ubuntu focal stable" && apt-get update\n',
        "FROM ubuntu:20.04\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        'RUN add-apt-repository "deb https://download.docker.com/linux/ubuntu focal stable" && apt-get update'
        " && rm -rf /var/lib/apt/lists/*\n",
    ),
    # docker-library memcached: "memcached" in a comment is not a comment about caches
    (
        "FROM alpine:3.10\nRUN set -x \\\n\t&& apk add gcc \\\n# build memcached\n\t&& make\n",
        "FROM alpine:3.10\nRUN set -x \\\n\t&& apk add --no-cache gcc \\\n# build memcached\n\t&& make\n",
    ),
    # healthchecks: pip reads `--no-cache` as `--no-cache-dir`, hadolint does not
    (
        "FROM python:3.12\nRUN pip install --no-cache /wheels/*\n",
        "FROM python:3.12\nRUN pip install --no-cache-dir --no-cache /wheels/*\n",
    ),
]

REGRESSIONS_UNCHANGED = [
    # microsoft playwright: `npm exec -- … install` runs a tool, it installs no package
    "FROM node:20\nRUN npm exec --no -- playwright-core install chromium\n",
    # tonistiigi xx: apt keeps downloaded packages on purpose (docker-clean removed)
    "FROM debian:12\nRUN rm /etc/apt/apt.conf.d/docker-clean && apt update && apt install -y vim\n",
    # discourse_dev: a RUN whose purpose is to fill the cache
    "FROM node:20\n# Warm global yarn cache\nRUN yarn install\n",
]


class _Files:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


@pytest.mark.parametrize(("before", "after"), CHANGED + REGRESSIONS)
def test_changed(before: str, after: str) -> None:
    assert fixed(consolidate_cleanup, before) == after


@pytest.mark.parametrize("text", UNCHANGED + REGRESSIONS_UNCHANGED)
def test_unchanged(text: str) -> None:
    report = run(consolidate_cleanup, text)
    assert report.after.decode() == text
    assert not report.fixes and not report.findings


@pytest.mark.parametrize(
    ("files", "changed"),
    [
        ({}, False),
        ({"yarn.lock": b"# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n"}, True),
        ({"package.json": b'{"packageManager": "yarn@1.22.22"}'}, True),
        ({"package.json": b'{"packageManager": "yarn@4.5.0"}'}, False),
        ({".yarnrc.yml": b"nodeLinker: pnp\n", "yarn.lock": b"# yarn lockfile v1\n"}, False),
        ({"yarn.lock": b"__metadata:\n  version: 8\n"}, False),
    ],
)
def test_yarn_cache_is_cleaned_only_for_yarn_1(files: dict[str, bytes], changed: bool) -> None:
    text = "FROM node:20\nCOPY . .\nRUN yarn install\n"
    after = fixed(consolidate_cleanup, text, Context(files=_Files(files)))
    assert after == (text.replace("yarn install", "yarn install && yarn cache clean") if changed else text)


def test_one_fix_per_run_on_its_first_line_says_what_changed() -> None:
    text = "FROM python:3.12\n\nRUN apt-get update \\\n    && pip install flask\nRUN rm -rf /tmp/*\n"
    report = run(consolidate_cleanup, text)
    assert [(f.line, f.code, f.risk.value) for f in report.fixes] == [(3, "DM104", "safe")]
    message = report.fixes[0].message
    assert "`--no-cache-dir`" in message and "`rm -rf /var/lib/apt/lists/*`" in message and "line 5" in message


def test_suppression_comment_is_honoured() -> None:
    text = "FROM centos:7\n# dockmend ignore=DM104\nRUN yum install -y httpd\nRUN dnf install -y gcc\n"
    assert fixed(consolidate_cleanup, text) == text.replace("dnf install -y gcc", "dnf install -y gcc && dnf clean all")


# Issue 13: flags only where the base's tools know them; shipped stages only; no second cleanup
BASES = [
    # pip < 6 (Ubuntu 14.04, Debian jessie, old python patch tags): the cache folder's removal
    (
        "FROM ubuntu:14.04\nRUN pip install flask\n",
        "FROM ubuntu:14.04\nRUN pip install flask && rm -rf ~/.cache/pip\n",
    ),
    (
        "FROM debian:jessie-slim\nRUN pip install flask\n",
        "FROM debian:jessie-slim\nRUN pip install flask && rm -rf ~/.cache/pip\n",
    ),
    (
        "FROM python:2.7.8\nRUN pip install flask\n",
        "FROM python:2.7.8\nRUN pip install flask && rm -rf ~/.cache/pip\n",
    ),
    # an unknown base: the same form, which every pip accepts
    (
        "FROM registry.example.com/team/base:1\nRUN pip install flask\n",
        "FROM registry.example.com/team/base:1\nRUN pip install flask && rm -rf ~/.cache/pip\n",
    ),
    # the base of the stage's lineage decides
    (
        "FROM ubuntu:trusty AS base\nRUN true\nFROM base\nRUN pip install flask\n",
        "FROM ubuntu:trusty AS base\nRUN true\nFROM base\nRUN pip install flask && rm -rf ~/.cache/pip\n",
    ),
    # known recent bases keep the flag
    ("FROM python:2.7\nRUN pip install flask\n", "FROM python:2.7\nRUN pip install --no-cache-dir flask\n"),
    ("FROM ubuntu:22.04\nRUN pip install flask\n", "FROM ubuntu:22.04\nRUN pip install --no-cache-dir flask\n"),
    # apk before 2.5 (Alpine < 3.3): no --no-cache, and the index of `apk update` is removed
    (
        "FROM alpine:3.2\nRUN apk update && apk add curl\n",
        "FROM alpine:3.2\nRUN apk update && apk add curl && rm -rf /var/cache/apk/*\n",
    ),
    (
        "FROM node:0.12-alpine3.1\nRUN apk add --update git\n",
        "FROM node:0.12-alpine3.1\nRUN apk add --update git && rm -rf /var/cache/apk/*\n",
    ),
    (
        "FROM docker:dind\nRUN apk add git\n",
        "FROM docker:dind\nRUN apk add git && rm -rf /var/cache/apk/*\n",
    ),
    ("FROM alpine:3.3\nRUN apk add curl\n", "FROM alpine:3.3\nRUN apk add --no-cache curl\n"),
    ("FROM node:20-alpine\nRUN apk add git\n", "FROM node:20-alpine\nRUN apk add --no-cache git\n"),
    # a builder stage only copied from is not cleaned; the stage the final one is built FROM is
    (
        "FROM python:3.12 AS build\nRUN pip install flask\nFROM python:3.12-slim\nCOPY --from=build /app /app\n"
        "RUN pip install gunicorn\n",
        "FROM python:3.12 AS build\nRUN pip install flask\nFROM python:3.12-slim\nCOPY --from=build /app /app\n"
        "RUN pip install --no-cache-dir gunicorn\n",
    ),
    (
        'FROM alpine:3.20 AS base\nRUN apk add curl\nFROM base\nCMD ["sh"]\n',
        'FROM alpine:3.20 AS base\nRUN apk add --no-cache curl\nFROM base\nCMD ["sh"]\n',
    ),
    # a stage nothing uses is a `--target` (a dev image): it ships
    (
        "FROM python:3.12 AS base\nRUN pip install flask\nFROM base AS dev\nRUN pip install watchdog\n"
        'FROM base AS final\nCMD ["flask"]\n',
        "FROM python:3.12 AS base\nRUN pip install --no-cache-dir flask\nFROM base AS dev\n"
        'RUN pip install --no-cache-dir watchdog\nFROM base AS final\nCMD ["flask"]\n',
    ),
    # a builder whose whole filesystem is copied into the final stage ships its caches
    (
        "FROM alpine:3.20 AS build\nRUN apk add curl\nFROM scratch\nCOPY --from=build / /\n",
        "FROM alpine:3.20 AS build\nRUN apk add --no-cache curl\nFROM scratch\nCOPY --from=build / /\n",
    ),
]

BASES_UNCHANGED = [
    # builder stages that never ship
    "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM debian:12\nCOPY --from=build /a /a\n",
    "FROM alpine:3.20 AS build\nRUN apk add go\nFROM alpine:3.20\nCOPY --from=build /app /app\n",
    "FROM alpine:3.20 AS build\nRUN apk add go\nFROM alpine:3.20\nRUN --mount=from=build,target=/b cp /b/app /app\n",
    # a cleanup the RUN already does, in another form
    "FROM python:3.12\nRUN pip install flask && rm -rf /root/.cache/pip\n",
    "FROM python:3.12\nRUN pip install flask && rm -rf ~/.cache\n",
    "FROM python:3.12\nRUN pip install flask && pip cache purge\n",
    "FROM alpine:3.20\nRUN apk add curl && rm -rf /var/cache/apk/*\n",
    "FROM alpine:3.20\nRUN apk update && apk add curl && rm -rf /var/cache/apk/*\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n",
    # the cache is moved: `~/.cache/pip` would be the wrong folder
    "FROM python:2.7.8\nRUN HOME=/tmp pip install flask\n",
]


@pytest.mark.parametrize(("before", "after"), BASES)
def test_flags_only_where_the_base_knows_them(before: str, after: str) -> None:
    assert fixed(consolidate_cleanup, before) == after


@pytest.mark.parametrize("text", BASES_UNCHANGED)
def test_unshipped_stages_and_existing_cleanups_are_left(text: str) -> None:
    report = run(consolidate_cleanup, text)
    assert report.after.decode() == text
    assert not report.fixes


def test_a_cache_left_on_an_old_base_is_explained() -> None:
    text = "FROM python:2.7.8\nENV XDG_CACHE_HOME=/cache\nRUN pip install flask\n"
    report = run(consolidate_cleanup, text)
    assert report.after.decode() == text
    [finding] = report.findings
    assert (finding.code, finding.line) == ("DM104", 3)
    assert "`--no-cache-dir`" in finding.message and "python:2.7.8" in finding.message


@pytest.mark.parametrize(
    ("image", "pip", "apk"),
    [
        ("ubuntu:14.04", False, None),
        ("ubuntu:16.04", True, None),
        ("debian:8", False, None),
        ("debian:bookworm-slim", True, None),
        ("python:3.4.2", False, None),
        ("python:3.4", True, None),
        ("nvidia/cuda:8.0-devel-ubuntu14.04", False, None),
        ("alpine:3.2", False, False),
        ("alpine:3.3", True, True),
        ("alpine", True, True),
        ("python:3.12-alpine3.19", True, True),
        ("${BASE}", None, None),
        ("example.com/x:1", None, None),
    ],
)
def test_what_a_base_accepts(image: str, pip: bool | None, apk: bool | None) -> None:
    assert (pm.pip_no_cache_dir(image), pm.apk_no_cache(image)) == (pip, apk)
