"""What a stage's image runs: its effective ENTRYPOINT, CMD, SHELL, WORKDIR and PATH.

The rules follow BuildKit's dispatchers. Settings are inherited from the base, which
is another stage of the file (``Stage.parent``) or an external image. ENTRYPOINT
clears an inherited CMD unless the same stage sets CMD, before or after it. The
ONBUILD triggers of a base stage run at the start of every stage built FROM it.

An external image's settings are unknown unless the registry tells them
(:func:`base_configs` reads them through ``ctx.resolver`` when there is one);
``scratch`` has none.

Over 300 lines: the analysis of CMD/ENTRYPOINT and started scripts that DM106, DM107 and
DM203 share.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from typing import Protocol

from fixers import shell
from fixers.base import Context, ImageResolver, ImageUnreachable
from fixers.document import Document, Instruction, Stage
from fixers.images import InvalidReference, parse, split
from fixers.lazyre import LazyPattern
from fixers.records import record

DEFAULT_SHELL = ("/bin/sh", "-c")
DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_INITS = frozenset({"tini", "tini-static", "dumb-init"})  # run their arguments after `--`, nothing else
_INIT_FLAG = LazyPattern(r"-[A-Za-z]+")
# Reserved words and builtins of sh/bash/dash/ash: not programs, so exec form cannot run them
# (echo, test, kill, … exist as programs too, but behave differently).
_SHELL_WORDS = (
    "! { } [[ ]] case coproc do done elif else esac fi for function if in select then time until while "
    ". : [ alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo "
    "enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout "
    "mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test "
    "times trap true type typeset ulimit umask unalias unset wait"
)
SHELL_WORDS = frozenset(_SHELL_WORDS.split())
_QUOTED = LazyPattern(r"'[^']*'|\"[^\"]*\"")


@record(frozen=True)
class BaseConfig:
    """The run-time settings of an external image; None where they are not known."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] | None = ()
    shell: tuple[str, ...] | None = DEFAULT_SHELL
    workdir: str | None = "/"


class BaseConfigs(Protocol):
    def config(self, image: str, platform: str | None) -> BaseConfig | None:
        """The image's settings, or None when they are not known."""


class UnknownBases:
    def config(self, image: str, platform: str | None) -> BaseConfig | None:
        return None


UNKNOWN = UnknownBases()


class RegistryBases:
    """Base-image settings from the registry (``ctx.resolver``), for the configs it reads."""

    def __init__(self, resolver: ImageResolver, platform: str) -> None:
        self.resolver, self.platform = resolver, platform
        self.seen: dict[tuple[str, str | None], BaseConfig | None] = {}

    def config(self, image: str, platform: str | None) -> BaseConfig | None:
        key = (image, platform)
        if key not in self.seen:
            self.seen[key] = self._lookup(image, platform)
        return self.seen[key]

    def _lookup(self, image: str, platform: str | None) -> BaseConfig | None:
        try:
            written = split(image)
            found = self.resolver.config(
                written.name, written.digest or written.tag or "latest", platform or self.platform
            )
        except (InvalidReference, ImageUnreachable):
            return None  # RegistryUnavailable goes up: the file is tried again later
        # The config read has no Shell, WorkingDir or OnBuild: those stay unknown.
        return BaseConfig(found.entrypoint or (), found.cmd or (), shell=None, workdir=None)


# Docker Official Images that set no ENTRYPOINT in any tag (their Dockerfiles in
# docker-library and the distributions' own repositories): a shell-form CMD on them runs
# as `/bin/sh -c CMD` and the exec form runs the same program. Their CMD varies: unknown.
WELL_KNOWN_NO_ENTRYPOINT = frozenset(
    f"docker.io/library/{name}"
    for name in (
        *("alpine", "almalinux", "amazoncorretto", "amazonlinux", "buildpack-deps", "busybox", "centos"),
        *("debian", "fedora", "gcc", "golang", "httpd", "openjdk", "oraclelinux", "perl", "python"),
        *("rockylinux", "ruby", "rust", "tomcat", "ubuntu"),
    )
)


class WellKnownBases:
    """The registry's answer when there is one, else the table of well-known images."""

    def __init__(self, registry: BaseConfigs) -> None:
        self.registry = registry

    def config(self, image: str, platform: str | None) -> BaseConfig | None:
        found = self.registry.config(image, platform)
        if found is not None:
            return found
        try:
            name = parse(image).name
        except InvalidReference:
            return None
        if name in WELL_KNOWN_NO_ENTRYPOINT and not (platform or "").startswith("windows"):
            return BaseConfig(entrypoint=(), cmd=None, shell=DEFAULT_SHELL, workdir=None)
        return None


