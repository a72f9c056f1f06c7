"""A refused connection: an outage where a registry should answer, a finding elsewhere.

Real sockets: a port with nothing listening refuses; no stub."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from bot.registry.http import Retrying
from fixers.base import ImageUnreachable, RegistryUnavailable
from tests.registry.servers import free_port


def retrying(expected: bool, answered: bool = False) -> tuple[Retrying, str, list[float]]:
    port = free_port()
    host = f"127.0.0.1:{port}"
    slept: list[float] = []
    client = Retrying(httpx.Client(timeout=2), expected=lambda h: expected, sleep=slept.append)
    if answered:
        client.answered.add(host)
    return client, f"http://{host}/v2/", slept


@pytest.mark.parametrize(
    ("expected", "answered", "raised"),
    [
        (True, False, RegistryUnavailable),  # a public or configured registry is down: try later
        (False, True, RegistryUnavailable),  # it answered earlier in the run: it is down now
        (False, False, ImageUnreachable),  # an unknown host that never answered: a finding
    ],
)
def test_a_refused_connection(expected: bool, answered: bool, raised: type[Exception]) -> None:
    client, url, slept = retrying(expected, answered)
    with pytest.raises(raised):
        client.send("GET", url, {})
    assert len(slept) == (client.attempts - 1 if raised is RegistryUnavailable else 0)  # retried first


def test_a_host_found_down_is_not_waited_on_again_in_the_run() -> None:
    client, url, slept = retrying(expected=True)
    with pytest.raises(RegistryUnavailable):
        client.send("GET", url, {})
    waited = len(slept)
    with pytest.raises(RegistryUnavailable, match="unavailable"):
        client.send("GET", url + "library/alpine/tags/list", {})
    assert len(slept) == waited


def test_a_registry_whose_name_does_not_resolve_is_an_outage_not_a_finding() -> None:
    """No network or a DNS outage: a public or configured registry is not gone, the file
    is tried again later (and the host is not asked again in this run)."""
    slept: list[float] = []
    client = Retrying(httpx.Client(timeout=2), sleep=slept.append, expected=lambda host: True)
    with pytest.raises(RegistryUnavailable, match=r"\(name resolution failed\); try again later"):
        client.send("GET", "http://no-such-registry.invalid/v2/", {})
    assert len(slept) == client.attempts - 1
    with pytest.raises(RegistryUnavailable):
        client.send("GET", "http://no-such-registry.invalid/v2/library/alpine/tags/list", {})
    assert len(slept) == client.attempts - 1  # not waited on again


def test_an_unknown_host_whose_name_does_not_resolve_is_a_finding_at_once() -> None:
    slept: list[float] = []
    client = Retrying(httpx.Client(timeout=2), sleep=slept.append, expected=lambda host: False)
    with pytest.raises(ImageUnreachable, match=r"cannot be reached \(name resolution failed\)"):
        client.send("GET", "http://no-such-registry.invalid/v2/", {})
    assert slept == []


def test_retries_are_logged_as_warnings_with_what_and_until_when(caplog: pytest.LogCaptureFixture) -> None:
    slept: list[float] = []
    client = Retrying(httpx.Client(timeout=2), sleep=slept.append, expected=lambda host: True)
    with caplog.at_level(logging.WARNING, logger="bot.registry.http"), pytest.raises(RegistryUnavailable):
        client.send("GET", "http://no-such-registry.invalid/v2/", {})
    waits = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(waits) == client.attempts - 1
    assert re.search(
        r"registry no-such-registry.invalid: name resolution failed; waiting \d+\.\d s, until \d\d:\d\d:\d\d UTC "
        r"\(attempt 2 of 4\)",
        waits[0].getMessage(),
    )
