"""A fast start: `import bot.cli`, `dockmend --version` and `dockmend fix --check FILE` load
none of the service's stacks (web, scheduler, database, forges), the configuration models
or httpx; a plain `dockmend fix` command line loads no CLI framework (Typer, Click, the
pydantic Typer converts parameters with), and a clean file's check loads nothing that only
a rewrite, a document format, a parser child or a registry needs (bench/latency.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import ROOT

HEAVY = (
    "fastapi",
    "uvicorn",
    "starlette",
    "sqlalchemy",
    "apscheduler",
    "alembic",
    "github",
    "gitlab",
    "httpx",
    "jinja2",
    "requests",
    "psycopg",
    "slack_sdk",
    "prometheus_client",
)
PROBE = """
import json, sys
sys.argv = ["dockmend", *sys.argv[1:]]
import bot.cli
code = None
if len(sys.argv) > 1:
    try:
        bot.cli.run()
    except SystemExit as exc:
        code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY or m.startswith(("bot.settings", "bot.service",
                "bot.state", "bot.registry")))
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[object, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    last = json.loads(proc.stderr.strip().splitlines()[-1])
    return last["code"], last["loaded"]


def test_import_bot_cli_is_lean() -> None:
    assert _loaded() == (None, [])


def test_version_is_lean() -> None:
    assert _loaded("--version") == (0, [])


def test_fix_check_is_lean(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY app /app\nUSER 1001\n")  # no registry look-up needed
    assert _loaded("fix", "--check", str(dockerfile)) == (0, [])
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\n")
    code, loaded = _loaded("fix", "--check", "--offline", "--format", "sarif", str(dockerfile))
    assert (code, loaded) == (1, [])


# What a check of a clean file (no rewrite, text output, --offline, outside git) must not load.
ON_DEMAND = (
    "typer",
    "click",
    "pydantic",
    "subprocess",  # a parser child
    "tempfile",  # a write
    "shutil",
    "dockerfile_parse",  # the gate, on a rewrite
    "logging",
    "difflib",  # a diff, SARIF fixes
    "hashlib",  # GitLab fingerprints
    "json",  # documents, exec-form rewrites
    "configparser",  # a git checkout's origin
    "fixers.baseimages",  # the registry fixers
    "fixers.versioning",
    "bot.platforms.base",
)
ON_DEMAND_PROBE = """
import sys
before = set(sys.modules)  # what the interpreter's start loaded (site and its .pth hooks) is not dockmend's
sys.argv = ["dockmend", "fix", "--check", "--offline", "Dockerfile"]
from bot.cli import run
try:
    run()
except SystemExit as exc:
    print(exc.code, sorted(m for m in set(sys.modules) - before if m in ON_DEMAND or m.split(".")[0] in ON_DEMAND))
"""


def test_a_clean_check_loads_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY app /app\nUSER 1001\n")
    proc = subprocess.run(
        [sys.executable, "-c", f"ON_DEMAND = {ON_DEMAND!r}\n{ON_DEMAND_PROBE}"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stderr


def test_the_probe_sees_a_heavy_import() -> None:
    """The checks above can fail: a command that validates a configuration loads the models."""
    code, loaded = _loaded("config", "check", str(ROOT / "examples" / "dockmend.local.yaml"))
    assert code == 0 and any(m.startswith("bot.settings") for m in loaded)


def test_the_service_commands_name_the_extra_when_it_is_missing() -> None:
    """With the lean install only (here: the service's packages made unimportable),
    `dockmend run` says which extra to install instead of a traceback."""
    code = (
        "import sys\n"
        "for name in ('sqlalchemy', 'fastapi', 'apscheduler'): sys.modules[name] = None\n"
        "sys.argv = ['dockmend', 'run', '--config', 'examples/dockmend.local.yaml', '--dry-run', '--offline']\n"
        "from bot.cli import run\n"
        "run()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'dockmend[service]'" in proc.stderr and "Traceback" not in proc.stderr