def base_configs(ctx: Context) -> BaseConfigs:
    """What the registry says of base images (when there is a resolver), else the well-known table."""
    registry: BaseConfigs = UNKNOWN if ctx.resolver is None else RegistryBases(ctx.resolver, ctx.policy.platform)
    return WellKnownBases(registry)


@record(frozen=True)
class Setting:
    """ENTRYPOINT or CMD as the image has it.

    ``argv`` is the exec-form list; for a shell-form instruction it is the command alone
    (``shell_form``), to be run by the SHELL in effect there.
    """

    known: bool
    argv: tuple[str, ...] = ()
    shell_form: bool = False
    inst: Instruction | None = None  # the instruction of this file that set it
    reason: str = ""  # why it is not known

    @property
    def empty(self) -> bool:
        return self.known and not self.argv


def history(doc: Document, stage: Stage, until: Instruction | None = None) -> Iterator[Instruction]:
    """The instructions that made ``stage``'s image, oldest first, stopping before ``until``."""
    for each in reversed(doc.lineage(stage)):
        for inst in each.instructions:
            if inst is until:
                return
            yield inst


def triggers(doc: Document, stage: Stage) -> set[str]:
    """What the ONBUILD triggers of ``stage``'s base stage set when ``stage`` starts."""
    if stage.parent is None:
        return set()
    return {i.sub_keyword or "" for i in doc.stages[stage.parent].instructions if i.keyword == "ONBUILD"}


def _from_instruction(inst: Instruction) -> Setting:
    if inst.json:
        return Setting(True, tuple(inst.args), inst=inst)
    return Setting(True, (inst.command,), shell_form=True, inst=inst)


def _external(doc: Document, stage: Stage, bases: BaseConfigs) -> BaseConfig | None:
    root = doc.root(stage)
    if root.is_scratch:
        return BaseConfig()
    if "$" in root.base_resolved:
        return None
    platform = root.platform if root.platform and "$" not in root.platform else None
    return bases.config(root.base_resolved, platform)


def _unknown(doc: Document, stage: Stage, what: str) -> Setting:
    root = doc.root(stage)
    name = root.base if root.base == root.base_resolved else f"{root.base} ({root.base_resolved})"
    return Setting(False, reason=f"the {what} of the base image {name} is unknown")


def entrypoint(doc: Document, stage: Stage, bases: BaseConfigs = UNKNOWN) -> Setting:
    """The ENTRYPOINT of ``stage``'s image: the last one of the stage or of its bases."""
    found = doc.carried(stage, "ENTRYPOINT", None, _entrypoint_step(doc))
    if found is not None:
        return found
    config = _external(doc, stage, bases)
    return Setting(True, config.entrypoint) if config else _unknown(doc, stage, "ENTRYPOINT")


def _entrypoint_step(doc: Document) -> Callable[[Setting | None, Stage], Setting | None]:
    """What sets the ENTRYPOINT at the end of a stage, given what its base stage set
    (None: nothing in this file, the external image's)."""

    def step(before: Setting | None, each: Stage) -> Setting | None:
        declared = [i for i in each.instructions if i.keyword == "ENTRYPOINT"]
        if declared:
            return _from_instruction(declared[-1])
        if "ENTRYPOINT" in triggers(doc, each):
            return Setting(False, reason="an ONBUILD trigger of its base stage sets the ENTRYPOINT")
        return before

    return step


def cmd(doc: Document, stage: Stage, bases: BaseConfigs = UNKNOWN) -> Setting:
    """The CMD of ``stage``'s image; an ENTRYPOINT of a stage without CMD clears it."""
    found = doc.carried(stage, "CMD", None, _cmd_step(doc))
    if found is not None:
        return found
    config = _external(doc, stage, bases)
    return Setting(True, config.cmd) if config and config.cmd is not None else _unknown(doc, stage, "CMD")


def _cmd_step(doc: Document) -> Callable[[Setting | None, Stage], Setting | None]:
    """As :func:`_entrypoint_step`, for CMD."""

    def step(before: Setting | None, each: Stage) -> Setting | None:
        declared = [i for i in each.instructions if i.keyword == "CMD"]
        if declared:
            return _from_instruction(declared[-1])
        if any(i.keyword == "ENTRYPOINT" for i in each.instructions):
            return Setting(True)  # ENTRYPOINT cleared the inherited CMD
        if triggers(doc, each) & {"CMD", "ENTRYPOINT"}:
            return Setting(False, reason="an ONBUILD trigger of its base stage sets the CMD")
        return before

    return step


