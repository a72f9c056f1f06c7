"""The command line: the Typer app and one module per command. Nothing imports from here.

``run`` (the ``dockmend`` script) imports the app when called; the app imports each
command's modules when that command runs (docs/architecture.md: a fast start).
"""


def run() -> None:
    from bot.cli.app import run as run_app

    run_app()


__all__ = ["run"]
