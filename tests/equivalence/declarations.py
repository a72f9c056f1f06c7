"""What each fixer may change in the image it builds, checked against a semantic diff.

A declaration returns the parts of a diff it does not allow; an empty list means the
rewrite stayed within what the fixer says it does. The checks look only at the two
images (and their processes), never at the fixers' own code.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.equivalence.snapshot import ConfigDiff, FileDiff, ImageDiff

Declaration = Callable[[ImageDiff], list[str]]
AUTHORS = "org.opencontainers.image.authors"

# Package-manager caches and lists: what DM104 exists to remove.
CACHE_DIRS = (
    "/var/lib/apt/lists/",
    "/var/cache/apt/",
    "/var/cache/yum/",
    "/var/cache/dnf/",
    "/var/cache/libdnf5/",
    "/var/cache/zypp/",
    "/var/cache/apk/",
    "/etc/apk/cache/",
    "/usr/local/share/.cache/yarn/",
)
# The folder itself too: `rm -rf ~/.cache/pip` (DM104 on old pips) removes it.
_HOME_CACHES = re.compile(r"^/(root|home/[^/]+)/(\.cache/pip|\.cache/yarn|\.npm)(/|$)")


def _files(diff: ImageDiff, allowed: Callable[[FileDiff], bool]) -> list[str]:
    return [f.show() for f in diff.files if not allowed(f)]


def _config(diff: ImageDiff, allowed: Callable[[ConfigDiff], bool]) -> list[str]:
    return [c.show() for c in diff.config if not allowed(c)]


def nothing(diff: ImageDiff) -> list[str]:
    """DM103: a reordering changes no file and no config of the final image."""
    return _files(diff, lambda f: False) + _config(diff, lambda c: False)


def in_cache(path: str) -> bool:
    return path.startswith(CACHE_DIRS) or bool(_HOME_CACHES.match(path))


def removes_caches(diff: ImageDiff) -> list[str]:
    """DM104: only removals, and only of files under package-manager cache and list folders."""
    return _files(diff, lambda f: f.kind == "removed" and in_cache(f.path)) + _config(diff, lambda c: False)


def adds_labels(diff: ImageDiff) -> list[str]:
    """DM105: new label keys; no existing label changed, no file touched."""

    def allowed(change: ConfigDiff) -> bool:
        before, after = change.before or {}, change.after or {}
        return change.key == "Labels" and all(after.get(k) == v for k, v in before.items())

    return _files(diff, lambda f: False) + _config(diff, allowed)


def exec_form(diff: ImageDiff) -> list[str]:
    """DM106: Cmd/Entrypoint change form, and the process they start keeps its argv."""
    outside = _files(diff, lambda f: False) + _config(diff, lambda c: c.key in ("Cmd", "Entrypoint"))
    if diff.config and not outside:
        before, after = diff.argv or ("not evaluated", "not evaluated")
        if isinstance(before, str) or isinstance(after, str) or before != after:
            outside.append(f"the process changed: {before!r} => {after!r}")
    return outside


def exec_inserted(before: bytes, after: bytes) -> bool:
    """``after`` is ``before`` with ``exec `` put in front of its last command, on one line."""
    old, new = before.split(b"\n"), after.split(b"\n")
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
    if len(old) != len(new) or len(changed) != 1:
        return False
    line, fixed = old[changed[0]], new[changed[0]]
    indent = line[: len(line) - len(line.lstrip())]
    # Only blank lines and comments may follow: `exec` ends the script.
    last = all(not rest.strip() or rest.lstrip().startswith(b"#") for rest in old[changed[0] + 1 :])
    return bool(line.strip()) and last and fixed == indent + b"exec " + line[len(indent) :]


def wrapper_exec(diff: ImageDiff) -> list[str]:
    """DM107: changed scripts, each by one `exec ` on one line; same type, mode, owner."""

    def allowed(change: FileDiff) -> bool:
        old, new = change.before, change.after
        if old is None or new is None or change.before_bytes is None or change.after_bytes is None:
            return False
        same = (old.type, old.mode, old.owner) == (new.type, new.mode, new.owner) == ("f", old.mode, old.owner)
        return same and exec_inserted(change.before_bytes, change.after_bytes)

    return _files(diff, allowed) + _config(diff, lambda c: False)


def maintainer_label(diff: ImageDiff) -> list[str]:
    """DM108: ``Author`` goes, and the authors label carries its value, added beside the
    labels that were there; or the labels are unchanged (the MAINTAINER only went because
    an equal label was already set: the diff cannot show that label, the fixer's table
    checks it). Nothing else changes."""
    changes = {c.key: c for c in diff.config}
    outside = _files(diff, lambda f: False) + _config(diff, lambda c: c.key in ("Author", "Labels"))
    author, labels = changes.get("Author"), changes.get("Labels")
    if author is None or not author.before or author.after is not None:
        return outside + [c.show() for c in (author, labels) if c is not None]
    if labels is None:
        return outside
    before, after = labels.before or {}, labels.after or {}
    if after != {**before, AUTHORS: author.before} or AUTHORS in before:
        outside.append(f"the labels do not add the Author {author.before!r} as {AUTHORS}: {labels.show()}")
    return outside


def same_tree(diff: ImageDiff) -> list[str]:
    """DM109: COPY instead of ADD builds the same files and the same config."""
    return nothing(diff)


DECLARATIONS: dict[str, Declaration] = {
    "DM103": nothing,
    "DM104": removes_caches,
    "DM105": adds_labels,
    "DM106": exec_form,
    "DM107": wrapper_exec,
    "DM108": maintainer_label,
    "DM109": same_tree,
    "DM110": removes_caches,  # the same commands as one RUN: only the apt lists' removal shows
    "DM111": nothing,  # the same commands in the same order, as one layer
}