def _sets_before(doc: Document, stage: Stage, until: Instruction | None, keyword: str) -> list[Instruction | None]:
    """Instructions setting ``keyword`` before ``until``; None for an ONBUILD trigger of a base stage."""
    found: list[Instruction | None] = []
    for each in reversed(doc.lineage(stage)):
        if keyword in triggers(doc, each):
            found.append(None)
        for inst in each.instructions:
            if inst is until:
                return found
            if inst.keyword == keyword:
                found.append(inst)
    return found


_Last = tuple[bool, Instruction | None]  # set at all; the last setting (None: an ONBUILD trigger)


def _last_set(doc: Document, stage: Stage, until: Instruction, keyword: str) -> _Last:
    """The last instruction setting ``keyword`` before ``until`` (in ``stage``), as the last
    of :func:`_sets_before`; what the base stages set is worked out once per stage."""

    def step(found: _Last, each: Stage) -> _Last:
        return _last_in(doc, each, None, keyword, found)

    start: _Last = (False, None)
    before = (
        doc.carried(doc.stages[stage.parent], f"last {keyword}", start, step) if stage.parent is not None else start
    )
    return _last_in(doc, stage, until, keyword, before)


def _last_in(doc: Document, stage: Stage, until: Instruction | None, keyword: str, found: _Last) -> _Last:
    if keyword in triggers(doc, stage):
        found = (True, None)
    for inst in stage.instructions:
        if inst is until:
            break
        if inst.keyword == keyword:
            found = (True, inst)
    return found


def shell_at(
    doc: Document, inst: Instruction, bases: BaseConfigs = UNKNOWN, default: tuple[str, ...] | None = None
) -> tuple[str, ...] | None:
    """The SHELL that runs ``inst`` if it is in shell form; None when unknown.

    ``default`` is what to assume for an external base image whose settings are unknown.
    """
    stage = doc.stages[inst.stage]
    declared, last = _last_set(doc, stage, inst, "SHELL")
    if declared:
        return tuple(last.args) if last is not None and last.json else None
    config = _external(doc, stage, bases)
    return config.shell if config and config.shell else default


def workdir_at(
    doc: Document, stage: Stage, until: Instruction | None = None, bases: BaseConfigs = UNKNOWN
) -> str | None:
    """The working directory before ``until`` (or at run time); None when unknown."""
    config = _external(doc, stage, bases)
    current = config.workdir if config else None
    for inst in _sets_before(doc, stage, until, "WORKDIR"):
        value = inst.args[0] if inst is not None and len(inst.args) == 1 else "$"
        if any(c in value for c in "$\\\"'"):
            current = None
        elif value.startswith("/"):
            current = posixpath.normpath(value)
        elif current is not None:
            current = posixpath.normpath(posixpath.join(current, value))
    return current


def path_dirs(doc: Document, stage: Stage) -> tuple[str, ...]:
    """The PATH directories at run time, from ENV PATH=… in the file, else Docker's default."""
    dirs: tuple[str, ...] = DEFAULT_PATH
    for inst in history(doc, stage):
        if inst.keyword != "ENV":
            continue
        for key, value in zip(inst.args[::2], inst.args[1::2], strict=False):
            if key == "PATH":
                dirs = _expand_path(value.strip('"'), dirs)
    return dirs


def _expand_path(value: str, previous: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for entry in value.split(":"):
        if entry in ("$PATH", "${PATH}"):
            found += previous
        elif entry.startswith("/") and "$" not in entry:
            found.append(posixpath.normpath(entry))
    return tuple(found)


def init_prefix(argv: tuple[str, ...]) -> int:
    """How many leading words are an init that just runs the rest (``tini --``), else 0."""
    if not argv or posixpath.basename(argv[0]) not in _INITS:
        return 0
    for i, word in enumerate(argv[1:], 1):
        if word == "--":
            return i + 1
        if not _INIT_FLAG.fullmatch(word):
            return 0
    return 0


def exec_words(command: str) -> tuple[str, ...] | None:
    """The argv a shell-form command amounts to, or None when it needs a shell.

    Quotes are allowed (the shell only removes them). Anything else a shell does is
    not: expansions, globs, operators, redirections, comments, backslashes, ``~``,
    braces, assignments before the program, builtins. A leading ``exec`` is dropped.
    """
    if any(c in command for c in "\\\r\n"):
        return None
    script = shell.parse(command)
    if script.unsure or len(script.commands) != 1 or script.features - {"quote"}:
        return None
    only = script.commands[0]
    if only.redirects or only.program_index() != 0:
        return None
    if any(c in _QUOTED.sub("", w.raw) for w in only.words for c in "~{}!#"):
        return None
    words = tuple(w.value for w in only.words)
    if only.words[0].raw == "exec":
        words = words[1:]
    if not words or not words[0] or words[0].startswith("-") or words[0] in SHELL_WORDS:
        return None
    return words
