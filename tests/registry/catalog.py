"""The images every test registry holds, and what the tests expect of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.registry.push import Pushed, Pusher, Spec, push_image

NOW = datetime.now(UTC).replace(microsecond=0)
AMD64_ARM64 = ("linux/amd64", "linux/arm64")


def _day(days_ago: int) -> datetime:
    return NOW - timedelta(days=days_ago)


# repository -> [(key, spec, tags)]; tags sharing a key share a digest
CATALOG: dict[str, list[tuple[str, Spec, list[str]]]] = {
    "library/alpine": [
        ("3.18.0", Spec(_day(600), "3.18.0"), ["3.18.0"]),
        ("3.18.4", Spec(_day(500), "3.18.4"), ["3.18.4", "3.18"]),
        ("3.19.0", Spec(_day(400), "3.19.0"), ["3.19.0"]),
        ("3.19.1", Spec(_day(300), "3.19.1"), ["3.19.1", "3.19"]),
        ("3.20.0", Spec(_day(100), "3.20.0", AMD64_ARM64), ["3.20.0", "3.20", "3", "latest"]),
        ("edge", Spec(_day(1), "edge"), ["edge"]),
        ("3.21.0_rc1", Spec(_day(2), "rc"), ["3.21.0_rc1"]),
    ],
    "library/python": [
        ("3.11.2-sb", Spec(_day(500), "3.11.2-sb"), ["3.11.2-slim-bookworm"]),
        ("3.11.9-sb", Spec(_day(90), "3.11.9-sb"), ["3.11.9-slim-bookworm", "3.11-slim-bookworm"]),
        ("3.12.4-sb", Spec(_day(80), "3.12.4-sb"), ["3.12.4-slim-bookworm", "3.12-slim-bookworm"]),
        ("3.11.9-a", Spec(_day(85), "3.11.9-a"), ["3.11.9-alpine", "3.11.10-alpine"]),
        ("3.12-s", Spec(_day(70), "3.12-s", docker=True), ["3.12-slim", "3.12.4-slim"]),
        ("3.13-s", Spec(_day(20), "3.13-s", docker=True), ["3.13-slim", "3.13.1-slim"]),
        ("3.14rc", Spec(_day(3), "3.14rc"), ["3.14.0rc1-slim", "3.14-rc-slim", "3.14.0b2"]),
        ("latest", Spec(_day(20), "latest", AMD64_ARM64, docker=True), ["latest", "3.13.1", "3.13", "3"]),
    ],
    "library/node": [
        ("18", Spec(_day(700), "18"), ["18-alpine", "18.20.4-alpine"]),
        ("20", Spec(_day(10), "20"), ["20-alpine", "20.18.0-alpine"]),
        ("22", Spec(_day(5), "22"), ["22-alpine", "22.11.0-alpine"]),
    ],
    "library/busybox": [
        ("latest", Spec(_day(1), "busybox-latest"), ["latest"]),
        ("1.36", Spec(_day(50), "1.36"), ["1.36.1", "1.36"]),
    ],
    "team/app": [
        ("1.0", Spec(_day(10), "app-1.0"), ["1.0.0", "1.0", "latest"]),
    ],
}
REBUILD = ("library/alpine", Spec(_day(5), "3.19.1-rebuilt"), ["3.19.1", "3.19"])


@dataclass
class Pushes:
    """Digests of what was pushed: ``digests[repo][tag]``, platforms, the rebuilt tag's old one."""

    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    platforms: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    before_rebuild: str = ""

    def digest(self, repo: str, tag: str) -> str:
        return self.digests[repo][tag]


def push_catalog(pusher: Pusher) -> Pushes:
    pushes = Pushes()
    for repo, images in CATALOG.items():
        for _, spec, tags in images:
            _record(pushes, repo, tags, push_image(pusher, repo, spec, tags))
    repo, spec, tags = REBUILD
    pushes.before_rebuild = pushes.digest(repo, tags[-1])
    _record(pushes, repo, tags, push_image(pusher, repo, spec, tags))
    return pushes


def _record(pushes: Pushes, repo: str, tags: list[str], pushed: Pushed) -> None:
    for tag in tags:
        pushes.digests.setdefault(repo, {})[tag] = pushed.digest
        pushes.platforms.setdefault(repo, {})[tag] = pushed.platforms
