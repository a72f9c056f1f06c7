"""Untrusted Dockerfiles are parsed under a budget (issue 15): nested variable defaults
are refused by a linear guard before BuildKit's parser sees them, and whatever gets past
the guard is parsed in a child process killed at the file's deadline, so the file is a
per-file error ("too complex to parse within N s"), the next file is processed, and the
service (web app, health checks) keeps answering meanwhile.

To exercise the second line of defence, some tests lift the guard (``unguarded``): the
real parser then really takes minutes on the file, and only the time limit saves us."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.engine.options import RunOptions
from bot.engine.report import PlainReporter
from bot.engine.run import Runner
from bot.platforms.local import LocalPlatform
from bot.settings.config import load
from fixers import buildkit
from fixers.base import Context
from fixers.engine import run_fixers
from fixers.registry import FIXERS, by_name
from tests.checkouts import checkout
from tests.service.web.apps import app as web_app
from tests.service.web.serving import serve

runner = CliRunner()
FIXABLE = b"FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER 1000\n"


def nested(depth: int) -> bytes:
    """The file of the issue: 7 KB takes BuildKit's parser ~10 s, 19 KB ~200 s."""
    return b"FROM alpine:3.20\nRUN echo " + b"${a:-" * depth + b"x" + b"}" * depth + b"\n"


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildkit, "MAX_SUBSTITUTION_DEPTH", 10**9)


def test_nested_defaults_are_refused_by_the_guard_at_once() -> None:
    start = time.monotonic()
    report = run_fixers("Dockerfile", nested(3800), Context(offline=True), list(FIXERS.values()), by_name())
    assert time.monotonic() - start < 2
    assert report.error is not None and report.error.line == 2
    assert report.error.message == "variable substitutions nested 3800 deep (at most 16 are parsed)"
    assert report.after == report.before


def test_sixteen_levels_still_parse() -> None:
    report = run_fixers("Dockerfile", nested(16), Context(offline=True), list(FIXERS.values()), by_name())
    assert report.error is None


