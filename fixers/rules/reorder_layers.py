"""DM103: move a package-install RUN above the COPY/ADD instructions it does not depend on.

Over 300 lines: one fixer: what a RUN depends on (paths, variables, package indexes)
decides whether it may move.
"""

from __future__ import annotations

import posixpath
import re

from fixers import lineage, pragmas, shell
from fixers.base import Context, Fix, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.edits import Edit
from fixers.lazyre import LazyPattern
from fixers.lineage import LineageIndex
from fixers.records import field, record, replace

CODE = "DM103"
NAME = "reorder-layers"
RISK = Risk.REVIEW
GUIDELINE = "Order instructions: rarely-changing first (package installs), frequently-changing last (ADD/COPY)"
MESSAGE = "a package-install RUN comes after a COPY/ADD it does not depend on"
EXPLANATION = """\
The builder reuses a cached layer only while every instruction before it is unchanged.
A COPY or ADD of application files changes at almost every commit, so a package
install placed after it runs again, slowly and against whatever the mirrors serve
that day, on every build. dockmend moves such a RUN, with the comments directly above
it, above the COPY/ADD instructions right before it, only when it can show that the
RUN does not depend on them: every command is a package-manager step, user/group
creation, or mkdir/chown/chmod/ln/rm of absolute paths; no path it names, and no path
in an ENV/ARG value, is at, under or above the copied destination; that destination
is outside the system directories (/etc, /usr, /var, /opt, /tmp, /root, ...) where a
copied file could change what any command does; only COPY/ADD lie between; and the
RUN has no --mount. It never puts the RUN right after another RUN (hadolint DL3059).
This is a review change: the build inputs arrive in a different order. Before
merging, check that the RUN needs nothing from the copied files through a route the
Dockerfile does not show, such as a PATH or configuration variable of the base image
pointing into the application directory."""
NEEDS_NETWORK = False


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SYSTEM_TOP = _set(
    "bin boot dev etc home lib lib32 lib64 libx32 lost+found media mnt opt proc root run sbin srv sys tmp usr var"
    " snap nix selinux cdrom sysroot ostree vmlinuz initrd.img vmlinuz.old initrd.img.old"
)
_FEATURES = frozenset({"&&", "||", ";", "quote", "escape", "comment", "redirect", "glob"})
_OPS = frozenset({"", "&&", "||", ";", "\n"})
_QUIET = frozenset({">/dev/null", "1>/dev/null", "2>/dev/null", "&>/dev/null", "2>&1", ">&2", "1>&2"})
_ENV_NAMES = _set("DEBIAN_FRONTEND DEBCONF_NONINTERACTIVE_SEEN TZ LANG LANGUAGE LC_ALL ACCEPT_EULA")
_PKG = LazyPattern(r"[A-Za-z0-9][A-Za-z0-9+._:@~=<>!,\[\]*-]*")
_ARCHIVE = LazyPattern(r"\.(deb|rpm|apk|whl|zip|tgz|tar|gz|bz2|xz|egg)$|\.apk", re.I)
_NAME = LazyPattern(r"[A-Za-z_][A-Za-z0-9_.-]*")
_OWNER = LazyPattern(r"[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]*)?")
_MODE = LazyPattern(r"[0-7]{3,4}|[ugoa]*([-+=]([rwxXst]*|[ugo]))+(,[ugoa]*([-+=]([rwxXst]*|[ugo]))+)*")
_SET = LazyPattern(r"[-+][a-zA-Z]+|pipefail|errexit|nounset|xtrace")
_VAR_PATH = LazyPattern(r"\$\{?(\w+)\}?/")
_ENV_PATH = LazyPattern(r"(?:^|(?<=[\s:=,;\"']))/[^\s:;,\"'=$]*")
_NONE = shell.Word("", "", 0, 0)


@record(frozen=True)
class _Tool:
    flags: frozenset[str]
    valued: frozenset[str]  # options taking a value (path-valued ones included)
    paths: frozenset[str]  # options whose value is a path
    subs: frozenset[str]  # the first operand must be one of these, when set
    operands: str  # packages | virtual | names | paths | links | globs | owner | mode | none
    users: bool


def _tool(flags: str, valued: str = "", paths: str = "", subs: str = "", operands: str = "packages") -> _Tool:
    return _Tool(_set(flags), _set(f"{valued} {paths}"), _set(paths), _set(subs), operands, operands == "names")


