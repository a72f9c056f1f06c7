"""`dockmend fix` without the CLI framework: its options, a strict parser, and the command's body.

A pre-commit hook or an editor starts `dockmend fix` once per call, and Typer (with the
pydantic it loads to convert parameters) costs more than the whole check of a file. So
the ``dockmend`` script hands a ``fix`` command line to :func:`parse` first: it accepts
only the plain forms of :data:`OPTIONS` (``--opt value``, ``--opt=value``, flags, paths,
options anywhere among the paths, a repeated option's last value winning as Click's does)
and returns ``None`` for anything else (``--help``, an unknown option, a value that is not
one of the choices, a missing value, ``--``), which then goes to the Typer command, so
help and usage errors are Typer's own. Both paths run :func:`execute`.

:data:`OPTIONS` and the Typer command's parameters are one list kept twice: a test
compares them (names, flags, kinds, choices, defaults) and runs a table of command lines
through both, expecting the same output, files and exit status.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from fixers.records import record

if TYPE_CHECKING:
    from bot.cli import fix as fixcmd

FAIL_ON = ("error", "warning", "info", "never")
FORMATS = ("text", "json", "sarif", "github", "gitlab")
COLORS = ("auto", "always", "never")

Kind = Literal["flag", "value", "multiple"]


@record(frozen=True)
class Option:
    dest: str  # the Typer command's parameter name
    flags: tuple[str, ...]
    kind: Kind
    choices: tuple[str, ...] = ()


OPTIONS = (
    Option("check", ("--check",), "flag"),
    Option("diff", ("--diff",), "flag"),
    Option("select", ("--select",), "multiple"),
    Option("ignore", ("--ignore",), "multiple"),
    Option("offline", ("--offline",), "flag"),
    Option("config_file", ("--config",), "value"),
    Option("exclude", ("--exclude",), "multiple"),
    Option("fail_on", ("--fail-on",), "value", FAIL_ON),
    Option("explain", ("--explain",), "value"),
    Option("output", ("--format",), "value", FORMATS),
    Option("quiet", ("--quiet", "-q"), "flag"),
    Option("color", ("--color",), "value", COLORS),
    Option("debug", ("--debug",), "flag"),
)
_BY_FLAG = {flag: option for option in OPTIONS for flag in option.flags}


@record(frozen=True)
class FixArgs:
    """The values of one `dockmend fix` command line (the defaults are the Typer command's)."""

    paths: tuple[str, ...] = ()
    check: bool = False
    diff: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    offline: bool = False
    config_file: str | None = None
    exclude: tuple[str, ...] = ()
    fail_on: str = "warning"
    explain: str | None = None
    output: str = "text"
    quiet: bool = False
    color: str = "auto"
    debug: bool = False


def parse(argv: Sequence[str]) -> FixArgs | None:
    """The values of ``argv`` (what follows ``fix``), or ``None`` when the command line is
    not one of the plain forms this parser takes (Typer then parses it)."""
    values: dict[str, Any] = {"paths": ()}
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word == "-" or not word.startswith("-"):
            values["paths"] += (word,)
            continue
        flag, has_value, value = word.partition("=")
        option = _BY_FLAG.get(flag)
        if option is None or (has_value and (option.kind == "flag" or not flag.startswith("--"))):
            return None  # unknown, `--`, `-qq`, or a value given to a flag
        if option.kind == "flag":
            values[option.dest] = True
            continue
        if not has_value:
            if not rest or rest[0].startswith("-"):
                return None  # missing, or a value that looks like an option: Typer decides
            value = rest.pop(0)
        if option.choices and value not in option.choices:
            return None
        values[option.dest] = (*values.get(option.dest, ()), value) if option.kind == "multiple" else value
    return FixArgs(**values)


def execute(args: FixArgs) -> int:
    """The command: the exit status (see the command's help), after printing what it found."""
    from bot.cli import fix as fixcmd
    from bot.errors import DockmendError

    try:
        if args.explain:
            sys.stdout.write(fixcmd.explain(args.explain))
            sys.stdout.flush()
            return 0
        paths = [Path(p) for p in args.paths or ["."]]
        if fixcmd.STDIN in args.paths:
            if len(paths) > 1:
                raise DockmendError("- (stdin) cannot be combined with other paths")
            if args.output != "text" and not (args.check or args.diff):
                raise DockmendError("- (stdin) writes the fixed file to stdout: --format needs --check or --diff")
        settings = fixcmd.Settings.load(Path(args.config_file)) if args.config_file else fixcmd.Settings()
        options = _options(args)
        chosen = fixcmd.fixers_for(settings, fixcmd.NO_REPO_CONFIG, options)  # unknown names: an error before any file
        skipped = [f.CODE for f in chosen if f.NEEDS_NETWORK] if args.offline else []
        if skipped and not args.quiet:
            print(f"note: --offline: skipping {', '.join(skipped)} (they need a registry)", file=sys.stderr, flush=True)
        return fixcmd.run(paths, settings, options, sys.stdout, sys.stderr)
    except DockmendError as exc:
        if args.debug:
            raise
        print(f"dockmend: error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code


def _options(args: FixArgs) -> fixcmd.Options:
    from bot.cli import fix as fixcmd
    from bot.cli.formats import use_color

    return fixcmd.Options(
        check=args.check,
        diff=args.diff,
        offline=args.offline,
        output=args.output,
        fail_on=args.fail_on,
        quiet=args.quiet,
        color=use_color(args.color, sys.stdout, os.environ),
        exclude=args.exclude,
        select=args.select,
        ignore=args.ignore,
    )


def main(args: FixArgs) -> int:
    """:func:`execute` as a whole program, the way Click ends a command: Ctrl-C (or end of
    input) is "Aborted!" and exit 1; a closed pipe on stdout is exit 1 without a traceback."""
    try:
        return execute(args)
    except (KeyboardInterrupt, EOFError):
        print("\nAborted!", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.stdout, sys.stderr = _Pacified(sys.stdout), _Pacified(sys.stderr)
        return 1


class _Pacified(io.TextIOBase):
    """A stream after a broken pipe: the interpreter's last flush must not fail again."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError):
            return self.stream.write(text)
        return 0

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.flush()
