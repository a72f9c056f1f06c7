"""Well-known servers and how a Dockerfile shows that it installs or starts them.

Shared by the report-only checks: DM204 (data directories without VOLUME) and DM205
(servers without EXPOSE) use the table; DM202 and DM203 use the recognisers
(packages installed by a RUN, commands started by RUN/CMD/ENTRYPOINT, the stage chain).
Everything here is deliberately conservative: a word the shell would expand, or a
command hidden behind an unknown wrapper, is never guessed at.
"""

from __future__ import annotations

import re
from typing import cast

from fixers.document import Document, Instruction, Stage
from fixers.lazyre import LazyPattern
from fixers.records import record
from fixers.shell import Word, file_memo, parse


@record(frozen=True)
class Server:
    name: str
    packages: str  # regex on "manager:package" (managers: apt, rpm, apk, zypper)
    programs: str  # regex on the basename of the program that runs it
    images: str  # words of image names that already declare VOLUME and EXPOSE
    data: str  # data directories, space separated
    port: int
    moved_by: tuple[str, ...] = ()  # ENV names (PGDATA) and flags (-D) that move the data

    @property
    def data_dirs(self) -> list[str]:
        return self.data.split()


# Package names differ per distribution: RHEL's `postgresql` and `mariadb` are clients.
_PG = r"(apt|apk):postgresql(-\d+(\.\d+)?)?|apk:postgresql\d+|\w+:postgresql(\d+)?-server"
_MY = r"\w+:(mysql|mariadb|mysql-community|percona-server)-server(-[\d.]+)?|apt:default-mysql-server"
SERVERS = (
    Server("PostgreSQL", _PG, r"postgres|postmaster|pg_ctl|pg_ctlcluster", "postgres postgresql postgis timescaledb",
           "/var/lib/postgresql /var/lib/pgsql", 5432, ("PGDATA", "-D")),
    Server("MySQL/MariaDB", _MY + r"|(apk|zypper):(mariadb|mysql)", r"mysqld|mysqld_safe|mariadbd|mariadbd-safe",
           "mysql mariadb percona", "/var/lib/mysql", 3306, ("--datadir",)),
    Server("MongoDB", r"\w+:mongodb(-org)?(-server)?", "mongod", "mongo mongodb", "/data/db /var/lib/mongodb", 27017,
           ("--dbpath",)),
    Server("Redis", r"\w+:redis(-server)?", "redis-server", "redis valkey", "/data /var/lib/redis", 6379),
    Server("Elasticsearch", r"\w+:elasticsearch", "elasticsearch", "elasticsearch opensearch",
           "/usr/share/elasticsearch/data /var/lib/elasticsearch", 9200),
    Server("RabbitMQ", r"\w+:rabbitmq-server", "rabbitmq-server", "rabbitmq", "/var/lib/rabbitmq", 5672),
    Server("Cassandra", r"\w+:cassandra", "cassandra", "cassandra", "/var/lib/cassandra", 9042),
    Server("CouchDB", r"\w+:couchdb", "couchdb", "couchdb", "/opt/couchdb/data /var/lib/couchdb", 5984),
    Server("InfluxDB", r"\w+:influxdb2?", "influxd", "influxdb", "/var/lib/influxdb /var/lib/influxdb2", 8086),
    Server("Memcached", r"\w+:memcached", "memcached", "memcached", "", 11211),
    Server("nginx", r"\w+:(nginx(-full|-light|-extras|-core)?|openresty)", "nginx|openresty", "nginx openresty",
           "", 80),
    Server("Apache httpd", r"(apt|apk|zypper):apache2|\w+:httpd",
           r"httpd|apache2|apachectl|apache2ctl|httpd-foreground|apache2-foreground", "httpd apache apache2", "", 80),
)  # fmt: skip

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_PASS_THROUGH = frozenset({"exec", "nohup", "nice", "tini", "tini-static", "dumb-init", "catatonit", "time"})
_DROP_USER = frozenset({"gosu", "su-exec", "s6-setuidgid"})
_MANAGERS = {"apt-get": "apt", "apt": "apt", "aptitude": "apt", "yum": "rpm", "dnf": "rpm", "microdnf": "rpm"}
_MANAGERS |= {"tdnf": "rpm", "apk": "apk", "zypper": "zypper"}
_INSTALL_VERBS = frozenset({"install", "in", "add"})
_VALUE_OPTIONS = frozenset({"-t", "-o", "-X", "-r", "--virtual", "--repository", "--target-release", "--repo"})
_VALUE_OPTIONS |= {"--setopt", "--enablerepo", "--disablerepo", "--releasever", "--installroot", "--from"}
_HEREDOC = LazyPattern(r"<<-?\s*[\"']?[A-Za-z_][A-Za-z0-9_]*[\"']?")


