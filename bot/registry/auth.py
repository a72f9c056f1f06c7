"""Registry credentials and the ``WWW-Authenticate`` challenge.

Credentials come from the ``registries:`` config, then from Docker's ``config.json``
(``credHelpers``, ``auths``, ``credsStore``; helpers speak the ``docker-credential-*``
protocol). A challenge is answered with Basic credentials or with a Bearer token fetched
from the realm for the scope the registry asked for; tokens are cached per scope.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from bot.settings.registry_access import RegistrySettings
from bot.settings.secrets import Secret
from fixers.base import ImageUnreachable
from fixers.images import DOCKER_HUB

HUB_SERVER_URL = "https://index.docker.io/v1/"
_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HELPER = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: Secret

    def basic(self) -> str:
        raw = f"{self.username}:{self.password.reveal()}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer" or "basic"
    params: Mapping[str, str]

    @classmethod
    def parse(cls, header: str) -> Challenge | None:
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() not in ("bearer", "basic"):
            return None
        params = {m.group(1).lower(): _value(m) for m in _PARAM.finditer(rest)}
        return cls(scheme.lower(), params)


def _value(match: re.Match[str]) -> str:
    return match.group(2) if match.group(2) is not None else match.group(3)


def _host_of(key: str) -> str:
    host = urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]
    return DOCKER_HUB if host in ("index.docker.io", "registry-1.docker.io") else host.lower()


class DockerConfig:
    """``~/.docker/config.json`` (or ``$DOCKER_CONFIG/config.json``), read once."""

    def __init__(self, path: Path | None, helper_path: str | None = None) -> None:
        self.data: dict[str, object] = {}
        self.helper_path = helper_path  # where to look for docker-credential-*; None: $PATH
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}  # an unreadable config gives no credentials, like the docker CLI's warning
            self.data = loaded if isinstance(loaded, dict) else {}

    @staticmethod
    def default_path(env: Mapping[str, str]) -> Path:
        folder = env.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
        return Path(folder) / "config.json"

    def lookup(self, host: str) -> Credentials | None:
        helpers = self.data.get("credHelpers")
        if isinstance(helpers, dict):
            for key, helper in helpers.items():
                if _host_of(str(key)) == host and isinstance(helper, str):
                    return self._helper(helper, str(key))
        found = self._auths(host)
        store = self.data.get("credsStore")
        if found is None and isinstance(store, str):
            return self._helper(store, HUB_SERVER_URL if host == DOCKER_HUB else host)
        return found

    def _auths(self, host: str) -> Credentials | None:
        auths = self.data.get("auths")
        if not isinstance(auths, dict):
            return None
        for key, entry in auths.items():
            if _host_of(str(key)) != host or not isinstance(entry, dict):
                continue
            if isinstance(entry.get("auth"), str) and entry["auth"]:
                try:
                    user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    continue
                return Credentials(user, Secret(password))
            if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
                return Credentials(entry["username"], Secret(entry["password"]))
        return None

    def _helper(self, helper: str, server: str) -> Credentials | None:
        program = (
            shutil.which(f"docker-credential-{helper}", path=self.helper_path) if _HELPER.fullmatch(helper) else None
        )
        if program is None:
            return None  # not installed: anonymous, as the docker CLI would warn
        try:
            done = subprocess.run([program, "get"], input=server.encode(), capture_output=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None  # "credentials not found"; its output is never shown, it may hold a secret
        try:
            reply = json.loads(done.stdout)
            return Credentials(str(reply["Username"]), Secret(str(reply["Secret"])))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass
class CredentialStore:
    settings: RegistrySettings
    docker: DockerConfig
    _found: dict[tuple[str, str], Credentials | None] = field(default_factory=dict)

    def lookup(self, registry: str, host: str) -> Credentials | None:
        """Credentials for ``registry`` reached at ``host``: its own (``docker.io``) or its
        mirror's. Docker's config is asked for ``host`` only, so that one registry's
        credentials never travel to another host."""
        if (registry, host) not in self._found:
            entry = self.settings.entry(registry)
            creds = Credentials(entry.username or "", entry.password) if entry.password is not None else None
            self._found[(registry, host)] = creds or self.docker.lookup(host)
        return self._found[(registry, host)]


Send = Callable[[str, str, Mapping[str, str]], httpx.Response]


@dataclass
class Authenticator:
    """The authorization state of one registry origin: Basic, or Bearer tokens per scope."""

    origin: str  # scheme://host[:port]
    credentials: Credentials | None
    send: Send  # GET with retries; raises the registry errors
    clock: Callable[[], float] = time.monotonic
    basic: bool = False
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # scope -> (token, expires)

    def header(self, scope: str) -> dict[str, str]:
        if self.basic and self.credentials:
            return {"Authorization": self.credentials.basic()}
        token = self.tokens.get(scope)
        if token and token[1] > self.clock():
            return {"Authorization": f"Bearer {token[0]}"}
        return {}

    def answer(self, response: httpx.Response, scope: str, what: str) -> bool:
        """Handle a 401; True if the request should be sent again with :meth:`header`."""
        challenge = Challenge.parse(response.headers.get("WWW-Authenticate", ""))
        if challenge is None:
            raise ImageUnreachable(f"{what}: access denied (no usable authentication challenge)")
        if challenge.scheme == "basic":
            if self.basic or self.credentials is None:
                raise ImageUnreachable(f"{what}: access denied (the registry wants credentials)")
            self.basic = True
            return True
        wanted = challenge.params.get("scope") or scope
        current = self.tokens.get(scope)
        if current and challenge.params.get("error") != "insufficient_scope" and wanted == scope:
            raise ImageUnreachable(f"{what}: access denied")
        if current and wanted in self.tokens and self.tokens[wanted][0] == current[0]:
            raise ImageUnreachable(f"{what}: access denied (insufficient scope)")
        self.tokens[scope] = self.tokens[wanted] = self._token(challenge, wanted, what)
        return True

    def _token(self, challenge: Challenge, scope: str, what: str) -> tuple[str, float]:
        realm = challenge.params.get("realm", "")
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ImageUnreachable(f"{what}: the registry's token realm is not a URL")
        if parts.scheme == "http" and not self.origin.startswith("http://"):
            raise ImageUnreachable(f"{what}: refusing a plain-HTTP token realm for an HTTPS registry")
        query = [("service", challenge.params["service"])] if "service" in challenge.params else []
        query += [("scope", s) for s in scope.split(" ") if s]
        headers = {"Authorization": self.credentials.basic()} if self.credentials else {}
        response = self.send("GET", realm + ("&" if parts.query else "?") + urlencode(query), headers)
        if response.status_code in (401, 403):
            raise ImageUnreachable(f"{what}: access denied by the token service")
        try:
            body = response.json()
            token = body.get("token") or body["access_token"]
            lifetime = float(body.get("expires_in") or 60)
        except (ValueError, KeyError, TypeError, AttributeError):
            status = response.status_code
            raise ImageUnreachable(f"{what}: the token service answered {status} without a token") from None
        return str(token), self.clock() + max(lifetime - 10, 1)


def docker_config_path(env: Mapping[str, str] | None = None) -> Path:
    return DockerConfig.default_path(os.environ if env is None else env)
