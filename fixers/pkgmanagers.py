"""Package managers seen in RUN commands: what fills a cache and how to clean it, and
how to append a command to a RUN in its author's layout (:class:`Run`, :func:`tail`).

Tests on the current RUN use tokenized commands (:mod:`fixers.shell`); tests on other
RUNs, where a wrapper such as ``sh -c '…'`` may hide a command, use the raw text, so
that they err on the side of caution.

Over 300 lines: the tables of package managers (commands, caches, flags and the versions
that know them), read by several fixers.
"""

from __future__ import annotations

from fixers.document import Document, Instruction
from fixers.lazyre import LazyPattern
from fixers.records import record
from fixers.shell import Command, Script, Word, parse

_RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "{", "!", "time"})
_ASSIGNMENT = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
# A variable set in front of npm/yarn that moves the cache elsewhere (or HOME).
_CACHE_MOVERS = LazyPattern(r"^(HOME|XDG_CACHE_HOME|npm_config_cache|NPM_CONFIG_CACHE|YARN_CACHE_FOLDER)=")
_UPDATE = "update"


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


def argv(cmd: Command) -> list[Word]:
    """The words from the program on (``then apt-get …`` → ``apt-get …``)."""
    i = 0
    while i < len(cmd.words) and (cmd.words[i].raw in _RESERVED or _ASSIGNMENT.match(cmd.words[i].raw)):
        i += 1
    return cmd.words[i:]


def program(words: list[Word]) -> str:
    """The program's base name, or "" when it is computed (``$PIP``)."""
    if not words or words[0].expands:
        return ""
    return words[0].value.rsplit("/", 1)[-1]


def moves_cache(cmd: Command) -> bool:
    """``HOME=/x npm ci``: the cleanup at the end of the RUN would clean another cache."""
    return any(_CACHE_MOVERS.match(w.raw) for w in cmd.words[: len(cmd.words) - len(argv(cmd))])


@record(frozen=True)
class Cleaner:
    """A package manager whose cache is cleaned by a command at the end of the RUN."""

    name: str
    programs: LazyPattern[str]  # program base names
    triggers: frozenset[str]  # subcommands that fill the cache
    value_opts: frozenset[str]  # options before the subcommand that take a separate value
    cleanup: str  # appended at the end of the RUN
    done: LazyPattern[str]  # text after the last trigger showing the cache is already handled
    cache_dirs: tuple[str, ...]  # a cache/tmpfs mount on one of these keeps the cache out
    always_works: bool = False  # the cleanup cannot fail, even if the manager is absent


_RPM_TRIGGERS = _names(
    "install localinstall groupinstall reinstall update upgrade update-minimal upgrade-minimal "
    "distro-sync distrosync dsync downgrade groupupdate swap builddep group groups module"
)
_RPM_VALUES = _names(
    "--enablerepo --disablerepo --setopt --releasever --installroot -c --config -x --exclude --repo --repoid "
    "--repofrompath --forcearch -R --randomwait -d --debuglevel -e --errorlevel --rpmverbosity"
)
# Cleaned already: `<manager> … clean` in one simple command, or a removed cache path.
_RPM_DONE = LazyPattern(r"\b(yum|dnf[0-9]?(-3)?|microdnf)\b[^;&|\n]*\bclean\b|/var/cache/(yum|dnf|libdnf5)\b")


def _rpm(name: str, programs: str, dirs: tuple[str, ...]) -> Cleaner:
    return Cleaner(name, LazyPattern(programs), _RPM_TRIGGERS, _RPM_VALUES, f"{name} clean all", _RPM_DONE, dirs)


