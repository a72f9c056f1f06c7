"""The argv of the process an image starts, with the shell of a shell form accounted for.

``["/bin/sh", "-c", "exec nginx -g 'daemon off;'"]`` starts ``nginx -g "daemon off;"``:
the command string is evaluated by the image's own shell (with the image's Env,
WorkingDir and User, so variables and globs expand as they would at run time) through
``printf '%s\\0'``. Only a single simple command can be evaluated that way; anything
else is reported as not evaluable, which no declaration accepts.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Sequence
from typing import Any

SHELLS = frozenset({"sh", "bash", "dash", "ash"})
INITS = frozenset({"tini", "tini-static", "dumb-init", "catatonit"})  # run their arguments as the child
_EXEC = re.compile(r"^\s*exec\s+")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

Process = tuple[str, ...] | str  # the argv, or why it could not be evaluated


def effective(config: dict[str, Any]) -> list[str]:
    return [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]


def shell_form(argv: Sequence[str]) -> tuple[list[str], str, list[str]] | None:
    """``(init and shell with options up to -c, the command string, the words after it)``, if
    ``argv`` runs a shell command string, directly or under an init such as ``tini --``."""
    start = 0
    if argv and posixpath.basename(argv[0]) in INITS:
        start = 1
        while start < len(argv) and argv[start].startswith("-"):
            start += 1
    if start >= len(argv) or posixpath.basename(argv[start]) not in SHELLS or "-c" not in argv[start:]:
        return None
    at = list(argv).index("-c", start)
    if at + 1 >= len(argv) or not all(w.startswith(("-", "+")) or w == "pipefail" for w in argv[start + 1 : at]):
        return None
    return list(argv[: at + 1]), argv[at + 1], list(argv[at + 2 :])


def not_simple(command: str) -> str | None:
    """Why ``command`` is not one simple command whose words ``printf`` can show, or None."""
    if "\n" in command:
        return "several lines"
    if "$(" in command or "`" in command:
        return "command substitution"
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError as exc:
        return f"unbalanced quoting ({exc})"
    operators = [w for w in words if w and set(w) <= set("();<>|&")]
    if operators:
        return f"shell operator {operators[0]!r}"
    if not words or _ASSIGNMENT.match(_EXEC.sub("", command)):
        return "no command, or a variable assignment before it"
    return None


def process(config: dict[str, Any], run: Callable[[list[str]], bytes]) -> Process:
    """What the image runs; ``run(argv)`` runs a command in a container of the image."""
    argv = effective(config)
    split = shell_form(argv)
    if split is None:
        return tuple(argv)
    prefix, command, rest = split
    problem = not_simple(command)
    if problem:
        return f"not evaluated: {problem} in {command!r}"
    init = prefix[: next(i for i, w in enumerate(prefix) if posixpath.basename(w) in SHELLS)]
    shell = prefix[len(init) :]
    try:
        out = run([*shell, "printf '%s\\0' " + _EXEC.sub("", command, count=1), *rest])
    except RuntimeError as exc:
        return f"not evaluated: {exc}"
    return (*init, *out.decode(errors="surrogateescape").split("\0")[:-1])
