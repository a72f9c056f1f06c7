"""``fixers:``, ``images:`` and ``registries:``: what runs, how images are pinned, where they come from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from bot.settings.base import HttpUrl, Items, Names, Section, Text, invalid
from bot.settings.secrets import Reference
from fixers.base import ImagePolicy
from fixers.images import is_registry_host
from fixers.registry import by_name

_PLATFORM = re.compile(r"[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_]+)?")


def _fixers(values: tuple[str, ...]) -> tuple[str, ...]:
    names = by_name()
    for index, value in enumerate(values):
        if value.lower() not in names:
            raise invalid(f"unknown fixer {value!r} (a code like DM104 or a name like consolidate-cleanup)", [index])
    return values


FixerNames = Annotated[Names, AfterValidator(_fixers)]


def _severity_codes(values: Mapping[str, str]) -> dict[str, str]:
    names = by_name()
    for key in values:
        if key.lower() not in names:
            raise invalid(f"unknown fixer {key!r} (a code like DM104 or a name like consolidate-cleanup)", [key])
    return {names[key.lower()]: level for key, level in values.items()}


Severities = Annotated[Mapping[str, Literal["error", "warning", "info"]], AfterValidator(_severity_codes)]


class Fixers(Section):
    """Which fixers run: codes (DM104) or names (consolidate-cleanup)."""

    select: FixerNames = ()
    """Only these fixers (default: all)."""
    ignore: FixerNames = ()
    """Never these fixers."""


class Images(Section):
    """How DM101 pins and DM102 bumps base images."""

    pin: Literal["major", "minor", "patch"] = "minor"
    """Precision of a pinned tag: 3 (major), 3.12 (minor) or 3.12.1 (patch)."""
    pin_digests: bool = False
    """Pin as tag@sha256:… as well."""
    update_types: Items[Literal["digest", "patch", "minor", "major"]] = ("digest", "patch")
    """Which updates DM102 proposes."""
    stale_after_days: int | None = Field(default=None, ge=1)
    """Report a base image whose newest release is older than this many days."""
    platform: str = "linux/amd64"
    """For per-platform look-ups when a FROM names none, like linux/amd64 or linux/arm64/v8."""

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        if not _PLATFORM.fullmatch(value):
            raise invalid("expected an OS/architecture like linux/amd64 or linux/arm64/v8")
        return value

    def policy(self) -> ImagePolicy:
        return ImagePolicy(
            self.pin, self.pin_digests, frozenset(self.update_types), self.stale_after_days, self.platform
        )


class Registry(Section):
    """One registry: a mirror, credentials, plain HTTP."""

    mirror: HttpUrl | None = None
    """A pull-through cache; the registry's images are read there."""
    username: Text | None = None
    """The user name, or a reference to it (${ENV_VAR})."""
    password: Reference | None = None
    """A reference to the password or token: ${ENV_VAR} or file:/run/secrets/name."""
    insecure: bool = False
    """Talk plain HTTP to the registry itself."""


def _host(value: str) -> str:
    if not is_registry_host(value):
        raise invalid(f"{value!r} is not a registry host (like docker.io, ghcr.io or registry.internal:5000)")
    return value


RegistryHost = Annotated[str, AfterValidator(_host)]
_PATTERN = re.compile(r"(?:[a-z0-9*-]+\.)*[a-z0-9-]+(?::[0-9]{1,5})?|\[[0-9a-f:.]+\](?::[0-9]{1,5})?")


def _pattern(value: str) -> str:
    if not _PATTERN.fullmatch(value.lower()):
        raise invalid(
            f"{value!r} is not a host: write registry.example.com, registry.example.com:5000 or *.example.com"
            " (a '*' is allowed in every label but the last)"
        )
    return value.lower()


HostPattern = Annotated[str, AfterValidator(_pattern)]


class Registries(BaseModel):
    """Per registry host (docker.io, ghcr.io, registry.internal:5000), and which hosts the bot may contact."""

    model_config = ConfigDict(strict=True, frozen=True, extra="allow", use_attribute_docstrings=True)
    __pydantic_extra__: dict[RegistryHost, Registry | None]

    allow: Items[HostPattern] = ()
    """More registry hosts the bot may contact, besides the public registries and the hosts configured here
    (docs/security.md lists the defaults). A name without a wildcard may be at a private address; one with a
    wildcard (*.registry.example.com) only at public addresses."""

    def hosts(self) -> dict[str, Registry | None]:
        return dict(self.__pydantic_extra__ or {})
