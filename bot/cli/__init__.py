"""The command line: the Typer app and one module per command. Nothing imports from here."""

from bot.cli.app import run

__all__ = ["run"]
