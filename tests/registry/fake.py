"""A table-driven :class:`fixers.base.ImageResolver` for fixer tables: the fixers' own
network boundary. The real client is tested against real registries in this folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fixers.base import ImageConfig, ImageUnreachable, RegistryUnavailable
from fixers.images import parse


def D(letter: str) -> str:
    """A digest that shows which image it is: ``D("a")`` is ``sha256:aaaa…``."""
    return "sha256:" + letter * 64


@dataclass
class TableResolver:
    images: Mapping[str, Mapping[str, str]]  # repository -> tag -> digest
    platforms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # index digest -> platform -> digest
    created: Mapping[str, datetime] = field(default_factory=dict)  # digest -> created
    unavailable: frozenset[str] = frozenset()  # repositories whose registry answers 503
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def _repo(self, image: str) -> Mapping[str, str]:
        name = parse(image).name
        if name in self.unavailable:
            raise RegistryUnavailable(f"registry of {name} is unavailable (HTTP 503); try again later")
        if name not in self.images:
            raise ImageUnreachable(f"{name}: tags not found")
        return self.images[name]

    def tags(self, image: str) -> tuple[str, ...]:
        self.calls.append(("tags", image))
        return tuple(sorted(self._repo(image)))

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        self.calls.append(("digest", image, reference, str(platform)))
        tags = self._repo(image)
        top = reference if reference.startswith("sha256:") else tags.get(reference)
        if top is None:
            raise ImageUnreachable(f"{image}: {reference} not found")
        if platform is None:
            return top
        return self.platforms.get(top, {}).get(platform, top)

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        digest = self.digest(image, reference, platform)
        return ImageConfig(digest, self.created.get(self.digest(image, reference)))
