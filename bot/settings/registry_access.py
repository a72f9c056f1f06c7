"""Registry settings as the registry client uses them: mirrors, credentials resolved.

The ``registries:`` and ``images:`` sections are validated by :mod:`bot.settings.registries`
(documented in ``config/dockmend.example.yaml``). A registry's password reference is
resolved the first time that registry is contacted, so a run that needs no registry (or
not that one) needs none of their secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from bot.settings import source
from bot.settings.registries import Registries, Registry
from bot.settings.secrets import REFERENCE, Origin, Secret, SecretRef
from fixers.images import parse

__all__ = ["RegistryEntry", "RegistrySettings", "Secret"]

_REGISTRIES: TypeAdapter[Registries] = TypeAdapter(Registries)


@dataclass(frozen=True)
class RegistryEntry:
    mirror: str | None = None  # base URL, no trailing slash
    username: str | None = None
    password: Secret | None = None
    insecure: bool = False  # plain HTTP to the registry itself


@dataclass(frozen=True)
class RegistrySettings:
    """Per normalised host; an entry's references are resolved the first time it is used."""

    sections: Mapping[str, Registry | None] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    path: str | None = None
    allow: tuple[str, ...] = ()  # ``registries.allow``: more hosts the client may contact
    _entries: dict[str, RegistryEntry] = field(default_factory=dict, repr=False, compare=False)

    def entry(self, registry: str) -> RegistryEntry:
        """A DockmendError naming the reference if one of its secrets is missing."""
        if registry not in self._entries:
            self._entries[registry] = _entry(registry, self.sections.get(registry), self.env, self.path)
        return self._entries[registry]

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], env: Mapping[str, str], path: str | None = None) -> RegistrySettings:
        """Validated ``registries:`` entries (or plain mappings: DockmendError if they are wrong)."""
        try:
            found = _REGISTRIES.validate_python(dict(raw))
        except ValidationError as exc:
            raise source.problem(exc, dict(raw), path, prefix=("registries",)) from None
        sections = {parse(f"{host}/x").registry: section for host, section in found.hosts().items()}
        return cls(sections, env, path, tuple(found.allow))

    def configured_hosts(self) -> set[str]:
        """The hosts the configuration names: each section's API host and its mirror's."""
        hosts = {parse(f"{registry}/x").api_host for registry in self.sections}
        hosts |= {urlsplit(s.mirror).netloc for s in self.sections.values() if s is not None and s.mirror}
        return hosts


def _entry(host: str, section: Registry | None, env: Mapping[str, str], path: str | None) -> RegistryEntry:
    if section is None:
        return RegistryEntry()
    username = section.username
    match = REFERENCE.fullmatch(username) if username is not None else None
    if match is not None:
        origin = Origin(path, key=f"registries.{host}.username")
        username = SecretRef(match["env"], match["file"], origin).resolve(env).reveal()
    password = section.password.resolve(env) if section.password is not None else None
    return RegistryEntry(section.mirror, username, password, section.insecure)
