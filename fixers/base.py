"""The fixer contract: what a fixer module provides and what it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from fixers.document import Document
from fixers.edits import Edit
from fixers.records import field, record


class Risk(StrEnum):
    SAFE = "safe"  # no change to what is built, except what it means to remove
    REVIEW = "review"  # changes build inputs on purpose
    REPORT = "report"  # a check: reports, never rewrites


@record(frozen=True)
class Finding:
    code: str
    name: str
    line: int
    message: str


@record(frozen=True)
class FileChange:
    """A rewrite of another file of the build context (a wrapper script)."""

    path: str  # relative to the build context, POSIX separators
    before: bytes
    after: bytes


@record
class Fix:
    line: int  # the instruction's first line; suppression comments apply to it
    message: str
    edits: list[Edit] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)


@record
class FixResult:
    fixes: list[Fix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@record(frozen=True)
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


class ResolveError(Exception):
    """An image could not be resolved. Messages name the image, never a credential."""


class ImageUnreachable(ResolveError):
    """This image cannot be resolved (unknown, access denied, no such registry): a finding."""


class RegistryUnavailable(ResolveError):
    """The registry failed for now (429, 5xx, timeouts after retries): try the file again later."""


@record(frozen=True)
class ImageConfig:
    """What the image config blob says (DM102 uses ``created``; DM106 may use the rest)."""

    digest: str  # of the platform manifest the config belongs to
    created: datetime | None = None  # timezone aware
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    user: str | None = None


class ImageResolver(Protocol):
    """Registry look-ups for the base-image fixers. ``image`` is a repository as written in
    a FROM (``python``, ``ghcr.io/org/app``); the resolver normalises it and applies
    mirrors. Methods raise :class:`ImageUnreachable` or :class:`RegistryUnavailable`."""

    def tags(self, image: str) -> Sequence[str]:
        """Every tag of the repository, sorted."""

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        """The manifest digest of a tag or digest: the index's, or one platform's (``linux/arm64``)."""

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        """The image config of ``reference`` for ``platform``."""


@record(frozen=True)
class ImagePolicy:
    """How DM101 pins and DM102 bumps base images (config section ``images:``)."""

    pin: str = "minor"  # precision of a pin: "major", "minor" or "patch"
    pin_digests: bool = False  # pin as tag@sha256:…
    update_types: frozenset[str] = frozenset({"patch", "digest"})  # of digest, patch, minor, major
    stale_after_days: int | None = None  # propose leaving a line whose newest image is older
    platform: str = "linux/amd64"  # for per-platform look-ups when a FROM names none


@record(frozen=True)
class LabelPolicy:
    """Which labels DM105 adds (config section ``labels:``).

    ``profile``: ``"oci"`` (the OCI annotations whose values come from the repository) or
    ``"openshift"`` (also ``io.k8s.*`` and ``io.openshift.*``). ``alone``: a change that
    only adds labels may open a request by itself (the bot reads it; DM105 does not).
    ``titles``: image titles by Dockerfile path (POSIX, relative to the repository root).
    ``single_image``: the repository builds one image, so its name is that image's title.
    """

    profile: str = "oci"
    alone: bool = False
    titles: Mapping[str, str] = field(default_factory=dict)
    single_image: bool = False


@record
class Context:
    path: str = "Dockerfile"
    repo: RepoInfo = field(default_factory=RepoInfo)
    labels: Mapping[str, str] = field(default_factory=dict)  # configured label values
    label_policy: LabelPolicy = field(default_factory=LabelPolicy)
    files: ContextFiles = field(default_factory=NoFiles)
    offline: bool = True
    resolver: ImageResolver | None = None  # registry look-ups; None: base-image fixers do nothing
    policy: ImagePolicy = field(default_factory=ImagePolicy)


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
