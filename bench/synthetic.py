"""A synthetic organisation for ``bench/org_scan.py``, and the emulator that serves it.

The organisation is deterministic (repository ``i`` is always the same): 70% of the
repositories hold no Dockerfile, 20% clean ones (every fourth of those has several, in
subfolders), 10% Dockerfiles that need fixes, drawn from the integration estate's
patterns (``tests/integration/estate.py``). Each repository's files carry its name, so
no two repositories share a blob and the run's blob cache cannot hide a read.

Seeding thousands of repositories through :class:`~tests.emulators.gitstore.GitStore`
costs several git processes per repository. Here every object goes into one pool
repository in a single ``git fast-import`` stream, and each repository is a bare
repository written by hand whose ``objects/info/alternates`` points at the pool: git
reads the shared objects and writes the repository's own (the bot's commits) locally.

``python bench/synthetic.py --forge github|gitlab --repos N --latency S`` seeds, serves
on a free port and prints one JSON line (URL, seeding seconds); then it answers stdin:
``log`` prints the requests logged since the last ``log`` and the CPU seconds spent so
far (its own and its git processes') as one JSON line, ``quit``
stops. The token comes from the environment (``BENCH_TOKEN``), never the command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.emulators.faults import Faults
from tests.emulators.gitstore import SEED_AUTHOR, GitStore, TreeEntry
from tests.integration.estate import PATTERNS, TIDY, Pattern

OWNER = "acme"
NONE, CLEAN, FIXES = "no Dockerfile", "clean", "needs fixes"
SEED_DATE = "1700000000 +0000"  # every seed commit the same date: shas repeat between runs
COMMIT_MARK = 1_000_000_000
_HEX = re.compile(r"[0-9a-f]{40}")
RATE_LIMIT = 100_000  # GitHub's is 5,000 an hour per token, 15,000 per App installation
SUBGROUPS = ("", "platform", "data")  # GitLab: projects spread over the group and two subgroups


@dataclass(frozen=True)
class SynthRepo:
    name: str
    kind: str
    files: dict[str, bytes]
    subgroup: str = ""

    @property
    def dockerfiles(self) -> list[str]:
        return sorted(p for p in self.files if p.rsplit("/", 1)[-1] == "Dockerfile")

    def full_name(self, forge: str) -> str:
        parts = (OWNER, self.subgroup if forge == "gitlab" else "", self.name)
        return "/".join(p for p in parts if p)


def kind_of(i: int) -> str:
    return FIXES if i % 10 == 0 else CLEAN if i % 10 in (1, 2) else NONE


def _placed(pattern: Pattern, folder: str, tag: str) -> dict[str, bytes]:
    """The pattern's files in ``folder``; the Dockerfile ends with a comment naming the
    repository, so that its blob is its own."""
    files = {}
    for path, text in pattern.files.items():
        if path == "Dockerfile":
            text = f"{text}# {tag}\n"
        files[f"{folder}/{path}" if folder else path] = text.encode()
    return files


def repository(i: int) -> SynthRepo:
    name = f"svc-{i:05d}"
    kind = kind_of(i)
    files = {"README.md": f"# {name}\n\nA service of Acme.\n".encode(), "src/main.py": f"print({i})\n".encode()}
    if kind == CLEAN:
        folders = ("services/api", "services/worker", "tools/lint") if i % 40 == 1 else ("",)
        for folder in folders:
            files |= _placed(TIDY, folder, f"{name} {folder}")
    elif kind == FIXES:
        files |= _placed(PATTERNS[(i // 10) % len(PATTERNS)], "", name)
        if i % 50 == 0:  # a few hold a second image that needs fixes too
            files |= _placed(PATTERNS[(i // 10 + 1) % len(PATTERNS)], "deploy/batch", f"{name} batch")
    return SynthRepo(name, kind, files, SUBGROUPS[i % len(SUBGROUPS)])


def organisation(n: int) -> list[SynthRepo]:
    return [repository(i) for i in range(n)]


def blob_sha(data: bytes) -> str:
    """The git blob id of ``data`` (what the forge's tree lists)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's object id, not a security use


# -- fast seeding ---------------------------------------------------------------------------


def _stream(repos: Sequence[tuple[str, dict[str, bytes]]]) -> Iterable[bytes]:
    """A fast-import stream: each distinct blob once, one commit per repository."""
    marks: dict[bytes, int] = {}  # blob marks count up from 1, commit marks down from COMMIT_MARK
    author = f"{SEED_AUTHOR[0]} <{SEED_AUTHOR[1]}> {SEED_DATE}".encode()
    for n, (_, files) in enumerate(repos):
        for content in files.values():
            if content not in marks:
                marks[content] = len(marks) + 1
                assert marks[content] < COMMIT_MARK - len(repos)
                yield b"blob\nmark :%d\ndata %d\n%s\n" % (marks[content], len(content), content)
        message = b"Initial commit\n"
        lines = [b"commit refs/heads/r%d\nmark :%d\n" % (n, COMMIT_MARK - n)]
        lines += [b"author %s\ncommitter %s\ndata %d\n%s" % (author, author, len(message), message)]
        for path, content in sorted(files.items()):
            mode = GitStore.blob_mode(path, content).encode()
            lines.append(b"M %s :%d %s\n" % (mode, marks[content], path.encode()))
        yield b"".join(lines) + b"\n"


def seed_store(root: Path, repos: Sequence[tuple[str, dict[str, bytes]]], branch: str = "main") -> dict[str, str]:
    """Bare repositories under ``root`` as :class:`GitStore` lays them out, each with one
    commit of its files on ``branch``; returns each full name's commit sha."""
    pool = root / "_pool.git"
    subprocess.run(["git", "init", "-q", "--bare", str(pool)], check=True, capture_output=True)
    marks_file = root / "_pool.marks"
    proc = subprocess.Popen(
        ["git", "--git-dir", str(pool), "fast-import", "--quiet", f"--export-marks={marks_file}"],
        stdin=subprocess.PIPE,
    )
    assert proc.stdin is not None
    for chunk in _stream(repos):
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    marks = dict(line.split(" ", 1) for line in marks_file.read_text().splitlines())
    shas = {}
    for n, (full_name, _) in enumerate(repos):
        sha = marks[f":{COMMIT_MARK - n}"].strip()
        _bare(GitStore(root).path(full_name), pool / "objects", branch, sha)
        shas[full_name] = sha
    return shas


def _bare(path: Path, pool_objects: Path, branch: str, sha: str) -> None:
    """What ``git init --bare`` writes that git needs, an alternate, and the branch."""
    (path / "objects" / "info").mkdir(parents=True)
    (path / "objects" / "pack").mkdir()
    (path / "refs" / "heads").mkdir(parents=True)
    (path / "refs" / "tags").mkdir()
    (path / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    (path / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n")
    (path / "objects" / "info" / "alternates").write_text(f"{pool_objects.resolve()}\n")
    (path / "refs" / "heads" / branch).write_text(f"{sha}\n")


# -- the emulators ----------------------------------------------------------------------------


class CachedRefs(GitStore):
    """A :class:`GitStore` that keeps branch heads in memory. The emulators ask for them
    for every item of a listing page (a git process each): at thousands of repositories
    that is the emulator's own cost, not the forge's, and it would be charged to the bot's
    wall time. Refs change only through :meth:`set_ref` and :meth:`delete_ref`; trees
    and blobs by sha never change, so they are kept too."""

    def __init__(self, root: Path, heads: dict[str, str], branch: str = "main") -> None:
        super().__init__(root)
        self._branches = {name: {branch: sha} for name, sha in heads.items()}
        self._trees: dict[tuple[str, str, bool], list[TreeEntry]] = {}
        self._blobs: dict[str, bytes] = {}

    def tree(self, full_name: str, ref: str, recursive: bool = True) -> list[TreeEntry]:
        key = (full_name, ref, recursive)
        if not _HEX.fullmatch(ref):  # a branch name moves
            return super().tree(full_name, ref, recursive)
        if key not in self._trees:
            self._trees[key] = super().tree(full_name, ref, recursive)
        return list(self._trees[key])

    def blob(self, full_name: str, sha: str) -> bytes:
        if sha not in self._blobs:
            self._blobs[sha] = super().blob(full_name, sha)
        return self._blobs[sha]

    def branches(self, full_name: str) -> dict[str, str]:
        with self.lock:
            if full_name not in self._branches:
                self._branches[full_name] = super().branches(full_name)
            return dict(self._branches[full_name])

    def set_ref(self, full_name: str, branch: str, sha: str) -> None:
        with self.lock:
            super().set_ref(full_name, branch, sha)
            self._branches.pop(full_name, None)

    def delete_ref(self, full_name: str, branch: str) -> None:
        with self.lock:
            super().delete_ref(full_name, branch)
            self._branches.pop(full_name, None)


class Served:
    """An emulator seeded with the organisation: its URL and its request log."""

    def __init__(
        self, forge: str, root: Path, repos: Sequence[SynthRepo], token: str, latency: float, rate_limit: int
    ) -> None:
        self.forge = forge
        started = time.perf_counter()
        heads = seed_store(root, [(r.full_name(forge), r.files) for r in repos])
        store = CachedRefs(root, heads)
        self.emulator: Any = (
            _github(store, repos, token, rate_limit) if forge == "github" else _gitlab(store, repos, token)
        )
        self.seconds = time.perf_counter() - started
        self.emulator.set_faults(Faults(latency=latency))
        self._read = 0

    @property
    def url(self) -> str:
        return str(self.emulator.url)

    def log(self) -> list[tuple[str, str, int]]:
        """Requests since the last call: (method, path with query, status)."""
        seen = self.emulator.requests[self._read :]
        self._read += len(seen)
        if self.forge == "github":
            return [(m, p, s) for m, p, s in seen]
        return [(r["method"], f"{r['path']}?{r['query']}" if r["query"] else r["path"], r["status"]) for r in seen]


def _github(store: GitStore, repos: Sequence[SynthRepo], token: str, rate_limit: int) -> Any:
    from tests.emulators.github import GitHubEmulator
    from tests.emulators.github_json import RepoMeta

    em = GitHubEmulator(store.root, tokens=(token,))
    em.store = store
    # an hour's budget; when little is left the bot spreads its calls until the reset (an hour
    # away), so a budget below the run's needs measures the wait, not the bot
    em.rate_limit = rate_limit
    em.account(OWNER)
    for repo in repos:
        full_name = repo.full_name("github")
        em.repos[full_name] = RepoMeta(OWNER, repo.name, next(em.ids), description=f"Acme {repo.name}")
        em.derived(full_name)  # size and licence of every listing item, worked out once (git ls-tree)
    return em.start()


def _gitlab(store: GitStore, repos: Sequence[SynthRepo], token: str) -> Any:
    from tests.emulators.gitlab import GitLabEmulator
    from tests.emulators.gitlab_model import Project

    em = GitLabEmulator(None, store.root, tokens={token: "dockmend-bot"})
    world = em.world
    world.store = store
    top = world.add_group(OWNER)
    groups = {"": top, **{s: world.add_group(s, top) for s in SUBGROUPS if s}}
    for repo in repos:
        project = Project(world.next_id("project"), repo.name, groups[repo.subgroup], description=f"Acme {repo.name}")
        world.projects[project.id] = project
    return em.start()


def cpu_seconds() -> float:
    """CPU time of this process and of the git processes it ran."""
    own, git = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + git.ru_utime + git.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--forge", choices=("github", "gitlab"), required=True)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--root", type=Path, required=True, help="an empty folder for the bare repositories")
    parser.add_argument("--rate-limit", type=int, default=RATE_LIMIT, help="GitHub: requests per hour per token")
    args = parser.parse_args(argv)
    token = os.environ["BENCH_TOKEN"]
    served = Served(args.forge, args.root, organisation(args.repos), token, args.latency, args.rate_limit)
    print(json.dumps({"url": served.url, "seconds": served.seconds}), flush=True)
    for line in sys.stdin:
        if line.strip() == "log":
            print(json.dumps({"requests": served.log(), "cpu": cpu_seconds()}), flush=True)
        elif line.strip() == "quit":
            break
    served.emulator.stop()


if __name__ == "__main__":
    main()
