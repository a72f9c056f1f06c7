"""The fixer contract: what a fixer module provides and what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from fixers.document import Document
from fixers.edits import Edit


class Risk(StrEnum):
    SAFE = "safe"  # no change to what is built, except what it means to remove
    REVIEW = "review"  # changes build inputs on purpose
    REPORT = "report"  # a check: reports, never rewrites


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    line: int
    message: str


@dataclass(frozen=True)
class FileChange:
    """A rewrite of another file of the build context (a wrapper script)."""

    path: str  # relative to the build context, POSIX separators
    before: bytes
    after: bytes


@dataclass
class Fix:
    line: int  # the instruction's first line; suppression comments apply to it
    message: str
    edits: list[Edit] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)


@dataclass
class FixResult:
    fixes: list[Fix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class RepoInfo:
    """What is known of the repository holding the Dockerfile (labels use it)."""

    name: str | None = None
    url: str | None = None
    description: str | None = None
    license: str | None = None  # SPDX id
    topics: tuple[str, ...] = ()
    vendor: str | None = None


class ContextFiles(Protocol):
    """Read-only access to the build context (the Dockerfile's folder)."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None if absent, outside the context, or too large."""


class NoFiles:
    def read(self, path: str) -> bytes | None:
        return None


@dataclass
class Context:
    path: str = "Dockerfile"
    repo: RepoInfo = field(default_factory=RepoInfo)
    labels: Mapping[str, str] = field(default_factory=dict)  # configured label values
    files: ContextFiles = field(default_factory=NoFiles)
    offline: bool = True


class Fixer(Protocol):
    """A fixer or check module. Codes are stable: DM1xx rewrite, DM2xx report."""

    CODE: str
    NAME: str
    RISK: Risk
    GUIDELINE: str
    MESSAGE: str
    EXPLANATION: str
    NEEDS_NETWORK: bool

    def fix(self, doc: Document, ctx: Context) -> FixResult: ...
