from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from fixers.base import Context, ImagePolicy, RegistryUnavailable
from fixers.document import Document
from fixers.records import replace
from fixers.rules import bump_base_tag
from tests.fixers.helpers import fixed, run
from tests.registry.fake import D, TableResolver

ALPINE = {"3.18.0": D("1"), "3.18.4": D("2"), "3.18": D("2"), "3.19.0": D("3"), "3.19.1": D("4"), "3.19": D("4")}
ALPINE |= {"3.20.0": D("a"), "3.20": D("a"), "3": D("a"), "latest": D("a"), "edge": D("e"), "3.21.0_rc1": D("c")}
ALPINE |= {"3.21.0-beta1": D("c"), "3.20.1-rc.1": D("c"), "bookworm": D("b"), "v3.18.0": D("1"), "v3.18.9": D("9")}
PYTHON = {
    "3.11.2-slim-bookworm": D("5"),
    "3.11.9-slim-bookworm": D("6"),
    "3.12.4-slim-bookworm": D("7"),
    "3.11.9-alpine": D("8"),
    "3.11.10": D("8"),
    "3.12-slim": D("f"),
    "3.13-slim": D("d"),
    "3.13.1-slim": D("d"),
    "3.14.0rc1-slim": D("c"),
    "3.14-rc-slim": D("c"),
}
OLD = datetime.now(UTC) - timedelta(days=700)
NEW = datetime.now(UTC) - timedelta(days=10)
NODE = {
    "18-alpine": D("1"),
    "18.20.4-alpine": D("1"),
    "20-alpine": D("2"),
    "22-alpine": D("3"),
    "22.1.0-alpine": D("3"),
    "20.11.0-alpine": D("1"),
    "20.12.2-alpine": D("2"),
    "21.0.0-alpine": D("3"),
    "16.1-alpine": D("1"),
    "16.2-alpine": D("1"),  # as old as 16.1: no fresher line
}
RESOLVER = TableResolver(
    {
        "docker.io/library/alpine": ALPINE,
        "docker.io/library/python": PYTHON,
        "docker.io/library/node": NODE,
        "ghcr.io/org/app": {"2024.01.15": D("1"), "2024.02.01": D("2"), "2025.01.01-rc": D("3")},
    },
    platforms={D("a"): {"linux/amd64": D("b"), "linux/arm64": D("0")}, D("4"): {"linux/arm64": D("5")}},
    created={D("1"): OLD, D("2"): NEW, D("3"): NEW},
)
CTX = Context(resolver=RESOLVER, offline=False)
MINOR = ImagePolicy(update_types=frozenset({"patch", "minor", "digest"}))
MAJOR = ImagePolicy(update_types=frozenset({"patch", "minor", "major", "digest"}))

BUMPED = [
    ("FROM alpine:3.18.0\n", "FROM alpine:3.18.4\n"),
    ("FROM alpine:v3.18.0\n", "FROM alpine:v3.18.9\n"),
    ("FROM python:3.11.2-slim-bookworm AS app\n", "FROM python:3.11.9-slim-bookworm AS app\n"),
    ("FROM --platform=linux/amd64 alpine:3.18.0 AS a\n", "FROM --platform=linux/amd64 alpine:3.18.4 AS a\n"),
    (f"FROM alpine:3.19@{D('0')}\n", f"FROM alpine:3.19@{D('4')}\n"),  # rebuilt tag
    (f"FROM alpine:3.18.0@{D('1')}\n", f"FROM alpine:3.18.4@{D('2')}\n"),
    (f"FROM alpine:bookworm@{D('0')}\n", f"FROM alpine:bookworm@{D('b')}\n"),
    # a moved tag under --platform: the platform's digest (the index's if the file used that)
    (f"FROM --platform=linux/arm64 alpine:3.20@{D('9')}\n", f"FROM --platform=linux/arm64 alpine:3.20@{D('0')}\n"),
    (f"FROM --platform=linux/arm64 alpine:3.19@{D('3')}\n", f"FROM --platform=linux/arm64 alpine:3.19@{D('5')}\n"),
    ("FROM ghcr.io/org/app:2024.01.15\n", "FROM ghcr.io/org/app:2024.02.01\n"),
    ("from alpine:3.18.0\r\nrun true\r\n", "from alpine:3.18.4\r\nrun true\r\n"),
    ("# escape=`\nFROM alpine:3.18.0 `\n  AS a\n", "# escape=`\nFROM alpine:3.18.4 `\n  AS a\n"),
    ("ARG TAG=3.18.0\nFROM alpine:$TAG\n", "ARG TAG=3.18.4\nFROM alpine:$TAG\n"),
    ("ARG IMG=alpine:3.18.0\nFROM ${IMG}\nRUN x\n", "ARG IMG=alpine:3.18.4\nFROM ${IMG}\nRUN x\n"),
    (
        "FROM alpine:3.18.0 AS build\nRUN make\nFROM alpine:3.18.0\nCOPY --from=build /a /a\n",
        "FROM alpine:3.18.4 AS build\nRUN make\nFROM alpine:3.18.4\nCOPY --from=build /a /a\n",
    ),
    (
        "FROM alpine:3.18.0\nRUN <<EOF\nFROM alpine:3.18.0\nEOF\n",
        "FROM alpine:3.18.4\nRUN <<EOF\nFROM alpine:3.18.0\nEOF\n",
    ),
]