APT = Cleaner(
    "apt-get",
    LazyPattern(r"apt-get|apt"),
    frozenset({_UPDATE}),
    _names("-o -c -t --option --config-file --target-release --default-release"),
    "rm -rf /var/lib/apt/lists/*",
    LazyPattern(r"/var/lib/apt\b"),
    ("/var/lib/apt", "/var/cache/apt"),
    always_works=True,
)
CLEANERS = (
    APT,
    _rpm("yum", r"yum", ("/var/cache/yum", "/var/cache/dnf")),
    _rpm("dnf", r"dnf[0-9]?(-3)?", ("/var/cache/dnf", "/var/cache/yum", "/var/cache/libdnf5")),
    _rpm("microdnf", r"microdnf", ("/var/cache/dnf", "/var/cache/yum")),
    Cleaner(
        "zypper",
        LazyPattern(r"zypper"),
        _names("install in update up dist-upgrade dup patch source-install si install-new-recommends inr"),
        _names("--root -R --reposd-dir -D --cache-dir -C --raw-cache-dir --solv-cache-dir --pkg-cache-dir -c --config"),
        "zypper clean --all",
        LazyPattern(r"\bzypper\b[^;&|\n]*\b(clean|cc)\b|/var/cache/zypp\b"),
        ("/var/cache/zypp",),
    ),
    Cleaner(
        "npm",
        LazyPattern(r"npm"),
        _names("install i isntall add ci update up upgrade install-test it install-ci-test cit"),
        _names("--prefix -C --registry --userconfig --globalconfig --loglevel -w --workspace"),
        "npm cache clean --force",
        LazyPattern(r"\bnpm\b[^;&|\n]*\bcache\s+(clean|clear|rm)\b|/\.npm\b|_cacache"),
        (".npm",),
    ),
    Cleaner(
        "yarn",
        LazyPattern(r"yarn(pkg)?"),
        frozenset({"install", "add", "global", ""}),  # "" = bare `yarn` (an install)
        _names("--cwd --modules-folder --mutex --network-timeout --registry"),
        "yarn cache clean",
        LazyPattern(r"\byarn\b[^;&|\n]*\bcache\s+clean\b|\.cache/yarn|yarn-cache|YARN_CACHE_FOLDER"),
        ("yarn",),
    ),
)


def _operand(words: list[Word], start: int, value_opts: frozenset[str] = frozenset()) -> Word | None:
    """The first word from ``start`` that is neither an option nor an option's value."""
    skip = False
    for word in words[start:]:
        if skip or word.value.startswith("-"):
            skip = not skip and word.value in value_opts
            continue
        return word
    return None


def subcommand(words: list[Word], cleaner: Cleaner) -> str | None:
    """The subcommand after the program ("" when there is none, a bare `yarn`)."""
    word = _operand(words, 1, cleaner.value_opts)
    return "" if word is None else word.value


def cleaner_of(words: list[Word]) -> Cleaner | None:
    name = program(words)
    return next((c for c in CLEANERS if c.programs.fullmatch(name)), None)


def is_trigger(words: list[Word], cleaner: Cleaner) -> bool:
    return cleaner_of(words) is cleaner and subcommand(words, cleaner) in cleaner.triggers


_PIP = LazyPattern(r"pip[0-9.]*")
_PYTHON = LazyPattern(r"python[0-9.]*")
_PIP_VALUES = _names("--proxy --log --cache-dir --retries --timeout --exists-action --trusted-host --cert --python")
_APK_VALUES = _names("-X --repository -p --root --arch --keys-dir --repositories-file --cache-dir --timeout")


def pip_install_word(words: list[Word]) -> Word | None:
    """The ``install`` word of ``pip install`` / ``python -m pip install``."""
    name = program(words)
    if _PIP.fullmatch(name):
        word = _operand(words, 1, _PIP_VALUES)
    elif _PYTHON.fullmatch(name) and [w.value for w in words[1:3]] == ["-m", "pip"]:
        word = _operand(words, 3, _PIP_VALUES)
    else:
        return None
    return word if word is not None and word.raw == "install" else None


def apk_command(words: list[Word]) -> Word | None:
    """The subcommand word of an apk command."""
    return _operand(words, 1, _APK_VALUES) if program(words) == "apk" else None


def apk_add_word(words: list[Word]) -> Word | None:
    """The ``add`` word of ``apk add`` (options may come before it)."""
    word = apk_command(words)
    return word if word is not None and word.raw == "add" else None


def is_apk_update(words: list[Word]) -> bool:
    rest = [w.value for w in words[1:] if w.value not in ("-q", "--quiet", "--no-progress")]
    return program(words) == "apk" and rest == [_UPDATE]


# Removing packages after an install may remove the manager itself (node as a
# build dependency): then an npm/yarn cleanup at the end of the RUN would fail.
_REMOVAL = LazyPattern(
    r"\b(apk\s+del|apt-get\s+[^;&|\n]*\b(purge|remove|autoremove)|(yum|dnf|microdnf|zypper)\s+[^;&|\n]*\b(remove|erase|rm)"
    r"|npm\s+(uninstall|remove|rm|un)|rm\s[^;&|\n]*\b(node|npm|yarn|bin)\b)"
)


def removes_packages(text: str) -> bool:
    return _REMOVAL.search(text) is not None


