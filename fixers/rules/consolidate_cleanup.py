"""DM104: clean package-manager caches in the same RUN that fills them.

Over 300 lines: one fixer: the cleanup of each package manager, the base's version rules
and the shipped-stage check.
"""

from __future__ import annotations

import re

from fixers import pkgmanagers as pm
from fixers.base import Context, Finding, Fix, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.edits import Edit
from fixers.lazyre import LazyPattern
from fixers.pkgmanagers import Run, render, tail
from fixers.records import record
from fixers.shell import Command, Word

CODE = "DM104"
NAME = "consolidate-cleanup"
RISK = Risk.SAFE
GUIDELINE = "Clean temporary files in the same RUN that made them (`yum install … && yum clean all`)"
MESSAGE = "a package-manager cache is left in the image layer"
EXPLANATION = """\
Every RUN becomes an image layer, and a layer keeps every file its command left
behind: deleting a file in a later RUN only hides it, the bytes still ship with the
image. Package managers leave caches of several to hundreds of MB (apt lists, yum/dnf
metadata, apk indexes, pip wheels, npm and yarn tarballs), so dockmend cleans them in
the RUN that made them: `rm -rf /var/lib/apt/lists/*`, `yum/dnf/microdnf clean all`,
`zypper clean --all`, `apk add --no-cache`, `pip install --no-cache-dir`,
`npm cache clean --force`, `yarn cache clean` (Yarn 1 only), and folds a cleanup-only
RUN that directly follows the install into it. The flags are used only where the
base's tools know them, judged from the root base of the stage's lineage: pip >= 6 for
`--no-cache-dir`, apk-tools >= 2.5 (Alpine >= 3.3) for `--no-cache`; on older bases
(Ubuntu 14.04, Debian jessie, old python patch tags, Alpine 3.1/3.2) and on bases it
does not know, it appends `rm -rf ~/.cache/pip` or `rm -rf /var/cache/apk/*`, which
every version accepts, or leaves the RUN and says why. Only stages that ship are
cleaned: the final stage, stages no other stage uses (`--target`s such as `dev`), the
stages they are built FROM, and stages whose cache folders they copy; a builder stage
used only by `COPY --from` (or `--mount=from=`) is left as it is. It never adds
a cleanup beside one the RUN already does, in any form. It leaves alone RUNs with a
cache mount, and apt lists that a later RUN (or a stage built FROM this one) still reads.
Check that nothing later in the build needs the cache: a script that runs
`apt-get install` without `apt-get update` first, or an offline install."""
NEEDS_NETWORK = False

