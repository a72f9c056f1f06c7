"""An OCI-distribution client: tags, manifest digests (index and per platform), configs.

It implements :class:`fixers.base.ImageResolver` for the base-image fixers. Requests go
anonymously first and answer the registry's challenge (see :mod:`bot.registry.auth`);
Docker Hub names are normalised and ``registries:`` mirrors are honoured. Every answer is
kept for the run (one tag-list request per repository per run); tag lists and
digest-addressed documents also go to an optional persisted TTL cache.

Where it may connect, and how long and how much it reads, is :mod:`bot.registry.egress`.
Look-ups of different images run side by side; the same image's take turns (a lock per
repository), so each is still asked once per run.

Over 300 lines: the resolver's three look-ups share one per-run memory, one
retry policy and one error mapping; split, each would need the others' internals.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from bot.registry.auth import Authenticator, CredentialStore, DockerConfig, docker_config_path
from bot.registry.cache import IMMUTABLE_TTL, TAGS_TTL, TTLCache
from bot.registry.egress import PUBLIC_REGISTRIES, Egress, Resolve, guarded_client, system_resolve
from bot.registry.http import Retrying
from bot.registry.oci import ACCEPT, INDEX_TYPES, image_config, media_type, select_platform
from bot.settings.registry_access import RegistrySettings
from fixers.base import ImageConfig, ImageUnreachable, RegistryUnavailable, ResolveError
from fixers.images import InvalidReference, parse

MAX_PAGES = 200
PUBLIC_HOSTS = frozenset(host for host in PUBLIC_REGISTRIES if "*" not in host)
MAX_DOCUMENT = 4 * 1024 * 1024


@dataclass(frozen=True)
class Endpoint:
    base: str  # "https://registry-1.docker.io" or the mirror's URL
    repository: str  # "library/python"
    registry: str  # "docker.io"

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def url(self, path: str) -> str:
        return f"{self.base}/v2/{self.repository}/{path}"


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    body: dict[str, Any]


class RegistryClient:
    """One per run, shared by the run's threads: look-ups of one repository take turns (each
    is asked once per run and cached), others run side by side. Close it (or use it as a
    context manager). ``http`` replaces the guarded HTTP client (then its owner answers for
    where it connects); ``resolve`` replaces DNS for the guarded one."""

    def __init__(
        self,
        settings: RegistrySettings,
        credentials: CredentialStore,
        *,
        cache: TTLCache | None = None,
        http: httpx.Client | None = None,
        retrying: Retrying | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.cache = cache
        self.egress = Egress.of(settings.configured_hosts(), settings.allow)
        self.http = http or guarded_client(self.egress, resolve)
        self.retrying = retrying or Retrying(self.http, expected=self._expected)
        self.retrying.label = self.label_of
        self.auth: dict[tuple[str, str], Authenticator] = {}
        self._tags: dict[str, tuple[str, ...] | ResolveError] = {}
        self._digests: dict[tuple[str, str, str | None], str] = {}
        self._manifests: dict[tuple[str, str], Manifest] = {}
        self._lock = threading.Lock()  # the memories' dicts, the authenticators, the SQLite cache: briefly
        self._repos: dict[str, threading.RLock] = {}  # one per repository: its look-ups take turns

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
        if self.cache:
            self.cache.close()

    def forget_outages(self) -> None:
        """Hosts that were down, and tag lists they did not give, may be asked again (the
        run's second try of the files that needed them)."""
        with self._lock:
            self.retrying.down.clear()
            self._tags = {k: v for k, v in self._tags.items() if not isinstance(v, RegistryUnavailable)}

    def _turn(self, image: str) -> threading.RLock:
        """The lock of ``image``'s repository (an unparsable name gets a lock of its own)."""
        try:
            key = self.endpoint(image).name
        except ImageUnreachable:
            key = image
        with self._lock:
            return self._repos.setdefault(key, threading.RLock())

    def _expected(self, host: str) -> bool:
        """A host that should answer: a public registry, or one the configuration names
        (its own name, or its mirror's). A refused connection there is an outage."""
        mirrors = (section.mirror for section in self.settings.sections.values() if section is not None)
        named = {urlsplit(str(mirror)).netloc for mirror in mirrors if mirror}
        return host in PUBLIC_HOSTS or host in named or host in self.settings.sections

    def label_of(self, host: str) -> str:
        """Metrics name public registries and configured hosts; any other host a Dockerfile
        names is "other" (a bounded set of label values)."""
        return host if host in PUBLIC_HOSTS or host in self.egress.exact else "other"

    def endpoint(self, image: str) -> Endpoint:
        try:
            ref = parse(image)
        except InvalidReference as exc:
            raise ImageUnreachable(str(exc)) from None
        entry = self.settings.entry(ref.registry)
        if entry.mirror:
            return Endpoint(entry.mirror, ref.repository, ref.registry)
        scheme = "http" if entry.insecure else "https"
        return Endpoint(f"{scheme}://{ref.api_host}", ref.repository, ref.registry)

    # -- ImageResolver -------------------------------------------------------------

    def tags(self, image: str) -> tuple[str, ...]:
        with self._turn(image):
            return self._tags_of(image)

    def _tags_of(self, image: str) -> tuple[str, ...]:
        ep = self.endpoint(image)
        if ep.name not in self._tags:
            try:
                self._tags[ep.name] = self._cached(f"tags {ep.url('')}", TAGS_TTL, lambda: self._list_tags(ep))
            except ResolveError as exc:
                self._tags[ep.name] = exc  # asked once per run, failures included
        found = self._tags[ep.name]
        if isinstance(found, ResolveError):
            raise found
        return found

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        with self._turn(image):
            return self._digest_of(image, reference, platform)

    def _digest_of(self, image: str, reference: str, platform: str | None) -> str:
        ep = self.endpoint(image)
        key = (ep.name, reference, platform)
        if key not in self._digests:
            if platform is None:
                self._digests[key] = self._head_digest(ep, reference)
            else:
                self._digests[key] = self._platform_manifest(ep, reference, platform).digest
        return self._digests[key]

    def platforms(self, image: str, reference: str) -> dict[str, str]:
        """``os/arch[/variant]`` -> digest for an index; empty for a single manifest."""
        with self._turn(image):
            manifest = self._manifest(self.endpoint(image), reference)
        if manifest.media_type not in INDEX_TYPES:
            return {}
        found = {}
        for entry in manifest.body.get("manifests") or []:
            p = entry.get("platform") or {}
            key = "/".join(str(p[k]) for k in ("os", "architecture", "variant") if p.get(k))
            found[key] = str(entry.get("digest"))
        return found

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        with self._turn(image):
            return self._config_of(image, reference, platform)

    def _config_of(self, image: str, reference: str, platform: str) -> ImageConfig:
        ep = self.endpoint(image)
        manifest = self._platform_manifest(ep, reference, platform)
        descriptor = manifest.body.get("config") or {}
        blob = str(descriptor.get("digest", ""))
        raw = self._cached(f"blob {ep.url(blob)}", IMMUTABLE_TTL, lambda: self._blob(ep, blob))
        return image_config(manifest.digest, json.loads(raw))

    # -- requests ------------------------------------------------------------------

    def _cached(self, key: str, ttl: float, fetch: Any) -> Any:
        if self.cache is not None:
            with self._lock:
                hit = self.cache.get(key)
            if hit is not None:
                value = json.loads(hit)
                return tuple(value) if isinstance(value, list) else value
        value = fetch()
        if self.cache is not None:
            with self._lock:
                self.cache.put(key, json.dumps(value), ttl)
        return value

    def _get(self, ep: Endpoint, method: str, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """A request with the registry's authorization: anonymous, then as challenged."""
        scope = f"repository:{ep.repository}:pull"
        auth = self._authenticator(ep)
        for _ in range(3):
            response = self.retrying.send(method, url, {**(headers or {}), **auth.header(scope)})
            if response.status_code == 401 and _origin(str(response.url)) != ep.origin:
                raise ImageUnreachable(f"{ep.name}: access denied (a redirect to another host asked for credentials)")
            if response.status_code != 401 or not auth.answer(response, scope, ep.name):
                break
        if response.status_code in (401, 403):
            raise ImageUnreachable(f"{ep.name}: access denied")
        return response

    def _authenticator(self, ep: Endpoint) -> Authenticator:
        """One per registry origin: its tokens (per scope) go to that origin only."""
        key = (ep.origin, ep.registry)
        with self._lock:
            if key not in self.auth:
                host = urlsplit(ep.base).netloc if self.settings.entry(ep.registry).mirror else ep.registry
                creds = self.credentials.lookup(ep.registry, host)
                self.auth[key] = Authenticator(ep.origin, creds, self.retrying.send)
            return self.auth[key]

    def _list_tags(self, ep: Endpoint) -> tuple[str, ...]:
        url: str | None = ep.url("tags/list?n=1000")
        found: set[str] = set()
        seen: set[str] = set()
        while url and len(seen) < MAX_PAGES and url not in seen:
            seen.add(url)
            response = self._get(ep, "GET", url)
            _expect(response, ep.name, "tags")
            found.update(str(t) for t in (_json(response, ep.name).get("tags") or []))
            url = _next_link(response, ep)
        return tuple(sorted(found))

    def _head_digest(self, ep: Endpoint, reference: str) -> str:
        response = self._get(ep, "HEAD", ep.url(f"manifests/{quote(reference, safe=':')}"), {"Accept": ACCEPT})
        _expect(response, ep.name, reference)
        digest = str(response.headers.get("Docker-Content-Digest", ""))
        if digest.startswith("sha256:"):
            return digest
        return self._manifest(ep, reference).digest  # some registries omit the header on HEAD

    def _manifest(self, ep: Endpoint, reference: str) -> Manifest:
        key = (ep.name, reference)
        if key not in self._manifests:
            if reference.startswith("sha256:"):
                raw = self._cached(f"manifest {ep.url(reference)}", IMMUTABLE_TTL, lambda: self._fetch(ep, reference))
            else:
                raw = self._fetch(ep, reference)
            body = json.loads(raw)
            digest = "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
            self._manifests[key] = self._manifests[(ep.name, digest)] = Manifest(digest, media_type(body), body)
        return self._manifests[key]

    def _fetch(self, ep: Endpoint, reference: str) -> str:
        response = self._get(ep, "GET", ep.url(f"manifests/{quote(reference, safe=':')}"), {"Accept": ACCEPT})
        _expect(response, ep.name, reference)
        if len(response.content) > MAX_DOCUMENT:
            raise ImageUnreachable(f"{ep.name}:{reference}: manifest too large")
        raw = response.content.decode("utf-8")
        if reference.startswith("sha256:") and "sha256:" + hashlib.sha256(response.content).hexdigest() != reference:
            raise ImageUnreachable(f"{ep.name}@{reference}: the manifest does not match its digest")
        return raw

    def _platform_manifest(self, ep: Endpoint, reference: str, platform: str) -> Manifest:
        manifest = self._manifest(ep, reference)
        if manifest.media_type not in INDEX_TYPES:
            return manifest
        child = select_platform(manifest.body.get("manifests") or [], platform)
        if child is None:
            raise ImageUnreachable(f"{ep.name}:{reference} has no image for {platform}")
        return self._manifest(ep, child)

    def _blob(self, ep: Endpoint, digest: str) -> str:
        if not digest.startswith("sha256:"):
            raise ImageUnreachable(f"{ep.name}: the manifest has no config")
        response = self._get(ep, "GET", ep.url(f"blobs/{digest}"))
        _expect(response, ep.name, digest)
        if "sha256:" + hashlib.sha256(response.content).hexdigest() != digest:
            raise ImageUnreachable(f"{ep.name}: config blob {digest} does not match its digest")
        return response.content.decode("utf-8")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _expect(response: httpx.Response, name: str, what: str) -> None:
    if response.status_code == 404:
        raise ImageUnreachable(f"{name}: {what} not found")
    if response.status_code >= 400:
        raise ImageUnreachable(f"{name}: {what}: the registry answered {response.status_code}")


def _json(response: httpx.Response, name: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ImageUnreachable(f"{name}: the registry answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise ImageUnreachable(f"{name}: unexpected answer from the registry")
    return body


def _next_link(response: httpx.Response, ep: Endpoint) -> str | None:
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    url = urljoin(str(response.url), link)
    if urlsplit(url).netloc != urlsplit(ep.base).netloc:
        raise ImageUnreachable(f"{ep.name}: the tag list links to another host")  # never send a token elsewhere
    return url


def resolver_from_config(
    registries: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    cache_path: Path | None = None,
    docker_config: Path | None = None,
    helper_path: str | None = None,
    path: str | None = None,
    http: httpx.Client | None = None,
    resolve: Resolve = system_resolve,
) -> RegistryClient:
    """A client for ``Config.registries`` (raises DockmendError on a bad section)."""
    env = os.environ if env is None else env
    settings = RegistrySettings.from_config(registries, env, path)
    docker = DockerConfig(docker_config if docker_config is not None else docker_config_path(env), helper_path)
    cache = TTLCache(cache_path) if cache_path is not None else None
    return RegistryClient(settings, CredentialStore(settings, docker), cache=cache, http=http, resolve=resolve)
