"""The ``registries:`` and ``images:`` sections, and image names."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.errors import DockmendError
from bot.settings.config import load
from bot.settings.registries import Images
from bot.settings.registry_access import RegistrySettings, Secret
from fixers.base import ImagePolicy
from fixers.images import InvalidReference, parse, split


def test_mirror_and_credentials_by_reference() -> None:
    raw = {"docker.io": {"mirror": "http://127.0.0.1:5000/", "username": "bot", "password": "${REG_PW}"}}
    settings = RegistrySettings.from_config(raw, {"REG_PW": "hunter2"})
    entry = settings.entry("docker.io")
    assert entry.mirror == "http://127.0.0.1:5000" and entry.username == "bot"
    assert entry.password is not None and entry.password.reveal() == "hunter2"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(entry.password)
    assert settings.entry("ghcr.io").mirror is None


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        (
            "registries:\n  docker.io:\n    password: hunter2\n",
            ":3:5: registries.docker.io.password: a secret cannot be written here",
        ),
        (
            "registries:\n  docker.io:\n    password: ${NOPE}\n",
            ":3:5: registries.docker.io.password: environment variable NOPE is not set",
        ),
        ("registries:\n  docker.io:\n    mirorr: http://x\n", ":3:5: registries.docker.io: unknown key 'mirorr'"),
        ("registries:\n  docker.io:\n    mirror: http://u:p@x\n", ":3:5: registries.docker.io.mirror: a URL must not"),
        (
            "registries:\n  docker.io:\n    mirror: ftp://x\n",
            ":3:5: registries.docker.io.mirror: expected an http(s) URL",
        ),
        ("registries:\n  python:\n    mirror: http://x\n", ":2:3: registries.python: 'python' is not a registry host"),
        ("registries:\n  ghcr.io:\n    insecure: maybe\n", ":3:5: registries.ghcr.io.insecure: expected true or false"),
    ],
)
def test_errors_name_file_line_and_never_the_secret(tmp_path: Path, yaml: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml)
    with pytest.raises(DockmendError) as caught:  # at load, or when the registry is used (references)
        RegistrySettings.from_config(load(path).registries, {}, str(path)).entry("docker.io")
    assert f"{path}{message}" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_images_policy() -> None:
    assert Images().policy() == ImagePolicy()
    raw = {"pin": "patch", "pin_digests": True, "update_types": ["digest", "minor"], "stale_after_days": 30}
    assert Images.model_validate(raw).policy() == ImagePolicy("patch", True, frozenset({"digest", "minor"}), 30)
    for bad in ({"pin": "exact"}, {"update_types": ["security"]}, {"stale_after_days": 0}, {"colour": 1}):
        with pytest.raises(ValidationError):
            Images.model_validate(bad)


def test_secret_repr() -> None:
    assert repr(Secret("x")) == "Secret('***')"


@pytest.mark.parametrize(
    ("text", "name", "tag", "digest"),
    [
        ("python", "docker.io/library/python", None, None),
        ("python:3.12-slim", "docker.io/library/python", "3.12-slim", None),
        ("index.docker.io/python", "docker.io/library/python", None, None),
        ("registry-1.docker.io/library/python:3", "docker.io/library/python", "3", None),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis", "7.2", None),
        ("ghcr.io/org/app:v1", "ghcr.io/org/app", "v1", None),
        ("localhost:5000/app", "localhost:5000/app", None, None),
        ("127.0.0.1:5000/team/app:1.0@sha256:" + "a" * 64, "127.0.0.1:5000/team/app", "1.0", "sha256:" + "a" * 64),
    ],
)
def test_image_names(text: str, name: str, tag: str | None, digest: str | None) -> None:
    ref = parse(text)
    assert (ref.name, ref.tag, ref.digest) == (name, tag, digest)


@pytest.mark.parametrize("text", ["Python", "python:", "python@sha256:xyz", "a//b", "${BASE}"])
def test_invalid_names(text: str) -> None:
    with pytest.raises(InvalidReference):
        parse(text)


def test_split_keeps_the_written_name() -> None:
    assert split("localhost:5000/app").name == "localhost:5000/app"
    assert split("docker.io/library/alpine:3.20").with_("3.21", None) == "docker.io/library/alpine:3.21"
