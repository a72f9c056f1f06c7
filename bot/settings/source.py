"""Reading the YAML file with positions, and saying where a problem is: ``file:line:col: key: message``.

ruamel.yaml's round-trip loader keeps the line and column of every key and list item
(``CommentedMap.lc``). A pydantic error's ``loc`` is walked down that tree to the place
the user has to fix; the message says what is expected and never shows the value (it
may be a secret written where a reference belongs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.errors import DockmendError
from bot.settings.secrets import REFERENCE_HELP, Located, Origin

MAX_CONFIG = 256 * 1024
# `${NAME}` is not a valid plain scalar inside a flow mapping (`{token: ${X}}`): it is
# swapped for private-use characters of the same length before parsing (so positions
# stay right) and swapped back after.
_PLACEHOLDER = re.compile(r"\$\{([^{}\n]*)\}")
_OPEN, _CLOSE = "\ue000\ue001", "\ue002"
_TOKEN_LIKE = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|xox[abprs]-[\w-]{10,})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
_DUPLICATE = re.compile(r'found duplicate key "(.*?)" with value')
Loc = tuple[str | int, ...]


def read(path: Path) -> Any:
    """The file's YAML tree; strings are :class:`Located`. DockmendError if it cannot be parsed."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DockmendError(f"cannot read the configuration: {exc.strerror}", path=name) from None
    if len(raw) > MAX_CONFIG:
        raise DockmendError(f"configuration larger than {MAX_CONFIG} bytes", path=name)
    try:
        text = _PLACEHOLDER.sub(lambda m: f"{_OPEN}{m.group(1)}{_CLOSE}", raw.decode("utf-8-sig"))
        tree = YAML(typ="rt").load(text)
    except (YAMLError, UnicodeDecodeError) as exc:
        raise _yaml_error(exc, name) from None
    return _locate_strings(tree, name, ())


def _yaml_error(exc: Exception, name: str) -> DockmendError:
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or "not valid UTF-8")
    duplicate = _DUPLICATE.match(problem)
    if duplicate:  # ruamel's text shows both values: they may be secrets
        problem = f"duplicate key {duplicate.group(1)!r}"
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    return DockmendError(f"invalid YAML: {problem}", path=name, line=line, column=column)


def _children(node: Any) -> Iterator[tuple[Any, tuple[int, int] | None]]:
    if isinstance(node, CommentedMap):
        for key in node:
            yield key, _position(node, key)
    elif isinstance(node, CommentedSeq):
        for index in range(len(node)):
            yield index, _position(node, index)


def _position(node: Any, key: Any) -> tuple[int, int] | None:
    lc: Any = getattr(node, "lc", None)
    try:
        line, column = lc.item(key) if isinstance(node, list) else lc.key(key)
        return int(line) + 1, int(column) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _locate_strings(node: Any, name: str, loc: Loc) -> Any:
    """Put the ``${NAME}`` references back, in place, as :class:`Located` strings."""
    for key, spot in _children(node):
        value = node[key]
        if isinstance(value, str):
            line, column = spot or (None, None)
            origin = Origin(name, line, column, dotted((*loc, key)))
            text = value.replace(_OPEN, "${").replace(_CLOSE, "}")
            if _TOKEN_LIKE.search(text):
                raise origin.error(
                    f"this looks like a literal token or key; secrets only by reference: {REFERENCE_HELP}"
                )
            node[key] = Located(text, origin)
        else:
            _locate_strings(value, name, (*loc, key))
    return node


def dotted(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def where(tree: Any, loc: Loc) -> tuple[int | None, int | None, Loc]:
    """The line and column of ``loc`` in the tree (or of its nearest written parent), and the
    part of ``loc`` that is written in the file (union tags and missing keys are left out)."""
    node: Any = tree
    found: Loc = ()
    position = (1, 1) if isinstance(tree, CommentedMap | CommentedSeq) else (None, None)
    for part in loc:
        if _has(node, part):
            position = _position(node, part) or position
            node, found = node[part], (*found, part)
    line, column = position
    return line, column, found


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def problem(exc: ValidationError, tree: Any, path: str | None, prefix: Loc = ()) -> DockmendError:
    """The first problem in the file (by position) as one ``file:line:col: key: message``;
    ``prefix`` is where the validated part sits in the file, when it is not the whole."""
    found = []
    for error in exc.errors(include_url=False):
        loc, shown = _loc(error)
        line, column, written = where(tree, loc)
        key = dotted((*prefix, *(written if shown is None else written[: len(written) - shown])))
        found.append(((line or 0, column or 0), key, message(error)))
    (line, column), key, text = min(found, key=lambda item: item[0])
    return DockmendError(f"{key}: {text}" if key else text, path=path, line=line or None, column=column or None)


def _loc(error: ErrorDetails) -> tuple[Loc, int | None]:
    """The error's location, extended by our validators' ``at``; and how many trailing parts
    to leave out of the key shown (an unknown key is named by the message itself)."""
    ctx = error.get("ctx") or {}
    loc: Loc = (*error["loc"], *ctx.get("at", ()))
    if error["type"] == "union_tag_invalid":
        loc = (*loc, str(ctx.get("discriminator", "")).strip("'"))
    named = "key" in ctx or error["type"] == "extra_forbidden"
    return loc, 1 if named else None


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_kind(error['input'])}"
    texts = {
        "missing": f"missing key {error['loc'][-1]!r}" if error["loc"] else "missing",
        "extra_forbidden": f"unknown key {error['loc'][-1]!r}" if error["loc"] else "unknown key",
        "literal_error": f"expected {ctx.get('expected')}",
        "union_tag_invalid": f"expected one of: {ctx.get('expected_tags')}",
        "union_tag_not_found": f"missing key {ctx.get('discriminator')} (github, gitlab or local)",
        "greater_than_equal": f"expected {ctx.get('ge')} or more",
        "greater_than": f"expected more than {ctx.get('gt')}",
    }
    return texts.get(kind, error["msg"])


def _kind(value: Any) -> str:
    kinds = ((bool, "true/false"), (int | float, "a number"), (str, "text"), (list, "a list"), (dict, "a mapping"))
    if value is None:
        return "nothing (null)"
    return next((text for kind, text in kinds if isinstance(value, kind)), type(value).__name__)
