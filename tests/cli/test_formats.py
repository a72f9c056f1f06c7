"""--format sarif (validated against the SARIF 2.1.0 schema), github and gitlab."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.cli.formats import replacements
from tests.cli.helpers import ROOT, SECRET_SSHD, invoke

SCHEMA = json.loads((ROOT / "tests" / "data" / "apis" / "sarif-schema-2.1.0.json").read_text())
ADVERSARIAL = ROOT / "tests" / "data" / "adversarial"
CACHE = "FROM alpine:3.20\nRUN apk add curl\nUSER 1001\n"


def _valid(document: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(document)


def _sarif(*args: str) -> dict[str, Any]:
    result = invoke("--check", "--offline", "--format", "sarif", *args)
    assert result.exit_code in (0, 1, 2), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    _valid(document)
    return document


def test_sarif_results_rules_and_fixes(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(SECRET_SSHD)
    run = _sarif(str(tmp_path / "Dockerfile"))["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"DM104", "DM201", "DM202"} <= set(rules)
    assert "Guideline:" in rules["DM201"]["help"]["text"] and rules["DM201"]["defaultConfiguration"]["level"] == "error"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["DM201"]["level"] == "error" and by_rule["DM202"]["level"] == "warning"
    assert by_rule["DM201"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    fixes = [r["fixes"] for r in run["results"] if "fixes" in r]
    assert len(fixes) == 1  # the file's whole rewrite, once
    # applying the replacements gives what `dockmend fix` writes
    before = (tmp_path / "Dockerfile").read_bytes()
    after = _apply(before, fixes[0][0]["artifactChanges"][0]["replacements"])
    assert invoke("--offline", str(tmp_path / "Dockerfile")).exit_code == 0
    assert after == (tmp_path / "Dockerfile").read_bytes() != before


def _apply(data: bytes, changes: list[dict[str, Any]]) -> bytes:
    for change in reversed(changes):
        region = change["deletedRegion"]
        start, length = region["byteOffset"], region["byteLength"]
        data = data[:start] + change["insertedContent"]["text"].encode() + data[start + length :]
    return data


def test_replacements_cover_insertions_deletions_and_the_last_line() -> None:
    for before, after in [(b"a\nb\nc", b"a\nc"), (b"a\n", b"a\nb\n"), (b"a\nb\n", b"x\nb\ny"), (b"", b"z\n")]:
        assert _apply(before, replacements(before, after)) == after


def test_sarif_over_the_adversarial_files_validates(tmp_path: Path) -> None:
    """Files that break in every way (binary, BOM, CRLF, heredocs, no FROM): errors are
    notifications, the rest results; the whole document is valid SARIF 2.1.0."""
    work = tmp_path / "files"
    shutil.copytree(ADVERSARIAL, work)
    run = _sarif(str(work))["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes and run["invocations"][0]["executionSuccessful"] is False
    assert run["results"]


def test_sarif_over_corpus_files_validates(tmp_path: Path, corpus_files: list[Path]) -> None:
    work = tmp_path / "corpus"
    work.mkdir()
    for source in corpus_files[:60]:
        shutil.copy(source, work / f"{source.name}.Dockerfile")
    run = _sarif(str(work))["runs"][0]
    assert len(run["results"]) > 60


def test_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("Dockerfile").write_text(SECRET_SSHD)
    result = invoke("--check", "--offline", "--format", "github", "Dockerfile", "missing")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert (
        "::error file=Dockerfile,line=2,title=DM201 literal-secret::ENV AWS_SECRET_ACCESS_KEY has a literal value"
        in lines
    )
    assert any(line.startswith("::warning file=Dockerfile,line=3,title=DM202 sshd::") for line in lines)
    assert any(
        line.startswith("::notice file=Dockerfile,line=3,title=DM104 consolidate-cleanup (fixable)::") for line in lines
    )
    assert "::error file=missing,title=dockmend%3A not processed::no such file or directory" in lines
    assert "file(s) checked" in result.stderr and "file(s) checked" not in result.stdout


def test_gitlab_code_quality(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("svc").mkdir()
    Path("svc/Dockerfile").write_text(SECRET_SSHD)
    result = invoke("--check", "--offline", "--format", "gitlab", ".")
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    secret = next(i for i in issues if i["check_name"] == "DM201")
    assert secret["severity"] == "critical" and secret["location"] == {"path": "svc/Dockerfile", "lines": {"begin": 2}}
    assert secret["description"].startswith("DM201: ")
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
    # the same findings give the same fingerprints when lines move
    Path("svc/Dockerfile").write_text("# a comment\n" + SECRET_SSHD)
    again = json.loads(invoke("--check", "--offline", "--format", "gitlab", ".").stdout)
    assert next(i for i in again if i["check_name"] == "DM201")["fingerprint"] == secret["fingerprint"]


def test_json_carries_severities_and_stays_json_on_stdout(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CACHE)
    result = invoke("--check", "--offline", "--format", "json", str(tmp_path))
    data = json.loads(result.stdout)
    assert data["fail_on"] == "warning"
    assert {f["severity"] for f in data["files"][0]["fixes"]} == {"info"}
    assert "--offline: skipping" in result.stderr
