"""The comparison and the declarations on hand-made diffs (no builds: runs everywhere)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.equivalence.declarations import DECLARATIONS, exec_inserted
from tests.equivalence.process import not_simple, process, shell_form
from tests.equivalence.snapshot import ConfigDiff, Entry, FileDiff, ImageDiff, compare_trees, config, tree

SCRIPT = b'#!/bin/sh\nset -e\nmkdir -p /run/app\n\n# serve\n  "$@"\n# end\n'


@pytest.mark.parametrize(
    ("after", "ok"),
    [
        (b'#!/bin/sh\nset -e\nmkdir -p /run/app\n\n# serve\n  exec "$@"\n# end\n', True),
        (b'#!/bin/sh\nset -e\nexec mkdir -p /run/app\n\n# serve\n  "$@"\n# end\n', False),  # not the last command
        (b'#!/bin/sh\nset -e\nmkdir -p /run/app\n\n# serve\nexec   "$@"\n# end\n', False),  # indentation moved
        (b'#!/bin/sh\nset -e\nmkdir -p /run/app\n\n# serve\n  exec "$@" &\n# end\n', False),
        (b'#!/bin/sh\nset -e\nmkdir -p /run/app\n\n# serve\n  exec "$@"\n', False),  # a line dropped
        (SCRIPT, False),
    ],
)
def test_exec_is_inserted_on_the_last_command_only(after: bytes, ok: bool) -> None:
    assert exec_inserted(SCRIPT, after) is ok


A = "org.opencontainers.image.authors"
FILE = Entry("f", 0o644, "0:0", 10, sha256="a")
LISTS = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease"


def _diff(*files: FileDiff, config: tuple[ConfigDiff, ...] = (), argv: object = None) -> ImageDiff:
    return ImageDiff(list(files), list(config), argv)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "diff", "outside"),
    [
        ("DM104", _diff(FileDiff(LISTS, FILE, None), FileDiff("/var/cache/apt/pkgcache.bin", FILE, None)), 0),
        ("DM104", _diff(FileDiff("/root/.cache/pip/http/x", FILE, None)), 0),
        ("DM104", _diff(FileDiff("/home/app/.cache/pip", FILE, None)), 0),  # `rm -rf ~/.cache/pip`
        ("DM104", _diff(FileDiff("/home/app/.cache/pipx", FILE, None)), 1),
        ("DM104", _diff(FileDiff("/usr/bin/curl", FILE, None)), 1),
        ("DM104", _diff(FileDiff(LISTS, None, FILE)), 1),  # added, not removed
        ("DM104", _diff(FileDiff("/var/lib/apt/listsX", FILE, None)), 1),
        ("DM104", _diff(config=(ConfigDiff("Env", ["A=1"], ["A=2"]),)), 1),
        ("DM103", _diff(), 0),
        ("DM103", _diff(FileDiff("/etc/passwd", FILE, Entry("f", 0o644, "0:0", 11, sha256="b"))), 1),
        ("DM105", _diff(config=(ConfigDiff("Labels", {"a": "1"}, {"a": "1", "b": "2"}),)), 0),
        ("DM105", _diff(config=(ConfigDiff("Labels", None, {"b": "2"}),)), 0),
        ("DM105", _diff(config=(ConfigDiff("Labels", {"a": "1"}, {"a": "2"}),)), 1),
        ("DM105", _diff(config=(ConfigDiff("Labels", {"a": "1"}, {"b": "2"}),)), 1),  # one dropped
        ("DM105", _diff(config=(ConfigDiff("User", None, "app"),)), 1),
        ("DM106", _diff(config=(ConfigDiff("Cmd", ["sh", "-c", "x"], ["x"]),), argv=(("x",), ("x",))), 0),
        ("DM106", _diff(config=(ConfigDiff("Cmd", ["sh", "-c", "x y"], ["x"]),), argv=(("x", "y"), ("x",))), 1),
        ("DM106", _diff(config=(ConfigDiff("Cmd", ["sh", "-c", "x &"], ["x"]),), argv=("not evaluated", ("x",))), 1),
        ("DM106", _diff(config=(ConfigDiff("Cmd", ["sh", "-c", "x"], ["x"]),)), 1),  # never evaluated
        ("DM106", _diff(config=(ConfigDiff("WorkingDir", None, "/app"),)), 1),
        ("DM107", _diff(FileDiff("/e.sh", FILE, FILE, SCRIPT, SCRIPT.replace(b'  "$@"', b'  exec "$@"'))), 0),
        ("DM107", _diff(FileDiff("/e.sh", FILE, Entry("f", 0o755, "0:0", 10, sha256="b"), SCRIPT, SCRIPT)), 1),
        ("DM107", _diff(FileDiff("/e.sh", FILE, None)), 1),
        (
            "DM108",
            _diff(config=(ConfigDiff("Author", "ops", None), ConfigDiff("Labels", {"a": "1"}, {"a": "1", A: "ops"}))),
            0,
        ),
        ("DM108", _diff(config=(ConfigDiff("Author", "ops", None), ConfigDiff("Labels", None, {A: "ops"}))), 0),
        ("DM108", _diff(config=(ConfigDiff("Author", "ops", None),)), 0),  # an equal label was already there
        ("DM108", _diff(config=(ConfigDiff("Author", "ops", None), ConfigDiff("Labels", None, {A: "dev"}))), 1),
        ("DM108", _diff(config=(ConfigDiff("Author", "ops", None), ConfigDiff("Labels", {"a": "1"}, {A: "ops"}))), 1),
        ("DM108", _diff(config=(ConfigDiff("Author", "ops", "dev"),)), 1),
        ("DM108", _diff(config=(ConfigDiff("Labels", None, {A: "ops"}),)), 1),  # Author was never set
        ("DM108", _diff(FileDiff("/x", FILE, None), config=(ConfigDiff("Author", "ops", None),)), 1),
        ("DM109", _diff(), 0),
        ("DM109", _diff(FileDiff("/rootfs/a.txt", None, FILE)), 1),  # an archive unpacked, or not
        ("DM109", _diff(config=(ConfigDiff("Labels", None, {"a": "1"}),)), 1),
        ("DM110", _diff(FileDiff(LISTS, FILE, None)), 0),
        ("DM110", _diff(FileDiff("/usr/bin/jq", FILE, None)), 1),
        ("DM111", _diff(), 0),
        ("DM111", _diff(FileDiff("/usr/bin/jq", FILE, None)), 1),
    ],
)
def test_declarations(code: str, diff: ImageDiff, outside: int) -> None:
    assert len(DECLARATIONS[code](diff)) == outside


@pytest.mark.parametrize(
    ("argv", "split"),
    [
        (["/bin/sh", "-c", "x y", "a"], (["/bin/sh", "-c"], "x y", ["a"])),
        (["/bin/bash", "-o", "pipefail", "-c", "x"], (["/bin/bash", "-o", "pipefail", "-c"], "x", [])),
        (["/usr/bin/tini", "--", "sh", "-c", "x"], (["/usr/bin/tini", "--", "sh", "-c"], "x", [])),
        (["python", "app.py", "sh", "-c", "x"], None),
        (["python", "-c", "print(1)"], None),
        (["sh", "-c"], None),
    ],
)
def test_shell_form(argv: list[str], split: object) -> None:
    assert shell_form(argv) == split


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("nginx -g 'daemon off;'", None),
        ('exec gunicorn "app:app"', None),
        ("a && b", "shell operator '&&'"),
        ("a > log", "shell operator '>'"),
        ("a | b", "shell operator '|'"),
        ("echo $(id)", "command substitution"),
        ("a\nb", "several lines"),
        ("FOO=1 server", "no command, or a variable assignment before it"),
        ("echo 'open", "unbalanced quoting (No closing quotation)"),
    ],
)
def test_not_simple(command: str, problem: str | None) -> None:
    assert not_simple(command) == problem


def _host_shell(argv: list[str]) -> bytes:
    return subprocess.run(argv, capture_output=True, check=True, env={"HOME": "/home/app"}).stdout


@pytest.mark.parametrize(
    ("config", "argv"),
    [
        ({"Cmd": ["/bin/sh", "-c", "exec nginx -g 'daemon off;'"]}, ("nginx", "-g", "daemon off;")),
        ({"Cmd": ["/bin/sh", "-c", 'ls "$HOME"/a\\ b']}, ("ls", "/home/app/a b")),
        ({"Entrypoint": ["tini", "--"], "Cmd": ["run", "x"]}, ("tini", "--", "run", "x")),
        ({"Entrypoint": ["tini", "--"], "Cmd": ["/bin/sh", "-c", "exec run x"]}, ("tini", "--", "run", "x")),
        ({"Cmd": ["/bin/sh", "-c", "a; b"]}, "not evaluated: shell operator ';' in 'a; b'"),
    ],
)
def test_process_evaluates_the_shell_form(config: dict[str, list[str]], argv: object) -> None:
    assert process(config, _host_shell) == argv


def test_trees_ignore_directory_sizes_and_volatile_contents(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for root, log in ((one, "Start-Date: 1"), (two, "Start-Date: 2")):
        (root / "var/log").mkdir(parents=True)
        (root / "var/log/dpkg.log").write_text(log)
        (root / "etc").mkdir()
        (root / "etc/motd").write_text("hi")
    for i in range(200):  # grows the directory's own size
        (two / "etc" / f"f{i}").touch()
        (two / "etc" / f"f{i}").unlink()
    (two / "etc/motd").chmod(0o600)
    os.symlink("/etc/motd", two / "motd")
    changes = compare_trees(tree(one), tree(two))
    assert [(c.path, c.kind) for c in changes] == [("/etc/motd", "changed"), ("/motd", "added")]


def test_config_keeps_what_matters_and_drops_empty_values() -> None:
    raw = {"Env": ["PATH=/bin"], "Cmd": None, "Labels": {}, "Hostname": "x", "Healthcheck": {"Test": ["NONE"]}}
    assert config(raw) == {"Env": ["PATH=/bin"], "Healthcheck": {"Test": ["NONE"]}}
