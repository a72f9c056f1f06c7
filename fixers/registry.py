"""The one explicit list of fixers and checks. A test fails if a module is missing.

The order is the order the engine applies rewrites in: base images first (a pin or a
bump changes the FROM that labels name), then cleanup before reordering (a folded
cleanup RUN moves with its install), exec form, wrapper scripts, and labels last.
"""

from __future__ import annotations

from fixers.base import Fixer
from fixers.rules import (
    add_labels,
    bump_base_tag,
    consolidate_cleanup,
    exec_form,
    literal_secrets,
    missing_expose,
    missing_volume,
    multiple_processes,
    pin_base_tag,
    reorder_layers,
    root_user,
    sshd,
    unreachable_base,
    wrapper_exec,
)

FIXERS: dict[str, Fixer] = {
    "DM101": pin_base_tag,
    "DM102": bump_base_tag,
    "DM104": consolidate_cleanup,
    "DM103": reorder_layers,
    "DM106": exec_form,
    "DM107": wrapper_exec,
    "DM105": add_labels,
    "DM201": literal_secrets,
    "DM202": sshd,
    "DM203": multiple_processes,
    "DM204": missing_volume,
    "DM205": missing_expose,
    "DM206": root_user,
    "DM207": unreachable_base,
}


def by_name() -> dict[str, str]:
    """Lower-case names and codes to codes, for --select/--ignore and suppressions."""
    names = {f.NAME.lower(): code for code, f in FIXERS.items()}
    names.update({code.lower(): code for code in FIXERS})
    return names
