"""OCI and Docker image documents: media types, platform selection in an index, configs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fixers.base import ImageConfig

MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
INDEX_TYPES = frozenset(MEDIA_TYPES[::2])
ACCEPT = ", ".join(MEDIA_TYPES)


def select_platform(manifests: list[dict[str, Any]], platform: str) -> str | None:
    """The digest of the entry for ``os/arch[/variant]``; arm64's variant defaults to v8."""
    want = platform.lower().split("/")
    os_, arch = want[0], want[1] if len(want) > 1 else ""
    variant = want[2] if len(want) > 2 else None
    for entry in manifests:
        p = entry.get("platform") or {}
        if p.get("os") != os_ or p.get("architecture") != arch:
            continue
        has = p.get("variant") or ("v8" if arch == "arm64" else None)
        if variant is None or has == variant:
            return str(entry.get("digest"))
    return None


def media_type(body: dict[str, Any]) -> str:
    if body.get("mediaType"):
        return str(body["mediaType"])
    return MEDIA_TYPES[0] if "manifests" in body else MEDIA_TYPES[1]  # OCI allows omitting it


def image_config(digest: str, body: dict[str, Any]) -> ImageConfig:
    config = body.get("config") or {}
    created = None
    if isinstance(body.get("created"), str):
        try:
            created = datetime.fromisoformat(body["created"].replace("Z", "+00:00"))
        except ValueError:
            created = None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    entrypoint, cmd = config.get("Entrypoint"), config.get("Cmd")
    return ImageConfig(
        digest=digest,
        created=created,
        entrypoint=tuple(entrypoint) if isinstance(entrypoint, list) else None,
        cmd=tuple(cmd) if isinstance(cmd, list) else None,
        user=config.get("User") or None,
    )
