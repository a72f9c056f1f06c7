from __future__ import annotations

import dataclasses

import pytest

from fixers.base import Context, ImagePolicy, RegistryUnavailable
from fixers.document import Document
from fixers.records import replace
from fixers.rules import pin_base_tag, unreachable_base
from tests.fixers.helpers import fixed, run
from tests.registry.fake import D, TableResolver

ALPINE = {"latest": D("a"), "3.20.0": D("a"), "3.20": D("a"), "3": D("a"), "3.19": D("b"), "3.19.1": D("b")}
ALPINE |= {"edge": D("e"), "3.21.0_rc1": D("c"), "3.21.0-slim": D("a"), "deadbeef1": D("a")}
PYTHON = {"latest": D("p"), "3.13.1": D("p"), "3.13": D("p"), "3": D("p"), "3.13-bookworm": D("p"), "3.12": D("q")}
RESOLVER = TableResolver(
    {
        "docker.io/library/alpine": ALPINE,
        "docker.io/library/python": PYTHON,
        "docker.io/library/busybox": {"latest": D("f"), "1.36": D("9")},
        "ghcr.io/org/app": {"latest": D("1"), "v2.1.0": D("1"), "v2.1": D("1"), "2024.01.15": D("1")},
    },
    platforms={D("p"): {"linux/amd64": D("2"), "linux/arm64": D("3")}},
)
CTX = Context(resolver=RESOLVER, offline=False)

PINNED = [
    ("FROM alpine\n", "FROM alpine:3.20\n"),
    ("FROM alpine:latest AS build\nRUN true\n", "FROM alpine:3.20 AS build\nRUN true\n"),
    ("FROM --platform=linux/arm64 alpine\n", "FROM --platform=linux/arm64 alpine:3.20\n"),
    ("FROM --platform=$BUILDPLATFORM alpine AS x\n", "FROM --platform=$BUILDPLATFORM alpine:3.20 AS x\n"),
    ("from alpine as base\nrun echo hi\n", "from alpine:3.20 as base\nrun echo hi\n"),
    ("FROM alpine\r\nRUN true\r\n", "FROM alpine:3.20\r\nRUN true\r\n"),
    ("\ufeffFROM alpine\n", "\ufeffFROM alpine:3.20\n"),
    ("# escape=`\nFROM `\n  alpine:latest\nRUN dir c:\\\n", "# escape=`\nFROM `\n  alpine:3.20\nRUN dir c:\\\n"),
    ("FROM \\\n# the base\n  alpine \\\n  AS a\n", "FROM \\\n# the base\n  alpine:3.20 \\\n  AS a\n"),
    ("FROM docker.io/library/alpine:latest\n", "FROM docker.io/library/alpine:3.20\n"),
    ("FROM index.docker.io/alpine\n", "FROM index.docker.io/alpine:3.20\n"),
    ("FROM python\n", "FROM python:3.13\n"),
    ("FROM ghcr.io/org/app\n", "FROM ghcr.io/org/app:v2.1\n"),
    ("ARG BASE=alpine:latest\nFROM ${BASE}\n", "ARG BASE=alpine:3.20\nFROM ${BASE}\n"),
    ('ARG BASE="alpine"\nFROM $BASE AS b\n', 'ARG BASE="alpine:3.20"\nFROM $BASE AS b\n'),
    ("ARG V=1 TAG=latest\nFROM alpine:${TAG}\n", "ARG V=1 TAG=3.20\nFROM alpine:${TAG}\n"),
    ("ARG B=alpine\nFROM $B AS one\nFROM ${B} AS two\n", "ARG B=alpine:3.20\nFROM $B AS one\nFROM ${B} AS two\n"),
    (
        "FROM alpine AS a\nRUN make\nFROM a\nFROM scratch\nCOPY --from=a / /\n",
        "FROM alpine:3.20 AS a\nRUN make\nFROM a\nFROM scratch\nCOPY --from=a / /\n",
    ),
    ("FROM alpine\nRUN <<EOF\nFROM alpine\nEOF\n", "FROM alpine:3.20\nRUN <<EOF\nFROM alpine\nEOF\n"),
    (f"FROM alpine:latest@{D('b')}\n", f"FROM alpine:3.19@{D('b')}\n"),
]

