"""Presets: ``extends:``, and the one merge both configurations use.

The service configuration and a repository's ``.dockmend.yml`` may start from presets:

```yaml
extends: [dockmend:recommended, presets/base.yml]
```

An entry is a built-in preset (:data:`BUILTIN`, named ``dockmend:NAME``) or, in the
service configuration, a YAML file relative to the file that names it (a preset may
extend others: at most :data:`MAX_DEPTH` deep, never in a cycle). A repository's
``.dockmend.yml`` may instead name a file in a repository of its own organisation,
``org/dockmend-config:presets/base.yml`` (:mod:`bot.engine.repoconfig`).

The order, lowest first: built-in defaults < each ``extends`` entry in the order written
(each with its own ``extends`` merged below it) < the file itself; and for a repository,
the service's values < the repository's ``extends`` < its ``.dockmend.yml``. Mappings are
merged key by key; any other value, lists included, replaces the one below it whole.
:func:`merge` records, per key, which source gave its value (``dockmend config check``
prints that table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "dockmend:"
MAX_DEPTH = 5
Loc = tuple[str | int, ...]

# Keys every preset may hold: both configurations know fixers, labels and severity.
BUILTIN: Mapping[str, Mapping[str, Any]] = {
    # every fixer; secrets and unreachable images fail `dockmend fix --fail-on error`
    "dockmend:recommended": {"severity": {"DM201": "error", "DM207": "error"}},
    # only the cleanups that change no behaviour: cache cleanup, apt update with install, COPY paths
    "dockmend:minimal": {"fixers": {"select": ["DM104", "DM109", "DM110"]}},
    # OpenShift's label names (io.k8s.*, io.openshift.*) for DM105 add-labels
    "dockmend:openshift": {"labels": {"profile": "openshift"}},
}


def builtin(name: str) -> dict[str, Any] | None:
    """A copy of the built-in preset ``name``, or None when there is none of that name."""
    found = BUILTIN.get(name)
    return None if found is None else _copy(found)


def unknown(name: str) -> str:
    return f"unknown preset {name!r} (built-in: {', '.join(BUILTIN)})"


def entries(value: Any) -> list[str] | None:
    """``extends``' entries (one name may be written without brackets); None if it is not text."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [str(v).strip() for v in value]


def merge(base: dict[str, Any], over: Mapping[str, Any], source: str, provenance: dict[Loc, str]) -> dict[str, Any]:
    """``over`` merged onto ``base`` in place (mappings by key, the rest replaced); each value
    ``over`` gives is recorded in ``provenance`` as coming from ``source``."""
    _merge(base, over, source, provenance, ())
    return base


def _merge(base: dict[str, Any], over: Mapping[str, Any], source: str, provenance: dict[Loc, str], at: Loc) -> None:
    for key, value in over.items():
        here = (*at, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            _merge(base[key], value, source, provenance, here)
            continue
        for known in [k for k in provenance if k[: len(here)] == here]:
            del provenance[known]  # replaced whole: what gave its parts does not any more
        base[key] = _copy(value)  # later merges never change the source's own tree
        if isinstance(value, Mapping):
            _leaves(value, source, provenance, here)
        else:
            provenance[here] = source


def _leaves(node: Mapping[str, Any], source: str, provenance: dict[Loc, str], at: Loc) -> None:
    if not node:
        provenance[at] = source
    for key, value in node.items():
        if isinstance(value, Mapping):
            _leaves(value, source, provenance, (*at, key))
        else:
            provenance[(*at, key)] = source


def origin_of(provenance: Mapping[Loc, str], loc: Loc) -> str | None:
    """The source of the value at ``loc``: of its longest recorded prefix (or of a key below it)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in provenance:
            return provenance[loc[:end]]
    below = [source for key, source in provenance.items() if key[: len(loc)] == loc]
    return below[-1] if below else None


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
