"""A repository's .dockmend.yml, and the platforms/targets sections of the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import repoconfig
from bot.engine.repoconfig import MAX_SIZE, RepoConfig, RepoConfigError, find, parse
from bot.errors import DockmendError
from bot.platforms import build_platform
from bot.platforms.base import RepoFile
from bot.platforms.local import LocalPlatform
from bot.settings.config import load
from bot.settings.targets import Target

VALID = [
    ("", RepoConfig()),
    ("enabled: false\n", RepoConfig(enabled=False)),
    ("fixers: {select: [DM105, exec-form]}\n", RepoConfig(select=("DM105", "DM106"))),
    ("fixers:\n  ignore: add-labels, DM103\n", RepoConfig(ignore=("DM103", "DM105"))),
    ("labels: {io.k8s.title: Billing, version: 2}\n", RepoConfig(labels={"io.k8s.title": "Billing", "version": "2"})),
    ("reviewers: [alice, bob]\n", RepoConfig(reviewers=("alice", "bob"))),
    ("severity: {dm205: warning, sshd: info}\n", RepoConfig(severity={"DM205": "warning", "DM202": "info"})),
    ("status_issue: true\n", RepoConfig(status_issue=True)),
    ("status_issue: false\n", RepoConfig(status_issue=False)),
]  # fmt: skip

INVALID = [
    ("enabled: no-thanks\n", "'enabled' must be true or false"),
    ("status_issue: yes-please\n", "'status_issue' must be true or false"),
    (
        "enable: false\n",
        "unknown key enable (expected one of: enabled, fixers, labels, reviewers, severity, extends, status_issue)",
    ),
    ("fixers: {skip: [DM105]}\n", "unknown key fixers.skip"),
    ("fixers: {ignore: [DM999]}\n", "fixers.ignore: unknown fixer 'DM999'"),
    ("labels: [a, b]\n", "'labels' must map label keys to text values"),
    ("reviewers: {a: b}\n", "'reviewers' must be a list of names"),
    ("severity: {DM205: fatal}\n", "severity.DM205: 'fatal' is not one of error, warning, info"),
    ("severity: {DM999: info}\n", "severity.DM999: unknown fixer 'DM999'"),
    ("severity: [DM205]\n", "'severity' must map fixer codes to error, warning or info"),
    ("- just\n- a list\n", "must be a mapping"),
    ("enabled: [\n", ".dockmend.yml:2:1: invalid YAML"),
    ("x: !!python/object:os.system {}\n", "invalid YAML"),
    ("enabled: \xff\n", None),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid(text: str, expected: RepoConfig) -> None:
    assert parse(text.encode()) == expected


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_is_an_error_for_the_repository(text: str, message: str | None) -> None:
    data = text.encode("latin-1") if "\xff" in text else text.encode()
    with pytest.raises(RepoConfigError) as info:
        parse(data)
    if message:
        assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("# settings\nenabled: no-thanks\n", ".dockmend.yml:2:1: 'enabled'"),
        ("enabled: true\nfixers:\n  select: [DM105]\n  skip: [DM101]\n", ".dockmend.yml:4:3: unknown key fixers.skip"),
        ("fixers:\n  ignore: [DM999]\n", ".dockmend.yml:2:3: fixers.ignore: unknown fixer"),
        ("reviewers:\n  a: b\n", ".dockmend.yml:1:1: 'reviewers' must be a list"),
        ("severity:\n  DM205: warning\n  DM206: fatal\n", ".dockmend.yml:3:3: severity.DM206: 'fatal'"),
        ("labels:\n  - a\n", ".dockmend.yml:1:1: 'labels' must map"),
        ("? [a, b]\n: 1\n", ".dockmend.yml:1:"),  # a list as a key: the YAML's own error, placed
    ],
)
def test_problems_are_placed_at_their_line_and_column(text: str, place: str) -> None:
    with pytest.raises(RepoConfigError) as info:
        parse(text.encode())
    assert str(info.value).startswith(place), str(info.value)


def test_size_limit_and_finding_the_file() -> None:
    with pytest.raises(RepoConfigError, match="larger than"):
        parse(b"#" * (MAX_SIZE + 1))
    files = [RepoFile("sub/.dockmend.yml", "1"), RepoFile(".dockmend.yaml", "2"), RepoFile("Dockerfile", "3")]
    assert find(files) == RepoFile(".dockmend.yaml", "2")
    assert find(files[:1]) is None


# -- platforms and targets in the configuration file

ISSUE_SHAPE = """\
platforms:
  gh: {type: github, url: http://127.0.0.1:8080/api/v3, token: ${GITHUB_TOKEN}}
  gl: {type: gitlab, url: http://127.0.0.1:8081, token: ${GITLAB_TOKEN}}
  here: {type: local, path: ./checkouts}
targets:
  - {name: acme, platform: gh, owner: acme}
  - {name: acme-gl, platform: gl, group: acme}
"""


def test_the_issue_shape_loads(tmp_path: Path) -> None:
    cfg_file = tmp_path / "dockmend.yaml"
    cfg_file.write_text(ISSUE_SHAPE + "  - {name: mine, platform: here, grouping: fixer, labels: [docker]}\n")
    cfg = load(cfg_file)
    gh, gl, here = cfg.platforms["gh"], cfg.platforms["gl"], cfg.platforms["here"]
    assert (gh.type, gh.url, gh.token_env) == ("github", "http://127.0.0.1:8080/api/v3", "GITHUB_TOKEN")
    assert (gl.type, gl.token_env) == ("gitlab", "GITLAB_TOKEN")
    assert here.path == tmp_path / "checkouts"
    assert [t.target for t in cfg.targets[:2]] == [Target("acme", "gh", "acme"), Target("acme-gl", "gl", "acme")]
    mine = cfg.targets[2]
    assert (mine.grouping, mine.labels, mine.max_requests, mine.max_requests_per_repo) == ("fixer", ("docker",), 10, 1)
    assert gh.token_value({"GITHUB_TOKEN": "ghp_secret"}).reveal() == "ghp_secret"  # type: ignore[union-attr]
    assert "ghp_secret" not in repr(gh.token_value({"GITHUB_TOKEN": "ghp_secret"}))
    with pytest.raises(DockmendError, match="GITHUB_TOKEN is not set"):
        gh.token_value({})


LOCAL = "platforms: {l: {type: local, path: .}}\ntargets:\n"
CONFIG_ERRORS = [
    ("platforms:\n  gh: {type: github, token: ghp_literal}\n", ":2:22: platforms.gh.token: a secret cannot be"),
    ("platforms:\n  gh: {type: svn}\n", ":2:8: platforms.gh.type: expected one of: 'github', 'gitlab', 'local'"),
    ("platforms:\n  l: {type: local}\n", "platforms.l: missing key 'path'"),
    ("platforms:\n  l: {type: local, path: x, url: http://a}\n", "platforms.l: unknown key 'url'"),
    ("platforms:\n  g: {type: github, url: 'http://u:p@host/'}\n", "must not carry credentials"),
    ("targets:\n  - {name: a, platform: nope}\n", "targets[0].platform: unknown platform 'nope' (no platforms"),
    ("platforms: {g: {type: github}}\ntargets:\n  - {name: a, platform: g, group: x}\n", "takes 'owner', not 'group'"),
    (LOCAL + "  - {name: a, platform: l, owner: x}\n", "no owner or group"),
    (LOCAL + "  - {name: a, platform: l, grouping: file}\n", "targets[0].grouping: expected 'repository' or 'fixer'"),
    (LOCAL + "  - {name: a, platform: l, branch_prefix: 'a..b'}\n", "valid branch"),
    (LOCAL + "  - {name: a, platform: l, max_requests: -1}\n", "targets[0].max_requests: expected 0 or more"),
    (LOCAL + "  - {name: a, platform: l}\n  - {name: a, platform: l}\n", "used twice"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), CONFIG_ERRORS)
def test_configuration_errors_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text(text)
    with pytest.raises(DockmendError) as info:
        load(cfg_file)
    assert message in str(info.value) and str(info.value).startswith(str(cfg_file))


def test_build_platform(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("platforms:\n  here: {type: local, path: co, bot_email: bot@example.com}\n")
    (tmp_path / "co").mkdir()
    platform = build_platform(load(cfg_file).platforms["here"], {})
    assert isinstance(platform, LocalPlatform) and platform.bot_email == "bot@example.com"
    (tmp_path / "co").rmdir()
    with pytest.raises(DockmendError, match="is not a folder"):
        build_platform(load(cfg_file).platforms["here"], {})


def test_label_settings_of_a_repository() -> None:
    found = parse(b"labels: {alone: true, titles: {api/Dockerfile: API}, org.opencontainers.image.vendor: ACME}\n")
    assert found.labels == {"org.opencontainers.image.vendor": "ACME"}
    assert found.label_settings == {"alone": True, "titles": {"api/Dockerfile": "API"}}
    with pytest.raises(RepoConfigError, match="labels: 'profile' is one of oci, openshift"):
        parse(b"labels: {profile: k8s}\n")


# -- extends: built-in presets and files of the organisation's repositories ----------------


def reader(files: dict[str, str], calls: list[str] | None = None) -> repoconfig.Reader:
    def read(name: str, path: str) -> bytes:
        if calls is not None:
            calls.append(f"{name}:{path}")
        if f"{name}:{path}" not in files:
            raise repoconfig.RepoConfigError(f"extends: no file {path} in {name}", path=f"{name}:{path}")
        return files[f"{name}:{path}"].encode()

    return read


def test_extends_builtin_and_remote_in_order_with_the_file_on_top() -> None:
    presets_ = {
        "acme/dockmend-config:presets/base.yml": "extends: dockmend:openshift\nreviewers: [platform]\n"
        "fixers: {ignore: [DM106]}\nseverity: {DM205: warning}\n",
        "acme/dockmend-config:presets/team.yml": "fixers: {ignore: [DM103]}\n",
    }
    text = (
        "extends: [dockmend:minimal, acme/dockmend-config:presets/base.yml, acme/dockmend-config:presets/team.yml]\n"
        "severity: {DM205: info}\n"
    )
    config = repoconfig.parse(text.encode(), read=reader(presets_), owner="acme")
    assert config.select == ("DM104", "DM109", "DM110")  # dockmend:minimal
    assert config.ignore == ("DM103",)  # team.yml's list replaced base.yml's
    assert config.reviewers == ("platform",)
    assert config.label_settings == {"profile": "openshift"}  # what base.yml extends
    assert config.severity == {"DM205": "info"}  # the file over its presets


@pytest.mark.parametrize(
    ("text", "files", "message"),
    [
        ("\nextends: [dockmend:nope]\n", {}, ".dockmend.yml:2:11: extends: unknown preset 'dockmend:nope'"),
        ("extends: [other/config:base.yml]\n", {}, ".dockmend.yml:1:11: extends: 'other/config:base.yml' is outside"),
        ("extends: [base.yml]\n", {}, ".dockmend.yml:1:11: extends: 'base.yml' is neither dockmend:NAME nor"),
        ("extends: [acme/c:missing.yml]\n", {}, "acme/c:missing.yml: extends: no file missing.yml in acme/c"),
        (
            "extends: [acme/c:a.yml]\n",
            {"acme/c:a.yml": "extends: [acme/c:b.yml]\n", "acme/c:b.yml": "extends: [acme/c:a.yml]\n"},
            "acme/c:b.yml:1:11: extends: a cycle of presets: acme/c:a.yml -> acme/c:b.yml -> acme/c:a.yml",
        ),
        ("extends: [acme/c:a.yml]\n", {"acme/c:a.yml": "fixer: {}\n"}, "acme/c:a.yml:1:1: unknown key fixer"),
        ("extends: [acme/c:a.yml]\n", {"acme/c:a.yml": "a: [\n"}, "acme/c:a.yml:2:1: invalid YAML"),
        ("extends: {a: 1}\n", {}, ".dockmend.yml:1:1: 'extends' must be a preset name or a list of them"),
    ],
)
def test_extends_errors_name_the_file_and_place(text: str, files: dict[str, str], message: str) -> None:
    with pytest.raises(repoconfig.RepoConfigError) as exc:
        repoconfig.parse(text.encode(), read=reader(files), owner="acme")
    assert str(exc.value).startswith(message), str(exc.value)


def test_extends_depth_is_limited() -> None:
    files = {f"acme/c:{n}.yml": f"extends: acme/c:{n + 1}.yml\n" for n in range(10)}
    calls: list[str] = []
    with pytest.raises(repoconfig.RepoConfigError, match="nested more than 5 deep"):
        repoconfig.parse(b"extends: acme/c:0.yml\n", read=reader(files, calls), owner="acme")
    assert len(calls) == 5


def test_a_remote_preset_without_the_platform_is_refused() -> None:
    """`dockmend fix` reads .dockmend.yml without a forge: only built-in presets there."""
    with pytest.raises(repoconfig.RepoConfigError, match="read by the bot only"):
        repoconfig.parse(b"extends: acme/c:a.yml\n")
    assert repoconfig.parse(b"extends: dockmend:minimal\n").select == ("DM104", "DM109", "DM110")


def test_a_large_remote_preset_is_refused() -> None:
    big = {"acme/c:a.yml": "# " + "x" * repoconfig.MAX_SIZE + "\n"}
    with pytest.raises(repoconfig.RepoConfigError, match=r"acme/c:a\.yml: larger than"):
        repoconfig.parse(b"extends: acme/c:a.yml\n", read=reader(big), owner="acme")


@pytest.mark.parametrize("levels", [20, 20_000])
def test_deep_nesting_is_a_configuration_error_not_a_crash(levels: int) -> None:
    data = b"fixers: " + b"[" * levels + b"]" * levels + b"\n"
    with pytest.raises(RepoConfigError, match=r"nested too deeply \(more than 16 levels\)"):
        parse(data)
