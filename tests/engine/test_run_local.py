"""`dockmend run` end to end on the local platform: real git checkouts, the real CLI."""

from __future__ import annotations

import io
import json
import subprocess
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.engine.options import RunOptions
from bot.engine.report import PlainReporter
from bot.engine.run import STOPPING, Runner
from bot.platforms.base import PlatformUnavailable, Repo, RepoFile
from bot.platforms.local import LocalPlatform
from bot.settings.config import load
from tests.checkouts import checkout, commit, commit_on, git, state

runner = CliRunner()
BRANCH = "dockmend/remediate"
NEEDS_FIXES = {
    "svc/Dockerfile": 'FROM alpine:3.20\nCOPY entry.sh /entry.sh\nRUN apk add curl\nENTRYPOINT ["/entry.sh"]\n',
    "svc/entry.sh": '#!/bin/sh\nset -e\n"$@"\n',
    "web/Containerfile": "FROM nginx:1.27\nUSER 101\n",
    "node_modules/x/Dockerfile": "not a Dockerfile of this repository\n",
}
CLEAN = {"Dockerfile": "FROM alpine:3.20\n# dockmend ignore-file=DM105\nUSER 1001\n"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    co = tmp_path / "co"
    checkout(co, "api", NEEDS_FIXES, origin="git@github.com:acme/api.git")
    checkout(co, "clean", CLEAN)
    checkout(co, "optout", {**NEEDS_FIXES, ".dockmend.yml": "enabled: false\n"})
    checkout(co, "docs", {"README.md": "# docs\n"})
    (co / "plain").mkdir()
    (co / "plain" / "Dockerfile").write_text("FROM alpine\n")
    return co


def config(folder: Path, extra: str = "") -> Path:
    path = folder.parent / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  here: {{type: local, path: co}}\ntargets:\n  - {{name: mine, platform: here{extra}}}\n"
    )
    return path


def dockmend(folder: Path, *args: str, extra: str = "") -> tuple[int, str, str]:
    """``dockmend run``; every run reads every checkout (--full-scan): these tests are about
    each run's manners (skipping unchanged ones: test_unchanged_checkouts_are_skipped)."""
    command = ["run", "--config", str(config(folder, extra)), "--offline", "--full-scan", *args]
    result = runner.invoke(app, command)
    return result.exit_code, result.stdout, result.stderr


