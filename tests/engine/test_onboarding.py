"""Onboarding's pieces: when it applies, and the file and body of its request."""

from __future__ import annotations

from bot.engine import onboarding, repoconfig
from bot.engine.scan import RepoScan
from bot.platforms.base import Repo, RepoFile
from bot.settings.targets import Target, TargetSettings
from fixers.base import Risk
from fixers.engine import AppliedFix, FileReport

REPO = Repo("gh", "acme/api", "acme/api", "main", "https://forge/acme/api")
SETTINGS = TargetSettings(Target("acme", "gh", "acme"))


def report(path: str, *codes: str) -> FileReport:
    fixes = [AppliedFix(code, f"name-{code}", Risk.SAFE, 1, "m") for code in codes]
    return FileReport(path, b"FROM a\n", b"FROM b\n", fixes)


def scan(*names: str) -> RepoScan:
    return RepoScan("abc", [RepoFile(name, "sha") for name in names])


def test_it_applies_on_forges_to_repositories_without_the_file() -> None:
    assert onboarding.applies(SETTINGS, "github", scan("Dockerfile"))
    assert onboarding.applies(SETTINGS, "gitlab", scan("Dockerfile"))
    assert not onboarding.applies(SETTINGS, "local", scan("Dockerfile"))  # nobody to ask
    assert not onboarding.applies(SETTINGS, "github", scan("Dockerfile", ".dockmend.yaml"))
    off = TargetSettings(Target("acme", "gh", "acme"), onboarding=False)
    assert not onboarding.applies(off, "github", scan("Dockerfile"))
    assert onboarding.answered(SETTINGS, "github", scan("Dockerfile", ".dockmend.yml"))


def test_the_file_lists_the_fixes_and_is_a_valid_dockmend_yml() -> None:
    reports = [report("b/Dockerfile", "DM104"), report("Dockerfile", "DM106", "DM104", "DM104")]
    text = onboarding.config_file(REPO, reports)
    listed = [line for line in text.splitlines() if line.startswith("#   ")]
    assert listed == [
        "#   Dockerfile: DM104 name-DM104",
        "#   Dockerfile: DM106 name-DM106",
        "#   b/Dockerfile: DM104 name-DM104",
    ]
    assert repoconfig.parse(text.encode()) == repoconfig.RepoConfig()  # enabled, and nothing else set


def test_the_body_counts_what_it_lists() -> None:
    reports = [report("b/Dockerfile", "DM104"), report("Dockerfile", "DM106", "DM104")]
    body = onboarding.body(reports, "0123456789abcdef")
    assert body.startswith("<!-- dockmend:fingerprint=0123456789abcdef -->\n")
    assert "<summary>What dockmend would change now (3 fixes in 2 files)</summary>" in body
    assert body.count("\n- `") == 3
    single = onboarding.body([report("Dockerfile", "DM104")], "0123456789abcdef")
    assert "(1 fix in 1 file)" in single
