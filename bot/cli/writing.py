"""Local writes that lose nothing: what ``dockmend fix`` does to a checkout.

A rewrite is written only if every file it touches still holds the bytes that were
fixed (re-read just before the rename: an editor or another tool may have written
meanwhile), through a temporary file in the same folder that gets the original's mode
and owner and is flushed to disk (fsync) before it replaces the original. A symlink is
followed to its target when that target is inside the same checkout (the link stays a
link); otherwise the file is left alone. Temporary files that a killed run left behind
are removed. Any failure is the file's own error, with its reason: the run goes on.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from fixers.engine import FileReport

SUFFIX = ".dockmend"


class NotWritten(Exception):
    """The file was left alone; the message says why."""


def checkout_root(path: Path) -> Path:
    """The git work tree holding ``path`` (the nearest folder with ``.git``), else its folder.
    A symlink's own folder counts, not its target's."""
    folder = path.resolve() if path.is_dir() and not path.is_symlink() else path.absolute().parent.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def write_report(report: FileReport) -> None:
    """Write the report's rewrite (scripts first, the Dockerfile last). Raises NotWritten."""
    dockerfile = Path(report.path)
    planned = [(dockerfile.parent / c.path, c.before, c.after) for c in report.files]
    planned.append((dockerfile, report.before, report.after))
    root = checkout_root(dockerfile)
    real = [(_target(path, root), before, after) for path, before, after in planned]
    for (path, before, _), (shown, _, _) in zip(real, planned, strict=True):
        _unchanged(path, before, shown)
    for path, before, after in real:
        if before != after:
            _replace(path, before, after)


def _target(path: Path, root: Path) -> Path:
    """Where to write ``path``: itself, or a symlink's target inside ``root``."""
    if not path.is_symlink():
        return path
    target = path.resolve()
    if not target.is_relative_to(root):
        raise NotWritten(f"{path} is a symlink to {target}, outside the checkout {root}: left alone")
    if not target.is_file():
        raise NotWritten(f"{path} is a symlink to {target}, which is not a file: left alone")
    return target


def _unchanged(path: Path, before: bytes, shown: Path) -> None:
    try:
        now = path.read_bytes()
    except OSError as exc:
        raise NotWritten(f"cannot read {shown} again before writing: {exc.strerror}") from None
    if now != before:
        raise NotWritten(f"{shown} changed while dockmend ran: left alone (run dockmend again)")


def _replace(target: Path, before: bytes, data: bytes) -> None:
    _remove_stale(target)
    try:
        import tempfile  # only when a file is written (with shutil, a tenth of a lean start)

        info = target.stat()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=SUFFIX)
    except OSError as exc:
        raise NotWritten(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, info.st_mode & 0o7777)
        with contextlib.suppress(PermissionError):  # only root may give a file to someone else
            os.chown(tmp, info.st_uid, info.st_gid)
        if target.read_bytes() != before:  # the last moment: nothing else wrote it meanwhile
            raise NotWritten(f"{target} changed while dockmend ran: left alone (run dockmend again)")
        os.replace(tmp, target)
    except NotWritten:
        Path(tmp).unlink(missing_ok=True)
        raise
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise NotWritten(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _remove_stale(target: Path) -> None:
    """Temporary files of this file that a killed run left behind."""
    for stale in target.parent.glob(f".{target.name}.*{SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
