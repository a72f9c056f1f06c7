"""What distribution 2.8 cannot show, against a scripted stub registry over HTTP: tag
pagination, 429/Retry-After, 5xx, a wider token on insufficient_scope, missing headers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.httpwait import retry_after
from bot.registry.auth import CredentialStore, DockerConfig
from bot.registry.client import RegistryClient
from bot.registry.http import Retrying
from bot.registry.oci import ACCEPT
from bot.settings.registry_access import RegistrySettings
from fixers.base import ImageUnreachable, RegistryUnavailable
from tests.registry.servers import Reply, Stub, run_stub

TAGS = "/v2/library/alpine/tags/list"
MANIFEST = "/v2/library/alpine/manifests/latest"


@pytest.fixture
def stub() -> Iterator[Stub]:
    with run_stub() as running:
        yield running


def client(stub: Stub, sleeps: list[float] | None = None) -> RegistryClient:
    settings = RegistrySettings.from_config({"docker.io": {"mirror": stub.url}}, {})
    http = httpx.Client(timeout=5)
    retrying = Retrying(http, sleep=(sleeps if sleeps is not None else []).append)
    return RegistryClient(settings, CredentialStore(settings, DockerConfig(None)), http=http, retrying=retrying)


def page(*tags: str) -> dict[str, object]:
    return {"name": "library/alpine", "tags": list(tags)}


def test_pagination_follows_relative_and_absolute_links_and_sorts(stub: Stub) -> None:
    stub.add("GET", f"{TAGS}?n=1000", Reply(200, page("b", "3.2"), {"Link": f'<{TAGS}?last=b&n=2>; rel="next"'}))
    stub.add(
        "GET", f"{TAGS}?last=b&n=2", Reply(200, page("a", "3.10"), {"Link": f'<{{base}}{TAGS}?last=z>; rel="next"'})
    )
    stub.add("GET", f"{TAGS}?last=z", Reply(200, page("c")))
    with client(stub) as c:
        assert c.tags("alpine") == ("3.10", "3.2", "a", "b", "c")
        assert c.tags("docker.io/library/alpine:ignored") == ("3.10", "3.2", "a", "b", "c")
    assert len([s for s in stub.seen if s.path.startswith(TAGS)]) == 3


def test_pagination_never_follows_a_link_to_another_host(stub: Stub) -> None:
    stub.add("GET", f"{TAGS}?n=1000", Reply(200, page("a"), {"Link": '<http://elsewhere.example/v2/x>; rel="next"'}))
    with client(stub) as c, pytest.raises(ImageUnreachable, match="links to another host"):
        c.tags("alpine")


def test_429_waits_as_retry_after_says(stub: Stub) -> None:
    sleeps: list[float] = []
    stub.add(
        "GET",
        f"{TAGS}?n=1000",
        Reply(429, {}, {"Retry-After": "2"}),
        Reply(429, {}, {"Retry-After": "1"}),
        Reply(200, page("1.0")),
    )
    with client(stub, sleeps) as c:
        assert c.tags("alpine") == ("1.0",)
    assert sleeps == [2.0, 1.0]


def test_5xx_backs_off_with_jitter_then_gives_up_as_unavailable(stub: Stub) -> None:
    sleeps: list[float] = []
    stub.add("GET", f"{TAGS}?n=1000", Reply(503))
    with client(stub, sleeps) as c:
        with pytest.raises(RegistryUnavailable, match=r"unavailable \(HTTP 503\); try again later"):
            c.tags("alpine")
        with pytest.raises(RegistryUnavailable):
            c.tags("alpine")  # remembered for the run: not asked again
    assert len(sleeps) == 3 and 0.5 <= sleeps[0] <= 0.75 and 1 <= sleeps[1] <= 1.5 and 2 <= sleeps[2] <= 3
    assert len(stub.seen) == 4


def test_a_long_retry_after_gives_up_at_once(stub: Stub) -> None:
    sleeps: list[float] = []
    stub.add("HEAD", MANIFEST, Reply(429, b"", {"Retry-After": "3600"}))
    with client(stub, sleeps) as c, pytest.raises(RegistryUnavailable):
        c.digest("alpine", "latest")
    assert sleeps == [] and len(stub.seen) == 1


def test_a_5xx_then_success(stub: Stub) -> None:
    sleeps: list[float] = []
    digest = "sha256:" + "a" * 64
    stub.add("HEAD", MANIFEST, Reply(502), Reply(200, b"", {"Docker-Content-Digest": digest}))
    with client(stub, sleeps) as c:
        assert c.digest("alpine", "latest") == digest
    assert len(sleeps) == 1
    assert stub.seen[-1].headers["Accept"] == ACCEPT


def test_head_without_digest_falls_back_to_hashing_the_manifest(stub: Stub) -> None:
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}).encode()
    stub.add("HEAD", MANIFEST, Reply(200))
    stub.add("GET", MANIFEST, Reply(200, body, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
    with client(stub) as c:
        assert c.digest("alpine", "latest") == "sha256:" + hashlib.sha256(body).hexdigest()


def test_insufficient_scope_fetches_a_wider_token_and_never_resends_the_old_one(stub: Stub) -> None:
    narrow, wide = "repository:library/alpine:pull", "repository:library/alpine:pull repository:mirror/alpine:pull"
    challenge = 'Bearer realm="{base}/token",service="stub",scope="%s"'
    stub.add(
        "GET",
        f"{TAGS}?n=1000",
        Reply(401, {}, {"WWW-Authenticate": challenge % narrow}),
        Reply(401, {}, {"WWW-Authenticate": (challenge % wide) + ',error="insufficient_scope"'}),
        Reply(200, page("1.0")),
    )
    stub.add("GET", "/token", Reply(200, {"token": "T1", "expires_in": 300}), Reply(200, {"access_token": "T2"}))
    with client(stub) as c:
        assert c.tags("alpine") == ("1.0",)
    asked = [(s.path, s.headers.get("Authorization")) for s in stub.seen]
    assert asked == [
        (f"{TAGS}?n=1000", None),
        ("/token?service=stub&scope=repository%3Alibrary%2Falpine%3Apull", None),
        (f"{TAGS}?n=1000", "Bearer T1"),
        (
            "/token?service=stub&scope=repository%3Alibrary%2Falpine%3Apull&scope=repository%3Amirror%2Falpine%3Apull",
            None,
        ),
        (f"{TAGS}?n=1000", "Bearer T2"),
    ]


def test_a_plain_http_realm_is_refused_for_an_https_registry(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="http://evil.example/token"'})

    settings = RegistrySettings()
    http = httpx.Client(transport=httpx.MockTransport(handler))
    c = RegistryClient(settings, CredentialStore(settings, DockerConfig(None)), http=http)
    with c, pytest.raises(ImageUnreachable, match="refusing a plain-HTTP token realm"):
        c.tags("ghcr.io/org/app")


@pytest.mark.parametrize(
    ("value", "seconds"), [("5", 5.0), ("", None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)]
)
def test_retry_after_values(value: str, seconds: float | None) -> None:
    assert retry_after(value) == seconds
