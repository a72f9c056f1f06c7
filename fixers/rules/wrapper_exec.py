"""DM107: the wrapper script that the image runs ends with `exec` of its last program.

Which script the image runs comes from the final stage's effective ENTRYPOINT/CMD
(:mod:`fixers.entrypoint`); which file of the build context it is, from the COPY/ADD
that put it there (:func:`context_source`). The script is untrusted text: it is only
tokenized, never run, and the only change is inserting ``exec `` once.

Over 300 lines: one fixer: finding the wrapper script, deciding which command is the
long-running one, and the edit.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re

from fixers import entrypoint as ep
from fixers import shell
from fixers.base import Context, ContextFiles, FileChange, Fix, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.lazyre import LazyPattern
from fixers.records import record

CODE = "DM107"
NAME = "wrapper-exec"
RISK = Risk.SAFE
GUIDELINE = "Use exec in wrapper scripts so that the server is PID 1 and receives signals"
MESSAGE = "the entrypoint script starts its program without exec"
EXPLANATION = """\
A wrapper script that ends with `gunicorn app:app` (or `"$@"`) keeps the shell as
the container's PID 1 and starts the server as its child. `docker stop` and
Kubernetes send SIGTERM to PID 1: the shell does not forward it, so the server never
hears it and is killed after the grace period, without a clean shutdown. With
`exec gunicorn app:app` the server replaces the shell, becomes PID 1 and receives the
signals itself. dockmend adds `exec` to the last command of a script that the final
stage's ENTRYPOINT or CMD runs, found through the COPY/ADD that put it into the image,
and only when that command is a plain program call at the top level of the script
(not inside an if, loop, function or subshell, not part of a pipeline, `&&`/`||` list
or background job, without variable assignments before it, not a shell builtin),
nothing follows it, and the script sets no traps (they would no longer run).

