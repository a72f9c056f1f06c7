"""Configuration: one YAML file read with ruamel.yaml (round-trip loader, for positions).

``dockmend fix`` uses labels, fixers, registries and images; ``dockmend run`` also
platforms and targets (:mod:`bot.platform_settings`). Unknown keys are errors that name
the file, line and column. Secrets are referenced (``${ENV}``), never written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from bot.errors import DockmendError
from bot.platform_settings import PlatformSettings, TargetSettings, platforms_from_config, targets_from_config
from bot.registry_settings import policy_from_config
from fixers.base import ImagePolicy

MAX_CONFIG = 256 * 1024
TOP_KEYS = ("labels", "fixers", "registries", "images", "platforms", "targets")
FIXER_KEYS = ("select", "ignore")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# `${NAME}` is not a valid plain scalar inside a flow mapping (`{token: ${X}}`): it is
# swapped for private-use characters of the same length before parsing (so positions
# stay right) and swapped back after.
_OPEN, _CLOSE = "\ue000\ue001", "\ue002"


@dataclass(frozen=True)
class FixConfig:
    labels: Mapping[str, str] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    registries: Mapping[str, Any] = field(default_factory=dict)  # checked when a resolver is built
    images: ImagePolicy = field(default_factory=ImagePolicy)
    platforms: Mapping[str, PlatformSettings] = field(default_factory=dict)
    targets: tuple[TargetSettings, ...] = ()
    path: str | None = None  # the file it came from, for error messages


def _where(node: Any, key: Any) -> tuple[int | None, int | None]:
    if isinstance(node, CommentedMap):
        try:
            line, column = node.lc.key(key)
            return line + 1, column + 1
        except (KeyError, TypeError):
            pass
    return None, None


def _unknown(path: str, node: CommentedMap, allowed: tuple[str, ...]) -> None:
    for key in node:
        if key not in allowed:
            line, col = _where(node, key)
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(allowed)})"
            raise DockmendError(f"unknown key {key!r}{hint}", path=path, line=line, column=col)


def _strings(path: str, node: Any, parent: Any, key: str) -> tuple[str, ...]:
    if node is None:
        return ()
    if isinstance(node, str):
        return tuple(s.strip() for s in node.split(",") if s.strip())
    if isinstance(node, list) and all(isinstance(x, str) for x in node):
        return tuple(node)
    line, col = _where(parent, key)
    raise DockmendError(f"{key!r} must be a list of fixer codes or names", path=path, line=line, column=col)


def load(path: Path) -> FixConfig:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DockmendError(f"cannot read the configuration: {exc.strerror}", path=name) from None
    if len(raw) > MAX_CONFIG:
        raise DockmendError(f"configuration larger than {MAX_CONFIG} bytes", path=name)
    try:
        data = _restore(YAML(typ="rt").load(_protect(raw.decode("utf-8"))))
    except (YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DockmendError(f"invalid YAML: {problem}", path=name, line=line, column=col) from None
    if data is None:
        return FixConfig()
    if not isinstance(data, CommentedMap):
        raise DockmendError("the configuration must be a mapping", path=name, line=1, column=1)
    _unknown(name, data, TOP_KEYS)
    labels = data.get("labels") or {}
    if not isinstance(labels, Mapping) or not all(isinstance(v, str | int | float) for v in labels.values()):
        line, col = _where(data, "labels")
        raise DockmendError("'labels' must map label keys to text values", path=name, line=line, column=col)
    fixers = data.get("fixers") or CommentedMap()
    if not isinstance(fixers, CommentedMap):
        line, col = _where(data, "fixers")
        raise DockmendError("'fixers' must be a mapping with select/ignore", path=name, line=line, column=col)
    _unknown(name, fixers, FIXER_KEYS)
    platforms = platforms_from_config(data.get("platforms"), name)
    return FixConfig(
        labels={str(k): str(v) for k, v in labels.items()},
        select=_strings(name, fixers.get("select"), fixers, "select"),
        ignore=_strings(name, fixers.get("ignore"), fixers, "ignore"),
        registries=data.get("registries") or {},
        images=policy_from_config(data.get("images"), name),
        platforms=platforms,
        targets=targets_from_config(data.get("targets"), platforms, name),
        path=name,
    )


def _protect(text: str) -> str:
    return _REFERENCE.sub(lambda m: f"{_OPEN}{m.group(1)}{_CLOSE}", text)


def _restore(node: Any) -> Any:
    """Put the ``${NAME}`` references back, in place (positions are kept)."""
    if isinstance(node, str):
        return node.replace(_OPEN, "${").replace(_CLOSE, "}")
    if isinstance(node, dict):
        for key in list(node):
            node[key] = _restore(node[key])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            node[index] = _restore(item)
    return node
