"""The configuration file: one message per bad file (file:line:col, exit 2), good files,
the example, the schema, and secrets that never print."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.errors import DockmendError
from bot.settings import output, source
from bot.settings.config import Config, load
from bot.settings.document import ConfigFile
from bot.settings.targets import Schedule
from fixers.base import ImagePolicy

runner = CliRunner()
CONFIG = Path(__file__).resolve().parents[2] / "config"
EXAMPLE = CONFIG / "dockmend.example.yaml"
SECRET = "hunter2-0123456789abcdef"
LOCAL = "platforms: {here: {type: local, path: .}}\n"

BAD = [
    # (what, file text, line:col: message)
    ("wrong type", "web:\n  secure_cookies: yes\n", "2:3: web.secure_cookies: expected true or false, got text"),
    ("wrong type in a list", LOCAL + "targets:\n  - {name: a, platform: here, labels: [x, 3]}\n",
     "3:43: targets[0].labels[1]: expected text, got a number"),
    ("not a mapping", "labels: [a, b]\n", "1:1: labels: expected a mapping (key: value), got a list"),
    ("unknown key", "fixer:\n  select: [DM104]\n", "1:1: unknown key 'fixer' (did you mean 'fixers'?)"),
    ("unknown nested key", "chat:\n  slack: {signing_secret: ${S}, allowed_user: [U1]}\n",
     "2:33: chat.slack: unknown key 'allowed_user' (did you mean 'allowed_users'?)"),
    ("unknown key, no close match", "platforms:\n  l: {type: local, path: x, url: http://a}\n",
     "2:29: platforms.l: unknown key 'url' (expected one of: type, path, plain_folders, bot_name, bot_email)"),
    ("literal token", f"platforms:\n  gh: {{type: github, token: {SECRET}}}\n",
     "2:22: platforms.gh.token: a secret cannot be written here: reference it, ${ENV_VAR} or file:/run/secrets/name"),
    ("literal api token", f"web:\n  api_token: {SECRET}\n",
     "2:3: web.api_token: a secret cannot be written here: reference it, ${ENV_VAR} or file:/run/secrets/name"),
    ("a token anywhere", "labels:\n  note: ghp_0123456789abcdefghijABCDEFGHIJ0123\n",
     "2:3: labels.note: this looks like a literal token or key; secrets only by reference: "
     "${ENV_VAR} or file:/run/secrets/name"),
    ("bad cron", LOCAL + "targets:\n  - name: a\n    platform: here\n    schedule: {cron: '0 6 * *'}\n",
     "5:16: targets[0].schedule.cron: bad cron line '0 6 * *': "
     "a cron expression has 5 fields (or 6 with seconds first), not 4"),
    ("cron out of range", LOCAL + "targets:\n  - name: a\n    platform: here\n    schedule:\n      cron: 0 25 * * *\n",
     "6:7: targets[0].schedule.cron: bad cron line '0 25 * * *': Error validating expression '25': "
     "the last value (25) is higher than the maximum value (23)"),
    ("bad timezone", LOCAL + "targets:\n  - name: a\n    platform: here\n    schedule: {timezone: Europe/Bonn}\n",
     "5:16: targets[0].schedule.timezone: unknown timezone 'Europe/Bonn' "
     "(expected an IANA name, like Europe/Berlin or UTC)"),
    ("missing key", "platforms:\n  here: {type: local}\n", "2:3: platforms.here: missing key 'path'"),
    ("missing name", LOCAL + "targets:\n  - platform: here\n", "3:5: targets[0]: missing key 'name'"),
    ("missing type", "platforms:\n  gh: {url: https://x}\n",
     "2:3: platforms.gh: missing key 'type' (github, gitlab or local)"),
    ("bad type", "platforms:\n  gh: {type: svn}\n",
     "2:8: platforms.gh.type: expected one of: 'github', 'gitlab', 'local'"),
    ("bad URL", "platforms:\n  gl: {type: gitlab, url: gitlab.example.com}\n",
     "2:22: platforms.gl.url: expected an http(s) URL, like https://gitlab.example.com"),
    ("URL with credentials", "registries:\n  docker.io: {mirror: 'https://bot:pw@mirror'}\n",
     "2:15: registries.docker.io.mirror: a URL must not carry credentials: reference a secret in its own key instead"),
    ("bad reference", "web: {api_token: ${DOCKMEND API TOKEN}}\n",
     "1:7: web.api_token: malformed reference: write ${NAME}, NAME made of letters, digits and _"),
    ("unclosed reference", "web:\n  api_token: ${DOCKMEND_API_TOKEN\n",
     "2:3: web.api_token: malformed reference: write ${NAME}, NAME made of letters, digits and _"),
    ("duplicate target names", LOCAL + "targets:\n  - {name: a, platform: here}\n  - {name: a, platform: here}\n",
     "4:6: targets[1].name: target name 'a' is used twice"),
    ("unknown platform", LOCAL + "targets:\n  - {name: a, platform: hre}\n",
     "3:15: targets[0].platform: unknown platform 'hre' (did you mean 'here'?)"),
    ("github target without owner", "platforms: {gh: {type: github}}\ntargets:\n  - {name: a, platform: gh}\n",
     "3:5: targets[0]: a github target needs 'owner'"),
    ("chat names an unknown target", "chat:\n  mattermost:\n    token: ${T}\n    targets: {acme: {}}\n",
     "4:15: chat.mattermost.targets.acme: unknown target 'acme' (no targets defined)"),
    ("unknown fixer", "fixers:\n  ignore: [DM104, DM999]\n",
     "2:19: fixers.ignore[1]: unknown fixer 'DM999' (a code like DM104 or a name like consolidate-cleanup)"),
    ("negative cap", LOCAL + "targets:\n  - {name: a, platform: here, max_requests: -1}\n",
     "3:31: targets[0].max_requests: expected 0 or more"),
    ("listen", "web: {listen: localhost}\n",
     "1:7: web.listen: expected HOST:PORT, like 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080"),
    ("database password", f"database:\n  url: postgresql+psycopg://dockmend:{SECRET}@db/dockmend\n",
     "2:3: database.url: a password cannot be written here: set DOCKMEND_DATABASE_URL (or PGPASSWORD) instead"),
    ("not YAML", "labels: {a: b\n", "2:1: invalid YAML: expected ',' or '}', but got '<stream end>'"),
    ("duplicate YAML key", f"web:\n  api_token: {SECRET}\n  api_token: {SECRET}x\n",
     "3:3: invalid YAML: duplicate key 'api_token'"),
    ("a list, not a mapping", "- labels\n", "1:1: expected a mapping (key: value), got a list"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_file_gives_one_message_with_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["config", "check", str(path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"dockmend: error: {path}:{expected}\n"
    assert SECRET not in result.stderr


@pytest.mark.parametrize("command", [["fix", "--offline"], ["run"], ["resolve", "alpine"]])
def test_every_command_reads_the_file_the_same_way(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text("web:\n  secure_cookies: yes\n")
    result = runner.invoke(app, [*command, "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"dockmend: error: {path}:2:3: web.secure_cookies: expected true or false, got text\n"


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text("# nothing yet\nfixers:\n  # select: [DM104]\n")
    cfg = load(path)
    default = Config()
    assert (cfg.labels, cfg.select, cfg.ignore, cfg.images, cfg.platforms, cfg.targets) == (
        default.labels, default.select, default.ignore, default.images, default.platforms, default.targets
    )  # fmt: skip
    assert cfg.file == ConfigFile() and cfg.database_url({}) == "sqlite:///./dockmend.db"
    assert cfg.database_url({"DOCKMEND_DATABASE_URL": "postgresql+psycopg://x@db/d"}) == "postgresql+psycopg://x@db/d"


def test_schedule_and_per_target_settings(tmp_path: Path) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        "images: {pin: major, update_types: [minor]}\nfixers: {ignore: DM105}\n" + LOCAL + "targets:\n"
        "  - {name: a, platform: here, schedule: {cron: '30 5 * * 1-5', timezone: Europe/Berlin}}\n"
        "  - {name: b, platform: here, fixers: {select: [DM104]}, images: {pin_digests: true}}\n"
    )
    cfg = load(path)
    a, b = cfg.targets
    assert a.schedule == Schedule("30 5 * * 1-5", "Europe/Berlin") and b.schedule == Schedule("0 6 * * mon", "UTC")
    assert cfg.for_target(a) == cfg
    narrowed = cfg.for_target(b)
    assert (narrowed.select, narrowed.ignore) == (("DM104",), ("DM105",))
    assert narrowed.images == ImagePolicy("major", True, frozenset({"minor"}))


def test_references_are_resolved_only_when_used(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("glpat-from-a-file\n")
    path = tmp_path / "dockmend.yaml"
    path.write_text("platforms:\n  gh: {type: github, token: ${GH}}\n  gl: {type: gitlab, token: file:token}\n")
    cfg = load(path)  # no environment needed
    gh, gl = cfg.platforms["gh"], cfg.platforms["gl"]
    assert gh.token_env == "GH" and gl.token_file == tmp_path / "token"
    assert gl.token_value({}).reveal() == "glpat-from-a-file"  # type: ignore[union-attr]
    with pytest.raises(DockmendError, match="environment variable GH is not set"):
        gh.token_value({})


def test_fix_needs_none_of_the_example_secrets(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\n")
    result = runner.invoke(app, ["fix", "--offline", "--check", "--config", str(EXAMPLE), str(tmp_path)])
    assert result.exit_code == 1, result.stderr  # it would rewrite the file


EXAMPLE_ENV = {
    name: f"dummy-{name.lower()}-0123456789"
    for name in re.findall(r"\$\{([A-Z_]+)\}", EXAMPLE.read_text())
    if name not in ("ENV_VAR", "NAME")
}


def test_the_example_loads_and_its_secrets_resolve() -> None:
    cfg = load(EXAMPLE)
    assert [t.name for t in cfg.targets] == ["acme", "acme-gl", "mine"]
    assert cfg.targets[0].schedule == Schedule("0 6 * * mon", "Europe/Berlin")
    service = cfg.service_settings(EXAMPLE_ENV)
    service.validate()
    assert service.web.api_token is not None and service.web.api_token.reveal() == EXAMPLE_ENV["DOCKMEND_API_TOKEN"]
    assert {"GITHUB_TOKEN", "GITLAB_TOKEN", "GHCR_TOKEN", "SLACK_SIGNING_SECRET"} <= set(EXAMPLE_ENV)


def test_the_example_documents_every_key() -> None:
    text = EXAMPLE.read_text()
    schema = output.schema()
    keys = {key for section in (schema, *schema["$defs"].values()) for key in section.get("properties", {})}
    assert {"signing_secret", "digest_webhook", "timezone", "private_key_file", "url", "stale_after_days"} <= keys
    missing = sorted(key for key in keys if not re.search(rf"(^|[\s{{,#]){key}:", text, re.M))
    assert missing == []


def test_the_schema_is_in_sync_and_the_example_follows_it() -> None:
    written = (CONFIG / "schema.json").read_text()
    assert written == output.schema_text(), "run: python -m bot.settings.config schema > config/schema.json"
    data = source.read(EXAMPLE)  # plain YAML parsers refuse ${X} in a flow mapping
    jsonschema.Draft202012Validator(json.loads(written)).validate(data)
    result = runner.invoke(app, ["config", "schema"])
    assert (result.exit_code, result.stdout) == (0, written)


def test_check_prints_the_effective_configuration_with_secrets_masked(tmp_path: Path) -> None:
    env = {**EXAMPLE_ENV, "DOCKMEND_DATABASE_URL": f"postgresql+psycopg://dockmend:{SECRET}@db/dockmend"}
    result = runner.invoke(app, ["config", "check", str(EXAMPLE)], env=env)
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.stdout and not [value for value in env.values() if value in result.stdout]
    assert "    token: '***'  # ${GITHUB_TOKEN}\n" in result.stdout
    assert "  url: postgresql+psycopg://dockmend:***@db/dockmend  # from DOCKMEND_DATABASE_URL\n" in result.stdout
    assert "    max_requests_per_repo: 1\n" in result.stdout  # defaults are filled in
    again = tmp_path / "effective.yaml"  # and the output is itself a valid configuration
    again.write_text(
        runner.invoke(app, ["config", "check", str(EXAMPLE)], env={"DOCKMEND_DATABASE_URL": None}).stdout.replace(
            "'***'", "${MASKED}"
        )
    )
    assert load(again).file.targets == load(EXAMPLE).file.targets


def test_nothing_the_loader_returns_shows_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        "web: {api_token: ${TOKEN}}\nchat:\n"
        "  mattermost: {token: file:mm, allowed_users: [pmq6ewsgq7fh8ceyq5imd4yafh]}\n"
    )
    (tmp_path / "mm").write_text(SECRET)
    cfg = load(path)
    service = cfg.service_settings({"TOKEN": SECRET})
    assert SECRET not in f"{cfg!r} {service!r} {service} {cfg.file.model_dump()}"
    assert service.chat.mattermost is not None and service.chat.mattermost.token is not None
    assert service.chat.mattermost.token.reveal() == SECRET


def test_labels_hold_values_and_dm105_settings(tmp_path: Path) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        "labels:\n  org.opencontainers.image.vendor: ACME\n  profile: openshift\n  alone: true\n"
        "  titles: {./api/Dockerfile: Billing API}\n"
    )
    cfg = load(path)
    assert cfg.labels == {"org.opencontainers.image.vendor": "ACME"}
    assert (cfg.label_policy.profile, cfg.label_policy.alone) == ("openshift", True)
    assert cfg.label_policy.titles == {"api/Dockerfile": "Billing API"}
    assert load(_write(tmp_path, "labels: {}\n")).label_policy.alone is False  # labels ride along by default


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("labels: {profile: docker}\n", "'profile' is one of oci, openshift"),
        ("labels: {alone: sometimes}\n", "'alone' is true or false"),
        ("labels: {titles: [a]}\n", "dockmend.yaml:1:10: labels.titles:"),
    ],
)
def test_bad_label_settings_are_named(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DockmendError, match=re.escape(expected)):
        load(_write(tmp_path, text))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dockmend.yaml"
    path.write_text(text)
    return path


def test_config_check_shows_the_status_issue_setting(tmp_path: Path) -> None:
    path = tmp_path / "dockmend.yaml"
    path.write_text(
        "platforms:\n  gh: {type: github, token: ${GITHUB_TOKEN}}\n"
        "targets:\n  - {name: a, platform: gh, owner: acme, status_issue: true}\n"
        "  - {name: b, platform: gh, owner: b}\n"
    )
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0, result.stderr
    assert [line.strip() for line in result.stdout.splitlines() if "status_issue" in line] == [
        "status_issue: true",
        "status_issue: false",  # the default
    ]
    assert load(path).targets[0].status_issue and not load(path).targets[1].status_issue