`exec` belongs on the long-running program the image exists to run, so nothing is
changed (DM203 reports several processes) when the script starts anything in the
background (`&`, `nohup`, `service … start`, `/etc/init.d/…`, `*ctl start`) or ends
by keeping the shell alive (`tail -f`, `sleep infinity`, `wait`), or when its last
command is housekeeping rather than a server (`rm -f pidfile`, `echo`, `chmod`, …)."""
NEEDS_NETWORK = False

MAX_SCRIPT = 256 * 1024
_ARCHIVE = LazyPattern(r"\.(tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst))$")  # ADD unpacks these
_ODD = frozenset("$\"'\\")  # variables, quotes, escapes: the path is not known here
_SHEBANG = LazyPattern(rb"#! ?(/bin/(sh|bash|ash|dash)|/usr/bin/(sh|bash)|/usr/bin/env (sh|bash))( -[euxv]+)?\r?")
_SHELLS = frozenset({"sh", "bash", "ash", "dash"})
_FUNCTION = LazyPattern(r"^[ \t]*(?:function[ \t]+([\w-]+)(?:[ \t]*\(\))?|([\w-]+)[ \t]*\(\))", re.M)
_ALL_ARGS = frozenset({'"$@"', "$@", '"${@}"', "${@}"})
# Commands that start a daemon and return: the script's last command then only waits.
_DAEMON_STARTERS = frozenset(
    {
        "service",
        "start-stop-daemon",
        "daemon",
        "daemonize",
        "nohup",
        "setsid",
        "systemctl",
        "rc-service",
        "invoke-rc.d",
        "supervisorctl",
        "openrc",
    }
)
# Housekeeping and keep-alive commands: never the program an image exists to run.
_NOT_THE_PROGRAM = frozenset(
    {
        "tail",
        "sleep",
        "rm",
        "rmdir",
        "touch",
        "chmod",
        "chown",
        "chgrp",
        "mkdir",
        "cp",
        "mv",
        "ln",
        "cat",
        "printf",
        "echo",
        "true",
        "false",
        "sync",
        "date",
        "ls",
        "find",
        "sed",
        "grep",
        "kill",
        "killall",
        "pkill",
        "tee",
        "install",
        "logger",
        "test",
        "env",
        "wait",
    }
)
_EXPANSION = LazyPattern(r"\$\{[^}]*\}|\$[A-Za-z0-9_@*#?$!-]\w*")


def fix(doc: Document, ctx: Context) -> FixResult:
    stage = doc.stages[-1]
    if doc.escape == "`" or doc.is_windows(stage):
        return FixResult()
    result, seen = FixResult(), set()
    for setting in (ep.entrypoint(doc, stage), ep.cmd(doc, stage)):
        origin = _script(doc, stage, setting, ctx)
        if origin is None or origin.path is None or origin.path in seen:
            continue
        seen.add(origin.path)
        after = add_exec(origin.data)
        if after is not None:
            line = setting.inst.start_line if setting.inst else doc.instructions[stage.from_index].start_line
            message = f"exec the last command of {origin.path}, so that its program becomes PID 1"
            result.fixes.append(Fix(line, message, files=[FileChange(origin.path, origin.data, after)]))
    return result


def _script(doc: Document, stage: Stage, setting: ep.Setting, ctx: Context) -> Origin | None:
    """Where the script that ``setting`` runs comes from, if it runs one."""
    argv = ep.exec_words(setting.argv[0]) if setting.shell_form else setting.argv
    found = _program(argv[ep.init_prefix(argv) :]) if argv else None
    if found is None:
        return None
    workdir = ep.workdir_at(doc, stage)
    for candidate in image_paths(*found, workdir, ep.path_dirs(doc, stage)):
        origin = context_source(doc, stage, candidate, ctx.files, ctx.path)
        if origin is not None:
            return origin
    return None


def _program(argv: tuple[str, ...]) -> tuple[str, bool] | None:
    """The file that ``argv`` runs as a script, and whether PATH is searched for it."""
    if not argv or "$" in argv[0]:
        return None
    if posixpath.basename(argv[0]) not in _SHELLS:
        return argv[0], "/" not in argv[0]
    if len(argv) >= 3 and argv[1] == "-c":  # sh -c "/entrypoint.sh"
        inner = ep.exec_words(argv[2])
        return _program(inner) if inner and posixpath.basename(inner[0]) not in _SHELLS else None
    if len(argv) >= 2 and not argv[1].startswith("-") and "$" not in argv[1]:
        return argv[1], False  # sh /entrypoint.sh: a path, relative to the working directory
    return None


def image_paths(name: str, searched: bool, workdir: str | None, dirs: tuple[str, ...]) -> list[str]:
    if searched:
        return [posixpath.join(d, name) for d in dirs]
    if name.startswith("/"):
        return [posixpath.normpath(name)]
    return [posixpath.normpath(posixpath.join(workdir, name))] if workdir else []


def add_exec(data: bytes) -> bytes | None:
    """``data`` with ``exec `` before its last command, or None when that is not safe."""
    if len(data) > MAX_SCRIPT or b"\0" in data or not _SHEBANG.fullmatch(data.split(b"\n", 1)[0]):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    plain = "\n".join(line.removesuffix("\r") for line in lines)  # CRLF scripts: tokenize without CR
    offset = _exec_offset(plain)
    if offset is None:
        return None
    n = plain.count("\n", 0, offset)
    column = offset - (plain.rfind("\n", 0, offset) + 1)
    lines[n] = lines[n][:column] + "exec " + lines[n][column:]
    return "\n".join(lines).encode("utf-8")


def _exec_offset(text: str) -> int | None:
    """Where ``exec `` goes: before the last command's program, if it may be exec'd."""
    # Function headers (`name() {`) are blanked, keeping offsets, so that the tokenizer
    # sees a plain `{ … }` group instead of a construct it does not know.
    functions = {m.group(1) or m.group(2) for m in _FUNCTION.finditer(text)}
    plain = _FUNCTION.sub(lambda m: " " * len(m.group(0)), text)
    script = shell.parse(plain)
    if script.unsure or {"&", "heredoc", "|&"} & script.features or not script.commands:
        return None
    programs = {c.program for c in script.commands}
    if programs & {"trap", "alias", "eval"}:
        return None  # an EXIT trap would not run; aliases and eval hide what runs
    if any(_starts_daemon(c) for c in script.commands):
        return None  # the last command only keeps the container up; signals miss the daemons
    last = script.commands[-1]
    if not _alone(plain, script.commands) or not last.words or last.program_index() != 0:
        return None
    word = last.words[0]
    if posixpath.basename(word.value) in _NOT_THE_PROGRAM:
        return None
    if not _is_program(word, functions, sourcing=bool(programs & {".", "source"})):
        return None
    return word.start


def _starts_daemon(command: shell.Command) -> bool:
    argv = command.argv[command.program_index() :]
    if not argv:
        return False
    name = posixpath.basename(argv[0])
    if name in _DAEMON_STARTERS or argv[0].startswith("/etc/init.d/"):
        return True
    return name.endswith("ctl") and any(word in ("start", "restart") for word in argv[1:])


def _alone(text: str, commands: list[shell.Command]) -> bool:
    """The last command is a top-level command of its own: no list, pipe or job around it."""
    last = commands[-1]
    if last.depth != 0 or last.op_after not in ("", "\n", ";"):
        return False
    start = commands[-2].end if len(commands) > 1 else 0
    between = re.sub(r"#[^\n]*", "", text[start : last.start])
    after = re.sub(r"#[^\n]*", "", text[last.end :])
    return not between.strip(" \t\n;)") and ("\n" in between or ";" in between) and not after.strip(" \t\n;")


def _is_program(word: shell.Word, functions: set[str], sourcing: bool) -> bool:
    """Whether ``word`` surely names a program: exec fails on builtins and functions."""
    if word.raw in _ALL_ARGS:  # runs the CMD; a script defining functions may dispatch to them
        return not functions and not sourcing
    if "$(" in word.raw or "`" in word.raw or "\n" in word.raw:
        return False
    if "/" in (_EXPANSION.sub("", word.raw) if word.expands else word.value):
        return True  # a path is never a builtin or a function
    return not word.expands and word.value not in ep.SHELL_WORDS | functions and not sourcing and bool(word.value)


@record(frozen=True)
class Origin:
    """Where a file of the image comes from: a build-context file, or None if it cannot be followed."""

    path: str | None
    data: bytes = b""


def context_source(
    doc: Document, stage: Stage, image_path: str, files: ContextFiles, dockerfile: str = "Dockerfile"
) -> Origin | None:
    """The origin of ``image_path`` per the last COPY/ADD that may write it; None if none does.

    COPY --from, URLs, archives, heredocs, globs, paths with variables and files that
    a .dockerignore may exclude are not followed (``Origin(None)``).
    """
    for inst in reversed(list(ep.history(doc, stage))):
        if inst.keyword not in ("COPY", "ADD") or len(inst.args) < 2:
            continue
        dest = _destination(doc, inst)
        if dest is None:
            return Origin(None)
        origin = _copied(inst, *dest, image_path, files)
        if origin is not None:
            return Origin(None) if origin.path and _ignored(files, origin.path, dockerfile) else origin
    return None


def _destination(doc: Document, inst: Instruction) -> tuple[str, bool] | None:
    """Where a COPY/ADD writes (absolute) and whether it is a directory; None if unknown."""
    dest, sources = inst.args[-1], inst.args[:-1]
    if _ODD & set(dest):
        return None
    as_dir = dest.endswith("/") or len(sources) > 1 or any(c in s for s in sources for c in "*?[")
    if not dest.startswith("/"):
        workdir = ep.workdir_at(doc, doc.stages[inst.stage], inst)
        if workdir is None:
            return None
        dest = posixpath.join(workdir, dest)
    return posixpath.normpath(dest), as_dir


def _copied(inst: Instruction, target: str, as_dir: bool, path: str, files: ContextFiles) -> Origin | None:
    """What this COPY/ADD puts at ``path``, if anything."""
    prefix = target.rstrip("/") + "/"
    if path != target and not path.startswith(prefix):
        return None
    if inst.heredocs or any(inst.flag(f) is not None for f in ("from", "parents", "exclude")):
        return Origin(None)
    rel = "" if path == target else path[len(prefix) :]
    for src in reversed(inst.args[:-1]):  # a later source overwrites an earlier one
        if _ODD & set(src) or "://" in src or src.startswith("git@") or ".." in src.split("/"):
            return Origin(None)
        if inst.keyword == "ADD" and _ARCHIVE.search(src):
            return Origin(None)
        src = posixpath.normpath(src.lstrip("/"))
        src = "" if src == "." else src
        origin = (
            _from_pattern(src, rel, files) if any(c in src for c in "*?[") else _from_source(src, rel, as_dir, files)
        )
        if origin is not None:
            return origin
    return None


def _from_pattern(pattern: str, rel: str, files: ContextFiles) -> Origin:
    """A file matching ``pattern`` named ``rel``; anything else is not followed, as a
    pattern may also match directories, whose contents land in the destination."""
    folder = posixpath.dirname(pattern)
    candidate = posixpath.join(folder, rel)
    if "/" in rel or any(c in folder for c in "*?[") or not fnmatch.fnmatchcase(candidate, pattern):
        return Origin(None)
    data = files.read(candidate)
    return Origin(candidate, data) if data is not None else Origin(None)


def _from_source(src: str, rel: str, as_dir: bool, files: ContextFiles) -> Origin | None:
    """What ``src`` puts at ``rel`` below the destination (``""``: the destination itself)."""
    data = files.read(src) if src else None
    if data is not None:  # a file lands on the destination, or in it under its own name
        lands = rel == posixpath.basename(src) or (not rel and not as_dir)
        return Origin(src, data) if lands else None
    if not rel:
        return Origin(None)
    inner = posixpath.join(src, rel)  # a directory's contents land in the destination
    data = files.read(inner)
    if data is not None:
        return Origin(inner, data)
    return Origin(None) if rel == posixpath.basename(src) else None  # a file that cannot be read


def _ignored(files: ContextFiles, path: str, dockerfile: str) -> bool:
    """Whether a .dockerignore pattern may exclude ``path`` (exceptions are not trusted)."""
    for name in (posixpath.basename(dockerfile) + ".dockerignore", ".dockerignore"):
        data = files.read(name)
        if data is None:
            continue
        lines = (line.strip() for line in data.decode("utf-8", "replace").splitlines())
        patterns = [p.lstrip("!/").removeprefix("./") for p in lines if p and not p.startswith("#")]
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(
            fnmatch.fnmatchcase(prefix, pattern) or fnmatch.fnmatchcase(prefix, pattern.replace("**/", ""))
            for pattern in patterns
            for prefix in prefixes
        )
    return False
