"""The ``platforms:`` and ``targets:`` configuration sections, validated.

```yaml
platforms:
  gh: {type: github, url: https://api.github.com, token: ${GITHUB_TOKEN}}
  app: {type: github, app_id: 12345, private_key_file: /run/secrets/app.pem}
  gl: {type: gitlab, url: https://gitlab.example.com, token: ${GITLAB_TOKEN}}
  here: {type: local, path: ./checkouts}       # relative to this file
targets:
  - {name: acme, platform: gh, owner: acme, exclude: ["acme/legacy-*"], labels: [docker]}
  - {name: acme-gl, platform: gl, group: acme, grouping: fixer}
  - {name: mine, platform: here}
```

Secrets are references only: ``token: ${ENV}`` or ``token_file: PATH``. A reference is
resolved when the platform is built (:meth:`PlatformSettings.token_value`), so
``dockmend fix`` with the same file needs no forge token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import DockmendError
from bot.platforms.base import Target
from bot.registry_settings import Secret

PLATFORM_TYPES = ("github", "gitlab", "local")
_COMMON = ("type", "bot_name", "bot_email")
_FORGE = (*_COMMON, "url", "token", "token_file", "verify", "timeout")
PLATFORM_KEYS = {
    "github": (*_FORGE, "app_id", "private_key_file", "installation_id"),
    "gitlab": _FORGE,
    "local": (*_COMMON, "path", "plain_folders"),
}
TARGET_KEYS = (
    "name", "platform", "owner", "group", "include", "exclude", "topics", "include_forks", "include_archived",
    "grouping", "branch_prefix", "labels", "reviewers", "team_reviewers", "assignees", "draft", "max_requests",
    "max_requests_per_repo", "template",
)  # fmt: skip
GROUPINGS = ("repository", "fixer")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


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


@dataclass(frozen=True)
class TargetSettings:
    """One entry of ``targets``: what to scan, and how its requests look."""

    target: Target
    grouping: str = "repository"
    branch_prefix: str = "dockmend"
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    team_reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    max_requests: int = 10  # requests opened per run
    max_requests_per_repo: int = 1  # requests opened per repository per run
    template: Path | None = None  # a Jinja2 template for the request body

    @property
    def name(self) -> str:
        return self.target.name


def _at(node: Any, key: Any) -> tuple[int | None, int | None]:
    lc: Any = getattr(node, "lc", None)
    try:
        line, column = lc.key(key) if key is not None else (lc.line, lc.col)
        return int(line) + 1, int(column) + 1
    except (AttributeError, KeyError, TypeError):
        return None, None


def _error(path: str | None, node: Any, key: Any, message: str) -> DockmendError:
    line, column = _at(node, key)
    return DockmendError(message, path=path, line=line, column=column)


def _keys(path: str | None, node: Any, allowed: tuple[str, ...], what: str) -> None:
    for key in node:
        if key not in allowed:
            raise _error(path, node, key, f"{what}: unknown key {key!r} (expected one of: {', '.join(allowed)})")


def _text(path: str | None, node: Any, key: str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _error(path, node, key, f"{key!r} must be text")
    return str(value)


def _flag(path: str | None, node: Any, key: str, default: bool) -> bool:
    value = node.get(key, default)
    if not isinstance(value, bool):
        raise _error(path, node, key, f"{key!r} must be true or false")
    return value


def _list(path: str | None, node: Any, key: str) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _error(path, node, key, f"{key!r} must be a list of names")
    return tuple(value)


def _count(path: str | None, node: Any, key: str, default: int) -> int:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(path, node, key, f"{key!r} must be a whole number, 0 or more")
    return value


def _file(path: str | None, node: Any, key: str) -> Path | None:
    value = _text(path, node, key)
    if value is None:
        return None
    base = Path(path).parent if path else Path(".")
    return base / Path(value).expanduser()


def _token(path: str | None, node: Any) -> str | None:
    value = node.get("token")
    if value is None:
        return None
    match = _REFERENCE.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise _error(path, node, "token", "'token' must reference the environment (${NAME}) or use token_file")
    return match.group(1)


def _platform(path: str | None, name: str, node: Any, parent: Any) -> PlatformSettings:
    if not isinstance(node, Mapping):
        raise _error(path, parent, name, f"platform {name!r} must be a mapping")
    kind = node.get("type")
    if kind not in PLATFORM_TYPES:
        raise _error(path, node, "type", f"platform {name!r}: 'type' must be one of: {', '.join(PLATFORM_TYPES)}")
    _keys(path, node, PLATFORM_KEYS[kind], f"platform {name!r}")
    if kind == "local" and node.get("path") is None:
        raise _error(path, parent, name, f"platform {name!r}: a local platform needs 'path'")
    verify = node.get("verify", True)
    if not isinstance(verify, bool | str):
        raise _error(path, node, "verify", "'verify' must be true, false or the path of a CA bundle")
    timeout = node.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise _error(path, node, "timeout", "'timeout' must be a positive number of seconds")
    url = _text(path, node, "url")
    if url is not None and (not url.startswith(("http://", "https://")) or "@" in url.split("/")[2]):
        raise _error(path, node, "url", "'url' must be an http(s) URL without credentials")
    return PlatformSettings(
        name=name,
        type=kind,
        url=url.rstrip("/") if url else None,
        token_env=_token(path, node),
        token_file=_file(path, node, "token_file"),
        path=_file(path, node, "path"),
        plain_folders=_flag(path, node, "plain_folders", False),
        app_id=_text(path, node, "app_id"),
        private_key_file=_file(path, node, "private_key_file"),
        installation_id=_text(path, node, "installation_id"),
        bot_name=_text(path, node, "bot_name"),
        bot_email=_text(path, node, "bot_email"),
        verify=verify,
        timeout=float(timeout),
        source=path,
    )


def platforms_from_config(raw: Any, path: str | None) -> dict[str, PlatformSettings]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _error(path, raw, None, "'platforms' must map names to platform settings")
    for name in raw:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise _error(path, raw, name, f"platform name {name!r}: use letters, digits, '.', '_' and '-'")
    return {name: _platform(path, name, node, raw) for name, node in raw.items()}


def _owner(path: str | None, node: Any, kind: str) -> str:
    owner, group = _text(path, node, "owner"), _text(path, node, "group")
    wanted = {"github": "owner", "gitlab": "group"}.get(kind)
    if wanted is None:
        if owner or group:
            raise _error(path, node, "owner" if owner else "group", "a local target takes no owner or group")
        return ""
    given = owner if wanted == "owner" else group
    other = group if wanted == "owner" else owner
    if other is not None or not given:
        raise _error(path, node, None, f"a {kind} target needs {wanted!r} (and not {'group' if other else 'both'})")
    return given.strip("/")


def _target(path: str | None, node: Any, platforms: Mapping[str, PlatformSettings]) -> TargetSettings:
    if not isinstance(node, Mapping):
        raise _error(path, node, None, "each target must be a mapping")
    _keys(path, node, TARGET_KEYS, "target")
    name, platform = _text(path, node, "name"), _text(path, node, "platform")
    if not name or not _NAME.fullmatch(name):
        raise _error(path, node, "name" if name else None, "a target needs a 'name' (letters, digits, '.', '_', '-')")
    if platform is None or platform not in platforms:
        known = ", ".join(platforms) or "none defined"
        raise _error(path, node, "platform", f"target {name!r}: unknown platform {platform!r} ({known})")
    grouping = _text(path, node, "grouping") or "repository"
    if grouping not in GROUPINGS:
        raise _error(path, node, "grouping", f"'grouping' must be one of: {', '.join(GROUPINGS)}")
    prefix = (_text(path, node, "branch_prefix") or "dockmend").strip("/")
    if not _BRANCH.fullmatch(prefix) or ".." in prefix or prefix.endswith(".lock"):
        raise _error(path, node, "branch_prefix", f"'branch_prefix' {prefix!r} is not a valid branch name")
    target = Target(
        name=name,
        platform=platform,
        owner=_owner(path, node, platforms[platform].type),
        include=_list(path, node, "include") or ("*",),
        exclude=_list(path, node, "exclude"),
        topics=_list(path, node, "topics"),
        include_forks=_flag(path, node, "include_forks", False),
        include_archived=_flag(path, node, "include_archived", False),
    )
    return TargetSettings(
        target=target,
        grouping=grouping,
        branch_prefix=prefix,
        labels=_list(path, node, "labels"),
        reviewers=_list(path, node, "reviewers"),
        team_reviewers=_list(path, node, "team_reviewers"),
        assignees=_list(path, node, "assignees"),
        draft=_flag(path, node, "draft", False),
        max_requests=_count(path, node, "max_requests", 10),
        max_requests_per_repo=_count(path, node, "max_requests_per_repo", 1),
        template=_file(path, node, "template"),
    )


def targets_from_config(
    raw: Any, platforms: Mapping[str, PlatformSettings], path: str | None
) -> tuple[TargetSettings, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _error(path, raw, None, "'targets' must be a list")
    targets = tuple(_target(path, node, platforms) for node in raw)
    names = [t.name for t in targets]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise _error(path, raw[index], "name", f"target name {name!r} is used twice")
    return targets
