"""The ``labels:`` section (service configuration and ``.dockmend.yml``): DM105's label
values, and three settings that are not labels.

- ``profile``: ``oci`` (default) or ``openshift`` (adds ``io.k8s.*``/``io.openshift.*``);
- ``alone``: ``true`` lets a change that only adds labels open a request by itself
  (default ``false``: labels ride along with other fixes);
- ``titles``: image titles by Dockerfile path (``{services/api/Dockerfile: Billing API}``).

Every other key is a label value (``org.opencontainers.image.vendor: ACME``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fixers.base import LabelPolicy
from fixers.records import replace

SETTINGS = ("profile", "alone", "titles")
PROFILES = ("oci", "openshift")


class LabelsError(ValueError):
    """A ``labels:`` entry of the wrong shape; ``key`` names it."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def split(raw: Mapping[Any, Any] | None) -> tuple[dict[str, str], dict[str, Any]]:
    """``(label values, settings given)`` of a ``labels:`` mapping; LabelsError if malformed."""
    values: dict[str, str] = {}
    given: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if not isinstance(key, str):
            raise LabelsError(f"label keys are text, not {type(key).__name__}")
        if key == "profile":
            if value not in PROFILES:
                raise LabelsError(f"'profile' is one of {', '.join(PROFILES)}, not {value!r}", key)
            given[key] = value
        elif key == "alone":
            if not isinstance(value, bool):
                raise LabelsError("'alone' is true or false", key)
            given[key] = value
        elif key == "titles":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise LabelsError("'titles' maps Dockerfile paths to image titles", key)
            given[key] = {k.removeprefix("./"): v for k, v in value.items()}
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            values[key] = str(value)
        else:
            raise LabelsError(f"label {key!r} needs a text value", key)
    return values, given


def policy(given: Mapping[str, Any], base: LabelPolicy | None = None) -> LabelPolicy:
    """``base`` with the settings ``given`` (titles merged, the given ones winning)."""
    start = base or LabelPolicy()
    return replace(
        start,
        profile=given.get("profile", start.profile),
        alone=given.get("alone", start.alone),
        titles={**start.titles, **given.get("titles", {})},
    )
