"""A FROM line names the registry: a hostile one must not turn the bot inward, leak a
token, hang a run or fill its memory. Real servers on 127.0.0.1; DNS through a hook."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest

from bot.registry.client import RegistryClient, resolver_from_config
from bot.registry.egress import MAX_BODY, Egress, EgressRefused, guarded_client
from bot.service.web.metrics import Metrics
from fixers.base import ImageUnreachable, RegistryUnavailable
from tests.security.hostile import Request, Server, answer, drip, hostile

NOWHERE = Path("/nonexistent/config.json")
TAGS = json.dumps({"name": "team/app", "tags": ["1.0", "1.1"]}).encode()


class Resolver:
    """DNS for the test: names to addresses, every question recorded."""

    def __init__(self, answers: dict[str, list[list[str]]] | None = None) -> None:
        self.answers = answers or {}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.answers:
            queue = self.answers[host]
            return queue.pop(0) if len(queue) > 1 else queue[0]
        return [host] if host[0].isdigit() else []


def client(registries: dict[str, Any], resolve: Resolver | None = None, env: dict[str, str] | None = None) -> Any:
    return resolver_from_config(registries, env=env or {}, docker_config=NOWHERE, resolve=resolve or Resolver())


def configured(*servers: Server, allow: tuple[str, ...] = ()) -> dict[str, Any]:
    """The hostile registries as the configuration names them (plain HTTP, on loopback)."""
    return {**{s.netloc: {"insecure": True} for s in servers}, "allow": list(allow)}


@pytest.fixture
def metadata() -> Iterator[Server]:
    """A metadata-like server: it hands out a credential to anyone who asks."""

    def script(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, b'{"token": "instance-role-secret"}')

    with hostile(script) as server:
        yield server


def test_a_redirect_to_an_inward_server_is_not_followed(metadata: Server) -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 302, {"Location": f"{metadata.url}/latest/meta-data/iam"})

    resolve = Resolver()
    with hostile(script) as registry, client(configured(registry), resolve) as c:
        with pytest.raises(ImageUnreachable, match=rf"registry host {metadata.netloc} not allowed"):
            c.tags(f"{registry.netloc}/team/app")
        assert len(registry.requests) == 1
    assert metadata.connections == 0
    assert metadata.netloc not in resolve.asked


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "not a known public registry"),
        ("http://ghcr.io/v2/team/app/tags/list", "plain HTTP to a host not configured by name"),  # a downgrade
        ("file:///etc/passwd", "not allowed"),
    ],
)
def test_a_redirect_out_of_the_allowed_set_or_to_plain_http_is_refused(location: str, why: str) -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 307, {"Location": location})

    resolve = Resolver()
    with (
        hostile(script) as registry,
        client(configured(registry), resolve) as c,
        pytest.raises(ImageUnreachable, match=why),
    ):
        c.tags(f"{registry.netloc}/team/app")
    assert resolve.asked == ["127.0.0.1"]  # the registry itself; nothing after the redirect


def test_a_token_realm_pointing_inward_is_never_asked(metadata: Server) -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        challenge = f'Bearer realm="{metadata.url}/computeMetadata/v1/token",service="x"'
        answer(sock, 401, {"WWW-Authenticate": challenge})

    with hostile(script) as registry, client(configured(registry)) as c:
        with pytest.raises(ImageUnreachable, match=rf"registry host {metadata.netloc} not allowed"):
            c.tags(f"{registry.netloc}/team/app")
        assert all("authorization" not in r.headers for r in registry.requests)
    assert metadata.connections == 0


def test_an_allowed_token_service_that_resolves_inward_is_refused(metadata: Server) -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 401, {"WWW-Authenticate": 'Bearer realm="https://auth.docker.io/token",service="x"'})

    resolve = Resolver({"auth.docker.io": [["169.254.169.254"]]})
    with (
        hostile(script) as registry,
        client(configured(registry), resolve) as c,
        pytest.raises(ImageUnreachable, match=r"auth\.docker\.io not allowed: resolves to a link-local address"),
    ):
        c.tags(f"{registry.netloc}/team/app")
    assert "auth.docker.io" in resolve.asked
    assert metadata.connections == 0


def test_a_token_goes_only_to_the_registry_that_named_it() -> None:
    def tokens(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, b'{"token": "token-for-registry-a"}')

    def other(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, TAGS)

    with hostile(tokens) as realm, hostile(other) as b:

        def registry_a(request: Request, sock: socket.socket, server: Server) -> None:
            if request.headers.get("authorization") != "Bearer token-for-registry-a":
                answer(sock, 401, {"WWW-Authenticate": f'Bearer realm="{realm.url}/token",service="a"'})
            else:
                answer(sock, 307, {"Location": f"{b.url}/v2/team/app/tags/list"})

        with hostile(registry_a) as a, client(configured(a, b, realm)) as c:
            assert c.tags(f"{a.netloc}/team/app") == ("1.0", "1.1")
            assert [r.headers.get("authorization") for r in a.requests] == [None, "Bearer token-for-registry-a"]
        assert len(realm.requests) == 1
        assert b.requests and all("authorization" not in r.headers for r in b.requests)


def test_credentials_are_not_sent_where_a_redirect_asks_for_them() -> None:
    def realm_b(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, b'{"token": "b"}')

    with hostile(realm_b) as realm:

        def b_script(request: Request, sock: socket.socket, server: Server) -> None:
            answer(sock, 401, {"WWW-Authenticate": f'Bearer realm="{realm.url}/token",service="b"'})

        with hostile(b_script) as b:

            def a_script(request: Request, sock: socket.socket, server: Server) -> None:
                answer(sock, 307, {"Location": f"{b.url}/v2/team/app/tags/list"})

            with hostile(a_script) as a:
                registries = configured(a, b, realm)
                registries[a.netloc] = {"insecure": True, "username": "bot", "password": "${A_PASSWORD}"}
                with (
                    client(registries, env={"A_PASSWORD": "password-of-a"}) as c,
                    pytest.raises(ImageUnreachable, match="a redirect to another host asked for credentials"),
                ):
                    c.tags(f"{a.netloc}/team/app")
    assert realm.connections == 0  # a's credentials never went to b's token service


def test_a_slow_drip_answer_is_cut_at_the_total_deadline() -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        drip(sock, b"x" * 100, 0.2, server)  # each byte well inside the 20 s read timeout

    with hostile(script) as registry, client(configured(registry)) as c:
        c.retrying.deadline = 1.5
        started = time.monotonic()
        with pytest.raises(RegistryUnavailable, match=r"no complete answer within 1\.5s"):
            c.tags(f"{registry.netloc}/team/app")
        assert time.monotonic() - started < 4  # the whole answer would take 20 s
        with pytest.raises(RegistryUnavailable):  # the host is down for the rest of the run: no second wait
            c.tags(f"{registry.netloc}/team/other")
        assert time.monotonic() - started < 4


def test_a_dripped_head_is_cut_at_the_total_deadline_too() -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        drip(sock, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 200 + b"\r\n\r\n", 0.2, server)

    with hostile(script) as registry, client(configured(registry)) as c:
        c.retrying.deadline = 1.5
        started = time.monotonic()
        with pytest.raises(RegistryUnavailable):
            c.tags(f"{registry.netloc}/team/app")
        assert time.monotonic() - started < 4  # the whole head would take 45 s


@pytest.mark.parametrize("declared", [True, False])
def test_a_huge_answer_is_refused_while_it_streams(declared: bool) -> None:
    chunk = b"[" * 65536

    def script(request: Request, sock: socket.socket, server: Server) -> None:
        length = f"Content-Length: {300 * 1024 * 1024}\r\n" if declared else "Connection: close\r\n"
        sock.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n".encode())
        for _ in range(300 * 16):  # 300 MiB, unless the client leaves first
            sock.sendall(chunk)
            server.sent += len(chunk)

    with hostile(script) as registry, client(configured(registry)) as c:
        started = time.monotonic()
        with pytest.raises(ImageUnreachable, match=f"{MAX_BODY}-byte limit"):
            c.tags(f"{registry.netloc}/team/app")
        assert time.monotonic() - started < 5
        time.sleep(0.2)
        assert registry.sent < 64 * 1024 * 1024  # the client stopped reading at the cap


class Connections(httpcore.SyncBackend):
    """The socket layer under the checks: records where it is asked to connect; the public
    internet is not reachable from a test, so a public address fails as it would offline."""

    def __init__(self) -> None:
        self.addresses: list[str] = []

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        self.addresses.append(host)
        if not host.startswith("127."):
            raise httpcore.ConnectError("network unreachable (test)")
        return super().connect_tcp(host, port, *args, **kwargs)


def test_dns_rebinding_cannot_switch_the_checked_address() -> None:
    """The name resolves to a public address once (checked), then to loopback: the connection
    goes to the address that was checked, never to the second answer."""

    def script(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, TAGS)

    with hostile(script) as inside:
        name = f"rebind.example.com:{inside.port}"
        resolve = Resolver({"rebind.example.com": [["93.184.215.14"], ["127.0.0.1"]]})
        sockets = Connections()
        settings_client = resolver_from_config({"allow": ["*.example.com"]}, env={}, docker_config=NOWHERE)
        egress = settings_client.egress
        settings_client.close()
        c = RegistryClient(
            settings_client.settings, settings_client.credentials, http=guarded_client(egress, resolve, sockets)
        )
        c.retrying.sleep = lambda _: None
        with c, pytest.raises((RegistryUnavailable, ImageUnreachable)):
            c.tags(f"{name}/team/app")
        assert sockets.addresses and set(sockets.addresses) == {"93.184.215.14"}
        assert len(resolve.asked) == len(sockets.addresses)  # one answer per connection, checked and used
        with (  # the next connection gets the next answer
            guarded_client(egress, resolve, sockets) as http,
            pytest.raises(EgressRefused, match="resolves to a loopback address"),
        ):
            http.get(f"https://{name}/v2/")
        assert set(sockets.addresses) == {"93.184.215.14"}
    assert inside.connections == 0


@pytest.mark.parametrize(
    ("addresses", "why"),
    [
        (["127.0.0.1"], "a loopback address"),
        (["93.184.215.14", "10.0.0.7"], "a private address"),  # a mixed answer: refused whole
        (["169.254.169.254"], "a link-local address"),
        (["::ffff:127.0.0.1"], "a loopback address"),
        (["fd00::1"], "a private address"),
        (["0.0.0.0"], "the unspecified address"),
        (["100.64.0.1"], "a reserved address"),
    ],
)
def test_a_name_that_resolves_inward_is_a_finding(addresses: list[str], why: str) -> None:
    resolve = Resolver({"evil.example.com": [addresses]})
    sockets = Connections()
    egress = Egress.of((), ("*.example.com",))
    with (
        guarded_client(egress, resolve, sockets) as http,
        pytest.raises(EgressRefused, match=rf"evil\.example\.com not allowed: resolves to {why}"),
    ):
        http.get("https://evil.example.com/v2/")
    assert sockets.addresses == []


def test_a_host_configured_by_name_may_be_private() -> None:
    assert Egress.of(("registry.internal:5000",)).check_address("registry.internal", 5000, "10.0.0.7") is None
    egress = Egress.of((), ("registry.internal", "*.corp.example"))
    assert egress.check_address("registry.internal", 443, "10.0.0.7") is None
    with pytest.raises(EgressRefused, match="resolves to a private address"):
        egress.check_address("a.corp.example", 443, "10.0.0.7")  # a wildcard admits public addresses only


def test_lookups_of_different_registries_do_not_wait_on_each_other() -> None:
    def slow(request: Request, sock: socket.socket, server: Server) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
        drip(sock, b"x" * 50, 0.1, server)

    def fast(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, TAGS)

    with hostile(slow) as a, hostile(fast) as b, client(configured(a, b)) as c:
        c.retrying.deadline = 2.5
        outcome: list[BaseException] = []

        def wait_for_a() -> None:
            try:
                c.tags(f"{a.netloc}/team/app")
            except RegistryUnavailable as exc:
                outcome.append(exc)

        stuck = threading.Thread(target=wait_for_a)
        stuck.start()
        while not a.requests:
            time.sleep(0.01)
        started = time.monotonic()
        assert c.tags(f"{b.netloc}/team/app") == ("1.0", "1.1")
        assert time.monotonic() - started < 1
        assert stuck.is_alive()  # a is still dripping
        stuck.join()
        assert len(outcome) == 1


def test_metrics_name_configured_hosts_and_count_the_rest_as_other() -> None:
    def script(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, TAGS)

    metrics = Metrics()
    with hostile(script) as registry, client(configured(registry)) as c:
        c.retrying.listener = metrics.registry_listener()
        c.tags(f"{registry.netloc}/team/app")
        assert c.label_of(registry.netloc) == registry.netloc
        assert c.label_of("attacker-chosen-name.example.com") == "other"
        assert c.label_of("ghcr.io") == "ghcr.io"
    for n in range(200):
        metrics.registry_request(f"host-{n}.example.com", 200)
    labels = {s.labels["registry"] for m in metrics.registry.collect() for s in m.samples if "registry" in s.labels}
    assert len(labels) <= 65 and "other" in labels and registry.netloc in labels


def test_a_proxy_from_the_environment_cannot_route_around_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    def proxy(request: Request, sock: socket.socket, server: Server) -> None:
        answer(sock, 200, {"Content-Type": "application/json"}, TAGS)  # it would answer for anyone

    with hostile(proxy) as relay:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, relay.url)
        with client({"allow": []}) as c, pytest.raises(ImageUnreachable, match="not allowed"):
            c.tags("127.0.0.1:9/team/app")
    assert relay.connections == 0


def test_configured_names_match_with_or_without_their_default_port() -> None:
    egress = Egress.of(("mirror.local:80", "Registry.Internal:5000"), ("x.example:443",))
    assert egress.exact == {"mirror.local", "registry.internal:5000", "x.example"}
    egress.check_address("mirror.local", 80, "10.0.0.1")
    egress.check_address("registry.internal", 5000, "10.0.0.1")
    with pytest.raises(EgressRefused, match="resolves to a private address"):
        egress.check_address("registry.internal", 5001, "10.0.0.1")
