"""The one explicit list of fixers and checks. A test fails if a module is missing.

The order is the order the engine applies rewrites in: base images first, ADD → COPY
before the RUN rewrites (reordering reads what COPY brings in), then an `apt-get update`
folded into its install and consecutive installs merged (so the cleanup that follows is
added once), cleanup before reordering (a folded cleanup RUN moves with its install),
exec form, wrapper scripts, MAINTAINER → label, and the labels last (they see the
authors label DM108 wrote).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fixers.base import Fixer
from fixers.rules import (
    add_labels,
    add_to_copy,
    apt_update_with_install,
    bump_base_tag,
    consolidate_cleanup,
    exec_form,
    literal_secrets,
    maintainer_label,
    merge_install_runs,
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
    "DM109": add_to_copy,
    "DM110": apt_update_with_install,
    "DM111": merge_install_runs,
    "DM104": consolidate_cleanup,
    "DM103": reorder_layers,
    "DM106": exec_form,
    "DM107": wrapper_exec,
    "DM108": maintainer_label,
    "DM105": add_labels,
    "DM201": literal_secrets,
    "DM202": sshd,
    "DM203": multiple_processes,
    "DM204": missing_volume,
    "DM205": missing_expose,
    "DM206": root_user,
    "DM207": unreachable_base,
}


# Fixers whose change is labels alone. A file whose fixes all come from these gains only
# metadata: the bot opens no request for it unless the policy says ``alone``.
LABELS_ONLY = frozenset({add_labels.CODE})


def labels_only(codes: Iterable[str]) -> bool:
    """Whether fixes with these codes (at least one) change nothing but labels."""
    found = set(codes)
    return bool(found) and found <= LABELS_ONLY


def by_name() -> dict[str, str]:
    """Lower-case names and codes to codes, for --select/--ignore and suppressions."""
    names = {f.NAME.lower(): code for code, f in FIXERS.items()}
    names.update({code.lower(): code for code in FIXERS})
    return names


class UnknownFixer(ValueError):
    """A name or code that is no fixer's."""


def resolve_codes(items: Sequence[str]) -> set[str]:
    """Codes for comma-separated names or codes (any case); unknown ones raise UnknownFixer."""
    names, codes = by_name(), set()
    for item in (i.strip() for entry in items for i in entry.split(",")):
        if not item:
            continue
        if item.lower() not in names:
            raise UnknownFixer(f"unknown fixer {item!r} (see the README's fixer table)")
        codes.add(names[item.lower()])
    return codes


def select(
    select: Sequence[str], ignore: Sequence[str], default_select: Sequence[str] = (), default_ignore: Sequence[str] = ()
) -> list[Fixer]:
    """The fixers chosen, in engine order: --select, else the configured selection, else all; minus ignores."""
    chosen = resolve_codes(select) or resolve_codes(default_select) or set(FIXERS)
    chosen -= resolve_codes([*ignore, *default_ignore])
    return [fixer for code, fixer in FIXERS.items() if code in chosen]
