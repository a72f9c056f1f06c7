"""Two images as a semantic diff: their file trees and the parts of their configs that matter.

A tree entry is (type, mode, owner, size, link target, content hash) per path; the
config keeps Env, Cmd, Entrypoint, User, WorkingDir, ExposedPorts, Volumes, Labels,
Healthcheck (and OnBuild, StopSignal, Shell). Directory sizes are left out (they depend
on the file system, not the image), and so is the content of the few files that record
*when* they were written (apt and dpkg logs, ldconfig's cache): two builds of one
Dockerfile differ there and nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_KEYS = (
    "Env", "Cmd", "Entrypoint", "User", "WorkingDir", "ExposedPorts", "Volumes", "Labels", "Healthcheck",
    "OnBuild", "StopSignal", "Shell", "Author",
)  # fmt: skip
# Files whose bytes are a log of the build's wall-clock time (presence, type, mode and owner still count).
VOLATILE = frozenset(
    {
        "/var/log/dpkg.log",
        "/var/log/alternatives.log",
        "/var/log/apt/history.log",
        "/var/log/apt/term.log",
        "/var/log/apt/eipp.log.xz",
        "/var/cache/ldconfig/aux-cache",
    }
)
TEXT_LIMIT = 64 * 1024  # changed files up to this size keep their bytes in the diff
_TYPES = {stat.S_IFREG: "f", stat.S_IFDIR: "d", stat.S_IFLNK: "l", stat.S_IFCHR: "c", stat.S_IFBLK: "b"}


@dataclass(frozen=True)
class Entry:
    type: str  # f d l c b p s
    mode: int  # permission bits, setuid/setgid/sticky included
    owner: str  # uid:gid
    size: int = 0
    link: str = ""
    sha256: str = ""

    def show(self) -> str:
        extra = f" -> {self.link}" if self.link else f" {self.size}B {self.sha256[:12]}" if self.type == "f" else ""
        return f"{self.type} {self.mode:04o} {self.owner}{extra}"


def _entry(path: Path, volatile: bool) -> Entry:
    info = path.lstat()
    kind = _TYPES.get(stat.S_IFMT(info.st_mode), "p" if stat.S_ISFIFO(info.st_mode) else "s")
    owner, mode = f"{info.st_uid}:{info.st_gid}", stat.S_IMODE(info.st_mode)
    if kind == "l":
        return Entry(kind, mode, owner, link=os.readlink(path))
    if kind != "f":
        return Entry(kind, mode, owner)
    if volatile:
        return Entry(kind, mode, owner, size=-1, sha256="(volatile)")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return Entry(kind, mode, owner, info.st_size, sha256=digest.hexdigest())


def tree(root: Path) -> dict[str, Entry]:
    """Every path under ``root`` (a mounted image), as absolute image paths."""
    found: dict[str, Entry] = {}
    pending = [root]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as items:
            for item in items:
                image_path = "/" + os.path.relpath(item.path, root)
                found[image_path] = _entry(Path(item.path), image_path in VOLATILE)
                if item.is_dir(follow_symlinks=False):
                    pending.append(Path(item.path))
    return found


def config(raw: dict[str, Any]) -> dict[str, Any]:
    """The keys that matter, empty values (null, [], {}, "") as absent."""
    return {key: raw[key] for key in CONFIG_KEYS if raw.get(key) not in (None, [], {}, "")}


@dataclass(frozen=True)
class FileDiff:
    path: str
    before: Entry | None  # None: added
    after: Entry | None  # None: removed
    before_bytes: bytes | None = None  # for changed regular files up to TEXT_LIMIT
    after_bytes: bytes | None = None

    @property
    def kind(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"

    def show(self) -> str:
        if self.before is None or self.after is None:
            sign, entry = ("+", self.after) if self.before is None else ("-", self.before)
            return f"{sign} {self.path}  {entry.show() if entry else ''}"
        return f"~ {self.path}  {self.before.show()}  =>  {self.after.show()}"


@dataclass(frozen=True)
class ConfigDiff:
    key: str
    before: Any
    after: Any

    def show(self) -> str:
        return f"~ config {self.key}: {self.before!r} => {self.after!r}"


@dataclass
class ImageDiff:
    files: list[FileDiff] = field(default_factory=list)
    config: list[ConfigDiff] = field(default_factory=list)
    # The process each image starts, with any `sh -c` evaluated in the image itself;
    # set when Cmd or Entrypoint differ (see ``argv``). None: not evaluated.
    argv: tuple[tuple[str, ...] | str, tuple[str, ...] | str] | None = None

    def __bool__(self) -> bool:
        return bool(self.files or self.config)

    def show(self, limit: int = 40) -> str:
        lines = [c.show() for c in self.config] + [f.show() for f in self.files]
        if self.argv is not None:
            lines.append(f"  process before: {self.argv[0]!r}\n  process after:  {self.argv[1]!r}")
        more = len(lines) - limit
        return "\n".join(lines[:limit] + ([f"… and {more} more"] if more > 0 else []))


def compare_trees(
    before: dict[str, Entry], after: dict[str, Entry], roots: tuple[Path, Path] | None = None
) -> list[FileDiff]:
    """Changed, added and removed paths, sorted; ``roots`` (the mounts) to keep small files' bytes."""
    found = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        texts: tuple[bytes | None, bytes | None] = (None, None)
        if roots and old and new and old.type == new.type == "f" and max(old.size, new.size) <= TEXT_LIMIT:
            texts = tuple((root / path.lstrip("/")).read_bytes() for root in roots)  # type: ignore[assignment]
        found.append(FileDiff(path, old, new, *texts))
    return found


def compare_configs(before: dict[str, Any], after: dict[str, Any]) -> list[ConfigDiff]:
    return [ConfigDiff(k, before.get(k), after.get(k)) for k in CONFIG_KEYS if before.get(k) != after.get(k)]
