"""DM106: shell-form CMD/ENTRYPOINT that need no shell become JSON exec form."""

from __future__ import annotations

import re

from fixers import entrypoint as ep
from fixers.base import Context, Finding, Fix, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.edits import Edit
from fixers.lazyre import LazyPattern
from fixers.records import record
from fixers.rules import wrapper_exec

CODE = "DM106"
NAME = "exec-form"
RISK = Risk.REVIEW
GUIDELINE = "Run the server as PID 1 so that it receives signals: exec form for CMD/ENTRYPOINT"
MESSAGE = "a shell-form CMD/ENTRYPOINT that needs no shell can use the JSON exec form"
EXPLANATION = """\
A shell-form `CMD nginx -g 'daemon off;'` runs `/bin/sh -c "nginx -g 'daemon off;'"`:
the shell is PID 1, and `docker stop` sends SIGTERM to the shell, which does not pass
it on, so the server is killed after the grace period instead of shutting down
cleanly. The JSON exec form `CMD ["nginx", "-g", "daemon off;"]` starts the server
itself as PID 1. dockmend converts only commands that use no shell feature at all
(no variables, globs, operators, redirections, `~`, comments or backslashes; quotes
are removed exactly as the shell would), drops a leading `exec`, and leaves alone
a directly started script (`CMD ./boot.sh`) unless the build context shows that the
file starts with a `#!` line (without one, `/bin/sh -c` runs it as a shell script but
exec form fails with "exec format error"; a `.sh`/`.py`/… file that is not in the
build context is left alone too), and
Windows images, ONBUILD/HEALTHCHECK commands and stages whose SHELL is anything but
`sh -c` or `bash -c` (with `-e`, `-u`, `-o pipefail` at most; bash not with BASH_ENV).
A CMD is converted only when the image's ENTRYPOINT is known to be empty (or
`tini --`/`dumb-init --`): an entrypoint would otherwise receive the words instead of
`/bin/sh -c …`, and the ENTRYPOINT of an external base image is not known without a
registry look-up (many official images have a `docker-entrypoint.sh`), so such a CMD
is reported instead. An ENTRYPOINT is converted only when no CMD of the stage, or of
a stage built FROM it, would become its arguments. Review this change: after it,
arguments given to `docker run IMAGE …`, Kubernetes `args:` or a CMD of an image
built FROM this one are passed to an exec-form ENTRYPOINT, where the shell form
ignored them."""
NEEDS_NETWORK = False

_SH = frozenset({"sh", "/bin/sh", "/usr/bin/sh", "ash", "/bin/ash", "dash", "/bin/dash", "/usr/bin/dash"})
_BASH = frozenset({"bash", "/bin/bash", "/usr/bin/bash"})
_HARMLESS = LazyPattern(r"-[eu]+|-[eu]*o (pipefail|errexit|nounset)")  # no effect on one simple command


_SCRIPT = LazyPattern(r"\.(sh|bash|ksh|zsh|py|pl|rb|php|js)$")
_EXECUTABLE = (b"#!", b"\x7fELF")  # what the kernel starts without a shell


def fix(doc: Document, ctx: Context) -> FixResult:
    result = FixResult()
    known = _Known(ep.base_configs(ctx), ctx, _cmds_below(doc))
    for stage in doc.stages:
        if doc.escape == "`" or doc.is_windows(stage):
            continue
        for inst in stage.instructions:
            if inst.keyword in ("CMD", "ENTRYPOINT") and not inst.json and not inst.heredocs:
                _consider(doc, stage, inst, known, result)
    return result


@record(frozen=True)
class _Known:
    bases: ep.BaseConfigs
    ctx: Context
    cmds_below: dict[int, Instruction]  # see _cmds_below


def _consider(doc: Document, stage: Stage, inst: Instruction, known: _Known, result: FixResult) -> None:
    bases, ctx = known.bases, known.ctx
    words = ep.exec_words(inst.command) if len(inst.args) == 1 else None
    edit = _edit(doc, inst, words) if words else None
    if edit is None or words is None or not _plain_shell(doc, inst, bases):
        return
    if inst.keyword == "CMD":
        blocker = _cmd_blocker(doc, stage, bases)
    else:
        blocker = _entrypoint_blocker(doc, stage, known.cmds_below)
    blocker = blocker or _script_blocker(doc, stage, inst, words, ctx)
    if blocker:
        result.findings.append(Finding(CODE, NAME, inst.start_line, f"{inst.keyword} left in shell form: {blocker}"))
        return
    result.fixes.append(Fix(inst.start_line, f"{inst.keyword} in exec form, without a shell as PID 1", [edit]))


