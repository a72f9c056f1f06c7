"""The one explicit list of fixers and checks. A test fails if a module is missing."""

from __future__ import annotations

from fixers.base import Fixer
from fixers.rules import (
    add_labels,
    literal_secrets,
    missing_expose,
    missing_volume,
    multiple_processes,
    root_user,
    sshd,
)

FIXERS: dict[str, Fixer] = {
    "DM105": add_labels,
    "DM201": literal_secrets,
    "DM202": sshd,
    "DM203": multiple_processes,
    "DM204": missing_volume,
    "DM205": missing_expose,
    "DM206": root_user,
}


def by_name() -> dict[str, str]:
    """Lower-case names and codes to codes, for --select/--ignore and suppressions."""
    names = {f.NAME.lower(): code for code, f in FIXERS.items()}
    names.update({code.lower(): code for code in FIXERS})
    return names
