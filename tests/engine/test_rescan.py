"""The pieces of rescan skipping: canonical keys, recorded registry look-ups, replay."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.engine.rescan import RecordingResolver, canonical, digest, same_answers
from fixers.base import ImageConfig, ImageUnreachable, RegistryUnavailable


@dataclass
class Registry:
    """Answers from a dict; ``down`` makes every look-up an outage."""

    tags_of: dict[str, list[str]] = field(default_factory=dict)
    digests: dict[tuple[str, str], str] = field(default_factory=dict)
    down: bool = False

    def tags(self, image: str) -> Sequence[str]:
        if self.down:
            raise RegistryUnavailable("registry down")
        if image not in self.tags_of:
            raise ImageUnreachable(f"{image}: not found")
        return self.tags_of[image]

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        if self.down:
            raise RegistryUnavailable("registry down")
        return self.digests[(image, reference)]

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        raise ImageUnreachable("no config here")


def recorded(registry: Registry) -> dict[str, str]:
    probe = RecordingResolver(registry)
    probe.tags("python")
    probe.digest("python", "3.12", "linux/amd64")
    with pytest.raises(ImageUnreachable):
        probe.tags("gone")
    return probe.lookups


def before() -> Registry:
    return Registry({"python": ["3.11", "3.12"]}, {("python", "3.12"): "sha256:aaa"})


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda r: None, True),
        (lambda r: r.tags_of["python"].append("3.13"), False),  # a new tag: DM102 may bump
        (lambda r: r.digests.update({("python", "3.12"): "sha256:bbb"}), False),  # the tag moved
        (lambda r: r.tags_of.update({"gone": ["1"]}), False),  # unreachable then, reachable now
        (lambda r: setattr(r, "down", True), False),  # an outage: scan again, never skip on doubt
    ],
)
def test_a_repository_is_skipped_only_when_every_answer_is_the_same(change: object, same: bool) -> None:
    lookups = recorded(before())
    now = before()
    change(now)  # type: ignore[operator]
    assert same_answers(now, lookups) is same


def test_no_lookups_need_no_registry() -> None:
    assert same_answers(None, {}) is True
    assert same_answers(None, recorded(before())) is False  # online then, offline now


def test_an_unknown_lookup_is_not_skipped() -> None:
    assert same_answers(before(), {'["manifests", "python"]': "x"}) is False


def test_canonical_sorts_sets_and_mappings() -> None:
    assert canonical({"b": frozenset({"y", "x"}), "a": (1, None)}) == {"a": [1, None], "b": ["x", "y"]}


def test_the_digest_is_the_same_in_every_process() -> None:
    """Set order changes with the hash seed; the scan key must not."""
    code = "from bot.engine.rescan import digest; print(digest(frozenset(f'DM{n}' for n in range(100, 130))))"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code], env={"PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert seen == {digest(frozenset(f"DM{n}" for n in range(100, 130))) + "\n"}
