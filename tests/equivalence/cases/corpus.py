"""Debian-based files of the shared corpus, as pairs when their build needs nothing but
the base image, the Debian mirror and files a test can create; otherwise a skip reason.

A file qualifies when every external base is ``debian`` (any tag but a digest: the
session serves its bookworm minbase image under every tag, and says so in the case's
note), no RUN downloads anything but Debian packages, and no COPY/ADD needs a file of
the original repository. Each fixer under test that changes a qualifying file makes one pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fixers import shell
from fixers.base import Context, RepoInfo
from fixers.document import Document, DocumentError, Instruction
from fixers.engine import run_fixers
from fixers.registry import by_name
from tests import corpus
from tests.equivalence.cases import DEBIAN_TAGS, FIXERS, Case

DOWNLOADERS = frozenset(
    [
        "curl",
        "wget",
        "git",
        "gpg",
        "gpg2",
        "apt-key",
        "pip",
        "pip3",
        "npm",
        "npx",
        "yarn",
        "gem",
        "go",
        "cargo",
        "composer",
        "svn",
        "hg",
        "bundle",
        "mvn",
        "gradle",
    ]
)
_URL = re.compile(r"\b(https?|ftp)://")
_COMMENT = re.compile(r"(?m)^\s*#.*$")


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str


def _external(doc: Document) -> list[str]:
    names = {s.name for s in doc.stages if s.name}
    return [s.base_resolved or s.base for s in doc.stages if not s.is_scratch and s.base not in names]


def _is_debian(image: str) -> bool:
    return re.sub(r"^(docker\.io/)?(library/)?", "", image).split(":")[0].split("@")[0] == "debian"


def _downloads(inst: Instruction) -> str | None:
    text = _COMMENT.sub("", inst.args[0] if inst.args and not inst.json else " ".join(inst.args))
    if _URL.search(text):
        return f"RUN on line {inst.start_line} fetches a URL"
    script = shell.parse(text)
    if script.unsure:
        return f"RUN on line {inst.start_line} is too complex to tell what it downloads"
    found = sorted({c.program for c in script.commands} & DOWNLOADERS)
    return f"RUN on line {inst.start_line} runs {found[0]}" if found else None


def reason_to_skip(doc: Document) -> str | None:
    """Why this Debian-based file cannot be built here, or None."""
    if any("@" in image for image in _external(doc)):
        return "its base is pinned to a digest of the real debian image"
    for inst in doc.instructions:
        if inst.keyword == "RUN" and (why := _downloads(inst)):
            return f"downloads from outside the Debian mirror: {why}"
        if inst.keyword in ("COPY", "ADD") and inst.flag("from") is None:
            return f"needs files of its repository's build context: {inst.keyword} {' '.join(inst.args)}"
        if inst.keyword in ("COPY", "ADD") and not any(s.name == inst.flag("from") for s in doc.stages):
            return f"copies from another image: {inst.keyword} --from={inst.flag('from')}"
    return None


def _repos() -> dict[str, RepoInfo]:
    return {
        name: RepoInfo(r["repository"].split("/")[-1], f"https://github.com/{r['repository']}", None, r["licence"])
        for name, r in corpus.manifest().items()
    }


def corpus_cases() -> tuple[list[Case], list[Skipped]]:
    """The corpus pairs, and every other Debian-based file with the reason it is not built."""
    cases, skipped, repos = [], [], _repos()
    for path in corpus.files():
        try:
            doc = Document.parse(path.read_bytes())
        except DocumentError:
            continue
        bases = _external(doc)
        if not bases or not all(_is_debian(b) for b in bases):
            continue
        text, name = doc.text, f"corpus/{path.name}"
        if reason := reason_to_skip(doc):
            skipped.append(Skipped(name, f"{path.name}: {reason}"))
            continue
        found = _pairs(name, text, repos.get(path.name, RepoInfo()), bases)
        cases += found
        skipped += [] if found else [Skipped(name, f"{path.name}: no fixer under test changes it")]
    return cases, skipped


def _pairs(name: str, text: str, repo: RepoInfo, bases: list[str]) -> list[Case]:
    others = sorted({b for b in bases if b.split(":", 1)[-1] not in DEBIAN_TAGS})
    note = f"built on the bookworm minbase image in place of {', '.join(others)}" if others else ""
    found = []
    for code, fixer in FIXERS.items():
        report = run_fixers("Dockerfile", text.encode(), Context(repo=repo), [fixer], by_name())
        if report.after != report.before:
            found.append(Case(name, code, text, repo=repo, note=note))
    return found
