"""Git LFS pointers: a file whose bytes in git are a pointer to content stored elsewhere.

A repository that tracks ``Dockerfile`` with Git LFS keeps, in git, only a pointer such as::

    version https://git-lfs.github.com/spec/v1
    oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
    size 12345

(the Git LFS pointer specification, git-lfs/git-lfs docs/spec.md: "Pointer files must be
less than 1024 bytes in size", the ``version`` line first, then ``oid`` and ``size``). The
forge's API gives the pointer, not the file: it is neither parsed nor rewritten, and said
so as the file's reason to be skipped (not as a parse problem).
"""

from __future__ import annotations

SPEC = b"version https://git-lfs.github.com/spec/v1\n"
REASON = "a Git LFS pointer (the file's content is stored in Git LFS): skipped"


def is_pointer(data: bytes) -> bool:
    """The bytes are a Git LFS pointer file."""
    if len(data) >= 1024 or not data.startswith(SPEC):
        return False
    keys = {line.split(b" ", 1)[0] for line in data.splitlines()[1:] if line}
    return {b"oid", b"size"} <= keys
