"""DM110: fold a lone `RUN apt-get update` into the `apt-get install` RUN that follows it."""

from __future__ import annotations

import posixpath
import re

from fixers import pkgmanagers as pm
from fixers.base import Context, Fix, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.edits import Edit
from fixers.lazyre import LazyPattern
from fixers.pkgmanagers import Run, render, tail
from fixers.records import record
from fixers.rules.consolidate_cleanup import later_lists, posix, shipped

CODE = "DM110"
NAME = "apt-update-with-install"
RISK = Risk.SAFE
GUIDELINE = "Clean temporary files in the same RUN that made them; `apt-get update` belongs in the RUN that installs"
MESSAGE = "`apt-get update` runs in a RUN of its own, apart from the install that needs it"
EXPLANATION = """\
A lone `RUN apt-get update` becomes a cached layer of its own: when a later
`RUN apt-get install` changes (one more package), the builder reuses the old update
layer and the install runs against a package index that may be weeks old, and fails
with 404s once the mirrors have moved on. The update's lists also stay in the image,
since no later RUN can remove them from the update's layer (hadolint DL3009). Docker's
best practice is one RUN: `apt-get update && apt-get install … && rm -rf
/var/lib/apt/lists/*`. dockmend deletes the lone update (flags such as -q/-y kept) and
puts it in front of the first RUN of the stage that follows it, when that RUN begins
with `apt-get install` in a plain `&&` chain, and adds the removal of the lists when
the stage ships and no later RUN reads them (the install's own text is kept). It
leaves the file alone when anything between the two could matter to the update or
depend on it: another RUN, a SHELL or USER, an ENV/ARG the install uses or that
configures apt or a proxy, a COPY/ADD into /etc or an unknown place, a comment
documenting the update, or a --mount on either RUN. Risk: safe. The same commands
run in the same order with the same sources, as one step; the image differs only by
the apt lists removed (as DM104 would) and one layer fewer."""
NEEDS_NETWORK = False

_HARMLESS = frozenset({"LABEL", "EXPOSE", "WORKDIR", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "VOLUME"})
_HARMLESS |= frozenset({"MAINTAINER", "ONBUILD"})
_APT_ENV = LazyPattern(r"proxy|^APT|^DEBIAN|^DEBCONF|^http|^https|^ftp|^no_proxy|^LANG|^LC_|^TZ$", re.I)
_UPDATE_FLAGS = frozenset({"-y", "--yes", "--assume-yes", "-q", "-qq", "--quiet", "-qy", "-yq", "-qqy", "-yqq"})
_KEEPS = LazyPattern(r"docker-clean|Keep-Downloaded-Packages|\bset\s+(-\w*f|-o\s+noglob)|\bshopt\b")
_SAFE_DEST = LazyPattern(r"/(app|srv|home|opt|usr/src|usr/local/(src|app|bin|lib)|workspace|code|src|data|build)(/|$)")


@record(frozen=True)
class _Fold:
    update: Run
    install: Run


def fix(doc: Document, ctx: Context) -> FixResult:
    fixes: list[Fix] = []
    runs = {i.index: Run.of(doc, i) for i in doc.instructions if i.keyword == "RUN" and "apt" in i.original}
    later = later_lists(doc, runs)
    ships = shipped(doc)
    for stage in (s for s in doc.stages if posix(doc, s)):
        for fold in _folds(doc, stage, runs):
            fixes.append(_fix(doc, fold, stage.index in ships and fold.install.inst.index not in later))
    return FixResult(fixes=fixes)


def _folds(doc: Document, stage: Stage, runs: dict[int, Run | None]) -> list[_Fold]:
    found: list[_Fold] = []
    insts = stage.instructions
    for i, inst in enumerate(insts):
        update = runs.get(inst.index)
        if update is None or not _lone_update(doc, update):
            continue
        for nxt in insts[i + 1 :]:
            if nxt.keyword == "RUN":
                install = runs.get(nxt.index)
                if install is not None and _starts_with_install(install):
                    found.append(_Fold(update, install))
                break
            if not _harmless(doc, nxt, runs, insts):
                break
    return found


