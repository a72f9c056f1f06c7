"""DM203: the final image runs several processes (a process manager, `&`, services)."""

from __future__ import annotations

import re

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.lazyre import LazyPattern
from fixers.servers import Launch, effective, entry_launches, installs, run_launches, stage_chain

CODE = "DM203"
NAME = "multiple-processes"
RISK = Risk.REPORT
GUIDELINE = "Avoid multiple processes: one service per container"
MESSAGE = "the image runs several processes in one container"
EXPLANATION = """\
The image guidelines ask for one process per container (guideline 3): do not start,
say, a database and sshd in the same container. Containers are cheap and a pod
groups the ones that belong together, sharing network and storage; each image can
then be updated on its own, and signals go straight to the one process that is PID
1 instead of through a supervisor or a shell that backgrounded its children. A
process manager (supervisord, runit, s6-overlay, systemd), a command backgrounded
with `&`, or `service x start && …` in CMD/ENTRYPOINT all mean several processes.
Split them into one image (or one container of the same image) per process, and
start the remaining one in the foreground, with `exec` in a wrapper script.
dockmend only reports this: how to split the services is a design decision."""
NEEDS_NETWORK = False

_MANAGERS = {
    "supervisord": "supervisord",
    "runsvdir": "runit",
    "runsv": "runit",
    "runit": "runit",
    "runit-init": "runit",
    "my_init": "runit (my_init)",
    "s6-svscan": "s6",
    "circusd": "circus",
    "systemd": "systemd",
}
_INIT_PATHS = {"/init": "s6-overlay", "/sbin/init": "an init system", "/usr/sbin/init": "an init system"}
_PACKAGES = LazyPattern(r"(\w+|pip):(supervisor|runit|s6|s6-overlay|circus)")
_VERSION = LazyPattern(r"[=<>!~\[]")
_SERVICE_START = frozenset({"start", "restart"})


def _manager(launch: Launch) -> str | None:
    if not launch.words:
        return None
    return _INIT_PATHS.get(launch.argv[0]) or _MANAGERS.get(launch.program)


def _starts_service(launch: Launch) -> bool:
    """``service x start``, ``/etc/init.d/x start``, ``rc-service x start``."""
    argv = launch.argv
    if launch.program in ("service", "rc-service", "systemctl"):
        return bool(_SERVICE_START & set(argv[1:]))
    return "/init.d/" in argv[0] and bool(_SERVICE_START & set(argv[1:]))


def _entry_reason(launches: list[Launch]) -> str | None:
    for launch in launches:
        manager = _manager(launch)
        if manager:
            return f"starts {manager}, which runs several processes"
    if any(launch.op_after == "&" for launch in launches):
        return "runs a process in the background with &"
    if any(_starts_service(launch) for launch in launches[:-1]):
        return "starts background services (service NAME start) before its main process"
    return None


def _pip_installs(launch: Launch) -> list[tuple[str, str]]:
    argv = launch.argv
    if re.fullmatch(r"python[0-9.]*", launch.program) and argv[1:3] == ["-m", "pip"]:
        argv = argv[2:]
    elif not re.fullmatch(r"pip[0-9.]*", launch.program):
        return []
    if argv[1:2] != ["install"]:
        return []
    return [("pip", _VERSION.split(a)[0].lower()) for a in argv[2:] if not a.startswith("-")]


def _installed_manager(inst: Instruction) -> str | None:
    """The process manager a RUN installs (OS package or pip), or s6-overlay fetched."""
    if inst.keyword == "RUN":
        pairs = [p for launch in run_launches(inst) for p in installs(launch) + _pip_installs(launch)]
        names = [name for manager, name in pairs if _PACKAGES.fullmatch(f"{manager}:{name}")]
        if names:
            return names[0]
    if inst.keyword in ("RUN", "ADD", "COPY") and "s6-overlay" in inst.logical.text:
        return "s6-overlay"
    return None


def fix(doc: Document, ctx: Context) -> FixResult:
    findings = []
    for inst in (effective(doc, "ENTRYPOINT"), effective(doc, "CMD")):
        reason = _entry_reason(entry_launches(inst)) if inst else None
        if inst and reason:
            findings.append(Finding(CODE, NAME, inst.start_line, f"{inst.keyword} {reason}"))
    if findings:
        return FixResult(findings=findings)
    for inst in (i for stage in stage_chain(doc) for i in stage.instructions):
        manager = _installed_manager(inst)
        if manager:
            message = f"{inst.keyword} installs {manager}, a manager of several processes"
            return FixResult(findings=[Finding(CODE, NAME, inst.start_line, message)])
    return FixResult()