_POSIX_SHELL = LazyPattern(r"(/usr)?(/bin/)?(ba|da|a|k|z)?sh")
_ABOUT_CACHE = LazyPattern(r"\bcach(e|es|ed|ing)\b", re.I)
_HADOLINT_IGNORE = LazyPattern(r"hadolint\s+ignore=(\S+)")
_HADOLINT_CODES = {
    "DL3009": "apt-get",
    "DL3019": "apk",
    "DL3032": "yum",
    "DL3036": "zypper",
    "DL3040": "dnf microdnf",
    "DL3042": "pip",
    "DL3060": "yarn",
}
_BERRY = LazyPattern(
    r"corepack|yarn\s+set\s+version|yarnPath|--immutable|yarn\s+dlx|\.yarn(rc\.yml|/|\s|$)|\.pnp\.c?js"
)
_YARN_1 = LazyPattern(rb'"packageManager"\s*:\s*"yarn@1\.')
_YARN_2 = LazyPattern(rb'"packageManager"\s*:\s*"yarn@(?!1\.)')
_OFFLINE = LazyPattern(r"--(prefer-)?offline\b|--cache(-folder)?(?=[\s=])")  # npm/yarn relying on a cache
_TESTS = frozenset({"[", "[[", "test", "command", "which", "type", "hash", "grep", "id", "getent", "false"})
_KEEPS_APT = LazyPattern(r"docker-clean|Keep-Downloaded-Packages")  # apt caching set up on purpose
_NOGLOB = LazyPattern(r"\bset\s+(-\w*f|-o\s+noglob)|\bshopt\b")  # globs like lists/* may not expand
_MANAGERS = LazyPattern(r"apt|yum|dnf|zypper|apk|pip|npm|yarn")  # worth tokenizing
_CLEANS = LazyPattern(r"\b(rm|clean|autoclean)\b")
# An apk package cache set up on purpose. Without one, `--no-cache` changes nothing for
# `apk add --no-network` (nothing to download, no index cached) but what hadolint sees.
_APK_CACHE = LazyPattern(r"/etc/apk/cache|setup-apkcache")
_PIP, _APK = "--no-cache-dir", "--no-cache"
# Forms every pip and apk accept: the cache folder's removal at the end of the RUN.
_PIP_RM, _APK_RM = "rm -rf ~/.cache/pip", "rm -rf /var/cache/apk/*"
# The cache already handled in the RUN (or in a cleanup RUN folded into it), in any form.
_PIP_DONE = LazyPattern(
    r"PIP_NO_CACHE_DIR|--no-cache-dir\b|\.cache/pip\b|\.cache/?(\*|\s|$)|\bpip[0-9.]*\s+cache\s+(purge|remove)"
)
_APK_DONE = LazyPattern(r"/var/cache/apk\b|/etc/apk/cache\b|\bapk\s+cache\s+(clean|purge)")
_PIP_MOVERS = LazyPattern(r"(^|\s)(HOME|XDG_CACHE_HOME|PIP_CACHE_DIR)=")
_CACHE_HOMES = ("/root/.cache/pip", "/var/cache/apk", "/var/lib/apt/lists", "/var/cache/yum", "/var/cache/dnf")
_PIP_DIRS = ("/.cache", "pip")
_APK_DIRS = ("/var/cache/apk", "/etc/apk/cache")


@record(frozen=True)
class _Base:
    """What the stage's root base image accepts (see :func:`pm.pip_no_cache_dir`)."""

    image: str
    pip: bool | None  # pip >= 6: `--no-cache-dir`
    apk: bool | None  # apk-tools >= 2.5: `--no-cache`
    pip_cache_moved: bool  # XDG_CACHE_HOME / PIP_CACHE_DIR set: `~/.cache/pip` is not the cache
    apk_cache_kept: bool  # an apk cache set up on purpose (/etc/apk/cache)


def fix(doc: Document, ctx: Context) -> FixResult:
    fixes: list[Fix] = []
    findings: list[Finding] = []
    runs = {i.index: Run.of(doc, i) for i in doc.instructions if i.keyword == "RUN" and _MANAGERS.search(i.original)}
    later = later_lists(doc, runs)
    off = ({"npm", "yarn"} if _OFFLINE.search(doc.text) else set()) | _yarn_off(doc, ctx)
    apk_kept = _APK_CACHE.search(doc.text) is not None
    folded: set[int] = set()
    for stage in (doc.stages[i] for i in sorted(shipped(doc))):
        if not posix(doc, stage):
            continue
        stage_off = off | ({"pip"} if _pip_env(doc, stage) else set())
        root = doc.root(stage).base_resolved
        base = _Base(root, pm.pip_no_cache_dir(root), pm.apk_no_cache(root), _pip_cache_moved(doc, stage), apk_kept)
        for inst in stage.instructions:
            run = None if inst.index in folded else runs.get(inst.index)
            comments = _comments(doc, inst) if run else []
            if run is None or any(_ABOUT_CACHE.search(c) for c in comments):
                continue  # a comment about caches: the author chose what to keep
            keeps = inst.index in later or _KEEPS_APT.search(inst.logical.text) or _NOGLOB.search(run.text)
            run_off = frozenset(stage_off | _ignored(comments) | ({"apt-get"} if keeps else set()))
            found, why = _fix_run(doc, run, run_off, base)
            findings += [Finding(CODE, NAME, inst.start_line, w) for w in why]
            if found:
                fixes.append(found[0])
                folded.update(found[1])
    return FixResult(fixes=fixes, findings=findings)


