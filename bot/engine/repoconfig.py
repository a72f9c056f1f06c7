"""A repository's own settings: ``.dockmend.yml`` on its default branch.

```yaml
enabled: false                 # opt out: dockmend leaves this repository alone
fixers: {select: [DM105], ignore: [exec-form]}
labels: {alone: true, titles: {api/Dockerfile: Billing API}}   # DM105 settings and label values
reviewers: [alice, bob]        # reviewers of dockmend's requests here
severity: {DM205: warning}     # error, warning or info per code (`dockmend fix --fail-on`)
extends: [dockmend:minimal, acme/dockmend-config:presets/base.yml]   # presets, merged below this file
```

``extends`` names built-in presets (``dockmend:recommended``, ``dockmend:minimal``,
``dockmend:openshift``) or files in a repository of the same organisation
(``OWNER/REPO:PATH``, read from that repository's default branch through the platform, by
the bot only: ``dockmend fix`` knows the built-in ones). Each preset is held to the same
rules as the file (size, safe YAML, known keys); presets may extend others, at most
:data:`bot.settings.presets.MAX_DEPTH` deep and never in a cycle. Order, lowest first:
the service's settings < each preset in order < this file; mappings are merged by key,
lists replaced (:mod:`bot.settings.presets`).

Repository content is untrusted: the file is size-limited and read with ruamel.yaml's
safe loader (no tags, no objects). A broken file is an error for that repository
only, and the bot then leaves the repository alone rather than guess.

Over 300 lines: one file's rules (every key's checks, presets, the place of each problem
in the file) read together, as the users' documentation of the file does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.engine.selection import resolve_codes
from bot.errors import DockmendError
from fixers import label_settings as labels
from fixers.lazyre import LazyPattern
from fixers.records import field, record
from fixers.severity import LEVELS

if TYPE_CHECKING:  # `dockmend fix` reads this file without the platforms
    from bot.platforms.base import Platform, Repo, RepoFile

NAMES = (".dockmend.yml", ".dockmend.yaml")
MAX_SIZE = 64 * 1024
KEYS = ("enabled", "fixers", "labels", "reviewers", "severity", "extends", "status_issue")
_REMOTE = LazyPattern(r"(?P<repo>[\w.-]+(?:/[\w.-]+)+):(?P<path>[^:\s]+)")
Reader = Callable[[str, str], bytes]  # (repository full name, file path) -> contents


MAX_DEPTH = 16  # levels of lists and mappings: the settings need four


class RepoConfigError(DockmendError):
    """The repository's ``.dockmend.yml`` cannot be used. ``at``: the keys down to the
    value at fault, for :func:`parse` to give its line and column."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        at: tuple[str | int, ...] = (),
    ) -> None:
        super().__init__(message, path=path, line=line, column=column)
        self.at = at


@record(frozen=True)
class RepoConfig:
    enabled: bool = True
    select: tuple[str, ...] = ()  # fixer codes
    ignore: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    label_settings: Mapping[str, Any] = field(default_factory=dict)  # profile, alone, titles given here
    reviewers: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # code: error, warning or info
    status_issue: bool | None = None  # None: the target's setting


def find(files: Sequence[RepoFile]) -> RepoFile | None:
    """The repository's config file among the default branch's files (top level only)."""
    by_path = {f.path: f for f in files}
    return next((by_path[name] for name in NAMES if name in by_path), None)


def parse(data: bytes, path: str = NAMES[0], read: Reader | None = None, owner: str | None = None) -> RepoConfig:
    """The settings of ``data`` (the file at ``path``) with its presets merged below it.
    ``read`` reads a file of another repository of ``owner`` (the repository's organisation
    or top-level group); without it, only built-in presets can be named."""
    try:
        raw = _load(data, path)
        if raw is None:
            return RepoConfig()
        if "extends" in raw:
            raw = _extended(raw, data, path, read, owner, (path,))
        return _validated(raw, path)
    except RepoConfigError as exc:
        raise _located(exc, data, path) from None


