"""DM111: merge consecutive package-install RUNs of one manager into one RUN."""

from __future__ import annotations

from fixers import pkgmanagers as pm
from fixers.base import Context, Fix, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.edits import Edit
from fixers.pkgmanagers import Run
from fixers.records import record
from fixers.rules.consolidate_cleanup import posix
from fixers.shell import Command

CODE = "DM111"
NAME = "merge-install-runs"
RISK = Risk.REVIEW
GUIDELINE = "Clean temporary files in the same RUN that made them; one package-install step per manager"
MESSAGE = "consecutive RUNs install packages with the same manager, one layer each"
EXPLANATION = """\
A chain of RUNs that each install a package or two with the same manager
(`RUN apt-get install -y curl`, `RUN apt-get install -y git`, …) makes one layer per
RUN, each with its own copy of the manager's metadata, and a cleanup can only clean
its own layer (hadolint DL3059). dockmend merges such RUNs, when they directly follow
each other in a stage with only blank lines between, into one RUN: the commands keep
their own text and flags and run in the same order, joined by `&&`, one per line; a
second `apt-get update`/`apk update` is dropped and cleanups (`rm -rf
/var/lib/apt/lists/*`, `yum clean all`, …) move to the end, once each. Managers:
apt-get/apt, apk, dnf/yum/microdnf, pip. It never merges across a comment (it may
document one RUN), a heredoc, a --mount or other RUN flag, JSON form, a command that
is not an install step of that manager (a RUN that does more stays on its own), or a
RUN whose cleanup removes the lists the next one would install from. Risk: review.
The same commands run in the same order, but as one layer: the build cache is
invalidated for all of them when one changes, and a failing install now names the
merged RUN. Check that you do not want a RUN on its own for caching."""
NEEDS_NETWORK = False

_INDENT = "    "


@record(frozen=True)
class _Step:
    kind: str  # install | update | cleanup
    text: str  # as written in the document, continuations included


@record(frozen=True)
class _Install:
    run: Run
    manager: str
    steps: tuple[_Step, ...]


def fix(doc: Document, ctx: Context) -> FixResult:
    fixes: list[Fix] = []
    for stage in (s for s in doc.stages if posix(doc, s)):
        group: list[_Install] = []
        for inst in [*stage.instructions, None]:
            found = _install(doc, inst) if inst is not None and inst.keyword == "RUN" else None
            if found is not None and group and _joins(doc, group[-1], found):
                group.append(found)
                continue
            if len(group) >= 2:
                fixes.append(_merge(doc, group))
            group = [found] if found is not None else []
    return FixResult(fixes=fixes)


def _manager(cmd: Command) -> tuple[str, str] | None:
    """(manager, kind) of a step, or None when it is no install step."""
    words = pm.argv(cmd)
    cleaner = pm.cleaner_of(words)
    if pm.is_cleanup_command(cmd):
        return "", "cleanup"
    if cleaner is pm.APT:
        sub = pm.subcommand(words, cleaner)
        return ("apt", sub) if sub in ("install", "update") else None
    if cleaner is not None and cleaner.name in ("yum", "dnf", "microdnf"):
        return ("rpm", "install") if pm.subcommand(words, cleaner) == "install" else None
    if pm.apk_add_word(words):
        return "apk", "install"
    if pm.is_apk_update(words):
        return "apk", "update"
    return ("pip", "install") if pm.pip_install_word(words) else None


def _install(doc: Document, inst: Instruction) -> _Install | None:
    run = Run.of(doc, inst)
    if run is None or inst.flags or run.script.features & {"subshell", "compound", "function", "substitution"}:
        return None
    if any(doc.line_text(n).lstrip().startswith("#") for n in range(inst.start_line, inst.end_line + 1)):
        return None
    managers: set[str] = set()
    steps: list[_Step] = []
    for cmd in run.script.commands:
        found = _manager(cmd) if not cmd.depth and cmd.op_after in ("&&", "") and not cmd.redirects else None
        if found is None or (found[1] != "cleanup" and any(s.kind == "cleanup" for s in steps)):
            return None  # not an install step, or a cleanup before the last install
        managers.update([found[0]] if found[0] else [])
        text = doc.text[run.offset(cmd.start) : run.offset(cmd.end - 1) + 1]
        lines = text.split("\n")  # continuation lines of a step, indented under its `&&`
        steps.append(_Step(found[1], "\n".join([lines[0], *(_INDENT * 2 + line.lstrip() for line in lines[1:])])))
    if len(managers) != 1 or not any(s.kind == "install" for s in steps):
        return None
    return _Install(run, managers.pop(), tuple(steps))


def _joins(doc: Document, before: _Install, after: _Install) -> bool:
    """``after`` directly follows ``before`` (blank lines only), same manager, and would
    not lose the index it installs from."""
    gap = range(before.run.inst.end_line + 1, after.run.inst.start_line)
    if before.manager != after.manager or any(doc.line_text(n).strip() for n in gap):
        return False
    cleaned = any(s.kind == "cleanup" for s in before.steps)
    updates_first = after.steps[0].kind == "update"
    return not (cleaned and before.manager in ("apt", "apk") and not updates_first)


def _merge(doc: Document, group: list[_Install]) -> Fix:
    steps: list[str] = []
    cleanups: list[str] = []
    updated = False
    for item in group:
        for step in item.steps:
            if step.kind == "cleanup":
                cleanups += [] if step.text in cleanups else [step.text]
            elif step.kind == "update" and updated:
                continue
            else:
                updated |= step.kind == "update"
                steps.append(step.text)
    first, last = group[0].run, group[-1].run
    head = doc.text[first.inst.start : first.offset(0)]
    cont = f" {doc.escape}{doc.newline}{_INDENT}&& "
    text = head + cont.join([*steps, *cleanups])
    lines = f"{first.inst.start_line}-{last.inst.end_line}"
    message = f"merge {len(group)} consecutive {group[0].manager} install RUNs (lines {lines}) into one"
    return Fix(first.inst.start_line, message, [Edit(first.inst.start, last.inst.header_end, text)])