def shipped(doc: Document) -> set[int]:
    """Stages whose files end up in an image: the final stage and every stage no other
    stage uses (a `--target` such as `dev`), the stages they are built FROM, and stages a
    shipped stage copies a cache folder (or a parent of one) from. A builder stage only
    used by `COPY --from` or `--mount=from=` does not ship."""
    used: set[int] = set()
    for stage in doc.stages:
        used.update([stage.parent] if stage.parent is not None else [])
        for inst in stage.instructions:
            refs = [inst.flag("from") or ""] + [m.get("from", "") for m in inst.mounts()]
            used.update(s.index for s in (doc.stage_by_ref(r) for r in refs if r) if s is not None)
    shipped: set[int] = set()
    todo = [doc.stages[-1], *(s for s in doc.stages if s.index not in used)]
    while todo:
        for stage in doc.lineage(todo.pop()):
            if stage.index in shipped:
                break  # its lineage was walked when it was marked
            shipped.add(stage.index)
            for inst in stage.instructions:
                source = doc.stage_by_ref(inst.flag("from") or "") if inst.keyword in ("COPY", "ADD") else None
                if source is not None and source.index not in shipped and any(_holds_cache(p) for p in inst.args[:-1]):
                    todo.append(source)
    return shipped


def _holds_cache(path: str) -> bool:
    path = "/" + path.strip("/")
    return any(d.startswith(path.rstrip("/") + "/") or d == path for d in _CACHE_HOMES)


_Found = tuple[Fix, list[int]]


def _fix_run(doc: Document, run: Run, off: frozenset[str], base: _Base) -> tuple[_Found | None, list[str]]:
    """The fix of one RUN and the RUNs folded into it (``off``: managers to leave alone),
    and why a cache it leaves is left alone."""
    end = tail(doc, run)
    followers = _followers(doc, run) if end else []
    folded = [" ".join(w.raw for w in c.words) for f in followers for c in f.script.commands]
    edits, said, fallbacks, why = _flag_edits(run, off, base, " ".join(folded), end is not None)
    texts = folded + [c.cleanup for c in _missing(run, off, " ".join(folded))] + fallbacks
    if end and texts:
        edits.append(Edit.insert(end.at, render(doc, end, texts)))
        said += [f"add `{t}`" for t in texts]
    if followers:
        edits.append(Edit.delete(run.inst.end, followers[-1].inst.end))
        said.append(f"fold the cleanup RUN of line {followers[0].inst.start_line} into it")
    if not edits:
        return None, why
    message = "clean package caches in the RUN that makes them: " + "; ".join(said)
    return (Fix(run.inst.start_line, message, _merge(edits)), [f.inst.index for f in followers]), why


def _missing(run: Run, off: frozenset[str], folded: str) -> list[pm.Cleaner]:
    """Cleaners whose cache this RUN fills and leaves, by their last trigger's position."""
    found: dict[pm.Cleaner, tuple[int, bool]] = {}
    unsafe: set[pm.Cleaner] = set()
    cmds = run.script.commands
    for i, cmd in enumerate(cmds):
        words = pm.argv(cmd)
        cleaner = pm.cleaner_of(words)
        if cleaner is None or not pm.is_trigger(words, cleaner):
            continue
        if cleaner.name in ("npm", "yarn") and (pm.moves_cache(cmd) or pm.removes_packages(run.text[cmd.end :])):
            unsafe.add(cleaner)  # the cleanup could clean another cache, or fail once node is gone
        if cleaner.name == "yarn" and "yarn-project" in off and pm.subcommand(words, cleaner) != "global":
            unsafe.add(cleaner)  # maybe Yarn 2+, whose cache holds the installed packages
        sure = cleaner.always_works or _unconditional(cmds, i)
        found[cleaner] = (cmd.end, found.get(cleaner, (0, False))[1] or sure)
    wanted = [
        (after, c)
        for c, (after, sure) in found.items()
        if sure and c not in unsafe and c.name not in off and not c.done.search(run.text[after:] + "\n" + folded)
    ]
    return [c for _, c in sorted(wanted, key=lambda w: w[0]) if not pm.cache_mounted(run.inst, c.cache_dirs)]


