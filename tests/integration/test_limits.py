"""Repositories at the limits: a Dockerfile over 1 MiB, 10,000 files in a tree GitHub
reports as truncated, 500 Dockerfiles in one repository. Each is handled, and said so:
the big file is skipped with its reason, the truncated tree is walked folder by folder,
the Dockerfiles beyond the cap are named in the request instead of being scanned."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.options import RunOptions
from bot.engine.report import OK, PlainReporter, RepoResult
from bot.engine.run import Runner
from bot.engine.scan import MAX_DOCKERFILE, MAX_DOCKERFILES
from bot.platforms import build_platform
from bot.settings import config
from tests.emulators.github import GitHubEmulator
from tests.integration.forges import GITHUB_TOKEN, GitHub

FIXABLE = b"FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nUSER 1000\n"
CLEAN = b'FROM scratch\nCOPY app /app\nUSER 1000\nENTRYPOINT ["/app"]\n'


@pytest.fixture
def github(tmp_path: Path) -> Iterator[GitHub]:
    em = GitHubEmulator(tmp_path / "git")
    em.add_token(GITHUB_TOKEN)
    with em.running():
        yield GitHub(tmp_path, em)


def run(forge: GitHub) -> dict[str, RepoResult]:
    cfg = config.load(forge.config_file())
    platforms = {n: build_platform(s, forge.env, builders=forge.builders()) for n, s in cfg.platforms.items()}
    out, err = io.StringIO(), io.StringIO()
    summary = Runner(cfg, platforms, PlainReporter(out, err), RunOptions(offline=True, run_id="limits")).run()
    return {r.repo: r for r in summary.results}


def pulls(forge: GitHub, name: str) -> list[dict[str, object]]:
    return list(forge.em.state()["pulls"].get(name, []))


def test_a_dockerfile_over_one_mib_is_skipped_with_its_reason(github: GitHub) -> None:
    huge = b"FROM alpine:3.20\n" + b"# padding\n" * (MAX_DOCKERFILE // 10 + 1)
    github.em.add_repo("acme/huge", {"Dockerfile": huge, "svc/Dockerfile": FIXABLE})
    result = run(github)["acme/huge"]
    assert result.status == OK and result.fixes > 0
    [pull] = pulls(github, "acme/huge")
    assert f"larger than {MAX_DOCKERFILE} bytes" in str(pull["body"])
    assert not any(path == "Dockerfile" for path, *_ in result.found)  # never read, so nothing found


def test_a_truncated_tree_of_ten_thousand_files_is_walked(github: GitHub) -> None:
    files = {f"src/m{n // 100:03d}/f{n}.txt": b"x\n" for n in range(10_000)}
    files.update({"deep/a/b/c/Dockerfile": FIXABLE, "Dockerfile": CLEAN})
    github.em.add_repo("acme/big", files)
    github.em.tree_limit = 1000
    result = run(github)["acme/big"]
    assert result.status == OK and result.fixes > 0
    [pull] = pulls(github, "acme/big")
    assert "deep/a/b/c/Dockerfile" in str(pull["body"])
    trees = [p for m, p, _ in github.em.requests if "/git/trees/" in p]
    assert any("recursive" in p for p in trees) and len(trees) > 100  # one listing, then folder by folder
    assert len(trees) < 150  # walked once: the head's tree sha (one call) shows nothing moved since


def test_five_hundred_dockerfiles_are_capped_and_the_rest_named(github: GitHub) -> None:
    files = {f"images/i{n:03d}/Dockerfile": FIXABLE for n in range(500)}
    github.em.add_repo("acme/many", files)
    result = run(github)["acme/many"]
    assert result.status == OK
    assert len({path for path, *_ in result.found} | set()) <= MAX_DOCKERFILES
    [pull] = pulls(github, "acme/many")
    assert f"to {MAX_DOCKERFILES} Dockerfiles of **acme/many**" in str(pull["body"])
    store = github.em.store
    original = {e.path: e.sha for e in store.tree("acme/many", "main")}
    changed = {
        e.path
        for e in store.tree("acme/many", store.head("acme/many", "dockmend/remediate") or "")
        if e.type == "blob" and original.get(e.path) != e.sha
    }
    assert changed == {f"images/i{n:03d}/Dockerfile" for n in range(MAX_DOCKERFILES)}