@record(frozen=True)
class Launch:
    """One simple command that a RUN, CMD or ENTRYPOINT runs, wrappers removed."""

    words: tuple[Word, ...]
    op_after: str = ""  # the shell operator after it ("&", "|", "&&", ...)
    redirects: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        return [w.value for w in self.words]

    @property
    def program(self) -> str:
        return self.words[0].value.rsplit("/", 1)[-1] if self.words else ""


def stage_chain(doc: Document, stage: Stage | None = None) -> list[Stage]:
    """``stage`` (default: the final one) and the stages it is built FROM, root first."""
    return doc.lineage(stage or doc.stages[-1])[::-1]


def chain_instructions(doc: Document, keyword: str) -> list[Instruction]:
    """The final stage chain's instructions with ``keyword`` (ONBUILD ones excluded)."""
    return [i for s in stage_chain(doc) for i in s.instructions if i.keyword == keyword]


def effective(doc: Document, keyword: str) -> Instruction | None:
    """The CMD or ENTRYPOINT the final image runs, if this file sets it."""
    found = chain_instructions(doc, keyword)
    if keyword == "CMD" and found and (entry := effective(doc, "ENTRYPOINT")) and entry.stage > found[-1].stage:
        return None  # an ENTRYPOINT clears the CMD inherited from the parent stage
    return found[-1] if found else None


def base_known(doc: Document, stage: Stage) -> bool:
    """The stage's base image does not hang on a build argument without a default."""
    names = re.findall(r"\$\{?(\w+)", stage.base)
    return all(doc.global_args.get(name) for name in names)


def image_words(image: str) -> set[str]:
    return set(re.split(r"[/:@._-]+", image.lower()))


def _literal(value: str) -> Word:
    return Word(value, value, 0, len(value))


def script_launches(text: str, depth: int = 0) -> list[Launch]:
    """The commands of a shell script, wrappers such as ``sh -c`` and ``gosu`` removed
    (kept for the file being fixed: every check reads the same RUNs; a new list each time)."""
    memo = file_memo()
    if memo is None:
        return _script_launches(text, depth)
    key = ("script_launches", text, depth)
    found = memo.get(key)
    if found is None:
        found = memo[key] = tuple(_script_launches(text, depth))
    return list(cast(tuple[Launch, ...], found))


def _script_launches(text: str, depth: int) -> list[Launch]:
    found: list[Launch] = []
    for cmd in parse(text).commands:
        words = tuple(cmd.words[cmd.program_index() :])
        found += _unwrap(Launch(words, cmd.op_after, tuple(cmd.redirects)), depth)
    return found


def _unwrap(launch: Launch, depth: int) -> list[Launch]:
    words = launch.words
    while words:
        program, args = words[0].value.rsplit("/", 1)[-1], [w.value for w in words[1:]]
        if program in SHELLS or program in ("su", "runuser"):
            flag = next((i for i, a in enumerate(args) if re.fullmatch(r"-[a-z]*c[a-z]*|--command", a)), None)
            if flag is None or flag + 2 >= len(words) or depth > 3:
                break
            return script_launches(words[flag + 2].value, depth + 1)
        skip = 2 if program in _DROP_USER else 1
        if program == "env":
            skip += next((i for i, a in enumerate(args) if "=" not in a and not a.startswith("-")), len(args))
        elif program in _PASS_THROUGH:
            skip += next((i for i, a in enumerate(args) if not a.startswith("-")), len(args))
        elif program not in _DROP_USER:
            break
        words = words[skip:]
    return [Launch(words, launch.op_after, launch.redirects)] if words else []