def _unconditional(cmds: list[Command], i: int) -> bool:
    """The command is not behind a condition (so its manager exists when the RUN ends)."""
    while not cmds[i].depth and cmds[i].op_before in ("&&", "|"):
        i -= 1
        if pm.program(pm.argv(cmds[i])) in _TESTS:
            return False  # `command -v yum && yum install …`
    return not cmds[i].depth and cmds[i].op_before in ("", ";", "\n", "&")


def _flag_edits(
    run: Run, off: frozenset[str], base: _Base, folded: str, appendable: bool
) -> tuple[list[Edit], list[str], list[str], list[str]]:
    """``--no-cache-dir`` for pip, ``--no-cache`` for apk (and no more ``apk update``), where
    the base's tools know them; else the cache folder's removal, appended at the end.
    Returns the edits, what they do, the commands to append, and why a cache is left."""
    edits: list[Edit] = []
    text = run.text + "\n" + folded
    pip_off = "pip" in off or _PIP_DONE.search(text) or pm.cache_mounted(run.inst, _PIP_DIRS)
    apk_off = "apk" in off or base.apk_cache_kept or _APK_DONE.search(text) or pm.cache_mounted(run.inst, _APK_DIRS)
    pips: list[Word] = []
    apks: list[Word] = []
    for cmd in run.script.commands:
        words = pm.argv(cmd)
        values = {w.value for w in words}
        pip = None if pip_off or values & {"--no-cache-dir", "--cache-dir"} else pm.pip_install_word(words)
        apk = None if apk_off or "--no-cache" in values else pm.apk_add_word(words)
        pips += [pip] if pip else []
        apks += [apk] if apk else []
        if pip and _PIP_MOVERS.search(" ".join(w.raw for w in cmd.words[: len(cmd.words) - len(words)])):
            pip_off = True  # `HOME=/x pip install`: the cache is elsewhere
    said, fallbacks, why = [], [], []
    for found, flag, name, ok, fallback in (
        (pips, _PIP, "pip install", base.pip, _PIP_RM),
        (apks, _APK, "apk add", base.apk, _APK_RM),
    ):
        if not found or (name == "pip install" and pip_off):
            continue
        if ok:
            edits += [Edit.insert(run.offset(w.end - 1) + 1, " " + flag) for w in found]
            said.append(f"add `{flag}` to {name}")
            continue
        known = "predates" if ok is False else "may predate"
        reason = f"`{flag}` is not used: {name.split()[0]} on `{base.image or 'an unknown base'}` {known} it"
        if name == "pip install" and base.pip_cache_moved:
            why.append(f"{reason}, and XDG_CACHE_HOME or PIP_CACHE_DIR moves the cache from `~/.cache/pip`")
        elif not appendable or _NOGLOB.search(run.text):
            why.append(f"{reason}, and `{fallback}` cannot be appended safely to this RUN")
        else:
            fallbacks.append(fallback)
    updates = _apk_updates(run) if base.apk and not apk_off else []
    said += ["drop the `apk update` that `--no-cache` makes useless"] if updates else []
    return edits + updates, said, fallbacks, why


def _apk_updates(run: Run) -> list[Edit]:
    """Delete ``apk update`` when every apk command after it is an add (now --no-cache)."""
    cmds = run.script.commands
    apk = [pm.apk_command(pm.argv(c)) for c in cmds if pm.program(pm.argv(c)) == "apk"]
    if len(re.findall(r"\bapk\b", run.text)) != len(apk):
        return []  # an apk hidden in `sh -c` or xargs may need the index
    if "--no-network" in run.text or any(word is None or word.value not in ("add", "del", "update") for word in apk):
        return []
    edits = []
    for i, cmd in enumerate(cmds[:-1]):
        nxt = cmds[i + 1]
        joins = (cmd.op_before, cmd.op_after) in {("", "&&"), ("", ";"), (";", "&&"), (";", ";"), ("&&", "&&")}
        if pm.is_apk_update(pm.argv(cmd)) and joins and not cmd.redirects and pm.apk_add_word(pm.argv(nxt)):
            start, stop = run.offset(cmd.start), run.offset(nxt.start)
            if not run.has_comment_between(start, stop):
                edits.append(Edit.delete(start, stop))
    return edits