UNCHANGED = [
    "FROM alpine:3.19\n",
    "FROM alpine:edge\n",
    "FROM scratch\n",
    f"FROM alpine@{D('a')}\n",
    f"FROM alpine:latest@{D('d')}\n",  # no version tag has that digest
    "FROM $UNSET\n",
    "ARG BASE\nFROM ${BASE}\n",
    "ARG TAG=latest\nFROM alpine:${TAG}-slim\n",
    "FROM ${REGISTRY}/alpine\n",
    "FROM alpine:3.20 AS alpine\nFROM alpine\n",  # a stage, not the image
    "FROM busybox\n",  # no version tag builds the same image
    "FROM example.com/nothing/here\n",  # unreachable: DM207 reports it
    "# dockmend ignore=DM101\nFROM alpine\n",
    "FROM alpine\n# dockmend ignore-file=DM101\n",
]


@pytest.mark.parametrize(("before", "after"), PINNED)
def test_pins_to_the_tag_of_the_same_digest(before: str, after: str) -> None:
    assert fixed(pin_base_tag, before, CTX) == after


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(text: str) -> None:
    assert fixed(pin_base_tag, text, CTX) == text


@pytest.mark.parametrize(
    ("policy", "before", "after"),
    [
        (ImagePolicy(pin="patch"), "FROM alpine\n", "FROM alpine:3.20.0\n"),
        (ImagePolicy(pin="major"), "FROM alpine\n", "FROM alpine:3\n"),
        (ImagePolicy(pin="patch"), "FROM python\n", "FROM python:3.13.1\n"),
        (ImagePolicy(pin_digests=True), "FROM alpine\n", f"FROM alpine:3.20@{D('a')}\n"),
        (
            ImagePolicy(pin_digests=True),
            "FROM --platform=linux/arm64 python\n",
            f"FROM --platform=linux/arm64 python:3.13@{D('3')}\n",
        ),
        (ImagePolicy(pin_digests=True), f"FROM alpine:latest@{D('b')}\n", f"FROM alpine:3.19@{D('b')}\n"),
    ],
)
def test_policy(policy: ImagePolicy, before: str, after: str) -> None:
    assert fixed(pin_base_tag, before, replace(CTX, policy=policy)) == after


def test_offline_or_without_a_resolver_nothing_happens() -> None:
    assert fixed(pin_base_tag, "FROM alpine\n", replace(CTX, offline=True)) == "FROM alpine\n"
    assert fixed(pin_base_tag, "FROM alpine\n", Context(offline=False)) == "FROM alpine\n"


def test_message_names_old_new_and_digest() -> None:
    report = run(pin_base_tag, "FROM alpine\n", CTX)
    assert [f.message for f in report.fixes] == [f"pin alpine to alpine:3.20, the same image ({D('a')[:19]}…)"]


def test_unreachable_and_unpinnable_bases_are_dm207_findings_and_the_rest_is_fixed() -> None:
    text = "FROM example.com/nothing/here AS a\nFROM busybox AS b\nFROM alpine\n"
    report = run(unreachable_base, text, CTX)
    assert [(f.code, f.line, f.message) for f in report.findings] == [
        ("DM207", 1, "example.com/nothing/here: tags not found"),
        ("DM207", 2, "no version tag builds the same image as busybox"),
    ]
    after = fixed(pin_base_tag, text, CTX)
    assert after == "FROM example.com/nothing/here AS a\nFROM busybox AS b\nFROM alpine:3.20\n"


def test_unavailable_registry_goes_up_to_the_engine_and_dm207_stays_silent() -> None:
    resolver = dataclasses.replace(RESOLVER, unavailable=frozenset({"docker.io/library/alpine"}))
    ctx = replace(CTX, resolver=resolver)
    with pytest.raises(RegistryUnavailable):
        pin_base_tag.fix(Document.parse("FROM python\nFROM alpine\n"), ctx)
    assert run(unreachable_base, "FROM alpine\n", ctx).findings == []
