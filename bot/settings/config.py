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

from bot.errors import DockmendError
from bot.settings import presets, source
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
    # where each written value came from (dotted key: the file or preset); the rest are defaults
    provenance: Mapping[str, str] = field(default_factory=dict)

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
    """Read ``path`` and its presets (``extends``), merge and validate them; a DockmendError
    names the file (the preset's, when the value came from one), line and column of the problem."""
    tree = source.read(path)
    sources: dict[str, Any] = {}
    provenance: dict[presets.Loc, str] = {}
    merged = _resolve(path, tree, (path.resolve(),), {}, provenance, sources) if isinstance(tree, Mapping) else tree
    try:
        document = ConfigFile.model_validate({} if merged is None else merged)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = (*first["loc"], *(first.get("ctx") or {}).get("at", ()))
        label = (presets.origin_of(provenance, loc) if loc else None) or str(path)
        raise source.problem(exc, sources.get(label, tree), label if label in sources else str(path)) from None
    config = from_file(document, str(path))
    return replace(config, provenance={source.dotted(loc): origin for loc, origin in provenance.items()})


def _resolve(
    path: Path,
    tree: Mapping[str, Any],
    chain: tuple[Path, ...],
    merged: dict[str, Any],
    provenance: dict[presets.Loc, str],
    sources: dict[str, Any],
) -> dict[str, Any]:
    """``tree``'s presets merged onto ``merged`` in order, then ``tree`` itself (see bot.settings.presets)."""
    label = str(path)
    sources[label] = tree
    written = tree.get("extends")
    names = presets.entries(written) if written is not None else []
    if names is None:
        raise _at(tree, ("extends",), label, "extends: expected a preset name or file, or a list of them")
    for index, name in enumerate(names):
        at = ("extends", index) if isinstance(written, list) else ("extends",)
        if name.startswith(presets.PREFIX):
            found = presets.builtin(name)
            if found is None:
                raise _at(tree, at, label, f"extends: {presets.unknown(name)}")
            presets.merge(merged, found, name, provenance)
            continue
        file = (path.parent / Path(name).expanduser()).resolve()
        if file in chain:
            cycle = " -> ".join(str(p) for p in (*chain[chain.index(file) :], file))
            raise _at(tree, at, label, f"extends: a cycle of presets: {cycle}")
        if len(chain) > presets.MAX_DEPTH:
            raise _at(tree, at, label, f"extends: presets nested more than {presets.MAX_DEPTH} deep")
        preset = source.read(file)
        if preset is None:
            continue
        if not isinstance(preset, Mapping):
            raise DockmendError("a preset must be a mapping (key: value)", path=str(file), line=1, column=1)
        _resolve(file, preset, (*chain, file), merged, provenance, sources)
    own = {key: value for key, value in tree.items() if key != "extends"}
    if chain[1:]:  # a preset's own extends are its business: the file shows the file's
        return presets.merge(merged, own, label, provenance)
    return presets.merge(merged, dict(tree), label, provenance)


def _at(tree: Any, loc: presets.Loc, path: str, message: str) -> DockmendError:
    line, column, _ = source.where(tree, loc)
    return DockmendError(message, path=path, line=line, column=column)


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