def run_launches(inst: Instruction) -> list[Launch]:
    """The commands a RUN runs, including heredoc bodies fed to the shell."""
    if inst.json:
        return _unwrap(Launch(tuple(_literal(a) for a in inst.args)), 0)
    command = inst.command
    found = script_launches(_HEREDOC.sub(" ", command) if inst.heredocs else command)
    if inst.heredocs and _heredoc_is_script(command, found):
        for heredoc in inst.heredocs:
            found += script_launches(heredoc.content)
    return found


def _heredoc_is_script(command: str, launches: list[Launch]) -> bool:
    """``RUN <<EOF`` or ``RUN bash <<EOF``: the heredoc is the script, not a file's content."""
    if len(launches) > 1 or len(parse(_HEREDOC.sub(" ", command)).commands) > 1:
        return False
    return not launches or (launches[0].program in SHELLS and "-c" not in launches[0].argv)


def entry_launches(inst: Instruction) -> list[Launch]:
    """The commands a CMD or ENTRYPOINT starts (exec form: the argv, unwrapped)."""
    if inst.json:
        return _unwrap(Launch(tuple(_literal(a) for a in inst.args)), 0)
    return script_launches(inst.command)


def installs(launch: Launch) -> list[tuple[str, str]]:
    """``(manager, package)`` pairs an OS package-manager command installs."""
    manager = _MANAGERS.get(launch.program)
    if manager is None:
        return []
    positional: list[Word] = []
    skip = False
    for word in launch.words[1:]:
        if skip or word.value.startswith("-"):
            skip = not skip and word.value in _VALUE_OPTIONS
            continue
        positional.append(word)
    if not positional or positional[0].value not in _INSTALL_VERBS:
        return []
    return [
        (manager, re.split(r"[=~<>]", w.value, maxsplit=1)[0].lower())
        for w in positional[1:]
        if not w.expands and not w.value.startswith(".")
    ]


def installed(doc: Document, stages: list[Stage]) -> list[tuple[Instruction, str, str]]:
    """``(RUN, manager, package)`` for every OS package installed in ``stages``."""
    return [
        (inst, manager, package)
        for stage in stages
        for inst in stage.instructions
        if inst.keyword == "RUN"
        for launch in run_launches(inst)
        for manager, package in installs(launch)
    ]


def server_image(server: Server, image: str) -> bool:
    """The base image is (a variant of) the server's image, which declares VOLUME/EXPOSE."""
    return bool(set(server.images.split()) & image_words(image))


def found_servers(doc: Document) -> list[tuple[Server, Instruction]]:
    """Servers the final image installs or starts, with the most telling instruction
    (the CMD/ENTRYPOINT that starts it, else the RUN that installs it). Servers whose
    official image is the base are left out: that image already declares them."""
    chain = stage_chain(doc)
    base = chain[0].base_resolved
    if doc.is_windows(doc.stages[-1]):
        return []  # other paths, other package managers
    # Behind an unknown base, a started server may well come with its own image.
    entries = [i for i in (effective(doc, "ENTRYPOINT"), effective(doc, "CMD")) if i and base_known(doc, chain[0])]
    launches = [(i, launch.program) for i in entries for launch in entry_launches(i)]
    packages = [(i, f"{manager}:{package}") for i, manager, package in installed(doc, chain)]
    found: list[tuple[Server, Instruction]] = []
    for server in SERVERS:
        if server_image(server, base):
            continue
        starts = [i for i, program in launches if re.fullmatch(server.programs, program)]
        runs = [i for i, package in packages if re.fullmatch(server.packages, package)]
        if starts or runs:
            found.append((server, (starts or runs)[0]))
    return found


def flag_values(argv: list[str], flags: tuple[str, ...] | list[str]) -> list[str]:
    """Values of ``--flag value`` / ``--flag=value`` / ``-Dvalue`` style arguments."""
    found = []
    for i, arg in enumerate(argv):
        for flag in flags:
            if arg == flag and i + 1 < len(argv):
                found.append(argv[i + 1])
            elif arg.startswith(flag + "=") or (len(flag) == 2 and arg.startswith(flag) and len(arg) > 2):
                found.append(arg[len(flag) :].lstrip("="))
    return found
