"""deploy/compose.yaml: valid against the official Compose Specification schema (no
compose plugin is installed here), and the shape the issue asks for."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from tests.deploy.files import COMPOSE, DEPLOY, env_example_names, load_yaml, references

SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|PGPASS", re.I)


def _errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_compose_file_is_valid() -> None:
    assert _errors(load_yaml(COMPOSE)) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            doc = doc[key]
        doc[last] = value

    return change


# Mistakes the schema must refuse, so that the test above can fail.
BROKEN = {
    "condition": _set("services.dockmend.depends_on.postgres.condition", "healthy"),
    "healthcheck key": _set("services.postgres.healthcheck.intervall", "10s"),
    "volume": _set("volumes.dockmend-state", "not a mapping"),
}


@pytest.mark.parametrize("change", BROKEN.values(), ids=BROKEN.keys())
def test_schema_refuses_a_broken_file(change: Callable[[dict[str, Any]], None]) -> None:
    document = copy.deepcopy(load_yaml(COMPOSE))
    change(document)
    assert _errors(document)


def test_services_wait_for_a_healthy_database() -> None:
    services = load_yaml(COMPOSE)["services"]
    assert set(services) == {"dockmend", "postgres"}
    for service in services.values():
        assert service["healthcheck"]["test"][0] == "CMD"
    assert services["dockmend"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "/healthz" in " ".join(services["dockmend"]["healthcheck"]["test"])
    assert re.fullmatch(r"postgres:\d+\.\d+-\w+", services["postgres"]["image"]), "a pinned, full tag"


def test_volumes_are_named_and_the_config_read_only() -> None:
    document = load_yaml(COMPOSE)
    mounts = [m for s in document["services"].values() for m in s["volumes"]]
    named = {m["source"] for m in mounts if m["type"] == "volume"}
    assert named == set(document["volumes"]) and named
    (config,) = [m for m in mounts if m["type"] == "bind"]
    assert config["target"] == "/etc/dockmend/dockmend.yaml" and config["read_only"] is True
    assert (COMPOSE.parent / config["source"]).is_file()


def test_secrets_come_only_from_the_env_file() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    document = load_yaml(COMPOSE)
    for service in document["services"].values():
        for name, value in service.get("environment", {}).items():
            if SECRETISH.search(name):
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", value), f"{name}: a required ${{VAR}} reference"
    assert document["services"]["dockmend"]["env_file"] == [{"path": ".env", "required": True}]
    assert references(text) <= env_example_names(DEPLOY / ".env.example")
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    assert not re.search(r"^[A-Z_]+=\S", example, re.M), ".env.example ships no values"
