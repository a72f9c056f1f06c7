"""Which file names are Dockerfiles, and which folders a walk never enters.

Templates (``Dockerfile.j2``, ``Dockerfile.tpl``, ``Dockerfile.in``,
``Dockerfile.template``) are not Dockerfiles: they are found by no walk and no bot scan;
``dockmend fix`` still processes one named explicitly.
"""

from __future__ import annotations

import fnmatch

NAME_PATTERNS = ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile", "Dockerfile.*", "Containerfile.*")
NOT_DOCKERFILES = ("*.dockerignore",)
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tpl", ".tmpl", ".in", ".template")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv", ".tox"})


def is_template_name(name: str) -> bool:
    return name.lower().endswith(TEMPLATE_SUFFIXES)


def is_dockerfile_name(name: str) -> bool:
    if any(fnmatch.fnmatchcase(name, p) for p in NOT_DOCKERFILES) or is_template_name(name):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in NAME_PATTERNS)
