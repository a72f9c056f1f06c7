"""Registries for the tests: Debian's docker-registry, anonymous, htpasswd (Basic) and
token (Bearer) auth, each holding the images of :mod:`tests.registry.catalog`."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.registry.catalog import Pushes, push_catalog
from tests.registry.push import ChallengeAuth, Pusher
from tests.registry.servers import (
    PASSWORD,
    USER,
    Registry,
    TokenServer,
    registry_binary,
    run_registry,
    run_token_server,
)

AUTH_MODES = ("anonymous", "basic", "bearer")


@dataclass
class Running:
    registry: Registry
    pushes: Pushes
    tokens: TokenServer | None = None

    def config(self, with_credentials: bool = True) -> dict[str, object]:
        """The ``registries:`` section pointing Docker Hub names at this registry (on
        127.0.0.1: allowed because it is configured by name, as its token service is)."""
        entry: dict[str, object] = {"mirror": self.registry.url}
        if self.registry.auth != "anonymous" and with_credentials:
            entry.update(username=USER, password="${REGISTRY_PASSWORD}")
        allow = [urlsplit(self.tokens.url).netloc] if self.tokens is not None else []
        return {"docker.io": entry, "allow": allow}


ENV = {"REGISTRY_PASSWORD": PASSWORD}


def _require(auth: str) -> None:
    if registry_binary() is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry apache2-utils)")
    if auth == "basic" and shutil.which("htpasswd") is None:
        pytest.skip("htpasswd is not installed (apt-get install apache2-utils)")
    if auth == "bearer" and importlib.util.find_spec("jwt") is None:
        pytest.skip("PyJWT is not installed (pip install PyJWT cryptography)")


class Registries:
    """Started on first use, once per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stack = ExitStack()
        self.running: dict[str, Running] = {}

    def get(self, auth: str) -> Running:
        _require(auth)
        if auth not in self.running:
            folder = self.root / auth
            tokens = self.stack.enter_context(run_token_server(folder)) if auth == "bearer" else None
            registry = self.stack.enter_context(run_registry(folder, auth, tokens.url if tokens else None))
            pusher = Pusher(registry.url, ChallengeAuth(USER, PASSWORD) if auth != "anonymous" else None)
            try:
                pushes = push_catalog(pusher)
            finally:
                pusher.http.close()
            self.running[auth] = Running(registry, pushes, tokens)
        return self.running[auth]


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    found = Registries(tmp_path_factory.mktemp("registries"))
    with found.stack:
        yield found


@pytest.fixture(params=AUTH_MODES)
def any_registry(request: pytest.FixtureRequest, registries: Registries) -> Running:
    return registries.get(request.param)


@pytest.fixture
def anonymous(registries: Registries) -> Running:
    return registries.get("anonymous")


def counting_client() -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    client = httpx.Client(timeout=10, follow_redirects=True, event_hooks={"request": [seen.append]})
    return client, seen