def _located(exc: RepoConfigError, data: bytes, path: str) -> RepoConfigError:
    """``exc`` with the line and column of the key it names in this file (the round-trip
    loader keeps positions; the file is parsed again only for an error). A key that is
    not written here (a preset's) is placed at its nearest written parent."""
    if exc.line is not None or exc.path != path or not exc.at:
        return exc
    from ruamel.yaml import YAML  # an error's path only
    from ruamel.yaml.error import YAMLError

    from bot.settings.source import where

    try:
        tree = YAML(typ="rt", pure=True).load(data.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError, RecursionError):
        return exc
    line, column, _ = where(tree, exc.at)
    return RepoConfigError(exc.message, path=path, line=line, column=column, at=exc.at)


def platform_reader(platform: Platform, repo: Repo) -> Reader:
    """Reads a file of another repository on ``repo``'s platform, at its default branch."""
    from bot.platforms.base import PlatformError, Repo  # the bot's path only

    def read(name: str, file: str) -> bytes:
        other = Repo(repo.platform, name, name, "HEAD", "")
        try:
            found = next((f for f in platform.list_files(other, "HEAD") if f.path == file), None)
            if found is None:
                raise RepoConfigError(f"extends: no file {file} in {name}", path=f"{name}:{file}")
            if (found.size or 0) > MAX_SIZE:
                raise RepoConfigError(f"larger than {MAX_SIZE} bytes", path=f"{name}:{file}")
            return platform.read_file(other, found)
        except RepoConfigError:
            raise
        except PlatformError as exc:
            raise RepoConfigError(f"extends: cannot read {file} of {name}: {exc}", path=f"{name}:{file}") from None

    return read


def _load(data: bytes, path: str) -> dict[str, Any] | None:
    if len(data) > MAX_SIZE:
        raise RepoConfigError(f"larger than {MAX_SIZE} bytes", path=path)
    from ruamel.yaml import YAML  # only when there is a file: `dockmend fix` starts without it
    from ruamel.yaml.error import YAMLError

    try:
        raw = YAML(typ="safe", pure=True).load(data.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RepoConfigError(f"invalid YAML: {problem}", path=path, line=line, column=column) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise RepoConfigError(f"nested too deeply (more than {MAX_DEPTH} levels)", path=path) from None
    if raw is None:
        return None
    if _depth(raw) > MAX_DEPTH:
        raise RepoConfigError(f"nested too deeply (more than {MAX_DEPTH} levels)", path=path)
    if not isinstance(raw, dict):
        raise RepoConfigError("must be a mapping", path=path, line=1, column=1)
    try:
        _known(raw, KEYS, (), path)
    except RepoConfigError as exc:  # a preset's too: placed in the file that has it
        raise _located(exc, data, path) from None
    return raw


def _depth(node: Any) -> int:
    """How deeply ``node`` nests lists and mappings (without recursion; aliases visited once)."""
    deepest, seen = 0, set()
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, dict | list) or id(item) in seen:
            continue
        seen.add(id(item))
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children)
    return deepest


def _extended(
    raw: dict[str, Any], data: bytes, path: str, read: Reader | None, owner: str | None, chain: tuple[str, ...]
) -> dict[str, Any]:
    """The presets ``raw`` extends, merged in order, with ``raw`` over them."""
    from bot.settings import presets  # only with presets: `dockmend fix` starts without the settings

    names = presets.entries(raw.get("extends", []))
    if names is None:
        raise _error("'extends' must be a preset name or a list of them", data, "extends", path)
    merged: dict[str, Any] = {}
    ignored: dict[presets.Loc, str] = {}
    for name in names:
        if name.startswith(presets.PREFIX):
            found = presets.builtin(name)
            if found is None:
                raise _error(f"extends: {presets.unknown(name)}", data, name, path)
            presets.merge(merged, found, name, ignored)
            continue
        remote = _REMOTE.fullmatch(name)
        if remote is None:
            raise _error(f"extends: {name!r} is neither dockmend:NAME nor OWNER/REPO:PATH", data, name, path)
        if read is None or owner is None:
            raise _error(f"extends: {name!r} is read by the bot only (here: built-in presets)", data, name, path)
        if remote["repo"].split("/")[0].lower() != owner.lower():
            raise _error(f"extends: {name!r} is outside the organisation {owner!r}", data, name, path)
        if name in chain:
            raise _error(
                f"extends: a cycle of presets: {' -> '.join((*chain[chain.index(name) :], name))}", data, name, path
            )
        if len(chain) > presets.MAX_DEPTH:
            raise _error(f"extends: presets nested more than {presets.MAX_DEPTH} deep", data, name, path)
        text = read(remote["repo"], remote["path"])
        preset = _load(text, name)
        if preset is not None:
            presets.merge(merged, _extended(preset, text, name, read, owner, (*chain, name)), name, ignored)
    own = {key: value for key, value in raw.items() if key != "extends"}
    return presets.merge(merged, own, path, ignored)