def test_over_budget_is_a_per_file_error_and_the_next_file_is_processed(
    tmp_path: Path, unguarded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKMEND_PARSE_TIMEOUT", "2")
    (tmp_path / "a.Dockerfile").write_bytes(nested(3800))
    (tmp_path / "b.Dockerfile").write_bytes(FIXABLE)
    start = time.monotonic()
    result = runner.invoke(app, ["fix", "--check", "--offline", "--format", "json", str(tmp_path)])
    assert time.monotonic() - start < 15  # the parse alone would take minutes
    assert result.exit_code == 2
    first, second = json.loads(result.stdout)["files"]
    assert first["error"] == {"message": "too complex to parse within 2 s", "line": 1}
    assert second["error"] is None and second["changed"] and second["fixes"]


def test_the_budget_is_per_call_and_a_killed_child_is_replaced(unguarded: None) -> None:
    fixers, names = list(FIXERS.values()), by_name()
    start = time.monotonic()
    report = run_fixers("a", nested(3800), Context(offline=True), fixers, names, parse_timeout=1)
    assert report.error is not None and report.error.message == "too complex to parse within 1 s"
    assert time.monotonic() - start < 6
    assert run_fixers("b", FIXABLE, Context(offline=True), fixers, names, parse_timeout=1).fixes


def test_healthz_answers_within_a_second_while_the_service_scans_a_hostile_file(
    tmp_path: Path, unguarded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's own path (Runner → scan → run_fixers) in a thread of this process,
    uvicorn in another: were the parser run in-process, it would hold the Python lock
    and /healthz would not answer until it is done."""
    monkeypatch.setenv("DOCKMEND_PARSE_TIMEOUT", "4")
    co = tmp_path / "co"
    checkout(co, "api", {"Dockerfile": nested(3800), "svc/Dockerfile": FIXABLE})
    (tmp_path / "dockmend.yaml").write_text(
        "platforms:\n  here: {type: local, path: co}\ntargets:\n  - {name: mine, platform: here}\n"
    )
    cfg = load(tmp_path / "dockmend.yaml")
    out = io.StringIO()
    run = Runner(cfg, {"here": LocalPlatform("here", co)}, PlainReporter(out, io.StringIO()), RunOptions(dry_run=True))
    with serve(web_app()) as url:
        worker = threading.Thread(target=run.run, kwargs={})
        worker.start()
        answered: list[float] = []
        while worker.is_alive():
            start = time.monotonic()
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                assert response.status == 200
            answered.append(time.monotonic() - start)
            time.sleep(0.1)
        worker.join()
    assert len(answered) >= 10, answered  # the run lasted its 4 s budget, and was polled
    assert max(answered) < 1.0, answered
    said = out.getvalue()
    assert "too complex to parse within 4 s" in said
    assert "apt-get" in said  # the other Dockerfile was fixed (the dry run's diff)


# Where the parse runs: a small, plain file in this process (no child's start), the rest in
# a child under the budget. The bounds keep the worst in-process parse to milliseconds.
SMALL = "FROM alpine:3.20\nRUN echo ${a:-x}\n"


def continued(lines: int, escape: str = "\\") -> str:
    """An instruction of ``lines`` lines ending in the escape character, then its last line."""
    return f"FROM a\nRUN echo {escape}\n" + f"  a {escape}\n" * (lines - 1) + "  end\n"


@pytest.mark.parametrize(
    ("text", "escape", "here"),
    [
        (SMALL, "\\", True),
        ("FROM a\n" + "RUN echo hello\n" * 1000, "\\", True),  # 15 KB
        ("FROM a\n" + "RUN echo hello\n" * 1200, "\\", False),  # over 16 KiB
        ("FROM a\nRUN echo " + "é" * 8200 + "\n", "\\", False),  # 16 KiB of text, over it in bytes
        (nested(16).decode(), "\\", True),
        (nested(17).decode(), "\\", False),
        (continued(1000), "\\", True),
        (continued(1001), "\\", False),
        (continued(1001, "`"), "`", False),
        (continued(1001, "`"), "\\", True),  # the escape decides what continues a line
        ("FROM a\nRUN echo \udcff\n", "\\", False),  # not UTF-8: the child's refusal
    ],
    ids=lambda value: value[:12] if isinstance(value, str) else str(value),
)
def test_what_is_parsed_in_process(text: str, escape: str, here: bool) -> None:
    assert buildkit.in_process(text, escape) is here


class NoChild:
    def __init__(self) -> None:
        raise AssertionError("a parser child was started")


def test_a_small_file_starts_no_child_and_a_large_one_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildkit, "_Child", NoChild)
    commands = buildkit.parse(SMALL, buildkit.Budget.start())
    assert [c.cmd for c in commands] == ["FROM", "RUN"]
    with pytest.raises(AssertionError, match="a parser child was started"):
        buildkit.parse(continued(1001), buildkit.Budget.start())


CORPUS = sorted((Path(__file__).parent.parent / "data" / "corpus" / "files").iterdir())


def test_in_process_answers_are_the_childs_for_the_corpus() -> None:
    """Every corpus file small enough, plus parse errors: the same commands or error."""
    texts = [p.read_text("utf-8", "surrogateescape") for p in CORPUS]
    texts = [t for t in texts if buildkit.in_process(t)]
    texts += ["", "# only a comment\n", "FROM a\nRUN <<EOF\nno end\n", "FROM a\nRUN " + "x" * 70000 + "\n"]
    assert len(texts) > 400
    budget = buildkit.Budget.start()
    for text in texts:
        assert buildkit._parse_here(text) == buildkit._parse_in_child(text, budget), text[:200]


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\n" + "RUN <<EOF\nhello\nEOF\n" * 800,
        "FROM a\nRUN echo " + "${a:-" * 16 + "x" + "}" * 16 + "\n",
        "FROM a\n" + ("RUN echo " + "${a:-" * 16 + "x" + "}" * 16 + "\n") * 150,
        "FROM a\n" + "ENV a=${b:-c} d=$e\n" * 800,
        continued(1000),
    ],
    ids=["heredocs", "nested-16", "many-nested-16", "env-defaults", "continued-1000"],
)
def test_the_worst_in_process_shapes_parse_in_milliseconds(text: str) -> None:
    assert buildkit.in_process(text)
    start = time.monotonic()
    buildkit._parse_here(text)
    assert time.monotonic() - start < 0.25  # measured: ~25 ms at most; the bound is for a loaded machine
