"""Shared by the CLI tests: a CliRunner call that keeps stdout and stderr apart."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
SECRET_SSHD = (
    "FROM alpine:3.20\n"
    "ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    "RUN apk add openssh-server\n"
    "USER 1001\n"
)
CLEAN = "FROM scratch\nCOPY app /app\nUSER 1001\n"
ROOT_ONLY = "FROM alpine:3.20\nCOPY app /app\n"  # DM206 root-user (warning); DM105 aside, nothing to rewrite


def invoke(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["fix", *args], input=stdin, env=env)


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path
