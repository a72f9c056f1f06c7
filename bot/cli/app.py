"""The `dockmend` command line."""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot import __version__
from bot.cli import fix as fixcmd
from bot.cli import resolve as resolvecmd
from bot.cli import serve as servecmd
from bot.engine.options import RunOptions, Shard
from bot.engine.selection import selected_fixers
from bot.errors import DockmendError
from bot.registry.cache import default_path
from bot.service.record import run_recorded
from bot.settings import config
from bot.settings import output as settings_output

app = typer.Typer(
    help="dockmend keeps Dockerfiles healthy: fixers that rewrite them safely, checks that explain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dockmend {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """dockmend: safe, explained Dockerfile rewrites."""


@app.command()
def fix(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories (default: .).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if any file would change.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff.")] = False,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these fixers (codes or names).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these fixers (codes or names).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No network: skip fixers that need a registry.")] = False,
    config_file: Annotated[Path | None, typer.Option("--config", help="Configuration file (YAML).")] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Explain a fixer or check and exit.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.text,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Rewrite Dockerfiles in place, like a formatter; report what cannot be fixed."""
    try:
        if explain:
            typer.echo(fixcmd.explain(explain), nl=False)
            raise typer.Exit(0)
        cfg = config.load(config_file) if config_file else config.Config()
        fixers = selected_fixers(select or [], ignore or [], cfg)
        skipped = [f.CODE for f in fixers if f.NEEDS_NETWORK] if offline else []
        if skipped:
            typer.echo(f"note: --offline: skipping {', '.join(skipped)} (they need a registry)", err=True)
        options = fixcmd.Options(check=check, diff=diff, offline=offline, output=output.value)
        code = fixcmd.run(paths or [Path(".")], fixers, cfg, options, sys.stdout, sys.stderr)
    except DockmendError as exc:
        if debug:
            raise
        typer.echo(f"dockmend: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit(code)


@app.command()
def resolve(
    image: Annotated[str, typer.Argument(help="An image reference, as in a FROM line.")],
    config_file: Annotated[Path | None, typer.Option("--config", help="Configuration file (YAML).")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="e.g. linux/arm64 (default: the config's).")
    ] = None,
) -> None:
    """Show what dockmend knows of an image: tags considered, digests, the pin and bump it would choose."""
    try:
        cfg = config.load(config_file) if config_file else config.Config()
        code = resolvecmd.run_resolve(image, cfg, sys.stdout, cache_path=default_path(os.environ), platform=platform)
    except DockmendError as exc:
        typer.echo(f"dockmend: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit(code)


@app.command("run")
def run_command(
    config_file: Annotated[Path, typer.Option("--config", help="Configuration file with platforms and targets.")],
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write nothing; print each repository's diff and request body.")
    ] = False,
    repo: Annotated[
        str | None, typer.Option("--repo", help="Only this repository (OWNER/NAME; local: the folder name).")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No registry: skip fixers that need one.")] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="INDEX/COUNT",
            help="Only the repositories of this shard (stable hash of the full name), e.g. 0/3: "
            "COUNT processes share the targets without overlap.",
        ),
    ] = None,
    full_scan: Annotated[
        bool,
        typer.Option(
            "--full-scan", help="Scan every repository, also those unchanged since the last run (which are skipped)."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Scan every repository of the targets once and open, update or close dockmend's requests.

    Each target's run is recorded in the state database (``database:``, or
    $DOCKMEND_DATABASE_URL) under the target's lease; --dry-run writes nothing anywhere.

    Exit status: 0 all went well, 1 some repositories failed, 2 a configuration error."""
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = config.load(config_file)
        part = Shard.parse(shard) if shard is not None else None
        options = RunOptions(dry_run=dry_run, target=target, repo=repo, offline=offline, shard=part)
        summaries = run_recorded(cfg, options, sys.stdout, sys.stderr, remember=not full_scan)
    except DockmendError as exc:
        if debug:
            raise
        typer.echo(f"dockmend: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit(1 if any(s.failed for s in summaries) else 0)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def serve(
    config_file: Annotated[Path, typer.Option("--config", help="Configuration file (YAML).")],
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="Log lines as text or JSON.")] = LogFormat.text,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logs and tracebacks.")] = False,
) -> None:
    """Run the service: the weekly schedule, the web dashboard and API, chat commands.

    Stops gracefully on SIGTERM or SIGINT. Exit status 2: a configuration error (like an
    enabled chat endpoint or API without its secret)."""
    servecmd.configure_logging(log_format.value, logging.DEBUG if debug else logging.INFO)
    try:
        servecmd.serve(config.load(config_file), os.environ)
    except DockmendError as exc:
        if debug:
            raise
        typer.echo(f"dockmend: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


@app.command()
def status(
    config_file: Annotated[Path, typer.Option("--config", help="Configuration file (YAML).")],
    limit: Annotated[int, typer.Option("--limit", help="How many recent runs.")] = 10,
) -> None:
    """Recent runs and the next scheduled runs, from the state database."""
    try:
        servecmd.status(config.load(config_file), os.environ, sys.stdout, limit)
    except DockmendError as exc:
        typer.echo(f"dockmend: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


config_commands = typer.Typer(help="Check a configuration file; print its JSON schema.", no_args_is_help=True)
app.add_typer(config_commands, name="config")


@config_commands.command("check")
def config_check(
    config_file: Annotated[Path, typer.Argument(help="The configuration file (YAML).")],
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Validate FILE and print the effective configuration (defaults filled in, secrets masked).

    Exit status: 0 valid, 2 not (one message: file:line:column: key: what is expected)."""
    try:
        cfg = config.load(config_file)
    except DockmendError as exc:
        if debug:
            raise
        typer.echo(f"dockmend: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    typer.echo(settings_output.effective_yaml(cfg.file, os.environ, cfg.path), nl=False)


@config_commands.command("schema")
def config_schema() -> None:
    """Print the configuration's JSON schema (the one in config/schema.json)."""
    typer.echo(settings_output.schema_text(), nl=False)


def run() -> None:
    app()
