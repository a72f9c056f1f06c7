"""The ``registries:`` and ``images:`` configuration sections, validated.

```yaml
registries:
  docker.io:
    mirror: http://127.0.0.1:5000     # pull-through cache; Docker Hub names resolve there
    username: bot                     # optional; ${ENV} references allowed
    password: ${REGISTRY_PASSWORD}    # secrets only by reference
  registry.internal:5000:
    insecure: true                    # plain HTTP
images:
  pin: minor                          # major | minor | patch
  pin_digests: false
  update_types: [patch, digest]       # of digest, patch, minor, major
  stale_after_days: 365               # optional
  platform: linux/amd64
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.errors import DockmendError
from bot.images import is_registry_host, parse
from bot.versioning import PRECISIONS, UPDATE_TYPES
from fixers.base import ImagePolicy

REGISTRY_KEYS = ("mirror", "username", "password", "insecure")
IMAGES_KEYS = ("pin", "pin_digests", "update_types", "stale_after_days", "platform")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PLATFORM = re.compile(r"[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_]+)?")


class Secret:
    """A credential: ``repr``/``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class RegistryEntry:
    mirror: str | None = None  # base URL, no trailing slash
    username: str | None = None
    password: Secret | None = None
    insecure: bool = False  # plain HTTP to the registry itself


@dataclass(frozen=True)
class RegistrySettings:
    entries: Mapping[str, RegistryEntry] = field(default_factory=dict)  # by normalised host

    def entry(self, registry: str) -> RegistryEntry:
        return self.entries.get(registry, RegistryEntry())

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], env: Mapping[str, str], path: str | None = None) -> RegistrySettings:
        if not isinstance(raw, Mapping):
            raise _error(path, raw, None, "'registries' must map registry hosts to settings")
        entries = {_host(path, raw, str(key)): _entry(path, raw, str(key), value, env) for key, value in raw.items()}
        return cls(entries)


def _where(node: Any, key: Any) -> tuple[int | None, int | None]:
    lc = getattr(node, "lc", None)
    if lc is not None and key is not None:
        try:
            line, column = lc.key(key)
            return line + 1, column + 1
        except (KeyError, TypeError):
            pass
    return None, None


def _error(path: str | None, node: Any, key: Any, message: str) -> DockmendError:
    line, column = _where(node, key)
    return DockmendError(message, path=path, line=line, column=column)


def _host(path: str | None, node: Any, key: str) -> str:
    if not is_registry_host(key):
        raise _error(path, node, key, f"registries: {key!r} is not a registry host (like docker.io or ghcr.io)")
    return parse(f"{key}/x").registry


def _text(path: str | None, node: Any, key: str, env: Mapping[str, str], secret: bool) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _error(path, node, key, f"{key!r} must be text")
    match = _REFERENCE.fullmatch(value.strip())
    if match is None:
        if secret:
            raise _error(path, node, key, f"{key!r} must reference the environment (${{NAME}}), not be written here")
        return value
    name = match.group(1)
    if name not in env:
        raise _error(path, node, key, f"{key!r}: environment variable {name} is not set")
    return env[name]


def _mirror(path: str | None, node: Any) -> str | None:
    value = node.get("mirror")
    if value is None:
        return None
    url = urlsplit(str(value))
    if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment or "@" in url.netloc:
        raise _error(path, node, "mirror", "'mirror' must be an http(s) URL without credentials")
    return str(value).rstrip("/")


def _entry(path: str | None, parent: Any, host: str, node: Any, env: Mapping[str, str]) -> RegistryEntry:
    if node is None:
        return RegistryEntry()
    if not isinstance(node, Mapping):
        raise _error(path, parent, host, f"registries: {host!r} must be a mapping")
    for key in node:
        if key not in REGISTRY_KEYS:
            raise _error(path, node, key, f"unknown key {key!r} (expected one of: {', '.join(REGISTRY_KEYS)})")
    password = _text(path, node, "password", env, secret=True)
    insecure = node.get("insecure", False)
    if not isinstance(insecure, bool):
        raise _error(path, node, "insecure", "'insecure' must be true or false")
    return RegistryEntry(
        mirror=_mirror(path, node),
        username=_text(path, node, "username", env, secret=False),
        password=Secret(password) if password is not None else None,
        insecure=insecure,
    )


def policy_from_config(raw: Mapping[str, Any] | None, path: str | None = None) -> ImagePolicy:
    """The ``images:`` section as an :class:`ImagePolicy` (defaults for what is missing)."""
    if not raw:
        return ImagePolicy()
    if not isinstance(raw, Mapping):
        raise _error(path, raw, None, "'images' must be a mapping")
    for key in raw:
        if key not in IMAGES_KEYS:
            raise _error(path, raw, key, f"unknown key {key!r} (expected one of: {', '.join(IMAGES_KEYS)})")
    default = ImagePolicy()
    pin = raw.get("pin", default.pin)
    if pin not in PRECISIONS:
        raise _error(path, raw, "pin", f"'pin' must be one of: {', '.join(PRECISIONS)}")
    kinds = raw.get("update_types", sorted(default.update_types))
    if not isinstance(kinds, list) or not all(k in UPDATE_TYPES for k in kinds):
        raise _error(path, raw, "update_types", f"'update_types' must be a list of: {', '.join(UPDATE_TYPES)}")
    stale = raw.get("stale_after_days", default.stale_after_days)
    if stale is not None and (isinstance(stale, bool) or not isinstance(stale, int) or stale < 1):
        raise _error(path, raw, "stale_after_days", "'stale_after_days' must be a positive number of days")
    pin_digests = raw.get("pin_digests", default.pin_digests)
    if not isinstance(pin_digests, bool):
        raise _error(path, raw, "pin_digests", "'pin_digests' must be true or false")
    platform = raw.get("platform", default.platform)
    if not isinstance(platform, str) or not _PLATFORM.fullmatch(platform):
        raise _error(path, raw, "platform", "'platform' must look like linux/amd64 or linux/arm64/v8")
    return ImagePolicy(pin, pin_digests, frozenset(kinds), stale, platform)
