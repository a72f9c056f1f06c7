"""How serious each code is: ``error``, ``warning`` or ``info``.

A finding's severity decides its level in SARIF, GitHub annotations and GitLab Code
Quality reports, and whether ``dockmend fix --check --fail-on LEVEL`` fails on it. A fix
(a DM1xx rewrite ``--check`` would make) carries its code's severity too.

The defaults:

* ``error``: the image is unsafe or cannot be built as written: a literal secret
  (DM201), a base image that does not exist or is denied (DM207);
* ``warning``: a real risk that needs a person: an SSH server (DM202), several processes
  in one container (DM203), the final stage running as root (DM206); and rewrites of
  risk ``review`` (build inputs change on purpose: DM102, DM103, DM106);
* ``info``: hygiene: rewrites of risk ``safe`` (nothing built changes but what the fix
  removes: DM101, DM104, DM105, DM107) and the missing VOLUME/EXPOSE checks (DM204, DM205).

A code without an entry here (a fixer added later) gets its default from its risk:
``review`` and ``report`` are warnings, ``safe`` is info. Configuration overrides any code
(``severity: {DM205: warning}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from fixers.base import Risk


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}

DEFAULTS: dict[str, Severity] = {
    "DM101": Severity.INFO,
    "DM102": Severity.WARNING,
    "DM103": Severity.WARNING,
    "DM104": Severity.INFO,
    "DM105": Severity.INFO,
    "DM106": Severity.WARNING,
    "DM107": Severity.INFO,
    "DM201": Severity.ERROR,
    "DM202": Severity.WARNING,
    "DM203": Severity.WARNING,
    "DM204": Severity.INFO,
    "DM205": Severity.INFO,
    "DM206": Severity.WARNING,
    "DM207": Severity.ERROR,
}

BY_RISK = {Risk.SAFE: Severity.INFO, Risk.REVIEW: Severity.WARNING, Risk.REPORT: Severity.WARNING}

LEVELS = tuple(s.value for s in Severity)  # the values configuration accepts


def default(code: str, risk: Risk) -> Severity:
    """The built-in severity of ``code`` (a fixer of that ``risk``)."""
    return DEFAULTS.get(code, BY_RISK[risk])


def severity_of(code: str, risk: Risk, overrides: Mapping[str, str] = {}) -> Severity:
    """``code``'s severity: the configured one (``overrides``, codes upper-case), else the default."""
    configured = overrides.get(code)
    return Severity(configured) if configured is not None else default(code, risk)


def at_or_above(severity: Severity, threshold: str) -> bool:
    """Whether ``severity`` reaches ``threshold`` (a level, or ``never``: nothing does)."""
    return threshold != "never" and severity.rank >= Severity(threshold).rank
