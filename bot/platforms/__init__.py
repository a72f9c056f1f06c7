"""Platforms: GitHub (PyGithub), GitLab (python-gitlab) and local checkouts.

:func:`build_platform` turns a ``platforms:`` entry into a :class:`~bot.platforms.base.Platform`
through one registry of builders, keyed by ``type``. A builder receives the validated
:class:`~bot.settings.targets.PlatformSettings` (URLs, secret *references*, paths) and the
environment to resolve ``token: ${ENV}`` with (``settings.token_value(env)`` returns a
:class:`~bot.settings.registry_access.Secret`, or raises a DockmendError when it is missing).

The forge modules are imported only when a configured platform needs them: each of
``bot.platforms.github`` and ``bot.platforms.gitlab`` provides
``from_settings(settings: PlatformSettings, env: Mapping[str, str]) -> Platform``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from bot.errors import DockmendError

if TYPE_CHECKING:  # bot.settings.targets imports bot.platforms.base: no import cycle at run time
    # (and `dockmend fix`, which reads a checkout through bot.platforms.localrepo, loads
    # neither the platform interface nor the settings models)
    from bot.platforms.base import Platform
    from bot.settings.targets import PlatformSettings

Builder = Callable[["PlatformSettings", Mapping[str, str]], "Platform"]


def _local(settings: PlatformSettings, env: Mapping[str, str]) -> Platform:
    from bot.platforms.local import LocalPlatform

    return LocalPlatform.from_settings(settings, env)


def _module_builder(kind: str) -> Builder:
    """The hook for a forge module: ``bot.platforms.<kind>.from_settings``."""

    def build(settings: PlatformSettings, env: Mapping[str, str]) -> Platform:
        try:
            module = importlib.import_module(f"bot.platforms.{kind}")
        except ImportError as exc:
            raise DockmendError(f"platform {settings.name!r}: type {kind!r} is not available ({exc})") from None
        from_settings: Builder | None = getattr(module, "from_settings", None)
        if from_settings is None:
            raise DockmendError(f"platform {settings.name!r}: bot.platforms.{kind} has no from_settings()")
        return from_settings(settings, env)

    return build


BUILDERS: dict[str, Builder] = {
    "local": _local,
    "github": _module_builder("github"),
    "gitlab": _module_builder("gitlab"),
}


def build_platform(
    settings: PlatformSettings, env: Mapping[str, str] | None = None, builders: Mapping[str, Builder] = BUILDERS
) -> Platform:
    """The platform for one ``platforms:`` entry; configuration problems are DockmendErrors."""
    from bot.platforms.base import PlatformError

    builder = builders.get(settings.type)
    if builder is None:
        raise DockmendError(f"platform {settings.name!r}: unknown type {settings.type!r}")
    try:
        return builder(settings, os.environ if env is None else env)
    except PlatformError as exc:
        raise DockmendError(str(exc)) from None
