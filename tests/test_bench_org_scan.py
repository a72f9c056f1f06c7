"""``bench/org_scan.py`` at a tiny N: the command runs, its figures parse, the first run
asks exactly the expected calls beyond the minimum, the second run skips every repository
and costs the listing only. No timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "org_scan.py"
REPOS = 40


def figure(section: str, name: str) -> str:
    found = re.search(rf"^  {re.escape(name)}\s+(.+)$", section, re.M)
    assert found, f"no {name!r} line in:\n{section}"
    return found.group(1)


def requests(section: str) -> tuple[int, float]:
    found = re.fullmatch(r"(\d+) total, ([\d.]+) per repository", figure(section, "requests"))
    assert found, figure(section, "requests")
    return int(found.group(1)), float(found.group(2))


# What a first run asks beyond the minimum, per route: one search of the bot's requests
# for the whole organisation (it names none: no repository's requests or bot branch are
# looked up); for each repository that gets a request (4), the default branch's head to
# commit on; GitLab then reads that head's root folder (its answer names no tree sha) and
# the project's marker after the writes. Plus the files the fixers read besides
# Dockerfiles (3 scripts an ENTRYPOINT runs; each blob once: run one repository at a time).
ABOVE_MINIMUM = {  # the scripts read for DM106/DM104 (context files), the org-wide lookup of the bot's requests
    "github": {
        "GET /repos/{repo}/git/blobs/{sha}": 3,
        "GET /search/issues?per_page&q": 1,
    },
    "gitlab": {
        "GET /projects/{project}/repository/files/{path}?ref": 3,
        "GET /groups/acme/merge_requests?non_archived&per_page&scope&source_branch&state": 1,
    },
}


def above_minimum(section: str) -> dict[str, int]:
    block = section.split("above the minimum", 1)[1].split("answered >=", 1)[0]
    return {route: int(n) for n, route in re.findall(r"^\s+(\d+)  (\S.*)$", block, re.M)}


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_org_scan_prints_both_runs_and_the_rescan_skips_everything(forge: str) -> None:
    # one repository at a time: threads reading the same blob at once would each fetch it
    command = [
        sys.executable,
        str(BENCH),
        "--forge",
        forge,
        "--repos",
        str(REPOS),
        "--latency",
        "0",
        "--concurrency",
        "1",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    head, first, second = re.split(r"^run \d .*:$", done.stdout, flags=re.M)
    assert f"org_scan {forge}: {REPOS} repositories" in head
    assert re.search(r"^seeding\s+[\d.]+ s", head, re.M)

    total, per_repo = requests(first)
    assert total > REPOS and per_repo == pytest.approx(total / REPOS, abs=1e-3)  # a tree per repository at least
    assert figure(first, "results") == "ok 12, skipped (no Dockerfile) 28"  # 10% fixes + 20% clean; 70% none
    pattern = r"(\d+) \(list pages 1 \+ trees 40 \+ Dockerfiles (\d+) \+ writes (\d+)"
    pattern += r"(?: \+ new branches' parent heads (\d+))?\)"
    minimum = re.match(pattern, figure(first, "minimum"))
    assert minimum and int(minimum.group(3)) > 0  # requests opened
    heads = int(minimum.group(4) or 0)  # GitHub: a new branch's commit names its parent; GitLab's needs no read
    assert (heads > 0) == (forge == "github")
    assert int(minimum.group(1)) == 1 + REPOS + int(minimum.group(2)) + int(minimum.group(3)) + heads <= total
    kinds = dict(re.findall(r"([a-z/ ]+?) (\d+)(?:, |$)", figure(first, "by kind")))
    assert sum(map(int, kinds.values())) == total
    assert re.search(r"requests/minimum [\d.]+ \[target <= 1\.05: (PASS|FAIL)\]", figure(first, "minimum"))
    assert re.search(r"\[target < 300 MB: (PASS|FAIL)\]", figure(first, "peak RSS"))
    assert above_minimum(first) == ABOVE_MINIMUM[forge]
    assert total - int(minimum.group(1)) == sum(ABOVE_MINIMUM[forge].values())

    assert figure(second, "results") == f"skipped (unchanged) {REPOS}"
    # one listing page, and the organisation-wide look-up of the bot's open requests (a box
    # ticked in one brings its repository back); 40 repositories share these two calls
    assert requests(second) == (2, 2 / REPOS)
    assert "write 0" in figure(second, "by kind")
    # the target is an organisation's (5,000 repositories: README); two calls over 40 are 0.05
    rescan = figure(second, "unchanged rescan")
    assert re.fullmatch(r"0\.0500 requests per repository \[target < 0\.05: (PASS|FAIL)\]", rescan)