def _followers(doc: Document, run: Run) -> list[Run]:
    """Cleanup-only RUNs right after ``run`` (blank lines between), to fold into it."""
    inst = run.inst
    mounts_ok = all(m.get("type") in ("secret", "ssh") for m in inst.mounts())
    if not mounts_ok or not _installs(run) or _NOGLOB.search(run.text):
        return []
    found: list[Run] = []
    last = inst
    for nxt in (doc.instructions[i] for i in range(inst.index + 1, len(doc.instructions))):  # no copy of the rest
        gap = range(last.end_line + 1, nxt.start_line)
        maybe = nxt.keyword == "RUN" and nxt.stage == inst.stage and not nxt.flags and _CLEANS.search(nxt.original)
        other = Run.of(doc, nxt) if maybe else None
        if other is None or any(doc.line_text(n).strip() for n in gap) or not _cleanup_only(doc, other):
            break
        found.append(other)
        last = nxt
    return found


def _cleanup_only(doc: Document, run: Run) -> bool:
    cmds = run.script.commands
    lines = range(run.inst.start_line, run.inst.end_line + 1)
    if any(doc.line_text(n).lstrip().startswith("#") for n in lines) or run.script.features - {"&&", "glob", "escape"}:
        return False
    return bool(cmds) and all(pm.is_cleanup_command(c) and c.op_after in ("&&", "") for c in cmds)


def _installs(run: Run) -> bool:
    """The RUN installs packages (so a cleanup RUN after it belongs to it)."""
    for cmd in run.script.commands:
        words = pm.argv(cmd)
        manager = pm.cleaner_of(words) and not pm.is_cleanup_command(cmd)
        if manager or pm.pip_install_word(words) or pm.apk_add_word(words):
            return True
    return False


def _merge(edits: list[Edit]) -> list[Edit]:
    """Join inserts at one offset in the order made (a flag before an appended cleanup)."""
    merged: dict[tuple[int, int], str] = {}
    for edit in edits:
        merged[(edit.start, edit.end)] = merged.get((edit.start, edit.end), "") + edit.text
    return [Edit(start, end, text) for (start, end), text in merged.items()]


def _comments(doc: Document, inst: Instruction) -> list[str]:
    """The comment lines right above the instruction and inside it."""
    lines = list(range(inst.start_line, inst.header_end_line + 1))
    n = inst.start_line - 1
    while n >= 1 and doc.line_text(n).lstrip().startswith("#"):
        lines.append(n)
        n -= 1
    return [doc.line_text(k) for k in lines if doc.line_text(k).lstrip().startswith("#")]


def _ignored(comments: list[str]) -> set[str]:
    """Managers whose hadolint rule the author switched off for this RUN."""
    codes = [code for c in comments for m in _HADOLINT_IGNORE.finditer(c) for code in m.group(1).split(",")]
    return {name for code in codes for name in _HADOLINT_CODES.get(code.strip(), "").split()}


def posix(doc: Document, stage: Stage) -> bool:
    """Not a Windows stage, and under a backtick escape only when clearly Linux."""
    base = doc.root(stage).base_resolved
    if doc.is_windows(stage) or (doc.escape == "`" and ("$" in base or not base)):
        return False
    return not doc.inherited(stage, "non-POSIX SHELL", _other_shell)


def _other_shell(stage: Stage) -> bool:
    shells = [i for i in stage.instructions if i.keyword == "SHELL"]
    return not all(i.args and _POSIX_SHELL.fullmatch(i.args[0]) for i in shells)


