"""Image references: ``[registry/]path[:tag][@digest]``, parsed and normalised as Docker does.

``python`` is ``docker.io/library/python``; ``index.docker.io`` and
``registry-1.docker.io`` are ``docker.io``, whose API host is ``registry-1.docker.io``.
Pure functions: the fixers use them too.
"""

from __future__ import annotations

from fixers.lazyre import LazyPattern
from fixers.records import record

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_COMPONENT = LazyPattern(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = LazyPattern(r"[\w][\w.-]{0,127}")
_DIGEST = LazyPattern(r"sha256:[0-9a-f]{64}")
_HOST = LazyPattern(r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d+)?")


class InvalidReference(ValueError):
    """Not an image reference (a variable, a stage name with odd characters, garbage)."""


@record(frozen=True)
class ImageRef:
    registry: str  # normalised: "docker.io", "ghcr.io", "127.0.0.1:5000"
    repository: str  # "library/python", "org/app"
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The canonical repository name, ``docker.io/library/python``."""
        return f"{self.registry}/{self.repository}"

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@record(frozen=True)
class Written:
    """A reference split as written, so a rewrite keeps the author's spelling of the name."""

    name: str  # "python", "docker.io/library/python", "ghcr.io/org/app"
    tag: str | None
    digest: str | None

    def with_(self, tag: str | None, digest: str | None) -> str:
        return self.name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def split(text: str) -> Written:
    """Split ``name[:tag][@digest]`` without normalising; raises :class:`InvalidReference`."""
    name, _, digest = text.partition("@")
    tag: str | None = None
    head, sep, last = name.rpartition(":")
    if sep and "/" not in last:
        name, tag = head, last
    if digest and not _DIGEST.fullmatch(digest):
        raise InvalidReference(f"invalid digest in {text!r}")
    if tag is not None and not _TAG.fullmatch(tag):
        raise InvalidReference(f"invalid tag in {text!r}")
    if not name:
        raise InvalidReference(f"no repository in {text!r}")
    return Written(name, tag, digest or None)


def is_registry_host(component: str) -> bool:
    return ("." in component or ":" in component or component == "localhost") and bool(_HOST.fullmatch(component))


def parse(text: str) -> ImageRef:
    """Parse and normalise a reference; raises :class:`InvalidReference`."""
    written = split(text.strip())
    parts = written.name.split("/")
    registry = DOCKER_HUB
    if len(parts) > 1 and is_registry_host(parts[0]):
        registry = parts.pop(0).lower()
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        if len(parts) == 1:
            parts.insert(0, "library")
    if not parts or not all(_COMPONENT.fullmatch(p) for p in parts):
        raise InvalidReference(f"invalid repository name in {text!r}")
    return ImageRef(registry, "/".join(parts), written.tag, written.digest)


def same_repository(a: str, b: str) -> bool:
    """Whether two written names are the same repository (``alpine`` and ``docker.io/library/alpine``)."""
    try:
        return parse(a).name == parse(b).name
    except InvalidReference:
        return a == b
