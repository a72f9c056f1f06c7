"""DM105: add the missing metadata labels to the final stage, from config and repo data.

One LABEL instruction goes directly after the final FROM. Keys come in the order of
``KEYS`` (the issue's order), then other configured keys sorted by name. A key the
final stage already has (or inherits from an earlier stage it is built FROM) is never
added again, so a second run adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fixers.base import Context, Fix, FixResult, RepoInfo, Risk
from fixers.document import Document, Instruction, Stage
from fixers.edits import Edit

CODE = "DM105"
NAME = "add-labels"
RISK = Risk.SAFE
GUIDELINE = "Define image metadata with LABEL"
MESSAGE = "add the missing metadata labels to the final stage"
EXPLANATION = """\
Labels are the image's metadata: OpenShift and Kubernetes consoles show
`io.k8s.display-name` and `io.k8s.description`, catalogues sort by
`io.openshift.tags`, `io.openshift.expose-services` names the EXPOSEd ports, and the
OCI annotations (`org.opencontainers.image.source`, `licenses`, `base.name`, …) let
scanners and people trace an image back to its repository, licence and base image.
dockmend adds, in the final stage only, the keys that are missing and whose value is
known from the configuration or the repository; existing labels are never changed.
It never adds `created` or `revision`: they change at every build, so pass them as
build arguments (`--label` or `ARG` + `LABEL`) instead of hard-coding them. Labels
change no file of the image and no build step."""
NEEDS_NETWORK = False

KEYS = (
    "io.k8s.description",
    "io.k8s.display-name",
    "io.openshift.tags",
    "io.openshift.expose-services",
    "org.opencontainers.image.title",
    "org.opencontainers.image.description",
    "org.opencontainers.image.source",
    "org.opencontainers.image.url",
    "org.opencontainers.image.licenses",
    "org.opencontainers.image.vendor",
    "org.opencontainers.image.base.name",
)
# Build-time values: hard-coding them makes every later build lie.
NEVER = frozenset(
    {
        "org.opencontainers.image.created",
        "org.opencontainers.image.revision",
        "org.label-schema.build-date",
        "org.label-schema.vcs-ref",
    }
)
MAINTAINER_KEYS = ("maintainer", "org.opencontainers.image.authors")
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

_KEY = re.compile(r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$")  # what hadolint DL3048 accepts
_RESERVED = ("com.docker.", "io.docker.", "org.dockerproject.")
_PORT = re.compile(r"^(\d{1,5})(?:/(tcp|udp|sctp))?$", re.I)
_URL = re.compile(r"^https?://[^\s\"'$\\`]+$")
_SPDX = re.compile(r"^[A-Za-z0-9.+\-() ]+$")
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VARIABLE = re.compile(r"\$(?:\{[^}]*\}|\w+)")


def fix(doc: Document, ctx: Context) -> FixResult:
    final = doc.stages[-1]
    if "\n" not in doc.text:
        return FixResult()  # a one-line file has no line-ending style to follow (the gate refuses)
    origins, certain = _origins(doc, final)
    present = _present_keys(origins, doc.escape)
    if present is None:
        return FixResult()  # a key we cannot read might be any of ours
    ports = _expose_services(origins) if certain else None
    labels = {k: v for k, v in _wanted(final, ctx, ports).items() if k.lower() not in present}
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
    them count, and the lineage is uncertain.
    """
    if "$" in stage.base:
        parts = _VARIABLE.split(stage.base.lower())
        pattern = re.compile(".*".join(re.escape(part) for part in parts))
        candidates = [s for s in doc.stages[: stage.index] if s.name and pattern.fullmatch(s.name)]
        found = {s.index: s for c in candidates for s in _origins(doc, c)[0]}
        return [*(found[i] for i in sorted(found)), stage], not candidates
    if stage.parent is None:
        return [stage], True
    chain, certain = _origins(doc, doc.stages[stage.parent])
    return [*chain, stage], certain


def _instructions(chain: list[Stage]) -> Iterable[Instruction]:
    return (inst for stage in chain for inst in stage.instructions)


def _present_keys(chain: list[Stage], escape: str) -> set[str] | None:
    """Lower-cased label keys already set, or None if one of them is not literal."""
    keys: set[str] = set()
    for inst in _instructions(chain):
        if inst.keyword == "MAINTAINER":
            keys.update(MAINTAINER_KEYS)
        elif inst.keyword == "LABEL" or inst.sub_keyword == "LABEL":
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


def _wanted(final: Stage, ctx: Context, ports: str | None) -> dict[str, str]:
    """Every label DM105 would set, in order, before removing the present ones."""
    derived = _derived(ctx.repo)
    derived["io.openshift.expose-services"] = ports
    derived["org.opencontainers.image.base.name"] = _base_name(final)
    wanted: dict[str, str] = {}
    for key in KEYS:
        value = ctx.labels.get(key, derived.get(key))
        if value is not None and _one_line(value):
            wanted[key] = _one_line(value)
    for key in sorted(set(ctx.labels) - set(KEYS) - NEVER):
        if _valid_key(key) and _one_line(ctx.labels[key]):
            wanted[key] = _one_line(ctx.labels[key])
    return wanted


def _derived(repo: RepoInfo) -> dict[str, str | None]:
    url = repo.url if repo.url and _URL.match(repo.url) else None
    topics = [t for t in repo.topics if _TOPIC.match(t)]
    return {
        "io.k8s.description": repo.description,
        "io.k8s.display-name": repo.name,
        "io.openshift.tags": ",".join(topics) or None,
        "org.opencontainers.image.title": repo.name,
        "org.opencontainers.image.description": repo.description,
        "org.opencontainers.image.source": url,
        "org.opencontainers.image.url": url,
        "org.opencontainers.image.licenses": repo.license if repo.license and _SPDX.match(repo.license) else None,
        "org.opencontainers.image.vendor": repo.vendor,
    }


def _valid_key(key: str) -> bool:
    return bool(_KEY.match(key)) and not key.startswith(_RESERVED)


def _one_line(value: str) -> str:
    """Whitespace runs (newlines included) become one space; control characters go."""
    cleaned = "".join(c if c.isprintable() or c.isspace() else "" for c in value)
    return " ".join(cleaned.split())


def _base_name(final: Stage) -> str | None:
    """The final FROM as written, if it names an image by itself.

    A variable is never resolved to its default: ``--build-arg`` can override it, and
    the label would then name the wrong image.
    """
    if final.parent is not None or final.is_scratch or "$" in final.base:
        return None
    return final.base


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