def _sets(stage: Stage, pattern: LazyPattern[str]) -> bool:
    return any(i.keyword in ("ENV", "ARG") and pattern.search(" ".join(i.args)) for i in stage.instructions)


_MOVES_PIP_CACHE = LazyPattern(r"\b(XDG_CACHE_HOME|PIP_CACHE_DIR)\b")
_PIP_NO_CACHE = LazyPattern(r"PIP_NO_CACHE_DIR")


def _pip_cache_moved(doc: Document, stage: Stage) -> bool:
    return doc.inherited(stage, "pip cache moved", lambda s: _sets(s, _MOVES_PIP_CACHE))


def _pip_env(doc: Document, stage: Stage) -> bool:
    return doc.inherited(stage, "PIP_NO_CACHE_DIR", lambda s: _sets(s, _PIP_NO_CACHE))


def _yarn_off(doc: Document, ctx: Context) -> set[str]:
    """Yarn 2+ runs Plug'n'Play installs from its cache: never clean it. Only `yarn global`
    (gone in Yarn 2) or the build context (a v1 lockfile, yarn@1) show Yarn 1 for sure."""
    manifest = ctx.files.read("package.json") or b""
    if _BERRY.search(doc.text) or ctx.files.read(".yarnrc.yml") is not None or _YARN_2.search(manifest):
        return {"yarn"}
    lock = ctx.files.read("yarn.lock") or b""
    return set() if b"# yarn lockfile v1" in lock or _YARN_1.search(manifest) else {"yarn-project"}


def later_lists(doc: Document, runs: dict[int, Run | None]) -> set[int]:
    """Instructions after which a RUN reads the apt lists they leave (no update or
    removal of the lists in between), in their stage or a stage built FROM it."""
    at_start: dict[int, bool] = {}
    result: set[int] = set()
    consumers = _consumers(doc)
    for stage in reversed(doc.stages):
        needed = any(at_start.get(child.index, False) for child in consumers.get(stage.index, ()))
        needed = needed or any(i.keyword == "ONBUILD" and _apt_effect(i, None) == "reads" for i in stage.instructions)
        for inst in reversed(stage.instructions):
            if needed:
                result.add(inst.index)
            effect = _apt_effect(inst, runs.get(inst.index)) if inst.keyword == "RUN" else ""
            needed = effect == "reads" or (needed and effect != "resets")
        at_start[stage.index] = needed
    return result


def _apt_effect(inst: Instruction, run: Run | None) -> str:
    """Whether the instruction "reads" the apt lists it finds or surely "resets" them
    (downloads them anew or removes them); ``run`` is its tokenized RUN, if any."""
    text = "\n".join([inst.logical.text, *(h.content for h in inst.heredocs)])
    uses = pm.first_apt_read(text)
    if run is None:
        return "" if uses is None else "reads"  # unsure: any use counts
    cmds = run.script.commands
    resets = [c.start + run.begin for i, c in enumerate(cmds) if pm.refreshes_apt_lists(c) and _unconditional(cmds, i)]
    if uses is not None and (not resets or resets[0] > uses):
        return "reads"
    return "resets" if resets else ""


def _consumers(doc: Document) -> dict[int, list[Stage]]:
    """For each stage, the stages built FROM it or copying its apt lists (one pass)."""
    found: dict[int, list[Stage]] = {}
    by_ref: dict[str, Stage] = {}
    for stage in doc.stages:
        if stage.parent is not None and stage.parent >= 0:
            found.setdefault(stage.parent, []).append(stage)
    for other in doc.stages:
        for inst in other.instructions:
            source = by_ref.get((inst.flag("from") or "").lower()) if inst.keyword in ("COPY", "ADD") else None
            paths = inst.args[:-1] if source is not None else ()
            if any("/var/lib/apt/lists/".startswith(p.rstrip("/") + "/") for p in paths):
                assert source is not None
                if other not in found.setdefault(source.index, []):
                    found[source.index].append(other)
        # only earlier stages can be copied from (as a stage); refs are known after the stage
        by_ref[str(other.index)] = other
        if other.name:
            by_ref[other.name.lower()] = other
    return found
