"""Both forges behind one small interface, so that each scenario is written once.

A :class:`Forge` starts its emulator seeded with the estate and writes the configuration
file a user would write (``token: ${...}``). :meth:`Forge.run` is ``dockmend run
--config FILE --offline``: on GitLab the real command through typer's ``CliRunner``
with the token in the environment; on GitHub :class:`Runner` over platforms built from
the same file by :func:`build_platform`, because the command has no way to switch off
the production throttle (0.25 s between requests, 1 s between writes). :meth:`Forge.direct`
is the Runner path on either forge, with retries that record their waits instead of
sleeping (the fault tests read the Retry-After values from :attr:`Forge.sleeps`).

What the tests look at comes from the emulators only: the request log (for writes),
``state()`` (requests, bodies, comments, branches) and the git repositories behind them.
"""

from __future__ import annotations

import io
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from typer.testing import CliRunner

from bot.cli.app import app
from bot.engine.options import RunOptions
from bot.engine.report import PlainReporter
from bot.engine.run import Runner
from bot.platforms import BUILDERS, Builder, build_platform
from bot.platforms import github as github_platform
from bot.platforms.base import Platform
from bot.platforms.github_auth import Tuning
from bot.platforms.github_retry import RetryPolicy as GitHubRetry
from bot.platforms.gitlab import BOT_EMAIL as GITLAB_BOT_EMAIL
from bot.platforms.gitlab import GitLabPlatform
from bot.platforms.gitlab_retry import RetryPolicy as GitLabRetry
from bot.settings import config
from bot.settings.targets import PlatformSettings
from tests.emulators.faults import Faults
from tests.emulators.github import GitHubEmulator
from tests.emulators.github_json import now as github_now
from tests.emulators.gitlab import TOKEN as GITLAB_TOKEN
from tests.emulators.gitlab import GitLabEmulator
from tests.emulators.gitstore import Commit, GitStore
from tests.integration import estate
from tests.integration.estate import Project

GITHUB_TOKEN = "ghp_IntegrationTokenThatMustNeverLeak0123"
BRANCH = "dockmend/remediate"
FORGES = ("github", "gitlab")
READS = frozenset({"GET", "HEAD"})
_SERVER = re.compile(r"http://127\.0\.0\.1:\d+")


@dataclass(frozen=True)
class Ran:
    """One ``dockmend run``: exit status, its table (stdout) and its log lines (stderr)."""

    exit_code: int
    out: str
    err: str
    run_id: str


@dataclass(frozen=True)
class Request:
    """A pull/merge request as the emulator holds it."""

    number: int
    state: str  # open | closed | merged
    branch: str
    title: str
    body: str
    comments: tuple[str, ...]


@dataclass(frozen=True)
class RepoState:
    requests: tuple[Request, ...]
    branches: Mapping[str, str]  # name -> sha


@dataclass(frozen=True)
class Write:
    method: str
    repo: str  # full name
    path: str


class Forge(ABC):
    """An emulator seeded with the estate, and ``dockmend run`` against it."""

    kind: str
    bot_email: str  # the author of the bot's commits
    env: Mapping[str, str]
    store: GitStore

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sleeps: list[float] = []
        # repositories worked on at once; 1 keeps the order of requests, for seeded faults
        self.concurrency = 4

    def config_file(self) -> Path:
        path = self.tmp / "dockmend.yaml"
        path.write_text(self.config_text())
        return path

    @abstractmethod
    def config_text(self) -> str: ...

    def run(self, run_id: str) -> Ran:
        """The way a user runs it (see the module's docstring)."""
        return self.direct(run_id)

    def direct(self, run_id: str) -> Ran:
        cfg = config.load(self.config_file())
        builders = self.builders()
        platforms = {name: build_platform(s, self.env, builders=builders) for name, s in cfg.platforms.items()}
        out, err = io.StringIO(), io.StringIO()
        summary = Runner(cfg, platforms, PlainReporter(out, err), RunOptions(offline=True, run_id=run_id)).run()
        return Ran(1 if summary.failed else 0, out.getvalue(), err.getvalue(), run_id)

    @abstractmethod
    def builders(self) -> dict[str, Builder]: ...

    # -- what the emulator saw and holds ---------------------------------------------------

    @abstractmethod
    def name(self, project: Project) -> str: ...

    @abstractmethod
    def mark(self) -> int:
        """A point in the request log, for :meth:`writes_since`."""
        ...

    @abstractmethod
    def writes_since(self, mark: int) -> list[Write]:
        """Every request since ``mark`` that was not a read (GitHub logs the faulted ones too)."""
        ...

    @abstractmethod
    def snapshot(self) -> dict[str, RepoState]:
        """Requests and branches of every repository, by full name, from ``state()``."""
        ...

    def commit(self, project: Project, sha: str) -> Commit:
        return self.store.commit_info(self.name(project), sha)

    def files(self, project: Project, ref: str) -> dict[str, bytes]:
        name = self.name(project)
        return {e.path: self.store.blob(name, e.sha) for e in self.store.tree(name, ref) if e.type == "blob"}

    def normal(self, text: str) -> str:
        """``text`` without what differs between two emulators: their address."""
        return _SERVER.sub("http://forge", text)

    # -- what people do --------------------------------------------------------------------

    @abstractmethod
    def human_commit(self, project: Project, branch: str, files: Mapping[str, bytes]) -> str: ...

    @abstractmethod
    def merge(self, project: Project, number: int) -> None: ...

    @abstractmethod
    def close(self, project: Project, number: int) -> None: ...

    @abstractmethod
    def set_faults(self, faults: Faults | None) -> None: ...

    @abstractmethod
    def issues(self, project: Project) -> list[Issue]:
        """The repository's plain issues (not its requests), oldest first."""
        ...

    @abstractmethod
    def edit(self, project: Project, number: int, body: str, *, issue: bool) -> None:
        """A person edits the body of an issue or request (ticks a box)."""
        ...


