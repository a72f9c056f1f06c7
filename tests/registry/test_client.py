"""The registry client against real registries: digests, platforms, configs, request
counts, the persisted cache, credentials from Docker's config, and no leaked secret."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from bot.registry.cache import TTLCache
from bot.registry.client import resolver_from_config
from fixers.base import Context, ImageUnreachable
from fixers.engine import run_fixers
from fixers.rules import bump_base_tag, pin_base_tag, unreachable_base
from tests.registry.conftest import ENV, Registries, Running, counting_client
from tests.registry.servers import PASSWORD, USER

NOWHERE = Path("/nonexistent/config.json")
DOCKERFILES = [
    "FROM alpine AS a\nFROM alpine:3.18.0 AS b\nFROM python:3.11.2-slim-bookworm\nFROM alpine:3.19\n",
    "FROM python\nFROM --platform=linux/arm64 alpine:latest\nFROM node:18-alpine\nFROM nosuch/thing\n",
]


def test_digests_platforms_and_configs(any_registry: Running) -> None:
    pushes = any_registry.pushes
    with resolver_from_config(any_registry.config(), env=ENV, docker_config=NOWHERE) as client:
        assert client.tags("docker.io/library/python") == tuple(sorted(pushes.digests["library/python"]))
        for tag in ("3.12-slim", "latest", "3.20.0"):  # Docker v2 list, Docker v2, OCI index
            repo = "library/alpine" if tag == "3.20.0" else "library/python"
            assert client.digest(repo.removeprefix("library/"), tag) == pushes.digest(repo, tag)
        arm = pushes.platforms["library/python"]["latest"]["linux/arm64"]
        assert client.digest("python", "latest", "linux/arm64/v8") == arm
        assert client.digest("python", "3.12-slim", "linux/arm64") == pushes.digest("library/python", "3.12-slim")
        assert client.platforms("python", "latest") == pushes.platforms["library/python"]["latest"]
        config = client.config("python", "latest", "linux/arm64")
        assert config.digest == arm and config.cmd == ("/bin/sh",) and config.created is not None
        with pytest.raises(ImageUnreachable, match="has no image for linux/s390x"):
            client.digest("alpine", "latest", "linux/s390x")


def test_one_tag_list_request_per_repository_per_run(any_registry: Running) -> None:
    http, seen = counting_client()
    with resolver_from_config(any_registry.config(), env=ENV, docker_config=NOWHERE, http=http) as client:
        ctx = Context(resolver=client, offline=False)
        for text in DOCKERFILES:
            run_fixers("Dockerfile", text.encode(), ctx, [unreachable_base, pin_base_tag, bump_base_tag], {})
    lists = sorted(r.url.path for r in seen if r.url.path.endswith("/tags/list"))
    assert lists == [f"/v2/{name}/tags/list" for name in ("library/alpine", "library/node", "library/python")]


def test_the_persisted_cache_saves_tag_lists_not_tag_digests(anonymous: Running, tmp_path: Path) -> None:
    paths = []
    for _ in range(2):
        http, seen = counting_client()
        with resolver_from_config(
            anonymous.config(), env={}, docker_config=NOWHERE, http=http, cache_path=tmp_path / "cache.sqlite3"
        ) as client:
            client.tags("alpine")
            client.digest("alpine", "latest")
            client.config("alpine", "latest", "linux/amd64")
        paths.append(sorted(f"{r.method} {r.url.path.rsplit('/', 2)[-2]}" for r in seen))
    assert paths[0] == ["GET blobs", "GET manifests", "GET manifests", "GET tags", "HEAD manifests"]
    assert paths[1] == ["GET manifests", "HEAD manifests"]  # what a tag points to is asked every run


def test_bearer_tokens_are_fetched_once_per_scope(registries: Registries) -> None:
    running = registries.get("bearer")
    assert running.tokens is not None
    before = len(running.tokens.requests)
    with resolver_from_config(running.config(), env=ENV, docker_config=NOWHERE) as client:
        for name in ("alpine", "python", "alpine"):
            client.tags(name)
            client.digest(name, "latest")
            client.config(name, "latest", "linux/amd64")
    asked = running.tokens.requests[before:]
    assert [r["scope"] for r in asked] == [["repository:library/alpine:pull"], ["repository:library/python:pull"]]
    assert all(r["authorized"] for r in asked)


def test_a_token_without_access_is_access_denied(registries: Registries) -> None:
    running = registries.get("bearer")
    assert running.tokens is not None
    running.tokens.denied_repositories.add("team/app")
    try:
        with (
            resolver_from_config(running.config(), env=ENV, docker_config=NOWHERE) as client,
            pytest.raises(ImageUnreachable, match=r"docker\.io/team/app: access denied"),
        ):
            client.tags("team/app")
    finally:
        running.tokens.denied_repositories.discard("team/app")


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_wrong_password_is_denied_and_never_shown(
    registries: Registries, auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    running = registries.get(auth)
    caplog.set_level(logging.DEBUG)
    wrong = "WrongPassw0rd-do-not-print"
    with resolver_from_config(running.config(), env={"REGISTRY_PASSWORD": wrong}, docker_config=NOWHERE) as client:
        with pytest.raises(ImageUnreachable) as caught:
            client.tags("alpine")
        assert wrong not in repr(client.settings) and wrong not in repr(client.credentials)
    shown = str(caught.value) + repr(caught.value) + caplog.text
    assert "access denied" in str(caught.value)
    assert wrong not in shown and base64.b64encode(f"{USER}:{wrong}".encode()).decode() not in shown


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_no_credential_in_logs_or_errors_of_a_whole_run(
    registries: Registries, auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    running = registries.get(auth)
    caplog.set_level(logging.DEBUG)
    with resolver_from_config(running.config(), env=ENV, docker_config=NOWHERE) as client:
        ctx = Context(resolver=client, offline=False)
        reports = [
            run_fixers("Dockerfile", t.encode(), ctx, [unreachable_base, pin_base_tag, bump_base_tag], {})
            for t in DOCKERFILES
        ]
        tokens = [token for auth_ in client.auth.values() for token, _ in auth_.tokens.values()]
    shown = caplog.text + repr(reports)
    secrets = [PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(), *tokens]
    assert not [s for s in secrets if s in shown]
    assert any(r.fixes for r in reports)


def _docker_config(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


def test_credentials_from_docker_config_auths(registries: Registries, tmp_path: Path) -> None:
    running = registries.get("basic")
    host = running.registry.url.removeprefix("http://")
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path = _docker_config(tmp_path, {"auths": {f"http://{host}": {"auth": auth}}})
    with resolver_from_config(running.config(with_credentials=False), env={}, docker_config=path) as client:
        assert "3.20" in client.tags("alpine")


@pytest.mark.parametrize("key", ["credHelpers", "credsStore"])
def test_credentials_from_a_docker_credential_helper(registries: Registries, tmp_path: Path, key: str) -> None:
    running = registries.get("bearer")
    host = running.registry.url.removeprefix("http://")
    helper = tmp_path / "bin" / "docker-credential-dmtest"
    helper.parent.mkdir()
    reply = json.dumps({"ServerURL": host, "Username": USER, "Secret": PASSWORD})
    helper.write_text(
        f'#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "{host}" ] || exit 1\necho \'{reply}\'\n'
    )
    helper.chmod(0o755)
    data: dict[str, object] = {"credHelpers": {host: "dmtest"}} if key == "credHelpers" else {"credsStore": "dmtest"}
    path = _docker_config(tmp_path, data)
    config = running.config(with_credentials=False)
    with resolver_from_config(config, env={}, docker_config=path, helper_path=str(helper.parent)) as client:
        assert "3.20" in client.tags("alpine")
    with (
        resolver_from_config(config, env={}, docker_config=path, helper_path=str(tmp_path)) as client,
        pytest.raises(ImageUnreachable, match="access denied"),
    ):
        client.tags("alpine")  # helper not installed: anonymous


def test_cache_expires(tmp_path: Path) -> None:
    now = [1000.0]
    cache = TTLCache(tmp_path / "c.sqlite3", clock=lambda: now[0])
    cache.put("k", "v", ttl=10)
    assert cache.get("k") == "v"
    now[0] += 11
    assert cache.get("k") is None
    cache.close()
