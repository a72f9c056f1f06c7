"""Probes of the comparison itself: one Dockerfile built twice must compare identical,
and deliberately wrong rewrites, each claiming to be a fixer, must fall outside that
fixer's declaration."""

from __future__ import annotations

from dataclasses import dataclass

from fixers.base import Context, FileChange, Fix, FixResult, Risk
from fixers.document import Document
from fixers.edits import Edit
from tests.equivalence.cases import Case, script


@dataclass
class Mutant:
    """A rewrite that replaces ``old`` by ``new`` once, in the Dockerfile or in ``file``."""

    CODE: str
    old: str
    new: str
    file: str | None = None
    NAME: str = "deliberately-wrong"
    RISK: Risk = Risk.SAFE
    GUIDELINE: str = ""
    MESSAGE: str = "a wrong rewrite"
    EXPLANATION: str = "Probes the comparison: it must be caught."
    NEEDS_NETWORK: bool = False

    def fix(self, doc: Document, ctx: Context) -> FixResult:
        if self.file is not None:
            data = (ctx.files.read(self.file) or b"").decode()
            if self.old not in data:
                return FixResult()
            after = data.replace(self.old, self.new, 1).encode()
            return FixResult([Fix(1, self.MESSAGE, files=[FileChange(self.file, data.encode(), after)])])
        at = doc.text.find(self.old)
        if at < 0:
            return FixResult()
        return FixResult([Fix(doc.line_of(at), self.MESSAGE, [Edit(at, at + len(self.old), self.new)])])


_INSTALL = (
    "FROM debian:bookworm\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates\n"
    'CMD ["curl", "--version"]\n'
)
_START = "#!/bin/sh\nmkdir -p /tmp/www\necho ready > /tmp/www/index.html\nhttpd -f -p 8080 -h /tmp/www\n"

CONTROLS = [  # built twice, unchanged: the diff must be empty
    Case("apt-install-twice", "DM104", _INSTALL, expect="identical"),
    Case(
        "busybox-script-twice",
        "DM107",
        'FROM busybox:1.35\nCOPY start.sh /\nCMD ["/start.sh"]\n',
        {"start.sh": script(_START)},
        expect="identical",
    ),
]

MUTANTS = [
    Case(
        "drops-a-package-from-the-install",
        "DM104",
        _INSTALL,
        rewrite=Mutant("DM104", "curl ca-certificates\n", "ca-certificates && rm -rf /var/lib/apt/lists/*\n"),
        expect="outside",
        note="/usr/bin/curl",
    ),
    Case(
        "cleans-outside-the-caches",
        "DM104",
        _INSTALL,
        rewrite=Mutant(
            "DM104", "ca-certificates\n", "ca-certificates && rm -rf /var/lib/apt/lists/* /usr/share/doc/*\n"
        ),
        expect="outside",
        note="/usr/share/doc/",
    ),
    Case(
        "moves-a-run-above-the-copy-it-cleans",
        "DM103",
        "FROM busybox:1.35\nCOPY app/ /srv/app/\nRUN rm -f /srv/app/debug.log\n",
        {"app/run.sh": script("#!/bin/sh\n"), "app/debug.log": script("old log\n")},
        rewrite=Mutant(
            "DM103",
            "COPY app/ /srv/app/\nRUN rm -f /srv/app/debug.log\n",
            "RUN rm -f /srv/app/debug.log\nCOPY app/ /srv/app/\n",
        ),
        expect="outside",
        note="/srv/app/debug.log",
    ),
    Case(
        "changes-an-existing-label",
        "DM105",
        'FROM busybox:1.35\nLABEL maintainer="ops@example.com"\n',
        rewrite=Mutant("DM105", '"ops@example.com"', '"dev@example.com" io.k8s.display-name=shop'),
        expect="outside",
        note="maintainer",
    ),
    Case(
        "splits-a-quoted-argument",
        "DM106",
        "FROM busybox:1.35\nCMD date -u '+%Y-%m-%d %H:%M'\n",
        rewrite=Mutant("DM106", "date -u '+%Y-%m-%d %H:%M'", '["date", "-u", "\'+%Y-%m-%d", "%H:%M\'"]'),
        expect="outside",
        note="the process changed",
    ),
    Case(
        "exec-on-the-wrong-line",
        "DM107",
        'FROM busybox:1.35\nCOPY start.sh /\nCMD ["/start.sh"]\n',
        {"start.sh": script(_START)},
        rewrite=Mutant("DM107", "\nmkdir -p", "\nexec mkdir -p", file="start.sh"),
        expect="outside",
        note="/start.sh",
    ),
]