def _error(message: str, data: bytes, needle: str, path: str) -> RepoConfigError:
    """An error at the first line that names ``needle`` (the safe loader keeps no positions)."""
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        column = line.find(needle)
        if column >= 0 and not line.lstrip().startswith("#"):
            return RepoConfigError(message, path=path, line=number, column=column + 1)
    return RepoConfigError(message, path=path)


def _validated(raw: dict[str, Any], path: str) -> RepoConfig:
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RepoConfigError("'enabled' must be true or false", path=path, at=("enabled",))
    status_issue = raw.get("status_issue")
    if status_issue is not None and not isinstance(status_issue, bool):
        raise RepoConfigError("'status_issue' must be true or false", path=path, at=("status_issue",))
    fixers = raw.get("fixers") or {}
    if not isinstance(fixers, dict):
        raise RepoConfigError("'fixers' must be a mapping with select/ignore", path=path, at=("fixers",))
    _known(fixers, ("select", "ignore"), ("fixers",), path)
    values, given = _labels(raw.get("labels"), path)
    return RepoConfig(
        enabled=enabled,
        select=_codes(fixers.get("select"), ("fixers", "select"), path),
        ignore=_codes(fixers.get("ignore"), ("fixers", "ignore"), path),
        labels=values,
        label_settings=given,
        reviewers=_names(raw.get("reviewers"), ("reviewers",), path),
        severity=_severity(raw.get("severity"), path),
        status_issue=status_issue,
    )


def _known(node: dict[Any, Any], allowed: tuple[str, ...], at: tuple[str, ...], path: str) -> None:
    for key in node:
        if key not in allowed:
            name = ".".join((*at, str(key)))
            expected = ", ".join(allowed)
            raise RepoConfigError(f"unknown key {name} (expected one of: {expected})", path=path, at=(*at, key))


def _names(value: Any, at: tuple[str, ...], path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RepoConfigError(f"'{'.'.join(at)}' must be a list of names", path=path, at=at)
    return tuple(value)


def _codes(value: Any, at: tuple[str, ...], path: str) -> tuple[str, ...]:
    names = _names(value, at, path)
    try:
        return tuple(sorted(resolve_codes(list(names))))
    except DockmendError as exc:
        raise RepoConfigError(f"{'.'.join(at)}: {exc.message}", path=path, at=at) from None


def _labels(value: Any, path: str) -> tuple[dict[str, str], dict[str, Any]]:
    if value is not None and not isinstance(value, dict):
        message = "'labels' must map label keys to text values (and profile, alone, titles)"
        raise RepoConfigError(message, path=path, at=("labels",))
    try:
        return labels.split(value)
    except labels.LabelsError as exc:
        raise RepoConfigError(f"labels: {exc}", path=path, at=("labels",)) from None


def _severity(value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise RepoConfigError("'severity' must map fixer codes to error, warning or info", path=path, at=("severity",))
    result = {}
    for key, level in value.items():
        if level not in LEVELS:
            message = f"severity.{key}: {level!r} is not one of {', '.join(LEVELS)}"
            raise RepoConfigError(message, path=path, at=("severity", key))
        (code,) = _codes([key], ("severity", key), path)
        result[code] = level
    return result
