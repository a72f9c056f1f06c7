"""What ``dockmend config`` prints: the effective configuration (secrets masked) and the JSON schema."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.settings.document import ConfigFile
from bot.settings.secrets import SecretRef
from bot.settings.service import DATABASE_ENV

MASK = "***"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema() -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, **ConfigFile.model_json_schema()}


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def effective_yaml(document: ConfigFile, env: Mapping[str, str], path: str | None = None) -> str:
    """The file with every default filled in, as YAML; a secret shows as ``***`` with its reference
    in a comment. ``$DOCKMEND_DATABASE_URL`` is applied (its password masked)."""
    data = _commented(_masked(document))
    if env.get(DATABASE_ENV):
        database = data["database"]
        database["url"] = _without_password(env[DATABASE_ENV])
        database.yaml_add_eol_comment(f"from {DATABASE_ENV}", "url")
    out = io.StringIO()
    if path:
        out.write(f"# {path}: effective configuration (defaults filled in, secrets masked)\n")
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump(data, out)
    return out.getvalue()


def provenance_table(provenance: Mapping[str, str], path: str | None = None) -> str:
    """Where each written value came from, as YAML comments (the output stays valid YAML):
    one row per key, its source (this file, a preset file or a built-in preset); every key
    not listed is the built-in default. Preset files are shown relative to ``path``'s folder."""
    folder = Path(path).resolve().parent if path else None
    rows = [(key, _shown(origin, folder)) for key, origin in provenance.items()]
    if not rows:
        return "# every value is a built-in default\n"
    width = max(len(key) for key, _ in rows)
    lines = ["# where each value came from (any key not listed: the built-in default)", f"# {'key':<{width}}  source"]
    lines += [f"# {key:<{width}}  {origin}" for key, origin in sorted(rows)]
    return "\n".join(lines) + "\n"


def _shown(origin: str, folder: Path | None) -> str:
    if folder is None or origin.startswith("dockmend:"):
        return origin
    try:
        return str(Path(origin).resolve().relative_to(folder))
    except ValueError:
        return origin


def _masked(document: ConfigFile) -> Any:
    """``model_dump`` with the references kept as objects (to be masked) and ``None`` left out."""
    return _keep_refs(document.model_dump(mode="python", exclude_none=True), document)


def _keep_refs(dumped: Any, model: Any) -> Any:
    if isinstance(model, SecretRef):
        return model
    if isinstance(dumped, dict):
        source = model if isinstance(model, dict) else {key: getattr(model, key, None) for key in dumped}
        return {key: _keep_refs(value, source.get(key)) for key, value in dumped.items()}
    if isinstance(dumped, list | tuple) and isinstance(model, list | tuple):
        return [_keep_refs(value, item) for value, item in zip(dumped, model, strict=True)]
    return dumped


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = MASK if isinstance(item, SecretRef) else _commented(item)
            if isinstance(item, SecretRef):
                node.yaml_add_eol_comment(str(item), key)
        return node
    if isinstance(value, list | tuple):
        items = CommentedSeq(_commented(item) for item in value)
        if not any(isinstance(item, dict | list | tuple) for item in value):
            items.fa.set_flow_style()  # include: ['*'] on one line
        return items
    return value


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)).geturl()
