"""The fast `dockmend fix` entry (bot.cli.fixentry) and the Typer command are one command:
the same options (names, flags, kinds, choices, defaults), and on a table of command
lines the same stdout, stderr, files and exit status, each run as its own process (the
``dockmend`` script's ``run``, against the Typer app's). Command lines the fast parser
does not take go to Typer: help and usage errors are Typer's own."""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from bot.cli import fixentry
from bot.cli.app import app
from tests.cli.helpers import CLEAN, ROOT, ROOT_ONLY, SECRET_SSHD

FIXABLE = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER 1000\n"
FAST = "import sys; sys.argv[0] = 'dockmend'; from bot.cli import run; run()"
TYPER = "import sys; sys.argv[0] = 'dockmend'; from bot.cli.app import run; run()"


def _fix_params() -> dict[str, Any]:
    """The Click parameters of the Typer command (Typer vendors its own Click)."""
    group: Any = typer.main.get_command(app)
    return {p.name: p for p in group.commands["fix"].params}


def _choices(param: Any) -> tuple[str, ...]:
    """The values an enum-typed parameter takes (Typer keeps the annotation)."""
    annotation = param.type_descriptor.annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(member.value for member in annotation)
    return ()


def test_the_options_are_the_typer_commands() -> None:
    params = _fix_params()
    arguments = [name for name, p in params.items() if p.param_type_name == "argument"]
    assert arguments == ["paths"] and params["paths"].nargs == -1
    options = {name: p for name, p in params.items() if p.param_type_name == "option"}
    assert sorted(options) == sorted(o.dest for o in fixentry.OPTIONS)
    defaults = fixentry.FixArgs()
    for option in fixentry.OPTIONS:
        param = options[option.dest]
        assert (tuple(param.opts), tuple(param.secondary_opts)) == (option.flags, ()), option.dest
        assert param.is_flag == (option.kind == "flag"), option.dest
        assert param.multiple == (option.kind == "multiple"), option.dest
        assert _choices(param) == option.choices, option.dest
        default = param.default.value if isinstance(param.default, enum.Enum) else param.default
        expected = getattr(defaults, option.dest)
        assert default == (None if expected == () else expected), option.dest


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], fixentry.FixArgs()),
        (["--check", "a", "-", "--offline"], fixentry.FixArgs(("a", "-"), check=True, offline=True)),
        (["--select", "DM104", "--select=DM106"], fixentry.FixArgs(select=("DM104", "DM106"))),
        (["--format", "json", "--format=sarif"], fixentry.FixArgs(output="sarif")),  # the last one wins
        (["-q", "--fail-on=never", "--color", "never"], fixentry.FixArgs(quiet=True, fail_on="never", color="never")),
        (["--config", "c.yml", "--explain", "DM104"], fixentry.FixArgs(config_file="c.yml", explain="DM104")),
        (["--help"], None),
        (["--format", "xml"], None),
        (["--Check"], None),
        (["--check=1"], None),
        (["-qq"], None),
        (["-q=1"], None),
        (["--select"], None),
        (["--select", "--check"], None),
        (["--", "-x"], None),
        (["-x"], None),
    ],
)
def test_what_the_fast_parser_takes(argv: list[str], expected: fixentry.FixArgs | None) -> None:
    assert fixentry.parse(argv) == expected


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(code: str, argv: list[str], cwd: Path, stdin: str | None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "DOCKMEND_PARSE_TIMEOUT")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code, "fix", *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