# Raw-text tests on other RUNs (they may hide commands in `sh -c '…'`).
_APT_READS_LISTS = LazyPattern(
    r"(?:^|(?<=[\s;&|(`'\"/]))(?:apt-get|apt|aptitude|apt-cache)\s[^;&|\n]*?(?<=\s)(?:install|upgrade|dist-upgrade"
    r"|full-upgrade|build-dep|source|download|reinstall|satisfy|show|policy|madison|search|depends|rdepends|showpkg)"
    r"(?=[\s;&|)'\"]|$)"
)
NODESOURCE = "deb.nodesource.com/setup_"  # NodeSource's setup scripts run `apt-get update`


def first_apt_read(text: str) -> int | None:
    """Where ``text`` first uses the apt lists (installs, upgrades, queries), if it does."""
    found = _APT_READS_LISTS.search(text)
    return found.start() if found else None


def refreshes_apt_lists(cmd: Command) -> bool:
    """``apt-get update``, NodeSource's setup script, or ``rm`` of the lists."""
    words = argv(cmd)
    if is_trigger(words, APT) or any(NODESOURCE in w.value for w in words):
        return True
    return program(words) == "rm" and any(w.value.startswith("/var/lib/apt/lists") for w in words)


_CLEAN_PATH = LazyPattern(
    r"/(var/lib/apt/lists|var/cache/(apt|yum|dnf|libdnf5|zypp|apk)|tmp|var/tmp|root/\.cache|root/\.npm"
    r"|usr/local/share/\.cache)(/[^\s]*)?"
)
_RM_FLAGS = frozenset({"-r", "-f", "-R", "-rf", "-fr", "-Rf", "-fR", "--recursive", "--force"})
_CLEAN_COMMANDS = (
    LazyPattern(r"apt-get (clean|autoclean)|apt clean"),
    LazyPattern(r"(yum|dnf|microdnf) (-\S+ )*clean( \S+)*"),
    LazyPattern(r"zypper (-\S+ )*(clean|cc)( \S+)*"),
    LazyPattern(r"npm cache (clean|clear)( --force)?"),
    LazyPattern(r"yarn cache clean( --all)?"),
)


def is_cleanup_command(cmd: Command) -> bool:
    """``rm -rf`` of a cache or temp path, or a package manager's own clean command."""
    words = cmd.words
    if cmd.redirects or cmd.depth or not words or any(w.expands for w in words):
        return False
    if words[0].value == "rm":
        flags = [w.value for w in words[1:] if w.value.startswith("-")]
        paths = [w.value for w in words[1:] if not w.value.startswith("-")]
        return bool(paths) and set(flags) <= _RM_FLAGS and all(_CLEAN_PATH.fullmatch(p) for p in paths)
    line = " ".join(w.value for w in words)
    return any(pattern.fullmatch(line) for pattern in _CLEAN_COMMANDS)


def cache_mounted(inst: Instruction, dirs: tuple[str, ...]) -> bool:
    """A cache or tmpfs mount on (a parent or child of) one of ``dirs``."""
    for mount in inst.mounts():
        if mount.get("type") not in ("cache", "tmpfs"):
            continue
        target = mount.get("target") or mount.get("dst") or mount.get("destination") or ""
        target = target.rstrip("/") + "/"
        if any(d in target or (d + "/").startswith(target) for d in dirs):
            return True
    return False


# Appending cleanup commands at the end of a RUN, in the author's layout.

_CLOSERS = frozenset({"fi", "done", "esac", "}"})
_OPENERS = frozenset({"if", "while", "until", "for", "case", "select", "{"})
_ENDS = frozenset({"exit", "exec", "return"})
_SET_E = LazyPattern(r"-[a-zA-Z]*e[a-zA-Z]*|errexit")


@record(frozen=True)
class Run:
    """A shell-form RUN's command, tokenized, with offsets back into the document."""

    doc: Document
    inst: Instruction
    begin: int  # where the command starts in ``inst.logical.text``
    text: str
    script: Script

    @classmethod
    def of(cls, doc: Document, inst: Instruction) -> Run | None:
        if inst.keyword != "RUN" or inst.json or inst.heredocs:
            return None
        begin = _command_begin(inst)
        if begin is None:
            return None
        text = inst.logical.text[begin:]
        script = parse(text)
        if script.unsure or not script.commands or script.features & {"comment", "function"}:
            return None  # a comment would swallow what is appended; functions make the tokenizer unsure
        return cls(doc, inst, begin, text, script)

    def offset(self, index: int) -> int:
        """The document offset of ``self.text[index]``."""
        return self.inst.logical.offsets[self.begin + index]

    def line(self, index: int) -> int:
        return self.doc.line_of(self.offset(index))

    def has_comment_between(self, start: int, stop: int) -> bool:
        lines = range(self.doc.line_of(start), self.doc.line_of(stop) + 1)
        return any(self.doc.line_text(n).lstrip().startswith("#") for n in lines)


