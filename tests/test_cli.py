from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app

runner = CliRunner()


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1001\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("garbage here\n")
    (tmp_path / "bad.Dockerfile").write_bytes(b"FROM a\n\xff\n")
    (tmp_path / "Dockerfile.dockerignore").write_text("*.md\n")
    return tmp_path


def test_discovery_json_and_exit_code_for_a_bad_file(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = runner.invoke(app, ["fix", "--format", "json", str(root)])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    paths = [Path(f["path"]).relative_to(root).as_posix() for f in data["files"]]
    assert paths == ["bad.Dockerfile", "svc/Dockerfile"]
    assert data["files"][0]["error"] == {"message": "not valid UTF-8", "line": 2}
    assert (root / "bad.Dockerfile").read_bytes() == b"FROM a\n\xff\n"
    assert data["summary"]["errors"] == 1


def test_explain_unknown_and_usage_errors(tmp_path: Path) -> None:
    assert "DM206" in runner.invoke(app, ["fix", "--explain", "DM206"]).stdout
    result = runner.invoke(app, ["fix", "--select", "DM999", str(tmp_path)])
    assert result.exit_code == 2 and "unknown fixer 'DM999'" in result.stderr
    assert runner.invoke(app, ["fix", str(tmp_path / "missing")]).exit_code == 2


def test_broken_config_names_line_and_column(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("labels: {}\nfixer:\n  select: [DM104]\n")
    result = runner.invoke(app, ["fix", "--config", str(cfg), str(tmp_path)])
    assert result.exit_code == 2
    assert f"{cfg}:2:1: unknown key 'fixer' (did you mean 'fixers'?)" in result.stderr
