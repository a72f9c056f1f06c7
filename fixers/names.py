"""Which file names are Dockerfiles, and which folders a walk never enters."""

from __future__ import annotations

import fnmatch

NAME_PATTERNS = ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile", "Dockerfile.*", "Containerfile.*")
NOT_DOCKERFILES = ("*.dockerignore",)
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv", ".tox"})


def is_dockerfile_name(name: str) -> bool:
    if any(fnmatch.fnmatchcase(name, p) for p in NOT_DOCKERFILES):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in NAME_PATTERNS)
