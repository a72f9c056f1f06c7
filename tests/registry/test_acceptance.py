"""Issue 3's acceptance list, end to end: real registries (anonymous, Basic, Bearer) reached
through the ``registries: docker.io: mirror:`` setting, the real client, the engine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.resolve import run_resolve
from bot.registry.client import RegistryClient, resolver_from_config
from bot.settings.config import Config, load
from fixers.base import Context, Fixer, ImagePolicy
from fixers.engine import FileReport, run_fixers
from fixers.rules import bump_base_tag, pin_base_tag, unreachable_base
from tests.registry.conftest import ENV, Registries, Running

FIXERS: list[Fixer] = [unreachable_base, pin_base_tag, bump_base_tag]
MINOR = ImagePolicy(update_types=frozenset({"digest", "patch", "minor"}))
NAMES = {"dm101": "DM101", "dm102": "DM102", "dm207": "DM207"}
NOWHERE = Path("/nonexistent/config.json")


def client(running: Running, allow: tuple[str, ...] = ()) -> RegistryClient:
    config = running.config()
    config["allow"] = [*config["allow"], *allow]  # type: ignore[misc]
    return resolver_from_config(config, env=ENV, docker_config=NOWHERE)


def fix(running: Running, text: str, policy: ImagePolicy | None = None, allow: tuple[str, ...] = ()) -> FileReport:
    with client(running, allow) as resolver:
        ctx = Context(resolver=resolver, offline=False, policy=policy or ImagePolicy())
        return run_fixers("Dockerfile", text.encode(), ctx, FIXERS, NAMES)


def after(running: Running, text: str, policy: ImagePolicy | None = None) -> str:
    report = fix(running, text, policy)
    assert report.error is None
    assert not [f for f in report.findings if "safety gate" in f.message or "internal error" in f.message]
    return report.after.decode()


def test_latest_is_pinned_to_a_version_tag_of_the_same_digest(any_registry: Running) -> None:
    pushes = any_registry.pushes
    assert after(any_registry, "FROM alpine\n") == "FROM alpine:3.20\n"
    assert pushes.digest("library/alpine", "3.20") == pushes.digest("library/alpine", "latest")
    assert after(any_registry, "FROM python:latest AS app\n") == "FROM python:3.13 AS app\n"


def test_patch_bumps_keep_suffix_and_line(any_registry: Running) -> None:
    assert after(any_registry, "FROM alpine:3.18.0\n") == "FROM alpine:3.18.4\n"
    text = "FROM python:3.11.2-slim-bookworm\n"
    assert after(any_registry, text) == "FROM python:3.11.9-slim-bookworm\n"
    assert after(any_registry, text, MINOR) == "FROM python:3.12.4-slim-bookworm\n"
    assert after(any_registry, "FROM python:3.12-slim\n", MINOR) == "FROM python:3.13-slim\n"


def test_a_rebuilt_tags_digest_is_refreshed(any_registry: Running) -> None:
    pushes = any_registry.pushes
    old, new = pushes.before_rebuild, pushes.digest("library/alpine", "3.19")
    assert old != new
    assert after(any_registry, f"FROM alpine:3.19@{old}\n") == f"FROM alpine:3.19@{new}\n"


def test_pre_releases_are_never_proposed(anonymous: Running) -> None:
    major = ImagePolicy(update_types=frozenset({"digest", "patch", "minor", "major"}))
    for text in ("FROM alpine:3.20.0\n", "FROM python:3.13-slim\n", "FROM alpine:3.20\n"):
        assert after(anonymous, text, major) == text


def test_platform_and_stage_names_survive_and_platform_digests_are_used(anonymous: Running) -> None:
    arm64 = anonymous.pushes.platforms["library/alpine"]["latest"]["linux/arm64"]
    text = "FROM --platform=linux/arm64 alpine AS base\nRUN true\nFROM base\n"
    pinned = after(anonymous, text, ImagePolicy(pin_digests=True))
    assert pinned == f"FROM --platform=linux/arm64 alpine:3.20@{arm64} AS base\nRUN true\nFROM base\n"


def test_an_unreachable_base_is_a_finding_and_the_rest_is_still_fixed(anonymous: Running) -> None:
    text = "FROM 127.0.0.1:1/team/app:1.0 AS x\nFROM nosuch/image AS y\nFROM alpine:3.18.0\n"
    report = fix(anonymous, text, allow=("127.0.0.1:1",))
    assert report.after.decode() == "FROM 127.0.0.1:1/team/app:1.0 AS x\nFROM nosuch/image AS y\nFROM alpine:3.18.4\n"
    assert [(f.code, f.line) for f in report.findings] == [("DM207", 1), ("DM207", 2)]
    assert "127.0.0.1:1 cannot be reached" in report.findings[0].message
    assert "docker.io/nosuch/image" in report.findings[1].message


def test_a_host_not_allowed_is_a_finding_with_its_reason(anonymous: Running) -> None:
    text = "FROM 127.0.0.1:1/team/app:1.0 AS x\nFROM alpine:3.18.0\n"
    report = fix(anonymous, text)
    assert report.after.decode() == "FROM 127.0.0.1:1/team/app:1.0 AS x\nFROM alpine:3.18.4\n"
    assert [(f.code, f.line) for f in report.findings] == [("DM207", 1)]
    assert "registry host 127.0.0.1:1 not allowed: not a known public registry" in report.findings[0].message


def test_multi_stage_files_stay_consistent(anonymous: Running) -> None:
    text = "FROM alpine:3.18.0 AS build\nRUN make\nFROM alpine:3.18.0\nCOPY --from=build /a /a\n"
    assert after(anonymous, text) == text.replace("3.18.0", "3.18.4")


def test_a_config_file_with_only_registries_is_enough(anonymous: Running, tmp_path: Path) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(f"registries:\n  docker.io:\n    mirror: {anonymous.registry.url}\n")
    cfg = load(path)
    with resolver_from_config(cfg.registries, env={}, docker_config=NOWHERE) as resolver:
        assert "3.20" in resolver.tags("alpine")


def test_resolve_command_prints_tags_digests_pin_and_bump(any_registry: Running) -> None:
    out = io.StringIO()
    cfg = Config(registries=any_registry.config())
    assert run_resolve("alpine", cfg, out, env=ENV, docker_config=NOWHERE) == 0
    text = out.getvalue()
    latest = any_registry.pushes.digest("library/alpine", "latest")
    assert f"reference:  latest -> {latest}" in text
    assert "linux/arm64" in text
    assert "pre-releases: 3.21.0_rc1" in text and "not versions: edge latest" in text
    assert "pin (DM101):  alpine:3.20\n" in text
    assert "bump (DM102): none" in text
    assert "PASSWORD" not in text and ENV["REGISTRY_PASSWORD"] not in text


def test_resolve_command_reports_an_unknown_image(anonymous: Running) -> None:
    out = io.StringIO()
    cfg = Config(registries=anonymous.config())
    assert run_resolve("nosuch/image:1", cfg, out, env=ENV, docker_config=NOWHERE) == 1
    assert out.getvalue().endswith("\nerror: docker.io/nosuch/image: 1 not found\n")


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_without_credentials_a_private_registry_is_a_finding(registries: Registries, auth: str) -> None:
    running = registries.get(auth)
    with resolver_from_config(running.config(with_credentials=False), env={}, docker_config=NOWHERE) as resolver:
        ctx = Context(resolver=resolver, offline=False)
        report = run_fixers("Dockerfile", b"FROM alpine\n", ctx, FIXERS, NAMES)
    assert report.after == b"FROM alpine\n"
    (finding,) = report.findings
    assert finding.code == "DM207" and finding.message.startswith("docker.io/library/alpine: access denied")


def test_the_cli_uses_the_registry_through_the_config(anonymous: Running, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.app import app

    config = tmp_path / "dockmend.yaml"
    config.write_text(f"registries:\n  docker.io:\n    mirror: {anonymous.registry.url}\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine\nRUN apk add curl\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "DOCKER_CONFIG": str(tmp_path / "nodocker")}
    runner = CliRunner()
    result = runner.invoke(app, ["fix", "--config", str(config), "--select", "DM101,DM104", str(dockerfile)], env=env)
    assert result.exit_code == 0, result.output
    assert dockerfile.read_text() == "FROM alpine:3.20\nRUN apk add --no-cache curl\n"
    assert "DM101 pin-base-tag" in result.stdout
    resolved = runner.invoke(app, ["resolve", "--config", str(config), "alpine"], env=env)
    assert resolved.exit_code == 0 and "3.20" in resolved.stdout
