"""`dockmend run --shard INDEX/COUNT`: COUNT processes share a target without overlap.

A GitLab group of 30 projects (the integration estate and nine more services) is run
once unsharded, and, on an identical emulator, as shards 0/3, 1/3 and 2/3 through the
real command, one after the other, into one state database. Every repository is
reported by exactly one shard, and the three shards leave the forge as the single run
does: the same branches with the same files and the same requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.engine.options import Shard
from bot.errors import DockmendError
from tests.emulators.gitlab import TOKEN, GitLabEmulator
from tests.integration import estate

EXTRA = 9  # the estate has 21 GitLab projects: 30 in all
FOOTER = re.compile(r"<sub>dockmend .*?</sub>")  # names the run
LINE = re.compile(r"^(acme/\S+): (.*)$", re.M)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0/3", Shard(0, 3)), ("2/3", Shard(2, 3)), (" 1 / 4 ", Shard(1, 4)), ("0/1", Shard(0, 1))],
)
def test_shard_is_parsed(text: str, expected: Shard) -> None:
    assert Shard.parse(text) == expected


@pytest.mark.parametrize("text", ["3/3", "1/0", "-1/3", "1", "a/b", "1/3/5", ""])
def test_a_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(DockmendError, match="--shard"):
        Shard.parse(text)


@pytest.mark.parametrize(
    ("name", "count", "index"),
    [("acme/api", 3, 1), ("acme/web", 3, 1), ("acme/db", 3, 0), ("group/sub/app", 4, 2), ("acme/api", 1, 0)],
)
def test_the_hash_is_stable_across_processes_and_versions(name: str, count: int, index: int) -> None:
    """Pinned: a change of hash would move repositories between running shards."""
    assert [Shard(i, count).owns(name) for i in range(count)] == [i == index for i in range(count)]


def test_shards_split_names_evenly() -> None:
    names = [f"acme/service-{n}" for n in range(3000)]
    sizes = [sum(Shard(i, 3).owns(n) for n in names) for i in range(3)]
    assert sum(sizes) == 3000
    assert min(sizes) > 900  # ~1000 each


def seed(root: Path) -> Path:
    estate.write_gitlab_seed(root)
    donors = [p for p in estate.estate("gitlab") if p.kind is estate.Kind.FIXES]
    for n in range(EXTRA):
        donor = donors[n % len(donors)]
        folder = root / estate.OWNER / f"extra-{n}"
        folder.mkdir(parents=True)
        (folder / ".project").write_text("{}")
        for path, text in donor.files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
    return root


@dataclass(frozen=True)
class Outcome:
    lines: dict[str, list[str]]  # repository -> what the run said of it
    forge: dict[str, object]  # what the forge holds, without run ids and commit shas
    exit_codes: list[int]


def config(tmp: Path, em: GitLabEmulator) -> Path:
    path = tmp / "dockmend.yaml"
    path.write_text(
        f"platforms:\n  gl: {{type: gitlab, url: {em.url}, token: ${{GITLAB_TOKEN}}}}\n"
        f"targets:\n  - {{name: acme, platform: gl, group: {estate.OWNER}, max_requests: 100, onboarding: false}}\n"
    )
    return path


def forge_state(em: GitLabEmulator) -> dict[str, object]:
    """Requests (state, branch, title, body without its footer) and each branch's files,
    with the emulator's address (labels and links name it) made the same."""
    store = em.world.store

    def same(text: str) -> str:  # the fingerprint covers the new files, which name the address
        return re.sub(r"fingerprint=[0-9a-f]+", "fingerprint=", text.replace(em.url.rstrip("/"), "http://forge"))

    found: dict[str, object] = {}
    for name, project in em.state()["projects"].items():
        branches = {
            branch: sorted(
                (e.path, same(store.blob(name, e.sha).decode("utf-8", "replace")))
                for e in store.tree(name, sha)
                if e.type == "blob"
            )
            for branch, sha in project["branches"].items()
        }
        requests = [
            (
                mr["state"],
                mr["source_branch"],
                mr["title"],
                same(re.sub(r"<sub>dockmend .*?</sub>", "", mr["description"])),
            )
            for mr in project["merge_requests"]
        ]
        found[name] = (branches, requests)
    return found


def run(tmp: Path, shards: list[str | None]) -> Outcome:
    env = {"GITLAB_TOKEN": TOKEN, "DOCKMEND_DATABASE_URL": f"sqlite:///{tmp / 'state.db'}"}
    lines: dict[str, list[str]] = {}
    codes = []
    with GitLabEmulator(seed(tmp / "seed"), tmp / "git") as em:
        path = config(tmp, em)
        for shard in shards:
            command = ["run", "--config", str(path), "--offline", *(["--shard", shard] if shard else [])]
            result = CliRunner().invoke(app, command, env=env, catch_exceptions=False)
            codes.append(result.exit_code)
            for name, said in LINE.findall(result.stderr):
                lines.setdefault(name, []).append(f"{shard}: {said.split(' http')[0]}")
        return Outcome(lines, forge_state(em), codes)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Outcome, Outcome]]:
    whole = run(tmp_path_factory.mktemp("whole"), [None])
    parts = run(tmp_path_factory.mktemp("sharded"), ["0/3", "1/3", "2/3"])
    yield whole, parts


def test_the_organisation_has_thirty_repositories(outcomes: tuple[Outcome, Outcome]) -> None:
    whole, parts = outcomes
    assert len(whole.forge) == len(parts.forge) == 30
    assert whole.exit_codes == [0] and parts.exit_codes == [0, 0, 0]


def test_every_repository_is_run_by_exactly_one_shard(outcomes: tuple[Outcome, Outcome]) -> None:
    whole, parts = outcomes
    assert set(parts.lines) == set(whole.lines)
    assert all(len(said) == 1 for said in parts.lines.values()), parts.lines
    per_shard = {said[0].split(":")[0] for said in parts.lines.values()}
    assert per_shard == {"0/3", "1/3", "2/3"}  # each shard had work
    for name, said in parts.lines.items():
        shard = Shard.parse(said[0].split(":")[0])
        assert shard.owns(name)
        assert said[0].split(": ", 1)[1] == whole.lines[name][0].split(": ", 1)[1]


def test_the_shards_together_leave_what_one_run_leaves(outcomes: tuple[Outcome, Outcome]) -> None:
    whole, parts = outcomes
    opened = [name for name, held in whole.forge.items() if held[1]]  # type: ignore[index]
    assert len(opened) >= 10
    assert parts.forge == whole.forge
