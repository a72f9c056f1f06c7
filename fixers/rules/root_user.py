"""DM206: the final stage runs as root (no USER, or USER root/0)."""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document, Instruction, Stage
from fixers.lazyre import LazyPattern
from fixers.servers import base_known, stage_chain

CODE = "DM206"
NAME = "root-user"
RISK = Risk.REPORT
GUIDELINE = "Support arbitrary user IDs: run as a numeric non-root USER"
MESSAGE = "the image runs as root"
EXPLANATION = """\
OpenShift and hardened Kubernetes clusters run containers with an arbitrary,
non-root user id (guideline 13). An image whose final stage has no USER, or USER
root/0, runs its process as root: a compromise of the process is a compromise of the
container's root. Add a numeric non-root USER (for example `USER 1001`) after the
steps that need root, give group 0 the same permissions as the owner on the
directories the process writes (`chgrp -R 0 DIR && chmod -R g=u DIR`), and the
image works under any user id. dockmend does not add USER itself: which files the
process must write is only known to the image's authors."""
NEEDS_NETWORK = False

# Base images known to set a non-root USER themselves.
_NON_ROOT_BASE = LazyPattern(
    r"non-?root|rootless|unprivileged|^cgr\.dev/chainguard/|^(docker\.io/)?bitnami/|(^|/)jenkins/jenkins"
    r"|(ubi|rhel)\d+/(?!ubi|toolbox)[\w.-]+",  # Red Hat's language and database images
    re.I,
)
_REFERENCE = LazyPattern(r"\$\{(\w+)(?::?([-+])([^}]*))?\}|\$(\w+)")


def _scope(doc: Document, chain: list[Stage], until: Instruction) -> dict[str, str | None]:
    """Variables visible at ``until``: ENV of the whole chain, ARG of its own stage.
    None marks a variable whose value is not known (set by the base image, say)."""
    env: dict[str, str | None] = {}
    for stage in chain:
        args: dict[str, str | None] = {}
        seen = ChainMap(env, args)  # ENV over ARG, as ``args | env``, without a copy per instruction
        for inst in stage.instructions:
            if inst is until:
                break
            if inst.keyword == "ENV":
                for key, value in zip(inst.args[::2], inst.args[1::2], strict=False):
                    env[key] = resolve(value.strip("\"'"), seen)
            elif inst.keyword == "ARG":
                for key, sep, value in (a.partition("=") for a in inst.args):
                    args[key] = resolve(value.strip("\"'"), seen) if sep else doc.global_args.get(key, "")
        else:
            continue
        return args | env
    return env


def resolve(value: str, scope: Mapping[str, str | None]) -> str | None:
    """``value`` with ``$VAR``/``${VAR}`` substituted, or None if one is unknown.
    "" is an ARG declared without default: empty unless passed at build time."""
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        name, modifier, word = match.group(1) or match.group(4), match.group(2), match.group(3) or ""
        got = scope.get(name)
        if got is None or (not got and modifier is None):
            unknown = True  # set by the base image, or meant to be passed in
            return ""
        if modifier == "-":
            return got or word
        if modifier == "+":
            return word if got else ""
        return got

    result = _REFERENCE.sub(substitute, value)
    return None if unknown or "$" in result else result


def is_root(user: str) -> bool:
    name = user.partition(":")[0].strip()
    return name.lower() == "root" or (name.isdigit() and int(name) == 0)


def fix(doc: Document, ctx: Context) -> FixResult:
    chain = stage_chain(doc)
    base = chain[0].base_resolved
    if doc.is_windows(doc.stages[-1]):
        return FixResult()  # Windows has no uid 0; ContainerAdministrator is another model
    users = [inst for stage in chain for inst in stage.instructions if inst.keyword == "USER" and inst.args]
    if not users:
        if chain[0].is_scratch or _NON_ROOT_BASE.search(base) or not base_known(doc, chain[0]):
            return FixResult()  # scratch has no users; other bases may set a non-root USER
        line = doc.instructions[chain[-1].from_index].start_line
        message = "the final stage sets no USER, so it runs as root unless its base image sets one"
        return FixResult(findings=[Finding(CODE, NAME, line, message)])
    last = users[-1]
    value = resolve(last.args[0].strip("\"'"), _scope(doc, chain, last))
    if value is None or not is_root(value):
        return FixResult()
    shown = last.args[0] if value == last.args[0] else f"{last.args[0]} ({value})"
    return FixResult(findings=[Finding(CODE, NAME, last.start_line, f"the final USER is {shown}")])
