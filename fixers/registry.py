"""The one explicit list of fixers and checks. A test fails if a module is missing."""

from __future__ import annotations

from fixers.base import Fixer
from fixers.rules import root_user

FIXERS: dict[str, Fixer] = {
    "DM206": root_user,
}


def by_name() -> dict[str, str]:
    """Lower-case names and codes to codes, for --select/--ignore and suppressions."""
    names = {f.NAME.lower(): code for code, f in FIXERS.items()}
    names.update({code.lower(): code for code in FIXERS})
    return names
