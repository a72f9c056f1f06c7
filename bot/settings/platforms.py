"""``platforms:`` (where the repositories are) and ``targets:`` (what to scan, when, and how)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_serializer, field_validator, model_validator

from bot.settings.base import HttpUrl, Name, Names, Section, Text, invalid
from bot.settings.cron import parse_cron
from bot.settings.registries import Fixers, Images
from bot.settings.secrets import Reference
from bot.settings.targets import PlatformSettings, Schedule, TargetSettings
from bot.settings.targets import Target as TargetScope

DEFAULT_CRON = "0 6 * * mon"
DEFAULT_TIMEZONE = "UTC"
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def _number_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and not value.isdigit():
        raise invalid("expected a number")
    return value


def _verify(value: Any) -> Any:
    if not isinstance(value, bool | str):
        raise invalid("expected true, false or the path of a CA bundle")
    return value


Digits = Annotated[str, BeforeValidator(_number_text, json_schema_input_type=int | str)]


class _Platform(Section):
    type: str
    """github, gitlab or local."""


class _Forge(_Platform):
    url: HttpUrl | None = None
    """The API's base URL (default: the public service)."""
    token: Reference | None = None
    """A reference to the token: ${ENV_VAR} or file:/run/secrets/name."""
    token_file: Text | None = None
    """A file holding the token (relative to this file); the same as token: file:PATH."""
    verify: Annotated[bool | str, BeforeValidator(_verify)] = True
    """TLS: verify certificates (true), do not (false), or the path of a CA bundle."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for one API call."""
    bot_name: Text | None = None
    """The author of the bot's commits (commits by anyone else on its branch make it leave the branch alone)."""
    bot_email: Text | None = None
    """The e-mail address of the bot's commits."""
    concurrency: int = Field(default=4, ge=1)
    """How many repositories of this platform are worked on at once."""
    seconds_between_requests: float | None = Field(default=None, ge=0)
    """The least pause between two API calls, in seconds (null or 0: none)."""
    seconds_between_writes: float | None = Field(default=None, ge=0)
    """The least pause between two API writes, in seconds (null or 0: none)."""
    rate_limit_reserve: int = Field(default=100, ge=0)
    """When the forge says no more than this many calls are left in its rate-limit window,
    the calls are spread out so that the rest lasts until the window resets."""
    survey: bool = True
    """Look up the bot's own requests once per organisation or group (GitHub's issue search,
    GitLab's group merge requests), then ask only the repositories it names; false: ask every
    repository (a lost or partial search falls back to that anyway)."""

    @model_validator(mode="after")
    def _one_token(self) -> _Forge:
        if self.token is not None and self.token_file is not None:
            raise invalid("give 'token' or 'token_file', not both", ["token_file"])
        return self


class GitHub(_Forge):
    type: Literal["github"]
    seconds_between_requests: float | None = Field(default=0.25, ge=0)
    """The least pause between two API calls with one token (or App installation), whatever
    the concurrency, in seconds (null or 0: none); GitHub advises against bursts (its
    secondary rate limits)."""
    seconds_between_writes: float | None = Field(default=1.0, ge=0)
    """The least pause between two API writes with one token (creating commits, branches,
    pull requests; deleting branches), in seconds."""
    app_id: Digits | None = None
    """A GitHub App's id, instead of a token (installation tokens per organisation)."""
    private_key_file: Text | None = None
    """The GitHub App's private key (PEM file, relative to this file)."""
    installation_id: Digits | None = None
    """The App's installation (default: found per organisation)."""

    @model_validator(mode="after")
    def _app(self) -> GitHub:
        if self.app_id is not None and (self.token is not None or self.token_file is not None):
            raise invalid("give a token or a GitHub App (app_id), not both", ["app_id"])
        if self.app_id is not None and self.private_key_file is None:
            raise invalid("a GitHub App needs 'private_key_file'", ["app_id"])
        return self


class GitLab(_Forge):
    type: Literal["gitlab"]


class Local(_Platform):
    type: Literal["local"]
    path: Text
    """A folder of git checkouts (relative to this file)."""
    plain_folders: bool = False
    """Also read folders without .git (dry runs only)."""
    bot_name: Text | None = None
    """The author of the bot's commits (commits by anyone else on its branch make it leave the branch alone)."""
    bot_email: Text | None = None
    """The e-mail address of the bot's commits."""


Platform = Annotated[GitHub | GitLab | Local, Field(discriminator="type")]


class ScheduleSection(Section):
    """When the target runs: a cron line in a timezone."""

    cron: str = DEFAULT_CRON
    """minute hour day month weekday (crontab; 6 fields put seconds first)."""
    timezone: str = DEFAULT_TIMEZONE
    """An IANA timezone name, like Europe/Berlin."""

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            trigger = parse_cron(value)
        except ValueError as exc:
            detail = str(exc).removeprefix(f"cron {value!r}: ")
            raise invalid(f"bad cron line {value!r}: {detail}") from None
        if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
            raise invalid(f"cron line {value!r} never fires")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(f"unknown timezone {value!r} (expected an IANA name, like Europe/Berlin or UTC)") from None
        return value


def _branch(value: str) -> str:
    prefix = value.strip("/")
    if not _BRANCH.fullmatch(prefix) or ".." in prefix or prefix.endswith(".lock"):
        raise invalid(f"{value!r} is not a valid branch name")
    return prefix


