"""The image's HEALTHCHECK command, run as the container runs it, against `dockmend serve`
started with deploy/config/dockmend.yaml (only the listen address moved to a free port)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from tests.deploy.files import CONFIG, DOCKERFILE, ROOT, config_references
from tests.registry.servers import free_port

WAIT = 60.0  # seconds: an upper bound for the service to come up, not a pace


def _healthcheck(port: int) -> list[str]:
    parser = DockerfileParser(fileobj=io.BytesIO(DOCKERFILE.read_bytes()))  # never ./Dockerfile
    (value,) = [i["value"] for i in parser.structure if i["instruction"] == "HEALTHCHECK"]
    argv: list[str] = json.loads(value.split("CMD", 1)[1])
    assert argv[0] == "python"
    return [sys.executable, *(a.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for a in argv[1:])]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    path = tmp_path / "dockmend.yaml"
    path.write_text(CONFIG.read_text().replace("listen: 0.0.0.0:8080", f"listen: 127.0.0.1:{port}"))
    env = {name: f"dummy-{name.lower()}-0123456789abcdef" for name in config_references()}
    env |= {"DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path}/dockmend.db", "HOME": str(tmp_path)}
    env |= {k: os.environ[k] for k in ("PATH", "PYTHONPATH") if k in os.environ}
    cmd = [sys.executable, "-m", "bot", "serve", "--config", str(path), "--log-format", "json"]
    with (tmp_path / "serve.log").open("wb") as log:  # read it when a test fails
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc, port
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def test_healthcheck_passes_while_serving_and_fails_after(service: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = service
    check = _healthcheck(port)
    deadline = time.monotonic() + WAIT  # the service migrates its database first
    while not _up(f"http://127.0.0.1:{port}/healthz"):
        assert proc.poll() is None and time.monotonic() < deadline, "dockmend serve did not come up"
        time.sleep(0.2)
    assert subprocess.run(check, check=False, capture_output=True).returncode == 0
    assert _up(f"http://127.0.0.1:{port}/readyz")
    proc.send_signal(signal.SIGTERM)  # what docker stop, systemd and Kubernetes send
    assert proc.wait(timeout=WAIT) == 0
    assert subprocess.run(check, check=False, capture_output=True).returncode != 0
