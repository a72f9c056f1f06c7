"""The whole configuration file, and the checks that look across its sections."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from bot.settings.base import Items, Name, Names, Section, invalid
from bot.settings.platforms import GitHub, GitLab, Platform, Target
from bot.settings.registries import Fixers, Images, Registries, Severities
from bot.settings.service import Chat, Database, Web
from fixers import label_settings as labels

Problem = tuple[tuple[str | int, ...], str]


class ConfigFile(Section):
    """dockmend's configuration: one YAML file. Secrets only by reference (${ENV_VAR}, file:PATH)."""

    model_config = ConfigDict(title="dockmend configuration")  # merged with Section's

    extends: Names = ()
    """Presets merged below this file, in order: built-in ones (dockmend:recommended,
    dockmend:minimal, dockmend:openshift) or YAML files relative to this file. Mappings are
    merged by key, lists replaced (docs/configuration.md)."""
    labels: Mapping[str, str | int | float | bool | Mapping[str, str]] = {}
    """DM105 add-labels: label values, and the settings `profile` (oci or openshift), `alone` (a
    labels-only change may open a request by itself) and `titles` (image titles by Dockerfile path)."""
    fixers: Fixers = Fixers()
    severity: Severities = Field(default_factory=dict)
    """Severity per fixer (code or name: error, warning or info) over the defaults; for `dockmend fix --fail-on`."""
    images: Images = Images()
    registries: Registries = Registries.model_validate({})
    platforms: Mapping[Name, Platform] = {}
    """Where the repositories are, by a name of your choice."""
    targets: Items[Target] = ()
    """What dockmend run, the schedule and chat commands scan."""
    chat: Chat = Chat()
    web: Web = Web()
    database: Database = Database()

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """``fixers:`` with every line below commented out is an empty section, not an error."""
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, Mapping) else data

    @model_validator(mode="after")
    def _across_sections(self) -> ConfigFile:
        for at, message in self.problems():
            raise invalid(message, at)
        return self

    def problems(self) -> Iterator[Problem]:
        """References between sections: target names, their platforms, chat's targets."""
        try:
            labels.split(self.labels)
        except labels.LabelsError as exc:
            yield ("labels", *([exc.key] if exc.key else [])), str(exc)
        seen: set[str] = set()
        for index, target in enumerate(self.targets):
            if target.name in seen:
                yield ("targets", index, "name"), f"target name {target.name!r} is used twice"
            seen.add(target.name)
            yield from self._platform_of(index, target)
        for kind in ("slack", "mattermost"):
            section = getattr(self.chat, kind)
            for name in section.targets if section is not None else ():
                if name not in seen:
                    known = _hint(name, seen) if seen else " (no targets defined)"
                    yield ("chat", kind, "targets", name), f"unknown target {name!r}{known}"

    def _platform_of(self, index: int, target: Target) -> Iterator[Problem]:
        platform = self.platforms.get(target.platform)
        if platform is None:
            known = _hint(target.platform, self.platforms) if self.platforms else " (no platforms defined)"
            yield ("targets", index, "platform"), f"unknown platform {target.platform!r}{known}"
            return
        wanted = "owner" if isinstance(platform, GitHub) else "group" if isinstance(platform, GitLab) else None
        given = [key for key in ("owner", "group") if getattr(target, key) is not None]
        if wanted is None and given:
            yield ("targets", index, given[0]), "a local target takes no owner or group"
        elif wanted is not None and given != [wanted]:
            other = "group" if wanted == "owner" else "owner"
            if other in given:
                yield ("targets", index, other), f"a {platform.type} target takes {wanted!r}, not {other!r}"
            else:
                yield ("targets", index), f"a {platform.type} target needs {wanted!r}"


def _hint(name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (defined: {', '.join(names)})"
