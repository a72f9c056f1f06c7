"""Configuration: one YAML file, validated into typed models, turned into the settings the code uses.

:func:`load` reads the file with ruamel.yaml (positions kept), validates it with the
pydantic models of :mod:`bot.settings` and returns a :class:`Config`. Every problem is one
``file:line:col: key: message`` :class:`~bot.errors.DockmendError` (exit code 2). Secrets
are references (``${ENV}``, ``file:PATH``) resolved only when a feature uses them.

``python -m bot.settings.config schema`` prints the JSON schema (``config/schema.json``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.settings import source
from bot.settings.document import ConfigFile
from bot.settings.platforms import platform_settings, target_settings
from bot.settings.registries import Registry
from bot.settings.targets import PlatformSettings, TargetSettings
from bot.settings.web import ServiceSettings
from fixers import label_settings as labels
from fixers.base import ImagePolicy, LabelPolicy

MAX_CONFIG = source.MAX_CONFIG


@dataclass(frozen=True)
class Config:
    """The configuration as the code uses it; ``file`` is the validated file, defaults filled in."""

    labels: Mapping[str, str] = field(default_factory=dict)
    label_policy: LabelPolicy = field(default_factory=LabelPolicy)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # code: error, warning or info
    # Validated ``registries:`` entries (or plain mappings) and ``allow``; references are
    # resolved by RegistrySettings.from_config when a resolver is built.
    registries: Mapping[str, Registry | Mapping[str, Any] | tuple[str, ...] | None] = field(default_factory=dict)
    images: ImagePolicy = field(default_factory=ImagePolicy)
    platforms: Mapping[str, PlatformSettings] = field(default_factory=dict)
    targets: tuple[TargetSettings, ...] = ()
    path: str | None = None  # the file it came from, for error messages
    file: ConfigFile = field(default_factory=ConfigFile)

    def service_settings(self, env: Mapping[str, str]) -> ServiceSettings:
        """The ``web:`` and ``chat:`` sections with their secrets resolved (DockmendError if one is missing)."""
        return ServiceSettings(self.file.web.settings(env), self.file.chat.settings(env))

    def for_target(self, target: TargetSettings) -> Config:
        """The configuration as one target sees it: its own fixers and images, where it sets them."""
        select = self.select if target.select is None else target.select
        ignore = self.ignore if target.ignore is None else target.ignore
        return replace(self, select=select, ignore=ignore, images=target.images or self.images)

    def database_url(self, env: Mapping[str, str]) -> str:
        """``$DOCKMEND_DATABASE_URL``, else ``database.url`` (default ``sqlite:///./dockmend.db``)."""
        return self.file.database.effective_url(env)


FixConfig = Config  # the name used before the service's sections existed


def load(path: Path) -> Config:
    """Read and validate ``path``; a DockmendError names the file, line and column of the problem."""
    tree = source.read(path)
    try:
        document = ConfigFile.model_validate({} if tree is None else tree)
    except ValidationError as exc:
        raise source.problem(exc, tree, str(path)) from None
    return from_file(document, str(path))


def from_file(document: ConfigFile, path: str | None = None) -> Config:
    """The :class:`Config` of a validated file; relative paths are taken from ``path``'s folder."""
    images = document.images
    values, given = labels.split(document.labels)
    return Config(
        labels=values,
        label_policy=labels.policy(given),
        select=tuple(document.fixers.select),
        ignore=tuple(document.fixers.ignore),
        severity=dict(document.severity),
        registries=dict(document.registries),
        images=images.policy(),
        platforms={name: platform_settings(name, p, path) for name, p in document.platforms.items()},
        targets=tuple(target_settings(target, images, path) for target in document.targets),
        path=path,
        file=document,
    )


def main(argv: list[str]) -> int:
    from bot.settings.output import schema_text

    if argv != ["schema"]:
        print("usage: python -m bot.settings.config schema", file=sys.stderr)
        return 2
    sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
