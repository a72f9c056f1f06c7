"""DM105: add the missing metadata labels that stay true to the final stage.

Only values that come from the repository or the configuration and do not change with
the build: the OCI ``source``, ``description``, ``licenses``, ``title`` (when it names
this image) and ``authors`` (from a MAINTAINER). The OpenShift set only under the
``openshift`` profile or when the file already uses it. One LABEL instruction goes
directly after the final FROM. Keys come in the order of ``OCI_KEYS`` (after
``OPENSHIFT_KEYS`` when those apply), then other configured keys sorted by name. A key
the final stage already has (or inherits from an earlier stage it is built FROM) is
never added again, so a second run adds nothing.

Over 300 lines: one fixer: which labels, whether each value is true and lasting, and the
edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fixers.base import Context, Fix, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.edits import Edit
from fixers.lazyre import LazyPattern

CODE = "DM105"
NAME = "add-labels"
RISK = Risk.SAFE
GUIDELINE = "Define image metadata with LABEL"
MESSAGE = "add the missing metadata labels to the final stage"
EXPLANATION = """\
Labels are the image's metadata: the OCI annotations `org.opencontainers.image.source`,
`description`, `licenses`, `title` and `authors` let scanners, registries and people
trace an image back to its repository, licence and owners. dockmend adds, in the final
stage only, the keys that are missing and whose value comes from the repository or the
configuration and stays true: `source` (the repository URL), `description`, `licenses`
(the SPDX id of the repository's licence), `title` only when it names this image (the
repository builds one image, or a title is configured for this Dockerfile's path; never
the repository's name on every image of a monorepo) and `authors` from a MAINTAINER.
Existing labels are never changed, and no value is a placeholder (`%%VERSION%%`,
`{{…}}`, `@VAR@`) or an unresolved `$VARIABLE`.

It never writes `created`, `revision`, `version`, `base.name` or `base.digest`: they
change with the build or with the FROM line (a hard-coded `base.name` is stale the day
the base is pinned or bumped). Pass them when building instead:

    docker build --label org.opencontainers.image.revision="$(git rev-parse HEAD)" \\
                 --label org.opencontainers.image.created="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .

or declare `ARG VERSION` and `LABEL org.opencontainers.image.version=$VERSION` and pass
`--build-arg VERSION=…`.

The OpenShift labels (`io.k8s.description`, `io.k8s.display-name`, `io.openshift.tags`,
`io.openshift.expose-services` from EXPOSE only) are added under the `openshift`
profile (`labels: {profile: openshift}`) or when the file or the configured label values
already use `io.k8s.*` or `io.openshift.*` keys. A change that only adds labels opens no request by itself
unless `labels: {alone: true}`; it rides along with other fixes. Labels change no file
of the image and no build step."""
NEEDS_NETWORK = False

OPENSHIFT_KEYS = (
    "io.k8s.description",
    "io.k8s.display-name",
    "io.openshift.tags",
    "io.openshift.expose-services",
)
OCI_KEYS = (
    "org.opencontainers.image.title",
    "org.opencontainers.image.description",
    "org.opencontainers.image.source",
    "org.opencontainers.image.licenses",
    "org.opencontainers.image.authors",
)
KEYS = OPENSHIFT_KEYS + OCI_KEYS
# Values of the build or of the FROM line: hard-coding them makes a later build lie.
NEVER = frozenset(
    {
        "org.opencontainers.image.created",
        "org.opencontainers.image.revision",
        "org.opencontainers.image.version",
        "org.opencontainers.image.base.name",
        "org.opencontainers.image.base.digest",
        "org.label-schema.build-date",
        "org.label-schema.vcs-ref",
        "org.label-schema.version",
    }
)
AUTHORS = "org.opencontainers.image.authors"
PLATFORM_PREFIXES = ("io.k8s.", "io.openshift.")
# Only ports whose service is near-certain; a guessed name would mislead the console.
TCP_SERVICES = {
    21: "ftp",
    22: "ssh",
    25: "smtp",
    53: "dns",
    80: "http",
    443: "https",
    3000: "http",
    3306: "mysql",
    5000: "http",
    5432: "postgresql",
    5672: "amqp",
    6379: "redis",
    8000: "http",
    8080: "http",
    8443: "https",
    11211: "memcached",
    27017: "mongodb",
}
UDP_SERVICES = {53: "dns", 123: "ntp"}

_KEY = LazyPattern(r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$")  # what hadolint DL3048 accepts
_RESERVED = ("com.docker.", "io.docker.", "org.dockerproject.")
_PORT = LazyPattern(r"^(\d{1,5})(?:/(tcp|udp|sctp))?$", re.I)
_URL = LazyPattern(r"^https?://[^\s\"'$\\`]+$")
_SPDX = LazyPattern(r"^[A-Za-z0-9.+\-() ]+$")
_TOPIC = LazyPattern(r"^[a-z0-9][a-z0-9-]*$")
_VARIABLE = LazyPattern(r"\$(?:\{[^}]*\}|\w+)")
# %%VERSION%%, {{ .Version }}, @VERSION@ and $VAR / ${VAR}: a template, not a value.
_PLACEHOLDER = LazyPattern(r"%%\w+%%|\{\{.*?\}\}|@[A-Z_][A-Z0-9_]*@|\$(?:\{|[A-Za-z_])")


def fix(doc: Document, ctx: Context) -> FixResult:
    final = doc.stages[-1]
    if "\n" not in doc.text:
        return FixResult()  # a one-line file has no line-ending style to follow (the gate refuses)
    origins, certain = _origins(doc, final)
    present = _present_keys(origins, doc.escape)
    if present is None:
        return FixResult()  # a key we cannot read might be any of ours
    # The profile, a platform label in the file or one in the configuration (which DM105
    # writes: deciding on the file alone would not be idempotent) asks for the platform set.
    used = {*present, *(k.lower() for k in ctx.labels)}
    openshift = ctx.label_policy.profile == "openshift" or any(k.startswith(PLATFORM_PREFIXES) for k in used)
    ports = _expose_services(origins) if certain and openshift else None
    wanted = _wanted(ctx, _maintainer(origins), ports, openshift)
    labels = {k: v for k, v in wanted.items() if k.lower() not in present}
    lines = [f"{key}={quoted}" for key, value in labels.items() if (quoted := _quote(value, doc.escape))]
    if not lines:
        return FixResult()
    from_inst = doc.instructions[final.from_index]
    edit = _insertion(doc, from_inst, lines)
    keys = ", ".join(line.partition("=")[0] for line in lines)
    return FixResult(fixes=[Fix(from_inst.start_line, f"add labels {keys}", [edit])])


def _origins(doc: Document, stage: Stage) -> tuple[list[Stage], bool]:
    """The stages whose labels and ports ``stage`` carries (earlier stages of this file
    it is built FROM, itself last), and whether that lineage is certain.

    ``FROM base-$TARGETARCH`` may name any earlier stage the pattern matches: all of
    them count, and the lineage is uncertain. Each stage is visited once, however many
    paths lead to it (``FROM ${BASE} AS sN`` chains would otherwise double per stage).
    """
    seen: set[int] = set()
    certain, todo = True, [stage]
    while todo:
        current = todo.pop()
        if current.index in seen:
            continue
        seen.add(current.index)
        parents = _parents(doc, current)
        certain = certain and not ("$" in current.base and parents)
        todo += [p for p in parents if p.index not in seen]
    return [doc.stages[i] for i in sorted(seen)], certain


def _parents(doc: Document, stage: Stage) -> list[Stage]:
    if "$" in stage.base:
        parts = _VARIABLE.split(stage.base.lower())
        pattern = re.compile(".*".join(re.escape(part) for part in parts))
        return [s for s in doc.stages[: stage.index] if s.name and pattern.fullmatch(s.name)]
    return [] if stage.parent is None else [doc.stages[stage.parent]]


def _instructions(chain: list[Stage]) -> Iterable[Instruction]:
    return (inst for stage in chain for inst in stage.instructions)


def _present_keys(chain: list[Stage], escape: str) -> set[str] | None:
    """Lower-cased label keys already set, or None if one of them is not literal."""
    keys: set[str] = set()
    for inst in _instructions(chain):
        if inst.keyword == "LABEL" or inst.sub_keyword == "LABEL":
            if len(inst.args) % 2:
                return None
            for word in inst.args[::2]:
                key = _literal(word, escape)
                if key is None:
                    return None
                keys.add(key.lower())
    return keys


def _literal(word: str, escape: str) -> str | None:
    """A label key as the builder reads it; None if it expands a variable."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(word):
        char, after = word[i], word[i + 1 : i + 2]
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                out.append(char)
        elif char == escape and after and (not quote or after in ('"', "$", escape)):
            out.append(after)
            i += 1
        elif char == '"' or (char == "'" and not quote):
            quote = "" if quote else char
        elif char == "$":
            return None
        else:
            out.append(char)
        i += 1
    return None if quote else "".join(out)


def _maintainer(chain: list[Stage]) -> str | None:
    """The image's MAINTAINER (the last one it carries), which becomes its authors."""
    found = [inst.args[0] for inst in _instructions(chain) if inst.keyword == "MAINTAINER" and inst.args]
    return found[-1] if found else None


def _wanted(ctx: Context, maintainer: str | None, ports: str | None, openshift: bool) -> dict[str, str]:
    """Every label DM105 would set, in order, before removing the present ones."""
    repo, policy = ctx.repo, ctx.label_policy
    url = repo.url if repo.url and _URL.match(repo.url) else None
    title = policy.titles.get(ctx.path) or (repo.name if policy.single_image else None)
    derived = {
        "org.opencontainers.image.title": title,
        "org.opencontainers.image.description": repo.description,
        "org.opencontainers.image.source": url,
        "org.opencontainers.image.licenses": repo.license if repo.license and _SPDX.match(repo.license) else None,
        AUTHORS: maintainer,
    }
    if openshift:
        topics = [t for t in repo.topics if _TOPIC.match(t)]
        derived["io.k8s.description"] = repo.description
        derived["io.k8s.display-name"] = title
        derived["io.openshift.tags"] = ",".join(topics) or None
        derived["io.openshift.expose-services"] = ports
    wanted: dict[str, str] = {}
    for key in KEYS:  # a configured value is asked for: it wins, and counts under any profile
        _want(wanted, key, ctx.labels.get(key, derived.get(key)))
    for key in sorted(set(ctx.labels) - set(KEYS) - NEVER):
        if _valid_key(key):
            _want(wanted, key, ctx.labels[key])
    return wanted


def _want(wanted: dict[str, str], key: str, value: str | None) -> None:
    """Set ``key`` unless its value is empty, a template placeholder or unresolved."""
    line = _one_line(value) if value is not None else ""
    if line and not _PLACEHOLDER.search(line):
        wanted[key] = line


def _valid_key(key: str) -> bool:
    return bool(_KEY.match(key)) and not key.startswith(_RESERVED)


def _one_line(value: str) -> str:
    """Whitespace runs (newlines included) become one space; control characters go."""
    cleaned = "".join(c if c.isprintable() or c.isspace() else "" for c in value)
    return " ".join(cleaned.split())


def _expose_services(chain: list[Stage]) -> str | None:
    """``PORT[/PROTO]:NAME,…`` for the EXPOSEd ports, or None unless every port has
    a literal number and a well-known service name (a partial list would mislead)."""
    services: list[str] = []
    for inst in _instructions(chain):
        for word in inst.args if inst.keyword == "EXPOSE" else ():
            match = _PORT.match(word)
            if not match:
                return None  # a variable, a range or a quoted port
            port, proto = int(match.group(1)), (match.group(2) or "tcp").lower()
            name = (TCP_SERVICES if proto == "tcp" else UDP_SERVICES if proto == "udp" else {}).get(port)
            if name is None:
                return None
            entry = f"{port}:{name}" if proto == "tcp" else f"{port}/{proto}:{name}"
            if entry not in services:
                services.append(entry)
    return ",".join(services) or None


def _quote(value: str, escape: str) -> str | None:
    """The value quoted so that BuildKit, buildah and hadolint all read it back.

    Double quotes, with ``\\"`` and ``\\$`` in a ``\\``-escape file. Where the parsers
    disagree (buildah reads quoted words with ``\\`` whatever ``# escape=`` says;
    hadolint takes the escape character as an escape even inside single quotes),
    single quotes, which the builders take literally. A value that fits neither form
    is left out rather than risked.
    """
    if not set('"$\\`') & set(value):
        return f'"{value}"'
    if escape == "\\" and "\\" not in value:
        return '"' + re.sub(r'(["$])', r"\\\1", value) + '"'
    if "'" not in value and not value.endswith(escape) and escape * 2 not in value:
        return f"'{value}'"
    return None


def _insertion(doc: Document, from_inst: Instruction, lines: list[str]) -> Edit:
    first = doc.line_text(from_inst.start_line)
    indent = first[: len(first) - len(first.lstrip())]
    keyword = "label" if from_inst.raw_keyword.islower() else "LABEL"
    joiner = f" {doc.escape}{doc.newline}{indent}{' ' * (len(keyword) + 1)}"
    text = f"{indent}{keyword} {joiner.join(lines)}"
    if doc.lines[from_inst.end_line - 1].endswith("\n"):
        return Edit.insert(from_inst.end, text + doc.newline)
    return Edit.insert(from_inst.end, doc.newline + text)