_APT = _tool(
    "-y --yes --assume-yes -q --quiet --no-install-recommends --no-install-suggests -f --fix-broken --fix-missing"
    " -m --purge --auto-remove --autoremove --allow-downgrades --no-upgrade --only-upgrade --reinstall",
    "-o --option -t --target-release --default-release",
    subs="update upgrade dist-upgrade full-upgrade install clean autoclean autoremove remove purge",
)
_RPM = _tool(
    "-y --assumeyes -q --quiet --nodocs --best --nobest --allowerasing --skip-broken --refresh --noplugins"
    " --noautoremove",
    "--setopt --enablerepo --disablerepo --enableplugin --disableplugin --releasever -x --exclude",
    subs="install update upgrade clean makecache remove erase reinstall swap autoremove distro-sync module",
)
_USERADD = "-m -M -N -U -r -l -o --system --create-home --no-create-home --no-user-group --user-group --no-log-init"
_TOOLS: dict[str, _Tool] = {
    "apt-get": _APT,
    "apt": _APT,
    "yum": _RPM,
    "dnf": _RPM,
    "microdnf": _RPM,
    "zypper": _tool(
        "-n --non-interactive -q --quiet --no-gpg-checks --gpg-auto-import-keys -y --no-confirm --no-recommends -l"
        " --auto-agree-with-licenses --force-resolution -a --all",
        subs="install in refresh ref update up dist-upgrade dup clean cc remove rm patch",
    ),
    "apk": _tool(
        "--no-cache -U --update --update-cache --upgrade --no-progress -q --quiet --purge --no-network -l --latest",
        "-t --virtual -X --repository",
        subs="add update upgrade del",
        operands="virtual",
    ),
    "pip": _tool(
        "--no-cache-dir -U --upgrade -q --quiet --user --disable-pip-version-check --no-compile --prefer-binary"
        " --break-system-packages --no-warn-script-location",
        "--root-user-action --progress-bar --upgrade-strategy -i --index-url --extra-index-url --trusted-host",
        subs="install",
    ),
    "useradd": _tool(
        _USERADD,
        "-u -g -G -c -e -f -p --uid --gid --groups --comment",
        "-d -b -k -s --home-dir --base-dir --skel --shell",
        operands="names",
    ),
    "adduser": _tool(
        f"{_USERADD} -D -S -H --disabled-password --disabled-login --quiet --group",
        "-u -g -G -c --uid --gid --ingroup --gecos --comment",
        "-h -d -k -s --home --shell",
        operands="names",
    ),
    "groupadd": _tool("-r -f -o --system --force", "-g --gid", operands="names"),
    "addgroup": _tool("-S --system --quiet", "-g --gid", operands="names"),
    "rm": _tool("-r -R -f -v --recursive --force", operands="globs"),
    "mkdir": _tool("-p -v --parents", "-m --mode", operands="paths"),
    "ln": _tool("-s -f -n -T -v --symbolic --force", operands="links"),
    "chown": _tool("-R -h -v -f --recursive", operands="owner"),
    "chmod": _tool("-R -v -f --recursive", operands="mode"),
    "update-ca-certificates": _tool("--fresh -f", operands="none"),
    "ldconfig": _tool("", operands="none"),
    "true": _tool("", operands="none"),
}
_TOOLS["pip3"] = _TOOLS["pip"]


@record
class _Effect:
    """What a RUN touches: the absolute paths it names, and whether it adds users."""

    paths: set[str] = field(default_factory=set)
    users: bool = False


def _norm(path: str) -> str | None:
    if not path.startswith("/") or any(c in path for c in "$`\"'\\{}"):
        return None
    return "/" + posixpath.normpath(path).lstrip("/")


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _app_area(dest: str, users: bool) -> bool:
    """Whether ``dest`` lies where no package, PATH lookup or config read reaches."""
    parts = dest.strip("/").split("/")
    if not parts[0] or parts[0] not in _SYSTEM_TOP:
        return bool(parts[0])
    if parts[:2] == ["usr", "src"] and len(parts) > 2:
        return not parts[2].startswith(("linux", "kernel", "gtest", "googletest", "gmock"))
    return len(parts) > 1 and (parts[0] == "srv" or (parts[0] == "home" and not users))