def _lone_update(doc: Document, run: Run) -> bool:
    """`RUN apt-get update` with flags only, no --mount, no comment on it or above it."""
    if run.inst.flags or len(run.script.commands) != 1 or run.script.features - {"escape"}:
        return False
    [cmd] = run.script.commands
    words = pm.argv(cmd)
    if cmd.redirects or cmd.depth or len(words) != len(cmd.words) or not pm.is_trigger(words, pm.APT):
        return False
    if any(w.expands or (w.value != "update" and w.value not in _UPDATE_FLAGS) for w in words[1:]):
        return False
    above = run.inst.start_line - 1
    lines = range(above if above >= 1 else run.inst.start_line, run.inst.end_line + 1)
    return not any(doc.line_text(n).lstrip().startswith("#") for n in lines)


def _starts_with_install(run: Run) -> bool:
    """The RUN is a plain `&&` chain (a pipe inside a step is fine) starting with `apt-get install`."""
    cmds = run.script.commands
    if run.inst.flags or run.script.features & {"subshell", "compound", "function", "substitution"}:
        return False
    if any(c.depth or c.op_after not in ("&&", "|", "") for c in cmds):
        return False
    words = pm.argv(cmds[0])
    return pm.cleaner_of(words) is pm.APT and pm.subcommand(words, pm.APT) == "install"


def _harmless(doc: Document, inst: Instruction, runs: dict[int, Run | None], insts: list[Instruction]) -> bool:
    """Whether ``inst``, between the update and the install, can neither change what the
    update does nor depend on it."""
    if inst.keyword in _HARMLESS:
        return True
    if inst.keyword in ("ENV", "ARG"):
        names = _names(inst)
        install = next((runs.get(i.index) for i in insts if i.index > inst.index and i.keyword == "RUN"), None)
        used = install.text if install else ""
        return not any(_APT_ENV.search(n) or re.search(rf"\$\{{?{re.escape(n)}\b", used) for n in names)
    if inst.keyword in ("COPY", "ADD"):
        dest = inst.args[-1] if len(inst.args) >= 2 else ""
        if not dest.startswith("/"):
            dest = _workdir(inst, insts)
        return bool(dest) and _SAFE_DEST.match(posixpath.normpath(dest)) is not None
    return False


def _names(inst: Instruction) -> list[str]:
    if inst.keyword == "ENV" and len(inst.args) % 2 == 0 and all("=" not in a for a in inst.args[::2]):
        return list(inst.args[::2])
    return [a.partition("=")[0] for a in inst.args]


def _workdir(inst: Instruction, insts: list[Instruction]) -> str:
    """The absolute WORKDIR in force at ``inst``, set in this stage, or ""."""
    for other in reversed([i for i in insts if i.index < inst.index and i.keyword == "WORKDIR" and i.args]):
        return other.args[0] if other.args[0].startswith("/") and "$" not in other.args[0] else ""
    return ""


def _fix(doc: Document, fold: _Fold, clean: bool) -> Fix:
    update, install = fold.update, fold.install
    [cmd] = update.script.commands
    command = doc.text[update.offset(cmd.start) : update.offset(cmd.end - 1) + 1]
    edits = [Edit.delete(update.inst.start, update.inst.end), Edit.insert(install.offset(0), f"{command} && ")]
    said = f"fold the `{command}` of line {update.inst.start_line} into the install RUN"
    where = tail(doc, install)
    kept = pm.APT.done.search(install.text) or _KEEPS.search(install.text)
    if clean and where is not None and not kept:
        edits.append(Edit.insert(where.at, render(doc, where, [pm.APT.cleanup])))
        said += f", and add `{pm.APT.cleanup}`"
    return Fix(install.inst.start_line, said, edits)
