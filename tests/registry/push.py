"""Push deterministic test images to a registry over plain HTTP (no Docker).

An image is a config blob (its ``created`` time and a label make it unique) and one
small gzip'd tar layer (mtime 0, so digests never change); a multi-arch image is an
index of per-platform manifests. This pusher answers Basic and Bearer challenges on its
own, independent of the client under test.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ChallengeAuth(httpx.Auth):
    """Answer a registry's 401 with Basic credentials or a Bearer token for push+pull."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.basic = httpx.BasicAuth(user, password)
        self.header: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.header:
            request.headers["Authorization"] = self.header
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("WWW-Authenticate", "")
        if challenge.startswith("Basic"):
            self.header = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        else:
            params = dict(p.split("=", 1) for p in challenge[len("Bearer ") :].split(","))
            params = {k: v.strip('"') for k, v in params.items()}
            scope = params["scope"].replace(":pull", ":pull,push") if "push" not in params["scope"] else params["scope"]
            reply = httpx.get(
                params["realm"], params={"service": params["service"], "scope": scope}, auth=self.basic
            ).json()
            self.header = f"Bearer {reply['token']}"
        request.headers["Authorization"] = self.header
        yield request


@dataclass
class Pusher:
    url: str
    auth: httpx.Auth | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, auth=self.auth, timeout=30)

    def blob(self, repo: str, data: bytes) -> str:
        digest = sha(data)
        if self.http.head(f"/v2/{repo}/blobs/{digest}").status_code == 200:
            return digest
        start = self.http.post(f"/v2/{repo}/blobs/uploads/")
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        done = self.http.put(location + ("&" if "?" in location else "?") + f"digest={digest}", content=data)
        assert done.status_code == 201, done.text
        return digest

    def manifest(self, repo: str, reference: str, body: dict[str, Any]) -> str:
        data = json.dumps(body, indent=1).encode()
        response = self.http.put(
            f"/v2/{repo}/manifests/{reference}", content=data, headers={"Content-Type": body["mediaType"]}
        )
        assert response.status_code == 201, response.text
        assert response.headers["Docker-Content-Digest"] == sha(data)
        return sha(data)


@dataclass(frozen=True)
class Spec:
    """One image: a creation time, a marker, platforms (>1 makes an index), Docker or OCI types."""

    created: datetime
    marker: str
    platforms: tuple[str, ...] = ("linux/amd64",)
    docker: bool = False


def _layer(marker: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = marker.encode()
        info = tarfile.TarInfo("marker.txt")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _single(push: Pusher, repo: str, spec: Spec, platform: str) -> tuple[str, int, dict[str, Any]]:
    os_, arch = platform.split("/")[:2]
    tar = _layer(f"{repo} {spec.marker} {platform}")
    layer = gzip.compress(tar, mtime=0)
    config = {
        "created": spec.created.isoformat().replace("+00:00", "Z"),
        "architecture": arch,
        "os": os_,
        "config": {"Cmd": ["/bin/sh"], "Labels": {"marker": spec.marker}},
        "rootfs": {"type": "layers", "diff_ids": [sha(tar)]},
    }
    config_data = json.dumps(config, sort_keys=True).encode()
    body = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if spec.docker else OCI_MANIFEST,
        "config": {
            "mediaType": DOCKER_CONFIG if spec.docker else OCI_CONFIG,
            "digest": push.blob(repo, config_data),
            "size": len(config_data),
        },
        "layers": [
            {
                "mediaType": DOCKER_LAYER if spec.docker else OCI_LAYER,
                "digest": push.blob(repo, layer),
                "size": len(layer),
            }
        ],
    }
    data = json.dumps(body, indent=1).encode()
    return push.manifest(repo, sha(data), body), len(data), body


@dataclass
class Pushed:
    digest: str  # what the tag points to (the index, for a multi-arch image)
    platforms: dict[str, str]  # platform -> manifest digest


def push_image(push: Pusher, repo: str, spec: Spec, tags: list[str]) -> Pushed:
    manifests = {p: _single(push, repo, spec, p) for p in spec.platforms}
    if len(spec.platforms) == 1:
        digest, _, body = manifests[spec.platforms[0]]
        for tag in tags:
            push.manifest(repo, tag, body)
        return Pushed(digest, {spec.platforms[0]: digest})
    entries = []
    for platform, (digest, size, _) in manifests.items():
        os_, arch, *variant = platform.split("/")
        plat = {"os": os_, "architecture": arch, **({"variant": variant[0]} if variant else {})}
        entries.append(
            {
                "mediaType": DOCKER_MANIFEST if spec.docker else OCI_MANIFEST,
                "digest": digest,
                "size": size,
                "platform": plat,
            }
        )
    index = {"schemaVersion": 2, "mediaType": DOCKER_LIST if spec.docker else OCI_INDEX, "manifests": entries}
    digest = ""
    for tag in tags:
        digest = push.manifest(repo, tag, index)
    return Pushed(digest, {p: d for p, (d, _, _) in manifests.items()})