def _options(tool: _Tool, words: list[shell.Word], effect: _Effect) -> list[shell.Word] | None:
    """Check every option against ``tool``; return the operands (getopt-style, permuted)."""
    operands: list[shell.Word] = []
    values: list[tuple[str, shell.Word]] = []
    it = iter(words)
    for word in it:
        text = word.value
        if text in ("-", "--"):
            return None
        if not text.startswith("-"):
            operands.append(word)
        elif text.startswith("--"):
            name, eq, value = text.partition("=")
            if name in tool.valued:
                values.append((name, replace(word, value=value) if eq else next(it, _NONE)))
            elif name not in tool.flags or eq:
                return None
        else:
            for i, char in enumerate(text[1:], 1):
                if f"-{char}" in tool.valued:
                    rest = text[i + 1 :]
                    values.append((f"-{char}", replace(word, value=rest) if rest else next(it, _NONE)))
                    break
                if f"-{char}" not in tool.flags:
                    return None
    return operands if all(_value(tool, name, value, effect) for name, value in values) else None


def _value(tool: _Tool, name: str, word: shell.Word, effect: _Effect) -> bool:
    if word is _NONE or word.glob:
        return False
    if name in tool.paths:
        path = _norm(word.value)
        effect.paths.update([path] if path else [])
        return path is not None
    return "/" not in word.value or re.match(r"https?://[^/]", word.value) is not None


def _operand_paths(kind: str, operands: list[shell.Word]) -> list[str] | None:
    values = [w.value for w in operands]
    if kind in ("packages", "virtual"):
        names = [v.removeprefix(".") if kind == "virtual" else v for v in values]
        ok = all(_PKG.fullmatch(v) and not _ARCHIVE.search(v) for v in names)
        return [] if ok and not any(w.glob for w in operands) else None
    if kind == "none":
        return None if values else []
    if kind == "names":
        return [] if values and all(_NAME.fullmatch(v) for v in values) else None
    if kind in ("owner", "mode"):
        if len(values) < 2 or not (_OWNER if kind == "owner" else _MODE).fullmatch(values[0]):
            return None
        operands, values = operands[1:], values[1:]
    if not values or (kind == "links" and len(values) < 2):
        return None
    if kind == "globs":  # a glob names no more than the directory it starts in
        values = [re.split(r"/[^/]*[*?\[]", v, maxsplit=1)[0] or "/" for v in values]
    elif any(w.glob for w in operands):
        return None
    paths = [_norm(v) for v in values]
    return [p for p in paths if p] if None not in paths else None


def _command(cmd: shell.Command, effect: _Effect) -> bool:
    if cmd.depth or cmd.op_before not in _OPS or cmd.op_after not in _OPS or set(cmd.redirects) - _QUIET:
        return False
    start = cmd.program_index()
    if any(w.raw.partition("=")[0] not in _ENV_NAMES for w in cmd.words[:start]):
        return False
    words = cmd.words[start:]
    if not words:
        return True
    program, args = words[0].value, words[1:]
    if program == "export":
        return all(w.raw.partition("=")[0] in _ENV_NAMES and "=" in w.raw for w in args)
    if program == "set":
        return all(_SET.fullmatch(w.value) for w in args)
    tool = _TOOLS.get(program)
    operands = _options(tool, args, effect) if tool else None
    if tool is None or operands is None or words[0].quoted:
        return False
    if tool.subs:
        if not operands or operands[0].value not in tool.subs:
            return False
        operands = operands[1:]
    paths = _operand_paths(tool.operands, operands)
    effect.paths.update(paths or ())
    effect.users |= tool.users
    return paths is not None


_REFRESH = {"apt-get": "update", "apt": "update", "apk": "update", "zypper": "refresh ref", "yum": "makecache"}
_REFRESH["dnf"] = _REFRESH["microdnf"] = "makecache"
_INSTALLS = {"apt-get": "install", "apt": "install", "apk": "add", "zypper": "install in", "yum": "install"}
_INSTALLS["dnf"] = _INSTALLS["microdnf"] = "install"


def _refresh_only(script: shell.Script) -> bool:
    """The RUN refreshes a package index it does not install from: that index is for a
    later RUN, and moving one without the other would leave the install on a stale index."""
    managers = {"apt": "apt-get", "microdnf": "dnf", "yum": "dnf"}
    refreshed, installed = set(), set()
    for cmd in script.commands:
        words = [w.value for w in cmd.words[cmd.program_index() :]]
        operands = [w for w in words[1:] if not w.startswith("-")]
        if not words or not operands:
            continue
        name = managers.get(words[0], words[0])
        if operands[0] in _REFRESH.get(words[0], "").split() or (words[0] == "apk" and "--update" in words[1:]):
            refreshed.add(name)
        if operands[0] in _INSTALLS.get(words[0], "").split():
            installed.add(name)
    return bool(refreshed - installed)


