"""`dockmend fix` as a CI and editor tool: the repository's settings, walks, stdin, streams."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import CLEAN, git_repo, invoke

CACHE = "FROM alpine:3.20\nRUN apk add curl\nUSER 1001\n"  # DM104 rewrites it


def test_the_repository_settings_apply_as_the_bot_applies_them(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "svc").mkdir()
    (repo / "svc" / "Dockerfile").write_text(CACHE)
    (repo / ".dockmend.yml").write_text("fixers: {ignore: [DM105]}\nlabels: {org.opencontainers.image.vendor: Blue}\n")
    data = json.loads(invoke("--check", "--offline", "--format", "json", str(repo / "svc")).stdout)
    assert {f["code"] for f in data["files"][0]["fixes"]} == {"DM104"}  # DM105 ignored by the repository
    # --select on the command line wins over the repository's ignore; its labels are used
    data = json.loads(invoke("--diff", "--offline", "--format", "json", "--select", "DM105", str(repo)).stdout)
    assert [f["code"] for f in data["files"][0]["fixes"]] == ["DM105"]
    result = invoke("--diff", "--offline", "--select", "DM105", str(repo))
    assert 'org.opencontainers.image.vendor="Blue"' in result.stdout
    # --config merges over .dockmend.yml: its labels win, the repository's ignore still applies
    cfg = tmp_path / "c.yaml"
    cfg.write_text("labels: {org.opencontainers.image.vendor: Red}\n")
    data = json.loads(invoke("--check", "--offline", "--format", "json", "--config", str(cfg), str(repo)).stdout)
    assert {f["code"] for f in data["files"][0]["fixes"]} == {"DM104"}
    result = invoke("--diff", "--offline", "--select", "DM105", "--config", str(cfg), str(repo))
    assert 'org.opencontainers.image.vendor="Red"' in result.stdout


def test_enabled_false_skips_the_repository(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "Dockerfile").write_text(CACHE)
    (repo / ".dockmend.yml").write_text("enabled: false\n")
    result = invoke("--check", "--offline", str(repo))
    assert result.exit_code == 0 and "enabled: false" in result.output
    assert "0 file(s) checked" in result.stdout


def test_the_config_is_found_only_up_to_the_git_root(tmp_path: Path) -> None:
    (tmp_path / ".dockmend.yml").write_text("enabled: false\n")  # above the repository: not its settings
    repo = git_repo(tmp_path / "repo")
    (repo / "Dockerfile").write_text(CACHE)
    assert invoke("--check", "--offline", str(repo)).exit_code == 1


def test_exclude_and_templates(tmp_path: Path) -> None:
    for name in ("a/Dockerfile", "gen/Dockerfile", "b/Dockerfile.prod", "Dockerfile.j2", "x.Dockerfile.tpl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(CLEAN)
    data = json.loads(
        invoke(
            "--check", "--offline", "--format", "json", "--exclude", "gen", "--exclude", "*.prod", str(tmp_path)
        ).stdout
    )
    assert [Path(f["path"]).relative_to(tmp_path).as_posix() for f in data["files"]] == ["a/Dockerfile"]
    # a template named explicitly is processed: FROM ${BASE} templates can be valid Dockerfiles
    assert invoke("--check", "--offline", str(tmp_path / "Dockerfile.j2")).exit_code == 0


def test_stdin_to_stdout(tmp_path: Path) -> None:
    result = invoke("--offline", "--select", "DM104", "-", stdin=CACHE.encode())
    assert result.exit_code == 0
    assert result.stdout == "FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER 1001\n"
    assert "DM104" in result.stderr and "1 file(s) checked" in result.stderr
    check = invoke("--check", "--offline", "--select", "DM104", "-", stdin=CACHE.encode())
    assert check.exit_code == 1 and "-:2 DM104" in check.stdout
    assert invoke("--offline", "-", str(tmp_path), stdin=b"").exit_code == 2
    broken = invoke("--offline", "-", stdin=b"FROM a\n\xff\n")  # not UTF-8: given back unchanged, exit 2
    assert broken.exit_code == 2 and broken.stdout_bytes == b"FROM a\n\xff\n"
    assert "-:2: error: not valid UTF-8" in broken.stderr


def test_diagnostics_go_to_stderr_when_stdout_carries_a_diff(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CACHE)
    result = invoke("--diff", "--offline", "--select", "DM104", str(tmp_path))
    assert result.stdout.startswith("--- ") and "+RUN apk add --no-cache curl" in result.stdout
    assert "consolidate-cleanup" not in result.stdout and "file(s) checked" not in result.stdout
    assert "consolidate-cleanup" in result.stderr and "would rewrite 1" in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == CACHE


def test_quiet_and_color(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CACHE)
    quiet = invoke("--check", "--offline", "--quiet", "--select", "DM104", str(tmp_path))
    assert quiet.exit_code == 1 and quiet.stdout == "" and quiet.stderr == ""
    always = invoke("--check", "--offline", "--color", "always", "--select", "DM104", str(tmp_path))
    assert "\x1b[" in always.stdout
    never = invoke("--check", "--offline", "--color", "never", "--select", "DM104", str(tmp_path))
    assert "\x1b[" not in never.stdout
    auto = invoke("--check", "--offline", "--color", "auto", "--select", "DM104", str(tmp_path), env={"NO_COLOR": "1"})
    assert "\x1b[" not in auto.stdout  # not a terminal, and NO_COLOR


def test_a_missing_path_is_a_per_path_error_after_the_others(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CACHE)
    result = invoke("--offline", "--select", "DM104", str(tmp_path / "Dockerfile"), str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'missing'}: error: no such file or directory" in result.stderr
    assert "2 file(s) checked, rewrote 1 (1 fix(es)), 0 finding(s), 1 error(s)" in result.stdout
    assert "--no-cache" in (tmp_path / "Dockerfile").read_text()  # the other file was processed


LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)


def test_a_git_lfs_pointer_is_skipped_with_its_reason_not_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(LFS_POINTER)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text(CACHE)
    result = invoke("--check", "--offline", str(tmp_path))
    assert result.exit_code == 1  # b/Dockerfile's fix; the pointer is no error (that would be 2)
    assert "a Git LFS pointer" in result.stdout and "error" not in result.stderr
    assert "0 error(s)" in result.stdout
    written = invoke("--offline", str(tmp_path / "Dockerfile"))  # rewriting leaves the pointer as it is
    assert written.exit_code == 0 and (tmp_path / "Dockerfile").read_text() == LFS_POINTER
    # a Dockerfile that only mentions the spec line is a Dockerfile
    (tmp_path / "Dockerfile").write_text("FROM scratch\n# version https://git-lfs.github.com/spec/v1\n")
    assert "a Git LFS pointer" not in invoke("--check", "--offline", str(tmp_path / "Dockerfile")).stdout
