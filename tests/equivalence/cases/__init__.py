"""Before/after pairs: a Dockerfile, the build-context files it needs, and the fixer to apply.

Dockerfiles name their bases as users do (``debian:bookworm``, ``busybox:1.35``); the
session's registry stands in for docker.io and serves the test's own base images under
every tag the cases use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fixers.base import Fixer, LabelPolicy, RepoInfo
from fixers.document import Document
from fixers.rules import (
    add_labels,
    add_to_copy,
    apt_update_with_install,
    consolidate_cleanup,
    exec_form,
    maintainer_label,
    merge_install_runs,
    reorder_layers,
    wrapper_exec,
)

FIXERS: dict[str, Fixer] = {
    m.CODE: m
    for m in (
        reorder_layers,
        consolidate_cleanup,
        add_labels,
        exec_form,
        wrapper_exec,
        maintainer_label,
        add_to_copy,
        apt_update_with_install,
        merge_install_runs,
    )
}

DEBIAN_TAGS = ("bookworm", "bookworm-slim", "12", "12-slim")


def repository(image: str) -> str:
    """``docker.io/library/debian:12`` and ``debian@sha256:…`` → ``debian``."""
    name = image.split("@")[0]
    name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    return name.removeprefix("docker.io/").removeprefix("library/")


def tag(image: str) -> str:
    name = image.split("@")[0].rsplit("/", 1)[-1]
    return name.partition(":")[2] or "latest"


@dataclass(frozen=True)
class File:
    text: str
    mode: int = 0o644


def script(text: str) -> File:
    return File(text, 0o755)


REPO = RepoInfo(
    name="shop-api",
    url="https://github.com/example/shop-api",
    description="The shop's HTTP API",
    license="Apache-2.0",
    topics=("shop", "api"),
)


@dataclass(frozen=True)
class Case:
    id: str
    code: str  # the fixer under test; its declaration judges the diff
    dockerfile: str
    files: Mapping[str, File] = field(default_factory=dict)
    repo: RepoInfo = REPO
    labels: Mapping[str, str] = field(default_factory=dict)
    label_policy: LabelPolicy = field(default_factory=LabelPolicy)
    rewrite: Fixer | None = None  # a stand-in for the fixer: the deliberately wrong rewrites
    expect: str = "within"  # "within" the declaration, caught "outside" it (wrong rewrites), "identical"
    labels_after: Mapping[str, str] = field(default_factory=dict)  # labels the image must carry, read back
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.code}/{self.id}"

    @property
    def fixer(self) -> Fixer:
        return self.rewrite or FIXERS[self.code]

    def bases(self) -> set[str]:
        """The external images the Dockerfile builds FROM, ARG defaults resolved."""
        doc = Document.parse(self.dockerfile)
        names = {s.name for s in doc.stages if s.name}
        return {s.base_resolved or s.base for s in doc.stages if not s.is_scratch and s.base not in names}
