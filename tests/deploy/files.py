"""Paths of deploy/ and small readers shared by its tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
CONFIG = DEPLOY / "config" / "dockmend.yaml"
KUBERNETES = DEPLOY / "kubernetes"
UNIT = DEPLOY / "systemd" / "dockmend.service"

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGNMENT = re.compile(r"^#?\s*([A-Z_][A-Z0-9_]*)=", re.M)


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def load_all(path: Path) -> list[Any]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if doc is not None]


def references(text: str) -> set[str]:
    """The environment variables ``${NAME}`` (or ``${NAME:?…}``) that a text refers to."""
    return set(_REFERENCE.findall(text))


def config_references() -> set[str]:
    """The variables deploy/config/dockmend.yaml refers to, comments left out."""
    lines = (line.split(" #", 1)[0] for line in CONFIG.read_text(encoding="utf-8").splitlines())
    return references("\n".join(line for line in lines if not line.lstrip().startswith("#")))


def env_example_names(path: Path) -> set[str]:
    """The names an env-file example lists (commented-out lines count: they are optional)."""
    return set(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