UNCHANGED = [
    "FROM alpine:3.18.4\n",
    "FROM alpine:3.20\n",  # a patch update cannot change a major.minor tag
    "FROM alpine:3.20.0\n",  # 3.21.0_rc1, 3.21.0-beta1 and 3.20.1-rc.1 are pre-releases
    "FROM alpine:edge\n",
    "FROM alpine\n",  # DM101's job
    "FROM alpine:3.21.0_rc1\n",
    f"FROM alpine:3.20@{D('a')}\n",
    f"FROM --platform=linux/arm64 alpine:3.20@{D('0')}\n",
    "FROM python:3.11.9-slim-bookworm\n",
    "FROM python:3.12-slim\n",
    "FROM scratch\n",
    "FROM example.com/nothing:1.0.0\n",
    "# dockmend ignore=DM102\nFROM alpine:3.18.0\n",
]


@pytest.mark.parametrize(("before", "after"), BUMPED)
def test_bumps_within_the_line(before: str, after: str) -> None:
    assert fixed(bump_base_tag, before, CTX) == after


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(text: str) -> None:
    assert fixed(bump_base_tag, text, CTX) == text


@pytest.mark.parametrize(
    ("policy", "before", "after"),
    [
        (MINOR, "FROM python:3.11.2-slim-bookworm\n", "FROM python:3.12.4-slim-bookworm\n"),
        (MINOR, "FROM python:3.12-slim\n", "FROM python:3.13-slim\n"),  # never 3.13.1-slim nor 3.14-rc
        (MINOR, "FROM alpine:3.18.0\n", "FROM alpine:3.20.0\n"),
        (MINOR, "FROM alpine:3\n", "FROM alpine:3\n"),
        (MAJOR, "FROM node:18-alpine\n", "FROM node:22-alpine\n"),
        (
            ImagePolicy(update_types=frozenset({"patch"})),
            f"FROM alpine:3.19@{D('0')}\n",
            f"FROM alpine:3.19@{D('0')}\n",
        ),
        (ImagePolicy(update_types=frozenset({"digest"})), "FROM alpine:3.18.0\n", "FROM alpine:3.18.0\n"),
        # a stale line moves within its major by default, across majors only when they are allowed
        (ImagePolicy(stale_after_days=365), "FROM node:18-alpine\n", "FROM node:18-alpine\n"),
        (ImagePolicy(stale_after_days=365), "FROM node:20.11.0-alpine\n", "FROM node:20.12.2-alpine\n"),
        (
            ImagePolicy(stale_after_days=365, update_types=frozenset({"patch", "digest", "major"})),
            "FROM node:18-alpine\n",
            "FROM node:22-alpine\n",
        ),
        (ImagePolicy(stale_after_days=365), "FROM node:16.1-alpine\n", "FROM node:16.1-alpine\n"),  # no newer
        (ImagePolicy(stale_after_days=800), "FROM node:18-alpine\n", "FROM node:18-alpine\n"),
        (ImagePolicy(stale_after_days=365), "FROM node:22-alpine\n", "FROM node:22-alpine\n"),
    ],
)
def test_policy(policy: ImagePolicy, before: str, after: str) -> None:
    assert fixed(bump_base_tag, before, replace(CTX, policy=policy)) == after


def test_messages_say_what_and_why() -> None:
    text = f"FROM alpine:3.18.0\nFROM alpine:3.19@{D('0')}\n"
    assert [f.message for f in run(bump_base_tag, text, CTX).fixes] == [
        "patch update: alpine:3.18.0 → alpine:3.18.4 (newer patch release)",
        f"digest update: alpine:3.19@{D('0')[:19]}… → @{D('4')[:19]}… "
        "(the tag was rebuilt, usually for security fixes)",
    ]
    stale = replace(CTX, policy=ImagePolicy(stale_after_days=365))
    (fix,) = run(bump_base_tag, "FROM node:20.11.0-alpine\n", stale).fixes
    assert fix.message == (
        "minor update: node:20.11.0-alpine → node:20.12.2-alpine "
        "(stale line: the newest 20.11.0-alpine image is 700 days old, 20.12.2-alpine is 10 days old)"
    )


def test_unavailable_registry_goes_up_to_the_engine() -> None:
    resolver = dataclasses.replace(RESOLVER, unavailable=frozenset({"docker.io/library/alpine"}))
    with pytest.raises(RegistryUnavailable):
        bump_base_tag.fix(Document.parse("FROM alpine:3.18.0\n"), replace(CTX, resolver=resolver))
