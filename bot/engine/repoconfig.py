"""A repository's own settings: ``.dockmend.yml`` on its default branch.

```yaml
enabled: false                 # opt out: dockmend leaves this repository alone
fixers: {select: [DM105], ignore: [exec-form]}
labels: {alone: true, titles: {api/Dockerfile: Billing API}}   # DM105 settings and label values
reviewers: [alice, bob]        # reviewers of dockmend's requests here
severity: {DM205: warning}     # error, warning or info per code (`dockmend fix --fail-on`)
```

Repository content is untrusted: the file is size-limited and read with ruamel.yaml's
safe loader (no tags, no objects). A broken file is an error for that repository
only, and the bot then leaves the repository alone rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.engine.selection import resolve_codes
from bot.errors import DockmendError
from fixers import label_settings as labels
from fixers.severity import LEVELS

if TYPE_CHECKING:  # `dockmend fix` reads this file without the platforms
    from bot.platforms.base import RepoFile

NAMES = (".dockmend.yml", ".dockmend.yaml")
MAX_SIZE = 64 * 1024
KEYS = ("enabled", "fixers", "labels", "reviewers", "severity")


class RepoConfigError(DockmendError):
    """The repository's ``.dockmend.yml`` cannot be used."""


@dataclass(frozen=True)
class RepoConfig:
    enabled: bool = True
    select: tuple[str, ...] = ()  # fixer codes
    ignore: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    label_settings: Mapping[str, Any] = field(default_factory=dict)  # profile, alone, titles given here
    reviewers: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # code: error, warning or info


def find(files: Sequence[RepoFile]) -> RepoFile | None:
    """The repository's config file among the default branch's files (top level only)."""
    by_path = {f.path: f for f in files}
    return next((by_path[name] for name in NAMES if name in by_path), None)


def parse(data: bytes, path: str = NAMES[0]) -> RepoConfig:
    if len(data) > MAX_SIZE:
        raise RepoConfigError(f"larger than {MAX_SIZE} bytes", path=path)
    from ruamel.yaml import YAML  # only when there is a file: `dockmend fix` starts without it
    from ruamel.yaml.error import YAMLError

    try:
        raw = YAML(typ="safe", pure=True).load(data.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RepoConfigError(f"invalid YAML: {problem}", path=path, line=line, column=column) from None
    if raw is None:
        return RepoConfig()
    if not isinstance(raw, dict):
        raise RepoConfigError("must be a mapping", path=path)
    _known(raw, KEYS, "", path)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RepoConfigError("'enabled' must be true or false", path=path)
    fixers = raw.get("fixers") or {}
    if not isinstance(fixers, dict):
        raise RepoConfigError("'fixers' must be a mapping with select/ignore", path=path)
    _known(fixers, ("select", "ignore"), "fixers.", path)
    values, given = _labels(raw.get("labels"), path)
    return RepoConfig(
        enabled=enabled,
        select=_codes(fixers.get("select"), "fixers.select", path),
        ignore=_codes(fixers.get("ignore"), "fixers.ignore", path),
        labels=values,
        label_settings=given,
        reviewers=_names(raw.get("reviewers"), "reviewers", path),
        severity=_severity(raw.get("severity"), path),
    )


def _known(node: dict[Any, Any], allowed: tuple[str, ...], prefix: str, path: str) -> None:
    for key in node:
        if key not in allowed:
            raise RepoConfigError(f"unknown key {prefix}{key} (expected one of: {', '.join(allowed)})", path=path)


def _names(value: Any, key: str, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RepoConfigError(f"'{key}' must be a list of names", path=path)
    return tuple(value)


def _codes(value: Any, key: str, path: str) -> tuple[str, ...]:
    names = _names(value, key, path)
    try:
        return tuple(sorted(resolve_codes(list(names))))
    except DockmendError as exc:
        raise RepoConfigError(f"{key}: {exc.message}", path=path) from None


def _labels(value: Any, path: str) -> tuple[dict[str, str], dict[str, Any]]:
    if value is not None and not isinstance(value, dict):
        raise RepoConfigError("'labels' must map label keys to text values (and profile, alone, titles)", path=path)
    try:
        return labels.split(value)
    except labels.LabelsError as exc:
        raise RepoConfigError(f"labels: {exc}", path=path) from None


def _severity(value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise RepoConfigError("'severity' must map fixer codes to error, warning or info", path=path)
    result = {}
    for key, level in value.items():
        if level not in LEVELS:
            raise RepoConfigError(f"severity.{key}: {level!r} is not one of {', '.join(LEVELS)}", path=path)
        (code,) = _codes([key], f"severity.{key}", path)
        result[code] = level
    return result