def _command_begin(inst: Instruction) -> int | None:
    """Where the command starts in the logical text, after the keyword and flags."""
    text = inst.logical.text
    pos = len(inst.raw_keyword)
    for flag in inst.flags:
        pos = len(text) - len(text[pos:].lstrip())
        if not text.startswith(flag, pos):
            return None
        pos += len(flag)
    return len(text) - len(text[pos:].lstrip())


@record(frozen=True)
class Tail:
    at: int  # document offset where the new text goes
    inline: bool  # on the same line (one-line RUN, or before a trailing `;`)
    sep: str  # "&&", or ";" under `set -e` in the `cmd; \` style
    leading: bool  # continuation lines start with the operator (`    && cmd`)
    indent: str
    split: bool  # the last statement spans lines: `;` goes on a line of its own


def tail(doc: Document, run: Run) -> Tail | None:
    """Where and how to append commands, or None when appending is not safe."""
    final = run.script.commands[-1]
    if final.op_after in ("&", "|", "&&", "||", ";;", "|&") or program(argv(final)) in _ENDS:
        return None  # background job, unfinished list, or the shell never gets there
    stmt = _statement(run.script.commands)
    sep = ";" if _set_e(run.script) and _op_before(run, stmt) == ";" else "&&"
    body = run.text.rstrip()
    if final.op_after == ";" and body[final.end :].strip() == ";":
        return Tail(run.offset(final.end - 1) + 1, True, sep, True, "", False)  # before the trailing `;`
    at = run.offset(len(body) - 1) + 1
    last = doc.line_of(at - 1)
    if last != run.inst.header_end_line or doc.text[at : doc.line_end(last)].strip():
        return None
    first = run.line(run.script.commands[stmt].start)
    text = doc.line_text(first if first != run.inst.start_line else last)
    indent = text[: len(text) - len(text.lstrip())]
    return Tail(at, last == run.inst.start_line, sep, _leading(run), indent, first != last)


def render(doc: Document, where: Tail, commands: list[str]) -> str:
    """The text to insert at ``where.at``: one command per continuation line, or inline."""
    if where.inline:
        return "".join(("; " if where.sep == ";" else " && ") + c for c in commands)
    cont = f" {doc.escape}{doc.newline}{where.indent}"
    parts = []
    for n, command in enumerate(commands):
        if where.sep == ";":
            parts.append((cont + ";" if n == 0 and where.split else ";") + cont + command)
        else:
            parts.append(cont + "&& " + command if where.leading else " &&" + cont + command)
    return "".join(parts)


def _statement(cmds: list[Command]) -> int:
    """Index of the command that starts the RUN's last statement (`if`, `for`, `(`…)."""
    need = 0
    for i in range(len(cmds) - 1, -1, -1):
        cmd = cmds[i]
        first = cmd.words[0].value if cmd.words else ""
        need += (cmd.op_after == ")") + (first in _CLOSERS) - (first in _OPENERS) - (cmd.op_before == "(")
        if need <= 0:
            return i
    return 0


def _op_before(run: Run, index: int) -> str:
    head = run.text[: run.script.commands[index].start].rstrip()
    while head.endswith(("(", "!")):
        head = head[:-1].rstrip()
    return next((op for op in ("&&", "||", ";", "|", "&") if head.endswith(op)), "")


def _set_e(script: Script) -> bool:
    words = [w.value for w in script.commands[0].words]
    return words[:1] == ["set"] and any(_SET_E.fullmatch(w) for w in words[1:])


def _leading(run: Run) -> bool:
    """Whether the author breaks lines before `&&` (the default) or after it."""
    for cmd in reversed(run.script.commands):
        if cmd.op_before != "&&":
            continue
        op = run.text.rfind("&&", 0, cmd.start)
        before = len(run.text[:op].rstrip()) - 1
        if before >= 0 and run.line(before) != run.line(op):
            return True
        if run.line(op) != run.line(cmd.start):
            return False
    return True


