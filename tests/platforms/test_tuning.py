"""How hard dockmend drives a forge: the tuning keys from the configuration file to the
clients, and the back-pressure that spreads the calls out before the rate limit is met.

No test waits: pacers get a clock that only their own (recorded) sleeps move."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.httpwait import Pacer, paced_wait
from bot.platforms import github_auth
from bot.platforms.base import Repo
from bot.platforms.github import GitHubPlatform
from bot.platforms.github_auth import Clients, Tuning, clients_from_settings
from bot.platforms.github_retry import RetryPolicy
from bot.platforms.gitlab import GitLabPlatform
from bot.platforms.gitlab_retry import RetryingSession, policy_from_settings
from bot.platforms.gitlab_retry import RetryPolicy as GitLabRetry
from bot.settings import config
from bot.settings.secrets import Secret
from bot.settings.targets import Pace, PlatformSettings, Target
from tests.emulators.github import GitHubEmulator
from tests.emulators.gitlab import TOKEN as GITLAB_TOKEN
from tests.emulators.gitlab import GitLabEmulator

TOKEN = "ghp_TuningTestToken0123456789abcdefghij"
DOCKERFILE = b"FROM alpine:3.19\n"


class Clock:
    """Unix time that moves only when someone sleeps: waits are recorded, never spent."""

    def __init__(self, now: float) -> None:
        self.now, self.sleeps = now, list[float]()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- the configuration keys -----------------------------------------------------------------

ENTRIES = [
    # (platform entry, concurrency, pace)
    ("{type: github, token: ${T}}", 4, Pace(0.25, 1.0, 100)),
    ("{type: github, token: ${T}, seconds_between_requests: 0, seconds_between_writes: null}", 4, Pace(0, 0, 100)),
    ("{type: github, token: ${T}, concurrency: 8, rate_limit_reserve: 0}", 8, Pace(0.25, 1.0, 0)),
    ("{type: gitlab, token: ${T}}", 4, Pace(0, 0, 100)),
    ("{type: gitlab, token: ${T}, seconds_between_requests: 0.5, seconds_between_writes: 2}", 4, Pace(0.5, 2, 100)),
]


@pytest.mark.parametrize(("entry", "concurrency", "pace"), ENTRIES)
def test_the_keys_reach_the_platform_settings(tmp_path: Path, entry: str, concurrency: int, pace: Pace) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(f"platforms:\n  f: {entry}\n")
    result = CliRunner().invoke(app, ["config", "check", str(path)], env={"T": "x"})
    assert result.exit_code == 0, result.stderr
    assert f"    concurrency: {concurrency}\n" in result.stdout
    assert f"    rate_limit_reserve: {pace.rate_limit_reserve}\n" in result.stdout
    settings = config.load(path).platforms["f"]
    assert (settings.concurrency, settings.pace()) == (concurrency, pace)


BAD = [
    ("concurrency: 0", "platforms.gh.concurrency: expected 1 or more"),
    ("seconds_between_requests: -1", "platforms.gh.seconds_between_requests: expected 0.0 or more"),
    ("seconds_between_writes: fast", "platforms.gh.seconds_between_writes: expected a number, got text"),
    ("rate_limit_reserve: -5", "platforms.gh.rate_limit_reserve: expected 0 or more"),
]


@pytest.mark.parametrize(("key", "message"), BAD)
def test_bad_values_are_refused(tmp_path: Path, key: str, message: str) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(f"platforms:\n  gh: {{type: github, token: ${{T}}, {key}}}\n")
    result = CliRunner().invoke(app, ["config", "check", str(path)], env={"T": "x"})
    assert (result.exit_code, result.stderr) == (2, f"dockmend: error: {path}:2:35: {message}\n")


@pytest.mark.parametrize(
    ("keys", "requests", "writes"),
    [("", 0.25, 1.0), ("seconds_between_requests: 0, seconds_between_writes: 0", 0.0, 0.0)],
)
def test_the_token_pacer_gets_the_configured_pauses(
    tmp_path: Path, keys: str, requests: float | None, writes: float | None
) -> None:
    """One pacer per token spaces the calls of every thread's client; PyGithub's own
    spacing (per client, so per thread) stays off."""
    path = tmp_path / "dockmend.yaml"
    path.write_text(f"platforms:\n  gh: {{type: github, url: http://127.0.0.1:9/api/v3, token: ${{T}}, {keys}}}\n")
    clients = clients_from_settings(config.load(path).platforms["gh"], {"T": "x"}, None)
    built = clients.for_owner("acme").requester.kwargs
    assert (built["seconds_between_requests"], built["seconds_between_writes"]) == (None, None)
    pacer = clients.pacers[""]
    assert (pacer.between_requests, pacer.between_writes) == (requests, writes)


@pytest.fixture
def em(tmp_path: Path) -> Iterator[GitHubEmulator]:
    em = GitHubEmulator(tmp_path / "github")
    em.add_repo("acme/api", {"Dockerfile": DOCKERFILE})
    em.add_token(TOKEN)
    with em.running():
        yield em
    assert not em.errors


@pytest.mark.parametrize(
    ("keys", "requests", "writes"),
    [("seconds_between_requests: 0, seconds_between_writes: 0", 0.0, 0.0), ("seconds_between_writes: 0", 0.25, 0.0)],
)
def test_a_cli_run_paces_at_the_configured_pace(
    tmp_path: Path,
    em: GitHubEmulator,
    monkeypatch: pytest.MonkeyPatch,
    keys: str,
    requests: float | None,
    writes: float | None,
) -> None:
    built: list[Pacer] = []
    made = Tuning.pacer

    def recorded(tuning: Tuning, listeners: list[object]) -> Pacer:
        pacer = made(tuning, listeners)  # type: ignore[arg-type]
        built.append(pacer)
        return pacer

    monkeypatch.setattr(github_auth.Tuning, "pacer", recorded)
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gh: {{type: github, url: {em.url}, token: ${{GITHUB_TOKEN}}, {keys}}}\n"
        "targets:\n  - {name: acme, platform: gh, owner: acme}\n"
    )
    env = {"GITHUB_TOKEN": TOKEN, "DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    result = CliRunner().invoke(app, ["run", "--config", str(path), "--offline", "--dry-run"], env=env)
    assert result.exit_code == 0, result.stderr
    assert em.requests and built
    assert {(p.between_requests, p.between_writes) for p in built} == {(requests, writes)}


def test_threads_keep_one_pace_for_their_token(em: GitHubEmulator) -> None:
    """Two threads, each with its own PyGithub client, read and write through one token:
    every call waits for the pace of the token, not of its thread, and writes keep their
    own, longer spacing."""
    clock = Clock(1000.0)
    tuning = Tuning(0.5, 2.0, RetryPolicy(backoff=0.0, max_wait=60.0, sleep=clock.sleep, clock=clock))
    platform = GitHubPlatform("gh", Clients(em.url, tuning, token=Secret(TOKEN)))
    repo = Repo("gh", "acme/api", "acme/api", "main", "")
    reader = threading.Thread(target=lambda: platform.list_files(repo, "main"))
    reader.start()
    reader.join()
    platform.list_files(repo, "main")  # another thread (this one): another client, the same pacer
    gh = platform._clients.for_owner("acme").get_repo("acme/api")
    blobs = [gh.create_git_blob(content, "base64").sha for content in ("eA==", "eQ==")]
    platform.delete_branch(repo, "nothing-here")  # a GET of the ref (404), no write
    assert all(blobs) and [m for m, _, _ in em.requests] == ["GET", "GET", "POST", "POST", "GET"]
    assert clock.sleeps == [0.5, 0.5, 2.0, 0.5]  # the first write waits as a call; the second as a write


# -- back-pressure: the arithmetic, then the pacer, then the forges -----------------------------

PACED = [
    # (remaining, seconds to the reset, reserve, cap, wait)
    (None, 100.0, 100, 60.0, 0.0),  # nothing known yet
    (500, 100.0, 100, 60.0, 0.0),  # above the reserve: full speed
    (101, 100.0, 100, 60.0, 0.0),
    (100, 100.0, 100, 60.0, 1.0),  # at the reserve: the rest lasts until the reset
    (10, 100.0, 100, 60.0, 10.0),
    (0, 100.0, 100, 60.0, 60.0),  # nothing left: wait for the reset, within the cap
    (0, 30.0, 0, 60.0, 30.0),  # a zero reserve still waits out an empty window
    (5, -3.0, 100, 60.0, 0.0),  # the window has reset already
    (5, None, 100, 60.0, 0.0),  # no reset time sent
]


@pytest.mark.parametrize(("remaining", "reset_in", "reserve", "cap", "wait"), PACED)
def test_paced_wait(remaining: int | None, reset_in: float | None, reserve: int, cap: float, wait: float) -> None:
    assert paced_wait(remaining, reset_in, reserve, cap) == wait


SPACING = [
    # (between requests, between writes, calls (True: a write), waits)
    (0.0, 0.0, [False, True, False], []),
    (0.5, 0.0, [False, False, False], [0.5, 0.5]),
    (0.25, 1.0, [True, False, True], [0.25, 0.75]),
]


@pytest.mark.parametrize(("requests", "writes", "calls", "waits"), SPACING)
def test_the_pacer_spaces_requests_and_writes(
    requests: float, writes: float, calls: list[bool], waits: list[float]
) -> None:
    clock = Clock(1000.0)
    pacer = Pacer(between_requests=requests, between_writes=writes, clock=clock, sleep=clock.sleep)
    for write in calls:
        pacer.before(write)
    assert clock.sleeps == waits


def test_threads_share_one_pace() -> None:
    """Eight threads, five calls each, one second apart: every call gets its own slot."""
    pacer = Pacer(between_requests=1.0, clock=lambda: 1000.0, sleep=lambda _: None)
    waits: list[float] = []
    lock = threading.Lock()

    def calls() -> None:
        for _ in range(5):
            wait = pacer.before()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=calls) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [float(n) for n in range(40)]


def test_refusals_do_not_move_the_budget() -> None:
    """A 403/429 says "0 left": the retry layer waits that out with its Retry-After."""
    clock = Clock(1000.0)
    pacer = Pacer(100, clock=clock, sleep=clock.sleep)
    pacer.answered(200, "50", "1100")
    pacer.answered(429, "0", "2000")
    pacer.answered(503, "0", "2000")
    assert (pacer.remaining, pacer.reset) == (50, 1100)


def test_github_slows_down_before_the_limit(em: GitHubEmulator) -> None:
    """103 calls an hour, 100 kept in reserve, 200 s to the reset: from the fourth call on,
    each waits 200 s ÷ 100 calls left = 2 s (and 198 ÷ 99 …), so the budget lasts."""
    em.rate_limit, em.rate_reset = 103, em.rate_reset - 3600 + 200
    clock = Clock(float(em.rate_reset - 200))
    tuning = Tuning(None, None, RetryPolicy(backoff=0.0, max_wait=60.0, sleep=clock.sleep, clock=clock))
    platform = GitHubPlatform("gh", Clients(em.url, tuning, token=Secret(TOKEN)))
    repo = Repo("gh", "acme/api", "acme/api", "main", "")
    for _ in range(6):
        assert [f.path for f in platform.list_files(repo, "main")] == ["Dockerfile"]
    assert len(em.requests) == 6
    assert clock.sleeps == [2.0, 2.0, 2.0]


@pytest.mark.parametrize(("reserve", "paced"), [(100, False), (5000, True)])
def test_gitlab_slows_down_below_its_reserve(tmp_path: Path, reserve: int, paced: bool) -> None:
    """The emulator always says 1999 left of a window that resets within the minute."""
    clock = Clock(time.time())
    policy = GitLabRetry(rate_limit_reserve=reserve, sleep=clock.sleep, clock=clock)
    with GitLabEmulator(seed=_gitlab_seed(tmp_path), root=tmp_path / "gitlab") as gl:
        platform = GitLabPlatform("gl", gl.url, Secret(GITLAB_TOKEN), retry=policy)
        for repo in platform.list_repos(Target("acme", "gl", "acme")):
            platform.list_files(repo, repo.default_branch)
        calls = len(gl.requests)
    assert calls >= 3
    if paced:  # every call after the first: the minute shared out over 1999 calls
        assert len(clock.sleeps) == calls - 1 and all(0 < s <= 60 / 1999 for s in clock.sleeps)
    else:
        assert clock.sleeps == []


def test_a_gitlab_entry_gives_the_session_its_pace() -> None:
    session = RetryingSession(policy_from_settings(PlatformSettings("gl", "gitlab", seconds_between_writes=2.0)))
    assert (session.pacer.between_requests, session.pacer.between_writes, session.pacer.reserve) == (0.0, 2.0, 100)


def _gitlab_seed(tmp_path: Path) -> Path:
    for name in ("api", "web"):
        folder = tmp_path / "seed" / "acme" / name
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_bytes(DOCKERFILE)
    return tmp_path / "seed"
