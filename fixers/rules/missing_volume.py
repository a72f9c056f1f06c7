"""DM204: a well-known server keeps its data in a directory no VOLUME declares."""

from __future__ import annotations

import re

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document
from fixers.servers import Server, chain_instructions, effective, entry_launches, flag_values, found_servers

CODE = "DM204"
NAME = "missing-volume"
RISK = Risk.REPORT
GUIDELINE = "Use volumes for persistent data and declare them with VOLUME"
MESSAGE = "a server's data directory is not declared as a VOLUME"
EXPLANATION = """\
The image guidelines ask that persistent data live in volumes, declared with VOLUME
(guideline 11). Data written anywhere else in the container is lost when the
container is recreated or moved to another node, and a read-only root filesystem
becomes impossible. Declaring the data directory tells the users of the image which
volume they must mount, and the platform mounts network storage there so the data
follows the container. Add `VOLUME <data directory>` to the final stage, after the
steps that prepare the directory (changes made to a volume path by later RUN steps
are discarded). dockmend reports this only when the Dockerfile itself installs or
starts the server; images built FROM the server's official image inherit its VOLUME."""
NEEDS_NETWORK = False


def _unquote(value: str) -> str:
    return value.strip().strip("\"'")


def _custom_dirs(doc: Document, server: Server) -> list[str]:
    """Data directories moved by ENV (PGDATA) or by a flag of the starting command."""
    found = [
        _unquote(value)
        for inst in chain_instructions(doc, "ENV")
        for key, value in zip(inst.args[::2], inst.args[1::2], strict=False)
        if key in server.moved_by
    ]
    for inst in (effective(doc, "ENTRYPOINT"), effective(doc, "CMD")):
        for launch in entry_launches(inst) if inst else []:
            if re.fullmatch(server.programs, launch.program):
                found += flag_values(launch.argv, [f for f in server.moved_by if f.startswith("-")])
    return found


def _covers(volume: str, directory: str) -> bool:
    volume = volume.rstrip("/") or "/"
    directory = directory.rstrip("/")
    return volume == "/" or f"{directory}/".startswith(f"{volume}/") or volume.startswith(f"{directory}/")


def fix(doc: Document, ctx: Context) -> FixResult:
    volumes = [_unquote(v) for inst in chain_instructions(doc, "VOLUME") for v in inst.args]
    if any("$" in v for v in volumes):
        return FixResult()  # a volume we cannot resolve may well be the data directory
    findings = []
    for server, inst in found_servers(doc):
        dirs = [*_custom_dirs(doc, server), *server.data_dirs]
        if not server.data_dirs or any("$" in d for d in dirs):
            continue
        if not any(_covers(v, d) for v in volumes for d in dirs):
            message = f"{server.name} keeps its data in {dirs[0]}, which no VOLUME declares"
            findings.append(Finding(CODE, NAME, inst.start_line, message))
    return FixResult(findings=findings)
