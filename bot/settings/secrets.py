"""Secrets by reference: ``${ENV_VAR}`` or ``file:/run/secrets/x``, never written in the file.

A reference is parsed when the file is loaded and resolved when the feature that needs
it is used, so ``dockmend fix`` with a file naming ``${GITHUB_TOKEN}`` needs no token.
Resolved values are :class:`Secret` objects, whose ``repr`` and ``str`` hide them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from bot.errors import DockmendError

REFERENCE = re.compile(r"\$\{(?P<env>[A-Za-z_][A-Za-z0-9_]*)\}|file:(?P<file>\S.*)")
REFERENCE_PATTERN = r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|file:\S.*)$"
REFERENCE_HELP = "${ENV_VAR} or file:/run/secrets/name"


class Secret:
    """A credential: ``repr``/``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class Origin:
    """Where a value was written (file, line, column, dotted key), for messages about it."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    key: str = ""

    def error(self, message: str) -> DockmendError:
        text = f"{self.key}: {message}" if self.key else message
        return DockmendError(text, path=self.path, line=self.line, column=self.column)


class Located(str):
    """A YAML scalar that remembers its :class:`Origin` (pydantic turns it back into ``str``)."""

    origin: Origin

    def __new__(cls, text: str, origin: Origin) -> Located:
        located = super().__new__(cls, text)
        located.origin = origin
        return located


@dataclass(frozen=True)
class SecretRef:
    """``${NAME}`` (``env``) or ``file:PATH`` (``file``; relative to the configuration file)."""

    env: str | None = None
    file: str | None = None
    origin: Origin = field(default_factory=Origin, compare=False)

    def __str__(self) -> str:
        return f"${{{self.env}}}" if self.env is not None else f"file:{self.file}"

    def path(self) -> Path:
        written = Path(str(self.file)).expanduser()
        base = Path(self.origin.path).parent if self.origin.path else Path(".")
        return written if written.is_absolute() else base / written

    def resolve(self, env: Mapping[str, str]) -> Secret:
        """The secret; a DockmendError naming where the reference was written if it is missing."""
        if self.env is not None:
            if not env.get(self.env, "").strip():
                raise self.origin.error(f"environment variable {self.env} is not set (or empty)")
            return Secret(env[self.env].strip())
        try:
            text = self.path().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise self.origin.error(f"cannot read {self.path()}: {exc.strerror}") from None
        if not text:
            raise self.origin.error(f"{self.path()} is empty")
        return Secret(text)


def parse_reference(value: Any) -> SecretRef:
    """The pydantic validator of :data:`Reference`: a literal secret is an error."""
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("dockmend", f"expected a reference to a secret: {REFERENCE_HELP}")
    match = REFERENCE.fullmatch(value.strip())
    if match is None:
        if value.lstrip().startswith("$"):  # never echo the value: it may be the secret itself
            raise PydanticCustomError(
                "dockmend", "malformed reference: write ${NAME}, NAME made of letters, digits and _"
            )
        raise PydanticCustomError("dockmend", f"a secret cannot be written here: reference it, {REFERENCE_HELP}")
    return SecretRef(match["env"], match["file"], getattr(value, "origin", Origin()))


Reference = Annotated[
    SecretRef,
    PlainValidator(parse_reference),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": REFERENCE_PATTERN, "description": f"A reference to a secret: {REFERENCE_HELP}"}
    ),
]
