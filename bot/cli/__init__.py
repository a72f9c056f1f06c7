"""The command line: the Typer app and one module per command. Nothing imports from here.

``run`` (the ``dockmend`` script) imports the app when called; the app imports each
command's modules when that command runs (docs/architecture.md: a fast start). A plain
``dockmend fix`` command line skips the app altogether (:mod:`bot.cli.fixentry`): what a
pre-commit hook or an editor runs once per call starts without the CLI framework.
"""

import gc
import sys


def run() -> None:
    if sys.argv[1:2] == ["fix"]:
        from bot.cli import fixentry

        args = fixentry.parse(sys.argv[2:])
        if args is not None:
            code = fixentry.main(args)
            # The interpreter's exit collects every object the run made (a tenth of a
            # one-file run): frozen, they are left to the process's end. Exit handlers,
            # flushes and the modules' teardown still run as usual.
            gc.freeze()
            sys.exit(code)
    from bot.cli.app import run as run_app

    run_app()


__all__ = ["run"]