def test_unchanged_checkouts_are_skipped_until_a_commit(folder: Path, tmp_path: Path) -> None:
    env = {"DOCKMEND_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    command = ["run", "--config", str(config(folder)), "--offline"]

    def said() -> dict[str, str]:
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, result.stderr
        return dict(line.split(": ", 1) for line in result.stderr.splitlines()[1:])

    first = said()
    assert first["api"].startswith("created ") and first["clean"] == "nothing to do"
    assert set(said().values()) == {"skipped: unchanged since the last run"}
    commit(folder / "clean", {"README.md": "# clean, and documented\n"}, "Document it")
    third = said()
    assert third.pop("clean") == "nothing to do"
    assert set(third.values()) == {"skipped: unchanged since the last run"}


def everything(folder: Path) -> dict[str, object]:
    return {p.name: state(p) for p in sorted(folder.iterdir()) if (p / ".git").exists()}


def requests(root: Path) -> list[dict[str, object]]:
    return json.loads((root / ".git/dockmend/requests.json").read_text())["requests"]  # type: ignore[no-any-return]


def test_dry_run_prints_diff_and_body_and_writes_nothing(folder: Path) -> None:
    before = everything(folder)
    code, out, err = dockmend(folder, "--dry-run")
    assert code == 0, err
    assert "api: would be created dockmend/remediate (branch dockmend/remediate)" in out
    assert "--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n" in out and '+exec "$@"\n' in out
    assert "--- request body ---\n<!-- dockmend:fingerprint=" in out
    assert "node_modules" not in out and "web/Containerfile" in out
    assert "api: would be created" in err and "optout: skipped: opted out (.dockmend.yml)" in err
    assert "docs: skipped: no Dockerfile" in err and "clean: nothing to do" in err
    assert "plain" not in err  # not a git checkout, and plain folders are not asked for
    assert everything(folder) == before


def test_a_run_opens_one_request_and_a_second_run_writes_nothing(folder: Path) -> None:
    code, out, err = dockmend(folder)
    assert code == 0, err
    api = folder / "api"
    assert git(api, "show", f"{BRANCH}:svc/entry.sh") == '#!/bin/sh\nset -e\nexec "$@"\n'
    assert git(api, "ls-tree", BRANCH, "svc/entry.sh").split()[0] == "100755"
    assert "apk add --no-cache curl" in git(api, "show", f"{BRANCH}:svc/Dockerfile")
    (request,) = requests(api)
    assert request["state"] == "open" and "DM107 wrapper-exec" in str(request["body"])
    assert not any((folder / name / ".git/dockmend").exists() for name in ("clean", "optout", "docs"))
    assert "created file://" in out and "2 repositories scanned, 2 skipped, 0 failed; 5 fixes; 1 request(s)" in out
    before = everything(folder)
    code, out, err = dockmend(folder)
    assert code == 0 and "api: unchanged file://" in err
    assert everything(folder) == before


def test_a_local_folder_has_no_status_issue(folder: Path) -> None:
    """``status_issue: true`` on the local platform: no issues there, the run is as without it."""
    code, out, err = dockmend(folder, "--dry-run", extra=", status_issue: true")
    assert code == 0, err
    assert "status issue" not in out and "would be created" in out
    code, out, err = dockmend(folder, extra=", status_issue: true")
    assert code == 0 and "created file://" in out and "status issue" not in out + err
    (request,) = requests(folder / "api")
    assert request["state"] == "open"
    assert sorted(p.name for p in (folder / "api" / ".git" / "dockmend").iterdir()) == ["REQUEST.md", "requests.json"]


def test_moved_default_branch_leads_to_a_rebased_branch(folder: Path) -> None:
    dockmend(folder)
    api = folder / "api"
    head = commit(api, {"README.md": "# moved on\n"}, "docs")
    code, _, err = dockmend(folder)
    assert code == 0 and "api: rebased" in err
    assert git(api, "log", "-1", "--format=%P", BRANCH).strip() == head
    assert len(requests(api)) == 1


def test_a_human_commit_stops_the_bot(folder: Path) -> None:
    dockmend(folder)
    api = folder / "api"
    mine = commit_on(api, BRANCH, {"svc/Dockerfile": "FROM alpine:3.21\n"}, "my take")
    commit(api, {"README.md": "# moved on\n"}, "docs")  # would otherwise rebase
    code, _, err = dockmend(folder)
    assert code == 0 and "api: skipped-human" in err
    assert len(requests(api)[0]["comments"]) == 1  # type: ignore[arg-type]
    before = everything(folder)
    dockmend(folder)
    assert everything(folder) == before and git(api, "rev-parse", BRANCH).strip() == mine


def test_a_closed_request_is_not_reopened_for_the_same_fixes(folder: Path) -> None:
    dockmend(folder)
    api = folder / "api"
    data = json.loads((api / ".git/dockmend/requests.json").read_text())
    data["requests"][0]["state"] = "closed"
    (api / ".git/dockmend/requests.json").write_text(json.dumps(data))
    before = everything(folder)
    code, _, err = dockmend(folder)
    assert code == 0 and "api: skipped-closed" in err and everything(folder) == before
    commit(
        api, {"web/Containerfile": "FROM nginx:1.27\nRUN apt-get update && apt-get install -y curl\nUSER 101\n"}, "curl"
    )
    code, _, err = dockmend(folder)
    assert code == 0 and "api: created" in err
    assert [r["state"] for r in requests(api)] == ["closed", "open"]


def test_fixes_that_landed_close_the_request(folder: Path) -> None:
    dockmend(folder)
    api = folder / "api"
    git(api, "merge", "-q", "--squash", BRANCH)
    git(api, "commit", "-q", "-m", "apply the fixes by hand")
    code, _, err = dockmend(folder)
    assert code == 0 and "api: closed" in err
    assert requests(api)[0]["state"] == "closed" and BRANCH not in git(api, "branch", "--list")
    before = everything(folder)
    assert dockmend(folder)[0] == 0 and everything(folder) == before


def test_a_broken_repository_config_fails_that_repository_only(folder: Path) -> None:
    commit(folder / "clean", {".dockmend.yml": "enabled: [\n"}, "oops")
    code, _, err = dockmend(folder)
    assert code == 1
    assert "clean: failed: .dockmend.yml:2:1: invalid YAML" in err and "api: created" in err


def test_caps_per_run_and_per_repository(folder: Path) -> None:
    checkout(folder, "api2", NEEDS_FIXES)
    code, _, err = dockmend(folder, extra=", max_requests: 1")
    assert code == 0 and "api: created" in err and "api2: deferred" in err
    assert not (folder / "api2/.git/dockmend").exists() and "dockmend/" not in git(folder / "api2", "branch")
    code, _, err = dockmend(folder, extra=", grouping: fixer")
    assert "api2: created" in err
    branches = git(folder / "api2", "branch", "--list", "dockmend/*", "--format=%(refname:short)").split()
    assert len(branches) == 1  # one request per repository per run; the others wait
    dockmend(folder, extra=", grouping: fixer, max_requests_per_repo: 9")
    branches = git(folder / "api2", "branch", "--list", "dockmend/*", "--format=%(refname:short)").split()
    fixes = ["dockmend/DM103-reorder-layers", "dockmend/DM104-consolidate-cleanup", "dockmend/DM107-wrapper-exec"]
    assert branches == fixes  # api2 has no origin: no label value is known for it
    assert git(folder / "api2", "show", "dockmend/DM107-wrapper-exec:svc/Dockerfile") == NEEDS_FIXES["svc/Dockerfile"]


def test_labels_alone_open_a_request_only_when_the_repository_asks(folder: Path) -> None:
    api = folder / "api"
    options = ", grouping: fixer, max_requests_per_repo: 9"
    dockmend(folder, extra=options)
    branches = git(api, "branch", "--list", "dockmend/*", "--format=%(refname:short)").split()
    fixes = ["dockmend/DM103-reorder-layers", "dockmend/DM104-consolidate-cleanup", "dockmend/DM107-wrapper-exec"]
    assert branches == fixes  # the source label rides along with other fixes; alone it opens nothing
    commit(api, {".dockmend.yml": "labels: {alone: true}\n"}, "labels may come alone here")
    dockmend(folder, extra=options)
    branches = git(api, "branch", "--list", "dockmend/*", "--format=%(refname:short)").split()
    assert branches == sorted([*fixes, "dockmend/DM105-add-labels"])
    labels = git(api, "show", "dockmend/DM105-add-labels:svc/Dockerfile")
    assert 'org.opencontainers.image.source="https://github.com/acme/api"' in labels


def test_only_one_repository_and_unknown_targets(folder: Path) -> None:
    code, _, err = dockmend(folder, "--repo", "docs")
    assert code == 0 and err.count("\n") == 2 and "docs: skipped" in err  # the target line and docs
    code, _, err = dockmend(folder, "--target", "other")
    assert code == 2 and "no target named 'other'" in err
    code, _, err = dockmend(folder, "--repo", "acme/nothing")
    assert code == 2 and "no repository named 'acme/nothing' in any target" in err


class Flaky(LocalPlatform):
    """The forge fails for ``api`` the first ``failures`` times it is asked for files."""

    failures = 1

    def list_files(self, repo: Repo, ref: str) -> list[RepoFile]:
        if repo.full_name == "api" and self.failures:
            self.failures -= 1
            raise PlatformUnavailable("503 from the forge")
        return list(super().list_files(repo, ref))


@pytest.mark.parametrize(("failures", "status"), [(1, "ok"), (2, "failed")])
def test_an_outage_is_retried_once_at_the_end_of_the_run(folder: Path, failures: int, status: str) -> None:
    platform = Flaky("here", folder)
    platform.failures = failures
    out, err = io.StringIO(), io.StringIO()
    cfg = load(config(folder))
    summary = Runner(cfg, {"here": platform}, PlainReporter(out, err), RunOptions(offline=True)).run()
    results = {r.repo: r for r in summary.results}
    assert list(results)[-1] == "api"  # tried again after the others
    assert results["api"].status == status
    if status == "failed":
        assert results["api"].reason == "unavailable, try later: 503 from the forge"


class Stopping(LocalPlatform):
    """Shutdown arrives while the first repository is being read (``dockmend serve`` got SIGTERM)."""

    def __init__(self, name: str, path: Path, stop: threading.Event) -> None:
        super().__init__(name, path)
        self.stop = stop
        self.read: list[str] = []

    def list_files(self, repo: Repo, ref: str) -> list[RepoFile]:
        self.read.append(repo.full_name)
        self.stop.set()
        return list(super().list_files(repo, ref))


def test_a_shutdown_finishes_the_repository_begun_and_leaves_the_rest(folder: Path) -> None:
    stop = threading.Event()
    platform = Stopping("here", folder, stop)
    cfg = load(config(folder))  # a local platform works on one checkout at a time
    options = RunOptions(offline=True, stop=stop)
    summary = Runner(cfg, {"here": platform}, PlainReporter(io.StringIO(), io.StringIO()), options).run()
    first, *rest = summary.results
    assert platform.read == [first.repo] and first.reason != STOPPING  # finished, not cut short
    assert rest and {(r.status, r.reason) for r in rest} == {("skipped", STOPPING)}


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_bundled_examples_dry_run_as_plain_folders() -> None:
    config_file = str(EXAMPLES / "dockmend.local.yaml")
    result = runner.invoke(app, ["run", "--config", config_file, "--dry-run", "--offline"])
    assert result.exit_code == 0, result.stderr
    assert "shop: would be created dockmend/remediate" in result.stdout
    assert "legacy: skipped: opted out" in result.stderr and "docs: skipped: no Dockerfile" in result.stderr
    result = runner.invoke(app, ["run", "--config", config_file, "--offline", "--repo", "shop"])
    assert result.exit_code == 1 and "not a git checkout: only a dry run can use it" in result.stderr


def test_make_checkouts_then_a_real_run(tmp_path: Path) -> None:
    subprocess.run(["sh", str(EXAMPLES / "make-checkouts.sh"), str(tmp_path)], check=True, capture_output=True)
    result = runner.invoke(app, ["run", "--config", str(tmp_path / "dockmend.yaml"), "--offline"])
    assert result.exit_code == 0 and "shop: created" in result.stderr
    assert (tmp_path / "shop/.git/dockmend/REQUEST.md").read_text().startswith('<a id="request-1"></a>')
    assert git(tmp_path / "shop", "status", "--porcelain") == ""
