"""The API-call, rate-limit and registry-request metrics, fed by the real clients: each
counter moves by exactly the requests the emulator (or the stub registry) saw."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.platforms.base import Repo
from bot.platforms.github import GitHubPlatform
from bot.platforms.github_auth import Clients, Tuning
from bot.platforms.github_retry import RetryPolicy
from bot.platforms.gitlab import GitLabPlatform
from bot.platforms.gitlab_retry import RetryPolicy as GitLabRetry
from bot.registry.auth import CredentialStore, DockerConfig
from bot.registry.client import RegistryClient
from bot.registry.http import Retrying
from bot.service.web.metrics import Metrics, status_class
from bot.settings.registry_access import RegistrySettings, Secret
from bot.settings.targets import Target
from tests.emulators.github import GitHubEmulator
from tests.emulators.gitlab import TOKEN as GITLAB_TOKEN
from tests.emulators.gitlab import GitLabEmulator
from tests.registry.servers import Reply, Stub, run_stub

TOKEN = "ghp_MetricsTestToken0123456789abcdefghij"
DOCKERFILE = b"FROM alpine:3.19\n"
REPOS = [f"acme/app-{n}" for n in range(5)]


def api_calls(metrics: Metrics, platform: str) -> dict[str, float]:
    """The API-call counter of ``platform`` by answer class, without the zeros."""
    found = {}
    for family in metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "dockmend_api_calls_total" and sample.labels["platform"] == platform:
                found[sample.labels["status"]] = sample.value
    return found


def seen(statuses: list[int]) -> dict[str, float]:
    return {cls: float(n) for cls, n in Counter(status_class(s) for s in statuses).items()}


@pytest.fixture
def em(tmp_path: Path) -> Iterator[GitHubEmulator]:
    em = GitHubEmulator(tmp_path)
    for name in REPOS:
        em.add_repo(name, {"Dockerfile": DOCKERFILE, "README.md": b"# app\n"})
    em.add_token(TOKEN)
    with em.running():
        yield em
    assert not em.errors


def github(em: GitHubEmulator, metrics: Metrics) -> GitHubPlatform:
    policy = RetryPolicy(backoff=0.0, max_wait=5.0, sleep=lambda _: None)
    clients = Clients(em.url, Tuning(None, None, policy, per_page=2), token=Secret(TOKEN))
    clients.listen(metrics.api_listener("gh"))
    return GitHubPlatform("gh", clients)


def scan(platform: GitHubPlatform | GitLabPlatform, owner: str) -> None:
    """What a run reads: the listing, each tree, each Dockerfile."""
    for repo in platform.list_repos(Target("t", platform.name, owner)):
        for file in platform.list_files(repo, repo.default_branch):
            if file.path == "Dockerfile":
                platform.read_file(repo, file)


def test_github_calls_and_rate_limit_are_counted(em: GitHubEmulator) -> None:
    metrics = Metrics()
    em.exhaust_rate_limit(2)  # two refusals (403), waited out and counted
    scan(github(em, metrics), "acme")
    statuses = [status for _, _, status in em.requests]
    assert len(statuses) >= 3 + 2 * len(REPOS) + 2  # pages of 2, a tree and a blob each, the refusals
    assert api_calls(metrics, "gh") == seen(statuses) and seen(statuses)["4xx"] == 2
    _, used, _ = em.rate(em.credentials[TOKEN], count=False)
    assert metrics.registry.get_sample_value("dockmend_rate_limit_remaining", {"platform": "gh"}) == 5000 - used


def test_two_platforms_are_counted_apart(em: GitHubEmulator) -> None:
    metrics = Metrics()
    first, second = github(em, metrics), github(em, Metrics())
    first.list_files(Repo("gh", REPOS[0], REPOS[0], "main", ""), "main")
    second.list_files(Repo("gh", REPOS[1], REPOS[1], "main", ""), "main")
    assert api_calls(metrics, "gh") == {"2xx": 1.0}


def test_gitlab_calls_and_rate_limit_are_counted(tmp_path: Path) -> None:
    seed = tmp_path / "seed" / "acme"
    for name in REPOS:
        (seed / name.split("/")[1]).mkdir(parents=True)
        (seed / name.split("/")[1] / "Dockerfile").write_bytes(DOCKERFILE)
    metrics = Metrics()
    with GitLabEmulator(seed=tmp_path / "seed", root=tmp_path / "gitlab") as gl:
        platform = GitLabPlatform("gl", gl.url, Secret(GITLAB_TOKEN), retry=GitLabRetry(sleep=lambda _: None))
        platform.listen(metrics.api_listener("gl"))
        scan(platform, "acme")
        statuses = [r["status"] for r in gl.requests]
    assert len(statuses) >= 1 + 2 * len(REPOS)
    assert api_calls(metrics, "gl") == seen(statuses)
    assert metrics.registry.get_sample_value("dockmend_rate_limit_remaining", {"platform": "gl"}) == 1999


TAGS = "/v2/library/alpine/tags/list"


def test_registry_requests_are_counted_by_host_and_answer() -> None:
    metrics = Metrics()
    with run_stub() as stub:
        stub.add("GET", f"{TAGS}?n=1000", Reply(429, {}, {"Retry-After": "0"}), Reply(503), Reply(200, _page()))
        with _client(stub, metrics) as client:
            assert client.tags("alpine") == ("3.19", "3.20")
        host = httpx.URL(stub.url).netloc.decode()
    counted = {
        cls: metrics.registry.get_sample_value("dockmend_registry_requests_total", {"registry": host, "status": cls})
        for cls in ("2xx", "4xx", "5xx")
    }
    assert counted == {"2xx": 1.0, "4xx": 1.0, "5xx": 1.0}
    assert len(stub.seen) == 3


def _page() -> dict[str, object]:
    return {"name": "library/alpine", "tags": ["3.20", "3.19"]}


def _client(stub: Stub, metrics: Metrics) -> RegistryClient:
    settings = RegistrySettings.from_config({"docker.io": {"mirror": stub.url}}, {})
    http = httpx.Client(timeout=5)
    retrying = Retrying(http, sleep=lambda _: None, listener=metrics.registry_listener())
    return RegistryClient(settings, CredentialStore(settings, DockerConfig(None)), http=http, retrying=retrying)
