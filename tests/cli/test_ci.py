"""The GitHub Action, the GitLab CI template and the pre-commit hooks, run as their runners
would run them: their command lines, read from the YAML, in a temporary repository with
this checkout's dockmend on PATH."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.cli.helpers import ROOT, SECRET_SSHD, git_repo

SCHEMA = json.loads((ROOT / "tests" / "data" / "apis" / "sarif-schema-2.1.0.json").read_text())


def _yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text())


@pytest.fixture
def shim(tmp_path: Path) -> dict[str, str]:
    """An environment whose `dockmend` is this checkout's code."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "dockmend"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m bot "$@"\n')
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}


def _workspace(tmp_path: Path) -> Path:
    repo = git_repo(tmp_path / "work")
    (repo / "svc").mkdir()
    (repo / "svc" / "Dockerfile").write_text(SECRET_SSHD)
    (repo / "ok").mkdir()
    (repo / "ok" / "Dockerfile").write_text("FROM scratch\nMAINTAINER ops@example.com\nCOPY app /app\nUSER 1001\n")
    return repo


def _expand(text: str, inputs: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}", lambda m: inputs[m.group(1)], text)


def test_the_action_runs_check_and_uploads_sarif(tmp_path: Path, shim: dict[str, str]) -> None:
    action = _yaml(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    inputs = {name: str(spec["default"]) for name, spec in action["inputs"].items()}
    inputs["offline"] = "true"  # no registry in the tests
    install = next(s for s in steps if s.get("name") == "Install dockmend")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]  # installs the action's own checkout (not run here)
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert _expand(upload["with"]["sarif_file"], inputs) == "dockmend.sarif"
    repo = _workspace(tmp_path)
    output = tmp_path / "github_output"
    output.write_text("")
    check = next(s for s in steps if s.get("id") == "check")
    env = {**shim, **{k: _expand(v, inputs) for k, v in check["env"].items()}, "GITHUB_OUTPUT": str(output)}
    proc = subprocess.run(["bash", "-e", "-c", check["run"]], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "::error file=svc/Dockerfile,line=2,title=DM201 literal-secret::" in proc.stdout  # annotations
    sarif = json.loads((repo / "dockmend.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"svc/Dockerfile", "ok/Dockerfile"}  # relative to the repository, as code scanning wants
    assert output.read_text() == "exit-code=1\n"
    fail = next(s for s in steps if s.get("name") == "Fail on findings")
    env = {**shim, "STATUS": "1"}
    assert subprocess.run(["bash", "-c", fail["run"]], env=env, capture_output=True).returncode == 1
    env = {**shim, "STATUS": "0"}
    assert subprocess.run(["bash", "-c", fail["run"]], env=env, capture_output=True).returncode == 0


def test_the_gitlab_template_writes_a_code_quality_report(tmp_path: Path, shim: dict[str, str]) -> None:
    template = _yaml(ROOT / "ci" / "dockmend.gitlab-ci.yml")
    job = template["dockmend"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    guard, install, *commands = job["script"]
    assert install.startswith("python -m pip install") and "$DOCKMEND_PIP_SPEC" in install  # not run here
    repo = _workspace(tmp_path)
    env = {**shim, **{k: str(v) for k, v in template["variables"].items()}, "DOCKMEND_ARGS": "--offline"}
    unset = subprocess.run(["sh", "-c", guard], env=env, capture_output=True, text=True)
    assert unset.returncode == 2 and "set DOCKMEND_PIP_SPEC" in unset.stderr  # no guessing a package name
    env["DOCKMEND_PIP_SPEC"] = "git+https://example.invalid/dockmend.git@0123abc"
    assert subprocess.run(["sh", "-c", guard], env=env).returncode == 0
    for command in commands:
        proc = subprocess.run(["sh", "-c", command], cwd=repo, env=env, capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr  # a secret: the job fails, and the report is kept (when: always)
    assert job["artifacts"]["when"] == "always"
    issues = json.loads((repo / "gl-code-quality-report.json").read_text())
    assert {i["location"]["path"] for i in issues} == {"svc/Dockerfile", "ok/Dockerfile"}
    assert any(i["check_name"] == "DM201" and i["severity"] == "critical" for i in issues)


def _pre_commit() -> list[str] | None:
    found = shutil.which("pre-commit")
    if found:
        return [found]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "pre_commit"]


def test_pre_commit_hooks_match_the_dockerfile_names() -> None:
    hooks = {h["id"]: h for h in _yaml(ROOT / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {"dockmend", "dockmend-check"}
    for hook in hooks.values():
        files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
        for name in ("Dockerfile", "a/Containerfile", "x/app.Dockerfile", "Dockerfile.prod"):
            assert files.search(name) and not exclude.search(name), name
        for name in ("Dockerfile.dockerignore", "Dockerfile.j2", "docker/Dockerfile.template"):
            assert not (files.search(name) and not exclude.search(name)), name


def test_the_readme_pre_commit_snippet_names_real_hooks_and_no_missing_tag() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("# .pre-commit-config.yaml\n") :]
    block = block[: block.index("```")]
    config = _yaml_text(block)
    (repo,) = config["repos"]
    defined = {h["id"] for h in _yaml(ROOT / ".pre-commit-hooks.yaml")}
    assert {h["id"] for h in repo["hooks"]} <= defined
    tags = subprocess.run(["git", "tag"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert repo["rev"] in tags or repo["rev"] == "<a full commit sha>", repo["rev"]


def _yaml_text(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def test_pre_commit_try_repo(tmp_path: Path) -> None:
    """The README's hook, installed by pre-commit from this checkout into its own
    virtualenv (offline here: pip's configured index), run on one file."""
    command = _pre_commit()
    if command is None:
        pytest.skip("pre-commit is not installed (it is in the dev extras)")
    repo = _workspace(tmp_path)
    (repo / "svc" / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\nUSER 1001\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    proc = subprocess.run(
        [*command, "try-repo", str(ROOT), "dockmend", "--files", "svc/Dockerfile", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in proc.stdout and "DM104 consolidate-cleanup" in proc.stdout
    assert "apk add --no-cache curl" in (repo / "svc" / "Dockerfile").read_text()


def test_the_default_install_is_lean() -> None:
    """What the hooks install (the default dependencies) holds nothing of the service."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[]", d)[0].lower() for d in project["dependencies"]}
    service = {re.split(r"[<>=\[]", d)[0].lower() for d in project["optional-dependencies"]["service"]}
    assert names == {"dockerfile", "dockerfile-parse", "httpx", "pydantic", "ruamel.yaml", "typer"}
    assert {"fastapi", "sqlalchemy", "apscheduler", "alembic", "pygithub", "python-gitlab"} <= service
    assert "dockmend[service]" in project["optional-dependencies"]["dev"]
