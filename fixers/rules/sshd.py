"""DM202: an SSH server is installed, started or exposed."""

from __future__ import annotations

import re

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.lazyre import LazyPattern
from fixers.servers import Launch, entry_launches, installs, run_launches

CODE = "DM202"
NAME = "sshd"
RISK = Risk.REPORT
GUIDELINE = "Avoid sshd: use exec into the container instead"
MESSAGE = "the image installs or runs an SSH server"
EXPLANATION = """\
The image guidelines advise against running sshd in a container (guideline 10).
`docker exec`/`podman exec` on a host and `kubectl exec` or `oc rsh` in a cluster
already give a shell in a running container, with the platform's authentication and
audit. An SSH server adds a second process to supervise, host keys and passwords
baked into the image, and one more network service to patch and attack. Remove the
openssh-server (or dropbear) install, the sshd command and `EXPOSE 22`, and use the
platform's exec instead; to move files, use `kubectl cp` or a volume. Images whose
product is an SSH service (a git server, a bastion) can silence this check with
`# dockmend ignore=DM202`."""
NEEDS_NETWORK = False

# Only the server packages: Debian's `ssh` and Alpine's `openssh` also pull the server
# in, but are nearly always installed for the client (git over ssh).
_PACKAGES = LazyPattern(r"\w+:openssh-server(-\S+)?|\w+:dropbear")
_DAEMONS = frozenset({"sshd", "dropbear"})
_SERVICES = frozenset({"ssh", "sshd", "ssh.service", "sshd.service", "dropbear"})
_TURN_ON = frozenset({"start", "restart", "enable", "add", "on", "defaults"})


def _starts_sshd(launch: Launch) -> bool:
    """``sshd``, ``service ssh start``, ``systemctl enable sshd``, ``rc-update add sshd``…"""
    argv = launch.argv
    if launch.program in _DAEMONS:
        return True
    if launch.program in ("service", "rc-service", "rc-update", "systemctl", "update-rc.d", "chkconfig"):
        return bool(_SERVICES & set(argv[1:])) and bool(_TURN_ON & set(argv[1:]))
    return launch.program in _SERVICES and "/init.d/" in argv[0] and bool(_TURN_ON & set(argv[1:]))


def _finding(inst: Instruction, what: str) -> Finding:
    return Finding(CODE, NAME, inst.start_line, what)


def _check(inst: Instruction) -> Finding | None:
    if inst.keyword == "RUN":
        launches = run_launches(inst)
        if any(_PACKAGES.fullmatch(f"{m}:{p}") for launch in launches for m, p in installs(launch)):
            return _finding(inst, "RUN installs an SSH server")
        if any(_starts_sshd(launch) for launch in launches):
            return _finding(inst, "RUN sets up the SSH daemon to run")
    elif inst.keyword in ("CMD", "ENTRYPOINT"):
        if any(_starts_sshd(launch) for launch in entry_launches(inst)):
            return _finding(inst, f"{inst.keyword} starts the SSH daemon")
    elif inst.keyword == "EXPOSE" and any(re.fullmatch(r"22(/tcp)?", port.lower()) for port in inst.args):
        return _finding(inst, "EXPOSE 22 publishes the SSH port")
    return None


def fix(doc: Document, ctx: Context) -> FixResult:
    findings = [f for inst in doc.instructions if (f := _check(inst)) is not None]
    return FixResult(findings=findings)
