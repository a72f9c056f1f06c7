"""Which fixers run: names and codes from options and configuration, unknown ones a clear error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.errors import DockmendError
from fixers import registry
from fixers.base import Fixer

if TYPE_CHECKING:  # `dockmend fix` selects fixers without loading the settings models
    from bot.settings.config import Config


def resolve_codes(items: Sequence[str]) -> set[str]:
    try:
        return registry.resolve_codes(items)
    except registry.UnknownFixer as exc:
        raise DockmendError(str(exc)) from None


def selected_fixers(select: Sequence[str], ignore: Sequence[str], config: Config) -> list[Fixer]:
    try:
        return registry.select([*select], [*ignore], config.select, config.ignore)
    except registry.UnknownFixer as exc:
        raise DockmendError(str(exc)) from None
