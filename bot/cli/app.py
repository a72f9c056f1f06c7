"""The `dockmend` command line.

Start-up is lean: this module imports Typer and nothing of the service. Each command
imports what it needs when it runs, so ``dockmend --version`` and ``dockmend fix`` never
load the web, scheduler, database or forge stacks (a test holds this).

Over 300 lines: every command's options and help in one Typer app; each command imports
its modules inside it, for a lean start.
"""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bot import __version__
from bot.errors import DockmendError

app = typer.Typer(
    help="dockmend keeps Dockerfiles healthy: fixers that rewrite them safely, checks that explain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SERVICE_HINT = "this command needs the service's packages: pip install 'dockmend[service]'"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    gitlab = "gitlab"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dockmend {__version__}")
        raise typer.Exit()


def _fail(exc: DockmendError, debug: bool = False) -> NoReturn:
    if debug:
        raise exc
    typer.echo(f"dockmend: error: {exc}", err=True)
    raise typer.Exit(exc.exit_code) from None


def _service_missing(exc: ImportError) -> NoReturn:
    typer.echo(f"dockmend: error: {SERVICE_HINT} ({exc})", err=True)
    raise typer.Exit(2) from None


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """dockmend: safe, explained Dockerfile rewrites."""


FIX_HELP = """Rewrite Dockerfiles in place, like a formatter; report what cannot be fixed.

Each file gets the settings of its repository's .dockmend.yml (the nearest one walking
up to the git root), as the bot applies them; --config merges over them. PATH "-" reads
a Dockerfile from stdin and writes the result to stdout.

\b
Exit status:
  0  nothing to report (with --check: no file would change, no finding at or above --fail-on)
  1  --check: a file would change, or a finding is at or above --fail-on
  2  a usage or configuration error, or a path or file that could not be processed
     (missing, unreadable, not a Dockerfile, a registry to try again later); the other
     files are still processed and the summary printed
"""


@app.command(help=FIX_HELP)
def fix(
    # str, not Path: Typer validates Path parameters with pydantic, which `fix` never needs otherwise
    paths: Annotated[
        list[str] | None, typer.Argument(metavar="PATH", help="Files or directories (default: .); - for stdin.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if a file would change or a finding reaches --fail-on."),
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff.")] = False,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these fixers (codes or names).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these fixers (codes or names).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No network: skip fixers that need a registry.")] = False,
    config_file: Annotated[
        str | None,
        typer.Option("--config", metavar="FILE", help="Configuration file (YAML), merged over .dockmend.yml."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", metavar="GLOB", help="Skip what a folder walk finds matching GLOB (repeatable)."),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="With --check, findings of this severity or above fail (exit 1)."),
    ] = FailOn.warning,
    explain: Annotated[str | None, typer.Option("--explain", help="Explain a fixer or check and exit.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors (and the diff or document).")] = False,
    color: Annotated[Color, typer.Option("--color", help="Colour the text output (auto: a terminal, no NO_COLOR).")] = (
        Color.auto
    ),
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    from bot.cli.fixentry import FixArgs, execute

    args = FixArgs(
        paths=tuple(paths or ()),
        check=check,
        diff=diff,
        select=tuple(select or ()),
        ignore=tuple(ignore or ()),
        offline=offline,
        config_file=config_file,
        exclude=tuple(exclude or ()),
        fail_on=fail_on.value,
        explain=explain,
        output=output.value,
        quiet=quiet,
        color=color.value,
        debug=debug,
    )
    raise typer.Exit(execute(args))


@app.command()
def resolve(
    image: Annotated[str, typer.Argument(help="An image reference, as in a FROM line.")],
    config_file: Annotated[Path | None, typer.Option("--config", help="Configuration file (YAML).")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="e.g. linux/arm64 (default: the config's).")
    ] = None,
) -> None:
    """Show what dockmend knows of an image: tags considered, digests, the pin and bump it would choose."""
    from bot.cli import resolve as resolvecmd
    from bot.registry.cache import default_path
    from bot.settings import config

    try:
        cfg = config.load(config_file) if config_file else config.Config()
        code = resolvecmd.run_resolve(image, cfg, sys.stdout, cache_path=default_path(os.environ), platform=platform)
    except DockmendError as exc:
        _fail(exc)
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
        from bot.engine.options import RunOptions, Shard
        from bot.service.record import run_recorded
        from bot.settings import config
    except ImportError as exc:
        _service_missing(exc)
    try:
        cfg = config.load(config_file)
        part = Shard.parse(shard) if shard is not None else None
        options = RunOptions(dry_run=dry_run, target=target, repo=repo, offline=offline, shard=part)
        summaries = run_recorded(cfg, options, sys.stdout, sys.stderr, remember=not full_scan)
        if repo is not None and not any(r.repo == repo for s in summaries for r in s.results):
            where = f"target {target!r}" if target else "any target"
            raise DockmendError(f"no repository named {repo!r} in {where} (names are full names, like owner/name)")
    except DockmendError as exc:
        _fail(exc, debug)
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
    try:
        from bot.cli import serve as servecmd
        from bot.settings import config
    except ImportError as exc:
        _service_missing(exc)
    servecmd.configure_logging(log_format.value, logging.DEBUG if debug else logging.INFO)
    try:
        servecmd.serve(config.load(config_file), os.environ)
    except DockmendError as exc:
        _fail(exc, debug)


@app.command()
def status(
    config_file: Annotated[Path, typer.Option("--config", help="Configuration file (YAML).")],
    limit: Annotated[int, typer.Option("--limit", help="How many recent runs.")] = 10,
) -> None:
    """Recent runs and the next scheduled runs, from the state database."""
    try:
        from bot.cli import serve as servecmd
        from bot.settings import config
    except ImportError as exc:
        _service_missing(exc)
    try:
        servecmd.status(config.load(config_file), os.environ, sys.stdout, limit)
    except DockmendError as exc:
        _fail(exc)


config_commands = typer.Typer(help="Check a configuration file; print its JSON schema.", no_args_is_help=True)
app.add_typer(config_commands, name="config")


@config_commands.command("check")
def config_check(
    config_file: Annotated[Path, typer.Argument(help="The configuration file (YAML).")],
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Validate FILE with its presets (extends) and print the effective configuration (defaults
    filled in, secrets masked), then where each written value came from (as YAML comments).

    Exit status: 0 valid, 2 not (one message: file:line:column: key: what is expected)."""
    from bot.settings import config
    from bot.settings import output as settings_output

    try:
        cfg = config.load(config_file)
    except DockmendError as exc:
        _fail(exc, debug)
    typer.echo(settings_output.effective_yaml(cfg.file, os.environ, cfg.path), nl=False)
    typer.echo(settings_output.provenance_table(cfg.provenance, cfg.path), nl=False)


@config_commands.command("schema")
def config_schema() -> None:
    """Print the configuration's JSON schema (the one in config/schema.json)."""
    from bot.settings import output as settings_output

    typer.echo(settings_output.schema_text(), nl=False)


def run() -> None:
    app()