CASES: list[tuple[list[str], str | None]] = [
    (["--check", "--offline", "clean/Dockerfile"], None),
    (["--check", "--offline", "fixable/Dockerfile"], None),
    (["fixable/Dockerfile", "--offline", "--check"], None),
    (["--offline", "fixable/Dockerfile"], None),  # writes the file
    (["--offline", "--diff", "fixable/Dockerfile"], None),
    (["--offline", "--check", "--format", "json", "."], None),
    (["--offline", "--check", "--format=sarif", "secret/Dockerfile"], None),
    (["--offline", "--check", "--format", "github", "secret/Dockerfile", "root/Dockerfile"], None),
    (["--offline", "--check", "--format", "gitlab", "secret/Dockerfile"], None),
    (["--offline", "--check", "--fail-on", "error", "root/Dockerfile"], None),
    (["--offline", "--check", "--fail-on", "info", "root/Dockerfile"], None),
    (["--offline", "--check", "--fail-on=never", "secret/Dockerfile"], None),
    (["--offline", "--check", "-q", "fixable/Dockerfile"], None),
    (["--offline", "--check", "--quiet", "clean/Dockerfile"], None),
    (["--offline", "--check", "--color", "always", "secret/Dockerfile"], None),
    (["--check", "--select", "DM104", "--select", "apt-update-with-install", "fixable/Dockerfile"], None),
    (["--offline", "--check", "--ignore", "DM104", "--ignore", "DM110", "fixable/Dockerfile"], None),
    (["--check", "--select", "NOPE", "fixable/Dockerfile"], None),
    (["--offline", "--check", "--exclude", "fixable", "."], None),
    (["--offline", "--check", "missing/Dockerfile", "clean/Dockerfile"], None),
    (["--offline", "--check", "--config", "dockmend.yml", "root/Dockerfile"], None),
    (["--offline", "--check", "--config", "missing.yml", "root/Dockerfile"], None),
    (["--offline", "--check", "--config", "bad.yml", "root/Dockerfile"], None),
    (["--offline", "--check", "--config", "bad.yml", "--debug", "root/Dockerfile"], None),
    (["--explain", "DM104"], None),
    (["--explain", "nope"], None),
    (["--offline", "-"], FIXABLE),
    (["--offline", "--diff", "-"], FIXABLE),
    (["--offline", "--format", "json", "-"], FIXABLE),
    (["--offline", "-", "clean/Dockerfile"], None),
]
NOT_TAKEN: list[tuple[list[str], str | None]] = [  # the fast parser passes them on: Typer answers either way
    (["--help"], None),
    (["--format", "xml", "clean/Dockerfile"], None),
    (["--bogus"], None),
    (["--check=yes"], None),
]


@pytest.mark.parametrize(("argv", "stdin"), CASES + NOT_TAKEN, ids=[" ".join(a) for a, _ in CASES + NOT_TAKEN])
def test_the_fast_entry_and_the_typer_command_answer_alike(tmp_path: Path, argv: list[str], stdin: str | None) -> None:
    assert (fixentry.parse(argv) is None) == ((argv, stdin) in NOT_TAKEN)
    template = tmp_path / "template"
    for name, text in {"clean": CLEAN, "fixable": FIXABLE, "secret": SECRET_SSHD, "root": ROOT_ONLY}.items():
        (template / name).mkdir(parents=True)
        (template / name / "Dockerfile").write_text(text)
    (template / "dockmend.yml").write_text("severity:\n  DM206: error\n")
    (template / "bad.yml").write_text("severity: [\n")
    answers = []
    for name, code in (("fast", FAST), ("typer", TYPER)):
        here = shutil.copytree(template, tmp_path / name)
        status, out, err = _run(code, argv, here, stdin)
        answers.append((status, out, _without_traceback_paths(err), _tree(here)))
    assert answers[0] == answers[1]
    assert answers[0][0] in (0, 1, 2)


def _without_traceback_paths(err: str) -> str:
    """A --debug traceback differs in the frames above the command (Typer's or the script's):
    its last line, the error, is what must match."""
    return err.strip().splitlines()[-1] if err.startswith("Traceback") else err


def test_a_plain_fix_command_line_does_not_load_typer(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(FIXABLE)
    probe = (
        "import sys; sys.argv = ['dockmend', 'fix', '--check', '--offline', 'Dockerfile']\n"
        "from bot.cli import run\n"
        "try:\n    run()\nexcept SystemExit as exc:\n"
        "    print(exc.code, sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'pydantic')))"
    )
    _, out, _ = _run(probe, [], tmp_path, None)
    assert out.strip().splitlines()[-1] == "1 []"


def test_a_fast_fix_leaves_its_objects_to_the_process_end(tmp_path: Path) -> None:
    """The interpreter's exit would collect every object of the run (a tenth of a one-file
    run): the fast path freezes them first; the Typer path and the exit handlers are as usual."""
    (tmp_path / "Dockerfile").write_text(CLEAN)
    probe = (
        "import gc, sys; sys.argv = ['dockmend', 'fix', '--check', '--offline', 'Dockerfile']\n"
        "from bot.cli import run\n"
        "try:\n    run()\nexcept SystemExit as exc:\n    print(exc.code, gc.get_freeze_count() > 0)"
    )
    _, out, _ = _run(probe, [], tmp_path, None)
    assert out.strip().splitlines()[-1] == "0 True"