def _analyse(command: str) -> _Effect | None:
    """The RUN's effect, when every command in it is understood; else None."""
    script = shell.parse(command)
    if (
        script.unsure
        or script.features - _FEATURES
        or any("{" in w.raw or w.expands for c in script.commands for w in c.words)
        or _refresh_only(script)
    ):
        return None
    effect = _Effect()
    return effect if all(_command(cmd, effect) for cmd in script.commands) else None


@record
class _Paths:
    """Paths named by ENV/ARG values along each stage's lineage, with the position (in
    the stage) each first appeared at, indexed so that "does one of the stage's first k
    overlap this path?" costs the path's depth, not the number of paths or stages. One
    index for the whole file: a stage does not copy its parent's paths."""

    first: LineageIndex  # path -> position
    below: LineageIndex  # proper ancestor -> first position under it

    def add(self, node: int, path: str, position: int) -> None:
        self.first.add(path, node, position)
        for parent in _ancestors(path)[1:]:
            self.below.add(parent, node, position)

    def overlaps(self, path: str, node: int, k: int) -> bool:
        """One of the paths seen in ``node`` before its position ``k`` is ``path``, above it or under it."""
        return self.below.before(path, node, k) or any(self.first.before(a, node, k) for a in _ancestors(path))


def _ancestors(path: str) -> list[str]:
    """``/a/b`` → ``/a/b``, ``/a``, ``/``."""
    found = [path]
    while path != "/":
        path = path.rsplit("/", 1)[0] or "/"
        found.append(path)
    return found


@record
class _Scope:
    """What is in force at an instruction of stage ``node``, through its lineage: the
    WORKDIR (None if unknown), whether the ENV/ARG paths are known (False once one is
    built from an unknown variable; the paths and names themselves are in the file's
    :class:`_Paths` and ``defined`` index, at the stage's ``count`` of paths), whether a
    SHELL was set. Computed in one pass over the file."""

    node: int
    cwd: str | None
    known: bool
    count: int
    shell: bool

    def child(self, node: int) -> _Scope:
        return _Scope(node, self.cwd, self.known, 0, self.shell)


@record
class _Facts:
    paths: _Paths
    dest: dict[int, str | None] = field(default_factory=dict)  # COPY/ADD: where it writes
    env: dict[int, tuple[int, int] | None] = field(default_factory=dict)  # RUN: (stage, count) of ENV/ARG paths
    shell: set[int] = field(default_factory=set)  # RUNs after a SHELL


def _facts(doc: Document) -> _Facts:
    parents = [s.parent if s.parent is not None and s.parent < s.index else None for s in doc.stages]
    tree = lineage.Tree(parents)
    facts = _Facts(_Paths(LineageIndex(tree), LineageIndex(tree)))
    defined = LineageIndex(tree)
    top = _Scope(lineage.ROOT, None, True, 0, False)
    for inst in doc.instructions[: doc.stages[0].from_index]:
        _declare(top, inst, facts.paths, defined)
    ends: dict[int, _Scope] = {}
    for stage, parent in zip(doc.stages, parents, strict=True):
        scope = (ends[parent] if parent is not None else top).child(stage.index)
        if parent is None:
            scope.cwd = "/" if stage.is_scratch else None  # else the base image's WORKDIR, unknown
        for inst in stage.instructions[1:]:
            if inst.keyword in ("COPY", "ADD") and len(inst.args) >= 2:
                dest = inst.args[-1]
                cwd = "/" if dest.startswith("/") else scope.cwd
                facts.dest[inst.index] = _norm(f"{cwd}/{dest}") if cwd else None
            elif inst.keyword == "RUN":
                facts.env[inst.index] = (scope.node, scope.count) if scope.known else None
                if scope.shell:
                    facts.shell.add(inst.index)
            elif inst.keyword == "WORKDIR" and inst.args:
                value = inst.args[0]
                joined = value if value.startswith("/") else f"{scope.cwd}/{value}" if scope.cwd else None
                scope.cwd = _norm(joined) if joined else None
            elif inst.keyword == "SHELL":
                scope.shell = True
            _declare(scope, inst, facts.paths, defined)
        ends[stage.index] = scope
    return facts


def _declare(scope: _Scope, inst: Instruction, paths: _Paths, defined: LineageIndex) -> None:
    """Add the paths an ENV/ARG value names; poison the scope on an unknown variable."""
    pairs = list(zip(inst.args[::2], inst.args[1::2], strict=False)) if inst.keyword == "ENV" else []
    if inst.keyword == "ARG":
        pairs = [(k, v) for k, eq, v in (a.partition("=") for a in inst.args) if eq]
    if not pairs or not scope.known:
        return
    if any(defined.first(m.group(1), scope.node) is None for _, v in pairs for m in _VAR_PATH.finditer(v)):
        scope.known = False
        return
    for name, _ in pairs:
        defined.add(name, scope.node, 0)
    for path in (_norm(p) for _, v in pairs for p in _ENV_PATH.findall(v)):
        if path:
            paths.add(scope.node, path, scope.count)
            scope.count += 1