class Target(Section):
    """An organisation or group to scan, and how its requests look."""

    name: Name
    """Used by --target, chat commands and the dashboard."""
    platform: Name
    """A name under platforms."""
    owner: Text | None = None
    """GitHub: the organisation or user."""
    group: Text | None = None
    """GitLab: the group (subgroups are included)."""
    include: Names = ("*",)
    """Globs on the full repository name."""
    exclude: Names = ()
    """Globs on the full repository name."""
    topics: Names = ()
    """Only repositories with one of these topics."""
    include_forks: bool = False
    include_archived: bool = False
    grouping: Literal["repository", "fixer"] = "repository"
    """One request per repository, or one per fixer."""
    branch_prefix: Annotated[str, BeforeValidator(lambda v: _branch(v) if isinstance(v, str) else v)] = "dockmend"
    """Branches are PREFIX/remediate or PREFIX/DM105-add-labels."""
    labels: Names = ()
    """Labels of the requests."""
    reviewers: Names = ()
    team_reviewers: Names = ()
    """GitHub teams."""
    assignees: Names = ()
    draft: bool = False
    onboarding: bool = True
    """A repository new to dockmend (no .dockmend.yml, no request of the bot ever) first gets one
    request adding a .dockmend.yml that lists the fixes found: merged, its fixes follow; closed,
    dockmend leaves it alone. Forges only (a local folder is never onboarded)."""
    max_requests: int = Field(default=10, ge=0)
    """Requests opened per run (updates are not capped)."""
    max_requests_per_repo: int = Field(default=1, ge=0)
    """Requests opened per repository per run."""
    stop_after_closed: int = Field(default=2, ge=0)
    """A fixer whose requests a repository closed unmerged this many times is no longer proposed there (0: never)."""
    status_issue: bool = False
    """One issue per repository that dockmend keeps up to date: requests pending, fixes deferred by the caps,
    fixes ignored, configuration errors; its checkboxes ask for a deferred fix now or un-ignore one.
    GitHub and GitLab only. A repository's .dockmend.yml may say status_issue: true or false."""
    template: Text | None = None
    """A Jinja2 template for the request body (relative to this file)."""
    title_template: str | None = Field(default=None, min_length=1, max_length=1000)
    """A Jinja2 template for the request title: summary, phrases, files, counts, codes, code."""
    schedule: ScheduleSection = ScheduleSection()
    fixers: Fixers | None = None
    """Replaces the top-level fixers' select and/or ignore for this target."""
    images: Images | None = None
    """Keys given here replace the top-level images' for this target."""

    @field_serializer("fixers", "images")
    def _given_only(self, value: Fixers | Images | None) -> dict[str, Any] | None:
        """Only the keys the target sets: the others are the top-level section's."""
        return None if value is None else value.model_dump(include=value.model_fields_set)


def _file(base: Path, value: str | None) -> Path | None:
    return None if value is None else base / Path(value).expanduser()


def platform_settings(name: str, model: GitHub | GitLab | Local, source: str | None) -> PlatformSettings:
    """The runtime settings of one platform; paths are relative to the file ``source``."""
    base = Path(source).parent if source else Path(".")
    settings = PlatformSettings(name, model.type, bot_name=model.bot_name, bot_email=model.bot_email, source=source)
    if isinstance(model, Local):
        # checkouts on this machine: git on local disk gains little from threads, and one
        # at a time keeps a local run's order (and its output) the same every time
        return replace(settings, path=_file(base, model.path), plain_folders=model.plain_folders, concurrency=1)
    ref = model.token
    token_file = ref.path() if ref is not None and ref.file is not None else _file(base, model.token_file)
    token_env = ref.env if ref is not None else None
    settings = replace(
        settings, url=model.url, token_env=token_env, token_file=token_file, verify=model.verify, timeout=model.timeout
    )
    settings = replace(
        settings,
        concurrency=model.concurrency,
        seconds_between_requests=model.seconds_between_requests or 0.0,  # null: no pause, not the default
        seconds_between_writes=model.seconds_between_writes or 0.0,
        rate_limit_reserve=model.rate_limit_reserve,
        survey=model.survey,
    )
    if isinstance(model, GitHub):
        key = _file(base, model.private_key_file)
        settings = replace(settings, app_id=model.app_id, installation_id=model.installation_id, private_key_file=key)
    return settings


def target_settings(model: Target, images: Images, source: str | None) -> TargetSettings:
    base = Path(source).parent if source else Path(".")
    scope = TargetScope(
        model.name,
        model.platform,
        (model.owner or model.group or "").strip("/"),
        tuple(model.include) or ("*",),
        tuple(model.exclude),
        tuple(model.topics),
        model.include_forks,
        model.include_archived,
    )
    fixers = model.fixers
    given = model.images.model_dump(include=model.images.model_fields_set) if model.images else None
    return TargetSettings(
        target=scope,
        grouping=model.grouping,
        branch_prefix=model.branch_prefix,
        labels=tuple(model.labels),
        reviewers=tuple(model.reviewers),
        team_reviewers=tuple(model.team_reviewers),
        assignees=tuple(model.assignees),
        draft=model.draft,
        onboarding=model.onboarding,
        max_requests=model.max_requests,
        max_requests_per_repo=model.max_requests_per_repo,
        stop_after_closed=model.stop_after_closed,
        status_issue=model.status_issue,
        template=_file(base, model.template),
        title_template=model.title_template,
        schedule=Schedule(model.schedule.cron, model.schedule.timezone),
        select=tuple(fixers.select) if fixers and "select" in fixers.model_fields_set else None,
        ignore=tuple(fixers.ignore) if fixers and "ignore" in fixers.model_fields_set else None,
        images=images.model_copy(update=given).policy() if given is not None else None,
    )