# What the package managers of a base image accept. ``True``: known to support the
# option; ``False``: known to predate it; ``None``: unknown (a custom or unresolved base).
# pip got its cache, and `--no-cache-dir`, in pip 6 (December 2014); apk got `--no-cache`
# in apk-tools 2.5 (Alpine 3.3, January 2016).

_OLD_DISTROS = LazyPattern(
    r"(?<![a-z])(lucid|precise|trusty|utopic|vivid|wily|squeeze|wheezy|jessie"
    r"|ubuntu-?1[0-5]\.\d\d|debian-?[5-8](?![0-9.])|centos-?[5](?![0-9]))(?![a-z])"
)
_NEW_DISTROS = LazyPattern(
    r"(?<![a-z])(xenial|yakkety|zesty|artful|bionic|cosmic|disco|eoan|focal|groovy|hirsute|impish|jammy|kinetic"
    r"|lunar|mantic|noble|oracular|plucky|stretch|buster|bullseye|bookworm|trixie|forky|sid"
    r"|ubuntu-?(1[6-9]|[2-9]\d)\.\d\d|debian-?(9|1\d)(?![0-9]))(?![a-z])"
)
_ALPINE_VERSION = LazyPattern(r"(?<![a-z])alpine-?(\d+)\.(\d+)")
_NUMBER = LazyPattern(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_PATCH_FLOOR = {(2, 7): (2, 7, 9), (3, 3): (3, 3, 6), (3, 4): (3, 4, 3)}
_OLD_PYTHON = frozenset({(2, 5), (2, 6), (3, 0), (3, 1), (3, 2)})
_UBUNTU_OLD = _names("lucid precise trusty utopic vivid wily")
_DEBIAN_OLD = _names("squeeze wheezy jessie")


def _name_and_tag(image: str) -> tuple[str, str] | None:
    image = image.split("@", 1)[0].lower()
    if not image or "$" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    name, _, tag = last.partition(":")
    return name, tag or "latest"


def _version(tag: str) -> tuple[int, int, int] | None:
    found = _NUMBER.match(tag)
    if not found:
        return None
    major, minor, patch = (int(g) if g is not None else -1 for g in found.groups())
    return major, minor, patch


def _alpine_ok(name: str, tag: str) -> bool | None:
    """apk-tools >= 2.5 (Alpine >= 3.3) on an Alpine base, or None when it is no known Alpine."""
    if name == "alpine":
        number = _version(tag)
        return number is None or number[:2] >= (3, 3)  # latest, edge
    found = _ALPINE_VERSION.search(tag)
    if found:
        return (int(found.group(1)), int(found.group(2))) >= (3, 3)
    return True if "alpine" in tag else None


def pip_no_cache_dir(image: str) -> bool | None:
    """Whether pip on ``image`` (a stage's root base) knows ``--no-cache-dir`` (pip >= 6)."""
    parts = _name_and_tag(image)
    if parts is None:
        return None
    name, tag = parts
    number = _version(tag)
    if name in ("python", "pypy"):  # pip from get-pip.py, rebuilt with each tag's image
        if number is None or name == "pypy":
            return True
        # A tag of a line (`2.7`, `3`) was rebuilt until the line's end, with a recent pip;
        # a patch tag superseded before 2015 was not (pip 1.5 in 2.7.8, 3.3.5, 3.4.2).
        if number[2] < 0:
            return number[:2] not in _OLD_PYTHON
        return number >= _PATCH_FLOOR.get(number[:2], (0, 0, 0)) and number[:2] not in _OLD_PYTHON
    if name == "alpine":
        return _alpine_ok(name, tag)
    if name == "ubuntu":
        return tag not in _UBUNTU_OLD and (number is None or number[0] >= 16)
    if name == "debian":
        return tag.split("-")[0] not in _DEBIAN_OLD and (number is None or number[0] >= 9)
    if name in ("centos", "rockylinux", "almalinux", "fedora", "amazonlinux"):
        return number is None or name != "centos" or number[0] >= 6
    if _OLD_DISTROS.search(tag) or (_ALPINE_VERSION.search(tag) and _alpine_ok(name, tag) is False):
        return False
    return True if _NEW_DISTROS.search(tag) or "alpine" in tag else None


def apk_no_cache(image: str) -> bool | None:
    """Whether apk on ``image`` knows ``--no-cache`` (apk-tools >= 2.5, Alpine >= 3.3)."""
    parts = _name_and_tag(image)
    return None if parts is None else _alpine_ok(*parts)
