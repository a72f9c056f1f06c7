"""Severities, --fail-on and the exit-code table of `dockmend fix --check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixers.base import Risk
from fixers.registry import FIXERS
from fixers.severity import DEFAULTS, Severity, at_or_above, default, severity_of
from tests.cli.helpers import CLEAN, ROOT_ONLY, SECRET_SSHD, git_repo, invoke


def test_every_code_has_a_severity_and_a_literal_secret_is_an_error() -> None:
    assert set(DEFAULTS) <= set(FIXERS)
    for code, fixer in FIXERS.items():
        assert isinstance(default(code, fixer.RISK), Severity)
    assert default("DM201", Risk.REPORT) is Severity.ERROR
    # a code added later without an entry gets its default from its risk
    assert default("DM199", Risk.SAFE) is Severity.INFO
    assert default("DM198", Risk.REVIEW) is Severity.WARNING
    assert default("DM299", Risk.REPORT) is Severity.WARNING
    assert severity_of("DM205", Risk.REPORT, {"DM205": "error"}) is Severity.ERROR


def test_thresholds() -> None:
    assert at_or_above(Severity.ERROR, "warning") and at_or_above(Severity.WARNING, "warning")
    assert not at_or_above(Severity.INFO, "warning") and at_or_above(Severity.INFO, "info")
    assert not at_or_above(Severity.ERROR, "never")


@pytest.mark.parametrize(
    ("text", "fail_on", "code"),
    [
        (CLEAN, "info", 0),  # nothing to report
        (SECRET_SSHD, "error", 1),  # DM201 is an error (and a fix would apply anyway)
        (ROOT_ONLY, "warning", 1),  # DM206 is a warning
        (ROOT_ONLY, "error", 0),  # ... below error
        (ROOT_ONLY, "never", 0),
    ],
)
def test_fail_on(tmp_path: Path, text: str, fail_on: str, code: int) -> None:
    (tmp_path / "Dockerfile").write_text(text)
    result = invoke("--check", "--offline", "--ignore", "DM105", "--fail-on", fail_on, str(tmp_path / "Dockerfile"))
    assert result.exit_code == code, result.output


def test_default_threshold_is_warning_and_a_rewrite_always_fails_check(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(ROOT_ONLY)
    assert invoke("--check", "--offline", "--ignore", "DM105", str(tmp_path)).exit_code == 1
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\nUSER 1001\n")  # DM104: a rewrite
    result = invoke("--check", "--offline", "--fail-on", "never", "--select", "DM104", str(tmp_path))
    assert result.exit_code == 1 and "DM104" in result.stdout
    assert invoke("--offline", "--select", "DM104", str(tmp_path)).exit_code == 0  # rewriting is no failure


def test_a_secret_and_sshd_fail_check(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(SECRET_SSHD)
    result = invoke("--check", "--offline", "--format", "json", "--select", "DM201,DM202", str(tmp_path))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["files"][0]["findings"]
    assert {(f["code"], f["severity"]) for f in findings} == {("DM201", "error"), ("DM202", "warning")}


def test_severity_from_the_configuration_and_the_repository(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "Dockerfile").write_text(ROOT_ONLY)
    (repo / ".dockmend.yml").write_text("severity: {root-user: info}\nfixers: {ignore: [DM105]}\n")
    assert invoke("--check", "--offline", str(repo)).exit_code == 0  # DM206 demoted to info
    cfg = tmp_path / "c.yaml"
    cfg.write_text("severity: {DM206: error}\n")
    result = invoke("--check", "--offline", "--fail-on", "error", "--config", str(cfg), "--format", "json", str(repo))
    assert result.exit_code == 1  # --config merges over .dockmend.yml
    assert json.loads(result.stdout)["files"][0]["findings"][0]["severity"] == "error"


def test_a_bad_severity_is_a_per_file_error(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "Dockerfile").write_text(CLEAN)
    (repo / ".dockmend.yml").write_text("severity: {DM206: fatal}\n")
    result = invoke("--check", "--offline", str(repo))
    assert result.exit_code == 2
    assert "severity.DM206: 'fatal' is not one of error, warning, info" in result.stderr
    assert "1 file(s) checked" in result.stdout and "1 error(s)" in result.stdout


def test_explain_shows_the_default_severity() -> None:
    assert "default severity: error" in invoke("--explain", "DM201").stdout


def test_help_has_the_exit_code_table() -> None:
    text = " ".join(invoke("--help").stdout.split())
    assert "0 nothing to report" in text and "1 --check: a file would change" in text
    assert "2 a usage or configuration error" in text