def _block_start(doc: Document, inst: Instruction) -> int:
    """First line of the comment block directly above ``inst`` (its own line if none)."""
    line = inst.start_line
    floor = doc.instructions[inst.index - 1].end_line if inst.index else 0  # lines of the instruction before
    while line - 1 > floor and doc.line_text(line - 1).lstrip().startswith("#"):
        line -= 1
    return line


def _suppressed(doc: Document, inst: Instruction) -> bool:
    return CODE in pragmas.codes_above(doc, inst.start_line, {NAME: CODE})


def _movable(doc: Document, run: Instruction, facts: _Facts) -> tuple[_Effect, tuple[int, int]] | None:
    if run.keyword != "RUN" or run.json or run.flags or run.heredocs or len(run.args) != 1 or run.stage < 0:
        return None
    if run.index in facts.shell or _suppressed(doc, run):
        return None
    effect, env = _analyse(run.args[0]), facts.env.get(run.index)
    return None if effect is None or env is None else (effect, env)


def _independent(doc: Document, copy: Instruction, effect: _Effect, env: tuple[int, int], facts: _Facts) -> bool:
    if copy.keyword not in ("COPY", "ADD") or _suppressed(doc, copy):
        return False
    dest = facts.dest.get(copy.index)
    if dest is None or not _app_area(dest, effect.users) or facts.paths.overlaps(dest, *env):
        return False
    return not any(_overlap(dest, p) for p in effect.paths)


@record
class _Move:
    run: Instruction
    hopped: list[Instruction]


def _plan(doc: Document) -> list[_Move]:
    """Every move, each computed on the order left by the previous ones, so one pass
    reaches the fixed point. The order is a linked list: a move costs the COPY/ADDs it
    looks at, not the length of the stage."""
    moves: list[_Move] = []
    facts = _facts(doc)
    for stage in doc.stages:
        insts = stage.instructions
        prev = {inst.index: (insts[i - 1].index if i else None) for i, inst in enumerate(insts)}
        after = {inst.index: (insts[i + 1].index if i + 1 < len(insts) else None) for i, inst in enumerate(insts)}
        by_index = {inst.index: inst for inst in insts}
        for run in insts:
            found = _movable(doc, run, facts)
            if found is None:
                continue
            effect, env = found
            hopped: list[Instruction] = []
            before = prev[run.index]
            while before is not None and _independent(doc, by_index[before], effect, env, facts):
                hopped.append(by_index[before])
                before = prev[before]
            hopped.reverse()
            while hopped and before is not None and by_index[before].keyword == "RUN":  # no new DL3059
                before = hopped.pop(0).index
            if not hopped:
                continue
            moves.append(_Move(run, hopped))
            # unlink the RUN and put it before the first hopped instruction
            p, n = prev[run.index], after[run.index]
            assert p is not None  # the RUN hops what is before it
            after[p] = n
            if n is not None:
                prev[n] = p
            first = hopped[0].index
            head = prev[first]
            prev[run.index], after[run.index], prev[first] = head, first, run.index
            if head is not None:
                after[head] = run.index
    return moves


def _message(move: _Move) -> str:
    first, more = move.hopped[0], len(move.hopped) - 1
    command = " ".join(move.run.args[0].split())
    command = command if len(command) <= 50 else command[:49] + "…"
    also = f" and {more} more COPY/ADD" if more else ""
    return f"moved RUN `{command}` (line {move.run.start_line}) above {first.keyword} (line {first.start_line}){also}"


def fix(doc: Document, ctx: Context) -> FixResult:
    fixes: list[Fix] = []
    for move in _plan(doc):
        start, end = doc.line_start(_block_start(doc, move.run)), move.run.end
        text = doc.text[start:end]
        if not text.endswith("\n"):  # the last line of the file: take the newline before it instead
            newline = "\r\n" if doc.text[:start].endswith("\r\n") else "\n"
            start, text = start - len(newline), text + newline
        at = doc.line_start(_block_start(doc, move.hopped[0]))
        fixes.append(Fix(move.run.start_line, _message(move), [Edit.delete(start, end), Edit.insert(at, text)]))
    return FixResult(fixes=fixes)