@dataclass(frozen=True)
class Issue:
    number: int
    state: str  # open | closed
    title: str
    body: str
    author: str


class GitHub(Forge):
    kind = "github"
    bot_email = github_platform.BOT_EMAIL

    def __init__(self, tmp: Path, em: GitHubEmulator) -> None:
        super().__init__(tmp)
        self.em, self.store = em, em.store
        self.env = {"GITHUB_TOKEN": GITHUB_TOKEN}

    def config_text(self) -> str:
        return (
            f"platforms:\n  gh: {{type: github, url: {self.em.url}, token: ${{GITHUB_TOKEN}}, "
            f"concurrency: {self.concurrency}}}\n"
            f"targets:\n  - {{name: acme, platform: gh, owner: {estate.OWNER}, max_requests: 50, onboarding: false}}\n"
        )

    def builders(self) -> dict[str, Builder]:
        tuning = Tuning.unthrottled(GitHubRetry(backoff=0.0, max_wait=5.0, sleep=self.sleeps.append))

        def github(settings: PlatformSettings, env: Mapping[str, str]) -> Platform:
            return github_platform.from_settings(settings, env, tuning=tuning)

        return {**BUILDERS, "github": github}

    def name(self, project: Project) -> str:
        return estate.github_name(project)

    def mark(self) -> int:
        return len(self.em.requests)

    def writes_since(self, mark: int) -> list[Write]:
        found = []
        for method, path, _ in self.em.requests[mark:]:
            if method not in READS:
                parts = path.split("?")[0].split("/")  # /api/v3/repos/OWNER/NAME/...
                found.append(Write(method, "/".join(parts[4:6]) if parts[3:4] == ["repos"] else "", path))
        return found

    def snapshot(self) -> dict[str, RepoState]:
        state = self.em.state()
        return {name: RepoState(self._requests(state, name), branches) for name, branches in state["branches"].items()}

    @staticmethod
    def _requests(state: dict[str, Any], name: str) -> tuple[Request, ...]:
        comments = state["comments"].get(name, [])
        return tuple(
            Request(
                p["number"],
                "merged" if p["merged"] else p["state"],
                p["head"],
                p["title"],
                p["body"] or "",
                tuple(c["body"] for c in comments if c["number"] == p["number"]),
            )
            for p in state["pulls"].get(name, [])
        )

    def human_commit(self, project: Project, branch: str, files: Mapping[str, bytes]) -> str:
        self._at_human_pace(project)
        return self.em.human_commit(self.name(project), branch, dict(files))

    def merge(self, project: Project, number: int) -> None:
        self._at_human_pace(project)
        self.em.merge_pull(self.name(project), number)

    def _at_human_pace(self, project: Project) -> None:
        """Wait until the clock has left the second of the repository's last push.

        GitHub's ``pushed_at`` counts whole seconds, and the bot remembers it after its own
        push; a push in that same second would be invisible to the rescan memory
        (docs/operations.md). A person acting on the bot's work comes later than that.
        """
        last = self.em.repos[self.name(project)].pushed_at
        while github_now() <= last:
            time.sleep(0.05)

    def close(self, project: Project, number: int) -> None:
        self.em.close_pull(self.name(project), number)

    def set_faults(self, faults: Faults | None) -> None:
        self.em.set_faults(faults)

    def issues(self, project: Project) -> list[Issue]:
        found = sorted(self.em.issues.get(self.name(project), {}).values(), key=lambda i: i.number)
        return [Issue(i.number, i.state, i.title, i.body or "", i.user) for i in found]

    def edit(self, project: Project, number: int, body: str, *, issue: bool) -> None:
        with self.em.lock:
            held = self.em.issues if issue else self.em.pulls
            held[self.name(project)][number].body = body


