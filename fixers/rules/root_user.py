"""DM206: the final stage runs as root (no USER, or USER root/0)."""

from __future__ import annotations

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document

CODE = "DM206"
NAME = "root-user"
RISK = Risk.REPORT
GUIDELINE = "Support arbitrary user IDs: run as a numeric non-root USER"
MESSAGE = "the image runs as root"
EXPLANATION = """\
OpenShift and hardened Kubernetes clusters run containers with an arbitrary,
non-root user id. An image whose final stage has no USER, or USER root/0, runs its
process as root: a compromise of the process is a compromise of the container's
root. Add a numeric non-root USER (for example `USER 1001`) after the steps that
need root, give group 0 the same permissions as the owner on the directories the
process writes (`chgrp -R 0 DIR && chmod -R g=u DIR`), and the image works under
any user id. dockmend does not add USER itself: which files the process must write
is only known to the image's authors."""
NEEDS_NETWORK = False

_ROOT = {"root", "0", "root:root", "0:0", "root:0", "0:root"}


def fix(doc: Document, ctx: Context) -> FixResult:
    final = doc.stages[-1]
    if final.is_scratch or final.parent is not None:
        return FixResult()  # scratch has no users; a child stage inherits its parent's USER
    users = [inst for inst in final.instructions if inst.keyword == "USER"]
    if not users:
        line = doc.instructions[final.from_index].start_line
        return FixResult(findings=[Finding(CODE, NAME, line, "the final stage has no USER, so it runs as root")])
    last = users[-1]
    if last.args and last.args[0].lower() in _ROOT:
        return FixResult(findings=[Finding(CODE, NAME, last.start_line, f"the final USER is {last.args[0]}")])
    return FixResult()
