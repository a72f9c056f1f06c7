"""The strict section model every part of the file uses, and small validated types.

Sections are strict (``"yes"`` is not ``true``, ``8080`` is not text), frozen, and refuse
unknown keys with a "did you mean". Validators raise :func:`invalid` with a message that
says what is expected; :mod:`bot.settings.source` puts the file, line and column in front.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

T = TypeVar("T")
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def invalid(message: str, at: Sequence[str | int] = ()) -> PydanticCustomError:
    """A validation error with our message; ``at`` is a location below the failing section."""
    return PydanticCustomError("dockmend", message, {"at": tuple(at)} if at else None)


def unknown_key(key: object, allowed: Sequence[str]) -> PydanticCustomError:
    """Points at the key; ``ctx["key"]`` keeps it out of the dotted path (the message names it)."""
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
    return PydanticCustomError("dockmend", f"unknown key {key!r} ({hint})", {"at": (key,), "key": key})


class Section(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = [field.alias or name for name, field in cls.model_fields.items()]
            for key in data:
                if key not in allowed:
                    raise unknown_key(key, allowed)
        return data


def _name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise invalid(f"{value!r} is not a name: use letters, digits, '.', '_' and '-'")
    return value


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _one_or_many(value: Any) -> Any:
    """A single name may be written without brackets; a comma-separated line also works."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return _as_tuple(value)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise invalid("expected a non-empty name")
    return value.strip()


def _http_url(value: str) -> str:
    url = urlsplit(value)
    if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
        raise invalid("expected an http(s) URL, like https://gitlab.example.com")
    if "@" in url.netloc:
        raise invalid("a URL must not carry credentials: reference a secret in its own key instead")
    return value.rstrip("/")


Name = Annotated[str, AfterValidator(_name)]
Text = Annotated[str, AfterValidator(_not_blank)]
Items = Annotated[tuple[T, ...], BeforeValidator(_as_tuple)]  # a YAML list; kept as a tuple (frozen)
Names = Annotated[tuple[Text, ...], BeforeValidator(_one_or_many, json_schema_input_type=str | list[str])]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