class GitLab(Forge):
    kind = "gitlab"
    bot_email = GITLAB_BOT_EMAIL

    def __init__(self, tmp: Path, em: GitLabEmulator) -> None:
        super().__init__(tmp)
        self.em, self.store = em, em.world.store
        self.env = {"GITLAB_TOKEN": GITLAB_TOKEN}

    def config_text(self) -> str:
        return (
            f"platforms:\n  gl: {{type: gitlab, url: {self.em.url}, token: ${{GITLAB_TOKEN}}, "
            f"concurrency: {self.concurrency}}}\n"
            f"targets:\n  - {{name: acme, platform: gl, group: {estate.OWNER}, max_requests: 50, onboarding: false}}\n"
        )

    def run(self, run_id: str) -> Ran:
        """The command itself; it makes its own run id (``run_id`` is not used)."""
        # --full-scan: the story is about each run's manners, so every run reads every
        # repository (skipping unchanged ones is tested in test_rescan_forges)
        command = ["run", "--config", str(self.config_file()), "--offline", "--full-scan"]
        result = CliRunner().invoke(app, command, env=dict(self.env), catch_exceptions=False)
        made = re.search(r"^run (\S+): ", result.stdout, re.M)
        return Ran(result.exit_code, result.stdout, result.stderr, made.group(1) if made else "")

    def builders(self) -> dict[str, Builder]:
        def gitlab(settings: PlatformSettings, env: Mapping[str, str]) -> Platform:
            token = settings.token_value(env)
            assert settings.url is not None and token is not None
            return GitLabPlatform(settings.name, settings.url, token, retry=GitLabRetry(sleep=self.sleeps.append))

        return {**BUILDERS, "gitlab": gitlab}

    def name(self, project: Project) -> str:
        return estate.gitlab_name(project)

    def mark(self) -> int:
        return len(self.em.requests)

    def writes_since(self, mark: int) -> list[Write]:
        found = []
        for r in self.em.requests[mark:]:
            if r["method"] not in READS:
                parts = r["path"].split("/")  # /projects/ID/...
                repo = self.em.project(unquote(parts[2])).full_path if parts[1:2] == ["projects"] else ""
                found.append(Write(r["method"], repo, r["path"]))
        return found

    def snapshot(self) -> dict[str, RepoState]:
        projects = self.em.state()["projects"]
        return {
            name: RepoState(tuple(_merge_request(mr) for mr in project["merge_requests"]), project["branches"])
            for name, project in projects.items()
        }

    def human_commit(self, project: Project, branch: str, files: Mapping[str, bytes]) -> str:
        return self.em.commit(self.name(project), branch, dict(files))

    def merge(self, project: Project, number: int) -> None:
        self.em.merge(self.name(project), number)

    def close(self, project: Project, number: int) -> None:
        self.em.close(self.name(project), number)

    def set_faults(self, faults: Faults | None) -> None:
        self.em.set_faults(faults)

    def issues(self, project: Project) -> list[Issue]:
        p, w = self.em.project(self.name(project)), self.em.world
        found = sorted((i for i in w.issues if i.project_id == p.id), key=lambda i: i.iid)
        states = {"opened": "open"}
        return [
            Issue(i.iid, states.get(i.state, i.state), i.title, i.description or "", w.users[i.author_id].username)
            for i in found
        ]

    def edit(self, project: Project, number: int, body: str, *, issue: bool) -> None:
        p, w = self.em.project(self.name(project)), self.em.world
        if issue:
            (found,) = (i for i in w.issues if i.project_id == p.id and i.iid == number)
            found.description = body
        else:
            (mr,) = (m for m in w.merge_requests if m.project_id == p.id and m.iid == number)
            mr.description = body


def _merge_request(mr: dict[str, Any]) -> Request:
    state = {"opened": "open"}.get(mr["state"], mr["state"])  # closed, merged
    return Request(mr["iid"], state, mr["source_branch"], mr["title"], mr["description"], tuple(mr["notes"]))


@contextmanager
def started(
    kind: str, tmp: Path, projects: Sequence[Project] | None = None, faults: Faults | None = None
) -> Iterator[Forge]:
    """A fresh emulator of ``kind`` holding ``projects`` (default: the estate), running."""
    tmp.mkdir(parents=True, exist_ok=True)
    if kind == "github":
        gh = GitHubEmulator(tmp / "git")
        gh.add_token(GITHUB_TOKEN)
        estate.seed_github(gh, projects)
        gh.set_faults(faults)
        with gh.running():
            yield GitHub(tmp, gh)
        assert not gh.errors, gh.errors[0]  # the emulator's own bugs, answered 500
        return
    seed = estate.write_gitlab_seed(tmp / "seed", projects)
    with GitLabEmulator(seed, tmp / "git", faults=faults) as gl:
        yield GitLab(tmp, gl)
