from __future__ import annotations

import pytest

from fixers import versioning
from fixers.versioning import parse

PARSED = [
    # tag, release, suffix, prefix, prerelease, date
    ("3.12.1-slim-bookworm", (3, 12, 1), "slim-bookworm", "", False, False),
    ("3.12-slim", (3, 12), "slim", "", False, False),
    ("3", (3,), "", "", False, False),
    ("v1.2.3", (1, 2, 3), "", "v", False, False),
    ("1.25.3-alpine3.18", (1, 25, 3), "alpine3.18", "", False, False),
    ("12.2.0-devel-ubuntu22.04", (12, 2, 0), "devel-ubuntu22.04", "", False, False),
    ("3.21.0_rc1", (3, 21, 0), "rc1", "", True, False),
    ("3.13.0rc1-slim", (3, 13, 0), "rc1-slim", "", True, False),
    ("3.13.0b1", (3, 13, 0), "b1", "", True, False),
    ("1.0.0-beta.1", (1, 0, 0), "beta.1", "", True, False),
    ("2.0-alpha-alpine", (2, 0), "alpha-alpine", "", True, False),
    ("3.14-rc-slim", (3, 14), "rc-slim", "", True, False),
    ("2024.01.15", (2024, 1, 15), "", "", False, True),
    ("20240115", (20240115,), "", "", False, True),
    ("8-jdk-bookworm", (8,), "jdk-bookworm", "", False, False),
]
NOT_VERSIONS = [
    "latest",
    "edge",
    "bookworm",
    "noble",
    "jammy",
    "stable",
    "a1b2c3d",
    "sha-1f2e3d4",
    "3.12.1-abcdef1",
    "3.12x",
    "1712345678901",
]


@pytest.mark.parametrize(("tag", "release", "suffix", "prefix", "pre", "date"), PARSED)
def test_parse(tag: str, release: tuple[int, ...], suffix: str, prefix: str, pre: bool, date: bool) -> None:
    v = parse(tag)
    assert v is not None
    assert (v.release, v.suffix, v.prefix, v.prerelease, v.date) == (release, suffix, prefix, pre, date)


@pytest.mark.parametrize("tag", NOT_VERSIONS)
def test_moving_tags_and_build_ids_are_not_versions(tag: str) -> None:
    assert parse(tag) is None


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("3.12.1", "3.12.4", "patch"),
        ("3.12.1", "3.13.0", "minor"),
        ("3.12.1", "4.0.0", "major"),
        ("3.12", "3.13", "minor"),
        ("3", "4", "major"),
        ("1.2.3.4", "1.2.3.5", "patch"),
        ("v1.2", "v1.3", "minor"),
        ("2024.01.15", "2024.02.01", "patch"),
        ("3.12-slim", "3.13.1-slim", None),  # precision changes
        ("3.12-slim", "3.13-alpine", None),  # suffix changes
        ("3.12.1", "v3.12.2", None),  # prefix changes
        ("3.12.1", "3.12.1", None),
        ("3.12.4", "3.12.1", None),
        ("3.12.1-slim", "3.12.2_slim", None),
        ("24.0.2_12-jdk-noble", "24.0.3_9-jdk-noble", "patch"),  # Temurin: _12 is a build number
        ("24.0.2_12-jdk-noble", "24.0.2_13-jdk-noble", "patch"),
        ("24.0.2_12-jdk-noble", "24.0.3-jdk-noble", None),
    ],
)
def test_update_type(old: str, new: str, kind: str | None) -> None:
    a, b = parse(old), parse(new)
    assert a is not None and b is not None
    assert versioning.update_type(a, b) == kind


TAGS = [
    "3.12.1-slim",
    "3.12.4-slim",
    "3.13.0-slim",
    "3.13.2-slim",
    "4.0.0-slim",
    "3.13.3rc1-slim",
    "3.12.9",
    "3.12.5-alpine",
]


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        ({"patch"}, "3.12.4-slim"),
        ({"patch", "minor"}, "3.13.2-slim"),
        ({"patch", "minor", "major"}, "4.0.0-slim"),
        ({"major"}, "4.0.0-slim"),
        ({"digest"}, None),
    ],
)
def test_newest_update_keeps_suffix_and_skips_prereleases(allowed: set[str], expected: str | None) -> None:
    current = parse("3.12.1-slim")
    assert current is not None
    best = versioning.newest_update(current, versioning.versions(TAGS), allowed)
    assert (best.tag if best else None) == expected


def test_versions_sorts_numerically_and_drops_prereleases() -> None:
    found = versioning.versions(["3.10", "3.9", "3.10.0rc1", "latest", "3.11"])
    assert [v.tag for v in found] == ["3.9", "3.10", "3.11"]


@pytest.mark.parametrize(
    ("precision", "expected"),
    [(1, "3"), (2, "3.20"), (3, "3.20.0")],
)
def test_pin_preference(precision: int, expected: str) -> None:
    same_digest = versioning.versions(["3.20.0", "3.20", "3", "3.20-bookworm", "20240115"])
    assert min(same_digest, key=lambda v: versioning.pin_preference(v, precision)).tag == expected


def test_pin_preference_falls_back_to_the_most_specific() -> None:
    same_digest = versioning.versions(["1.2.3.4", "1.2.3"])
    assert min(same_digest, key=lambda v: versioning.pin_preference(v, 2)).tag == "1.2.3.4"
