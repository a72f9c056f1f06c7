"""The settings of one platform and one target, as the code uses them.

The ``platforms:`` and ``targets:`` sections are validated by :mod:`bot.settings.platforms`
(paths made relative to the configuration file there). Secrets are references only:
``token: ${ENV}``, ``token: file:PATH`` or ``token_file: PATH``; a reference is resolved
when the platform is built (:meth:`PlatformSettings.token_value`), so ``dockmend fix``
with the same file needs no forge token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot.errors import DockmendError
from bot.settings.secrets import Secret
from fixers.base import ImagePolicy

PLATFORM_TYPES = ("github", "gitlab", "local")
GROUPINGS = ("repository", "fixer")
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """One organisation/group/folder to scan, from the configuration's ``targets``."""

    name: str
    platform: str  # the name of an entry of ``platforms``
    owner: str  # GitHub organisation or user, GitLab group path, or '' for local
    include: tuple[str, ...] = ("*",)  # fnmatch globs on the repository's full name
    exclude: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # when set, only repositories with one of these topics
    include_forks: bool = False
    include_archived: bool = False


@dataclass(frozen=True)
class Pace:
    """How hard dockmend drives one forge (resolved: no None means "the default" here)."""

    seconds_between_requests: float = 0.0  # 0: no pause
    seconds_between_writes: float = 0.0
    rate_limit_reserve: int = 100  # calls left in the window below which calls are spread out


# PyGithub's own defaults, after GitHub's advice against its secondary limits; GitLab has none.
DEFAULT_PACE = {"github": Pace(0.25, 1.0, 100), "gitlab": Pace(0.0, 0.0, 100)}


@dataclass(frozen=True)
class PlatformSettings:
    """One entry of ``platforms``. Holds secret *references* only; ``repr`` shows no secret."""

    name: str
    type: str
    url: str | None = None
    token_env: str | None = None  # the environment variable named by ``token: ${NAME}``
    token_file: Path | None = None
    path: Path | None = None  # local: the folder of checkouts
    plain_folders: bool = False  # local: also read folders without .git (dry runs only)
    app_id: str | None = None
    private_key_file: Path | None = None
    installation_id: str | None = None
    bot_name: str | None = None
    bot_email: str | None = None
    verify: bool | str = True  # TLS: verify, or the path of a CA bundle
    timeout: float = 30.0
    source: str | None = None  # the config file, for error messages
    concurrency: int = 4  # repositories of this platform worked on at once
    # None: the forge's default (DEFAULT_PACE); the configuration always gives a number
    seconds_between_requests: float | None = None
    seconds_between_writes: float | None = None
    rate_limit_reserve: int | None = None
    survey: bool = True  # one look-up of the bot's requests per organisation or group

    def pace(self) -> Pace:
        """The pacing keys, with the forge's defaults for those not given."""
        default = DEFAULT_PACE.get(self.type, Pace())
        return Pace(
            _given(self.seconds_between_requests, default.seconds_between_requests),
            _given(self.seconds_between_writes, default.seconds_between_writes),
            _given(self.rate_limit_reserve, default.rate_limit_reserve),
        )

    def token_value(self, env: Mapping[str, str]) -> Secret | None:
        """The token, from the environment or its file; a DockmendError if it is missing."""
        if self.token_env is not None:
            if not env.get(self.token_env):
                raise DockmendError(f"platform {self.name!r}: environment variable {self.token_env} is not set")
            return Secret(env[self.token_env])
        if self.token_file is not None:
            try:
                return Secret(self.token_file.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise DockmendError(f"platform {self.name!r}: cannot read token_file: {exc.strerror}") from None
        return None


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


@dataclass(frozen=True)
class Schedule:
    """When a target runs: a cron line (crontab fields; six put seconds first) in a timezone."""

    cron: str = "0 6 * * mon"
    timezone: str = "UTC"


@dataclass(frozen=True)
class TargetSettings:
    """One entry of ``targets``: what to scan, when, and how its requests look."""

    target: Target
    grouping: str = "repository"
    branch_prefix: str = "dockmend"
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    team_reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    onboarding: bool = True  # a new repository's first request adds .dockmend.yml (forges only)
    max_requests: int = 10  # requests opened per run
    max_requests_per_repo: int = 1  # requests opened per repository per run
    stop_after_closed: int = 2  # a fixer closed unmerged this often in a repository stops there (0: never)
    status_issue: bool = False  # one issue per repository: pending, deferred, ignored, configuration errors
    template: Path | None = None  # a Jinja2 template for the request body
    title_template: str | None = None  # a Jinja2 template for the request title
    schedule: Schedule = field(default_factory=Schedule)
    select: tuple[str, ...] | None = None  # fixers: None means the configuration's
    ignore: tuple[str, ...] | None = None
    images: ImagePolicy | None = None  # None: the configuration's ``images``

    @property
    def name(self) -> str:
        return self.target.name
