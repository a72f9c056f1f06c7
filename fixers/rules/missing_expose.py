"""DM205: the image runs a server but declares no EXPOSE."""

from __future__ import annotations

import re

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.lazyre import LazyPattern
from fixers.servers import Launch, chain_instructions, effective, entry_launches, flag_values, found_servers

CODE = "DM205"
NAME = "missing-expose"
RISK = Risk.REPORT
GUIDELINE = "Mark important ports with EXPOSE"
MESSAGE = "the image runs a server but declares no EXPOSE"
EXPLANATION = """\
The image guidelines ask images to mark the ports their software listens on with
EXPOSE (guideline 7). Exposed ports show in `podman ps` and `docker ps`, are part of
the image metadata that `inspect`, platforms and generated manifests read, and
document for people which port to publish; dockmend also derives the
`io.openshift.expose-services` label from them. Add `EXPOSE <port>` to the final
stage for the port the server listens on. dockmend reports this only when the
Dockerfile itself installs or starts a well-known server, or starts an application
server with an explicit port (`gunicorn --bind :8000`, `-Dserver.port=8080`);
images built FROM a server's official image inherit its EXPOSE."""
NEEDS_NETWORK = False

# Application servers whose port shows on their command line: program -> port flags.
_PORT_FLAGS = {
    "gunicorn": ("-b", "--bind"),
    "hypercorn": ("-b", "--bind"),
    "uvicorn": ("--port",),
    "daphne": ("-p", "--port"),
    "waitress-serve": ("--port", "--listen"),
    "flask": ("-p", "--port"),
    "rails": ("-p", "--port"),
    "puma": ("-p", "--port", "-b", "--bind"),
    "java": ("-Dserver.port", "--server.port"),
    "php": ("-S",),
    "jupyter": ("--port",),
    "streamlit": ("--server.port",),
    "http-server": ("-p", "--port"),
}
_POSITIONAL = {"http.server": 1, "manage.py": 2}  # python -m http.server 8000; manage.py runserver :8000
_RUNNERS = frozenset({"bundle", "poetry", "pipenv", "uv", "pdm", "npx", "yarn"})
_PORT = LazyPattern(r"(?:.*:)?(\d{1,5})/?")  # 8000, :8000, 0.0.0.0:8000, tcp://[::]:8000


def _argv(launch: Launch) -> list[str]:
    """The argv with ``python -m``, ``python manage.py`` and ``bundle exec`` removed."""
    argv = launch.argv
    while len(argv) > 1:
        program = argv[0].rsplit("/", 1)[-1]
        if re.fullmatch(r"python[0-9.]*", program):
            argv = argv[2:] if argv[1] == "-m" else argv[1:] if argv[1].endswith("manage.py") else []
        elif program in _RUNNERS:
            argv = argv[2:] if argv[1] in ("exec", "run") else argv[1:] if program == "npx" else []
        else:
            break
    return argv


def _port(value: str) -> int | None:
    match = _PORT.fullmatch(value)
    port = int(match.group(1)) if match else 0
    return port if 0 < port < 65536 else None


def app_port(launch: Launch) -> tuple[str, int] | None:
    """An application server's program and the port its command line gives it."""
    argv = _argv(launch)
    program = argv[0].rsplit("/", 1)[-1] if argv else ""
    values = flag_values(argv, _PORT_FLAGS.get(program, ()))
    where = _POSITIONAL.get(program)
    if where and len(argv) > where and (program != "manage.py" or argv[1] == "runserver"):
        values.append(argv[where])
    ports = [p for p in map(_port, values) if p]
    return (program, ports[0]) if ports else None


def _candidates(doc: Document) -> list[tuple[Instruction, str]]:
    found = [(inst, f"{server.name} listens on port {server.port}") for server, inst in found_servers(doc)]
    for inst in (effective(doc, "ENTRYPOINT"), effective(doc, "CMD")):
        for launch in entry_launches(inst) if inst else []:
            app = app_port(launch)
            if inst and app:
                found.append((inst, f"{app[0]} listens on port {app[1]}"))
    return found


def fix(doc: Document, ctx: Context) -> FixResult:
    if chain_instructions(doc, "EXPOSE"):
        return FixResult()
    findings: dict[int, Finding] = {}
    for inst, what in _candidates(doc):
        message = f"{what} but the final stage declares no EXPOSE"
        findings.setdefault(inst.start_line, Finding(CODE, NAME, inst.start_line, message))
    return FixResult(findings=list(findings.values()))