def _script_blocker(doc: Document, stage: Stage, inst: Instruction, words: tuple[str, ...], ctx: Context) -> str | None:
    """Why a directly started file may not start without a shell, if it may not."""
    argv = words[ep.init_prefix(words) :]
    if not argv or ("/" not in argv[0] and not _SCRIPT.search(argv[0])):
        return None  # a program from PATH
    workdir = ep.workdir_at(doc, stage)
    searched = "/" not in argv[0]
    for path in wrapper_exec.image_paths(argv[0], searched, workdir, ep.path_dirs(doc, stage)):
        origin = wrapper_exec.context_source(doc, stage, path, ctx.files, ctx.path)
        if origin is not None and origin.path is not None:
            if origin.data.startswith(_EXECUTABLE):
                return None
            return f"{origin.path} has no #! line, and exec form cannot start it without one"
    if _SCRIPT.search(argv[0]):
        return f"{argv[0]} is a script whose #! line cannot be read from the build context"
    return None


def _plain_shell(doc: Document, inst: Instruction, bases: ep.BaseConfigs) -> bool:
    """Whether the shell in effect runs a simple command exactly as exec form would.

    An external base image's SHELL is unknown here; only Windows images set one in
    practice, and those are excluded, so the POSIX default is assumed for it.
    """
    shell = ep.shell_at(doc, inst, bases, default=ep.DEFAULT_SHELL)
    if shell is None or len(shell) < 2 or not re.fullmatch(r"-[eu]*c", shell[-1]):
        return False
    if shell[0] in _BASH:  # bash -c reads $BASH_ENV first (nvm/conda images set it)
        if doc.inherited(doc.stages[inst.stage], "sets BASH_ENV", _sets_bash_env):
            return False
    elif shell[0] not in _SH:
        return False
    options = " ".join(shell[1:-1])
    return not options or all(_HARMLESS.fullmatch(part) for part in _options(options))


def _sets_bash_env(stage: Stage) -> bool:
    return any(i.keyword == "ENV" and "BASH_ENV" in i.args[::2] for i in stage.instructions)


def _options(text: str) -> list[str]:
    """``-e -o pipefail -u`` → ``["-e", "-o pipefail", "-u"]``."""
    return re.findall(r"-[eu]*o \S+|\S+", text)


def _cmd_blocker(doc: Document, stage: Stage, bases: ep.BaseConfigs) -> str | None:
    setting = ep.entrypoint(doc, stage, bases)
    if not setting.known:
        return setting.reason
    if setting.empty or ep.init_prefix(setting.argv) == len(setting.argv):
        return None
    where = f" on line {setting.inst.start_line}" if setting.inst else ""
    if setting.shell_form:
        return f"the shell-form ENTRYPOINT{where} ignores it"
    return f"the ENTRYPOINT{where} would receive its words instead of `/bin/sh -c …`"


def _entrypoint_blocker(doc: Document, stage: Stage, cmds_below: dict[int, Instruction]) -> str | None:
    """A CMD that the exec-form ENTRYPOINT would receive as arguments, if any: the stage's
    own first, else the first of a stage built FROM it (:func:`_cmds_below`)."""
    if "CMD" in ep.triggers(doc, stage):
        return "an ONBUILD trigger sets a CMD that would become its arguments"
    own = next((i for i in stage.instructions if i.keyword == "CMD" or i.sub_keyword == "CMD"), None)
    cmd = own or cmds_below.get(stage.index)
    return f"the CMD on line {cmd.start_line} would become its arguments" if cmd else None


def _cmds_below(doc: Document) -> dict[int, Instruction]:
    """For each stage, the first CMD (in the file) of the stages built FROM it, directly or
    through others, with no ENTRYPOINT on the way down: what an exec-form ENTRYPOINT of
    the stage would receive. One pass from the last stage up (a child comes after its
    parent), not a walk of every descendant's lineage per stage."""
    found: dict[int, Instruction] = {}
    for stage in reversed(doc.stages):
        if stage.parent is None or any(i.keyword == "ENTRYPOINT" for i in stage.instructions):
            continue
        own = next((i for i in stage.instructions if i.keyword == "CMD"), None)
        candidates = [c for c in (own, found.get(stage.index), found.get(stage.parent)) if c is not None]
        if candidates:
            found[stage.parent] = min(candidates, key=lambda i: i.index)
    return found


def _edit(doc: Document, inst: Instruction, words: tuple[str, ...]) -> Edit | None:
    """Replace the command (all its lines) with the JSON list, keeping the keyword as written."""
    if any(doc.line_text(n).lstrip().startswith("#") for n in range(inst.start_line + 1, inst.header_end_line + 1)):
        return None  # a comment inside the continuation would be lost
    first = doc.line_text(inst.start_line)
    match = re.match(rf"[ \t]*{re.escape(inst.raw_keyword)}([ \t]*)", first)
    if match is None:
        return None
    start = inst.start + match.end()
    space = "" if match.group(1) else " "
    import json  # only for a rewrite (a clean file's run loads no JSON encoder)

    return Edit(start, inst.header_end, space + json.dumps(list(words), ensure_ascii=False))
