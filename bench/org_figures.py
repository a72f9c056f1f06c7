"""The figures of ``bench/org_scan.py``: requests by kind, the design's minimum, the targets.

Requests come from the emulator's log as (method, path with query, status). A request's
*route* is its path with the repository, shas and numbers replaced by placeholders, so
that the routes above the minimum can be counted and handed to whoever optimises them.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from fixers.names import is_dockerfile_name

Logged = tuple[str, str, int]
READS = frozenset({"GET", "HEAD"})
KINDS = ("listing", "tree", "dockerfile blob", "context blob", "repository read", "request/branch read", "other read")
# issue 7's acceptance, the first run's ratio issue 14's
FIRST_RUN_RATIO = 1.05  # requests / minimum
SECOND_RUN_PER_REPO = 0.05
WALL_RATIO = 2.0  # wall / latency lower bound
RSS_MB = 300.0
TOKEN_HOUR, APP_HOUR = 5_000, 15_000  # GitHub's primary rate limits, requests per hour

_GITHUB_REPO = re.compile(r"^/api/v3/repos/[^/]+/[^/]+")
_GITLAB_PROJECT = re.compile(r"^(?:/api/v4)?/projects/[^/]+")  # the GitLab log has no prefix
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_NUMBER = re.compile(r"/\d+(?=/|$)")


def route(path: str) -> str:
    """``GET /repos/acme/svc-00001/git/blobs/<sha>`` -> ``/repos/{repo}/git/blobs/{sha}``."""
    bare, _, query = path.partition("?")
    bare = _GITHUB_REPO.sub("/repos/{repo}", bare)
    bare = _GITLAB_PROJECT.sub("/projects/{project}", bare)
    bare = re.sub(r"/repository/files/[^/]+", "/repository/files/{path}", bare)
    bare = _SHA.sub("{sha}", bare)
    bare = _NUMBER.sub("/{n}", bare).removeprefix("/api/v3").removeprefix("/api/v4")
    keys = sorted({pair.split("=", 1)[0] for pair in query.split("&") if pair and not pair.startswith("page=")})
    return f"{bare}?{'&'.join(keys)}" if keys else bare


def blob_sha(path: str) -> str | None:
    found = re.search(r"/(?:git/blobs|repository/blobs)/([0-9a-f]{40})", path)
    return found.group(1) if found else None


def kind(method: str, path: str, dockerfile_blobs: frozenset[str]) -> str:
    """What a request is for; ``write`` for anything that is not a read."""
    if method not in READS:
        return "write"
    r = route(path).split("?")[0]
    sha = blob_sha(path)
    if sha is not None:
        return "dockerfile blob" if sha in dockerfile_blobs else "context blob"
    by_path = re.search(r"/repository/files/([^/?]+)(?:\?|$)", path)
    if by_path:  # GitLab's files API: a file by path (the answer names the commit it read)
        name = posixpath.basename(unquote(by_path.group(1)))
        return "dockerfile blob" if is_dockerfile_name(name) else "context blob"
    if (r.startswith(("/orgs/", "/users/")) and r.endswith("/repos")) or (
        r.startswith("/groups/") and r.endswith("/projects")
    ):
        return "listing"
    if "/git/trees/" in r or r.endswith("/repository/tree"):
        return "tree"
    if r in ("/repos/{repo}", "/projects/{project}"):
        return "repository read"
    if any(part in r for part in ("/pulls", "/compare/", "/git/ref", "/git/commits", "/merge_requests", "/branches")):
        return "request/branch read"
    if "/repository/compare" in r or "/repository/commits" in r:
        return "request/branch read"
    return "other read"


@dataclass
class RunFigures:
    """One run's figures."""

    label: str
    repos: int
    log: Sequence[Logged]
    wall: float
    rss_mb: float
    latency: float
    concurrency: int
    dockerfile_blobs: frozenset[str]
    dockerfiles: int  # Dockerfiles the design must read in this run
    trees: int  # repositories the design must list the tree of in this run
    results: Counter[str] = field(default_factory=Counter)
    cpu: tuple[float, float] = (0.0, 0.0)  # CPU seconds of the bot, of the emulator (with git)

    @property
    def total(self) -> int:
        return len(self.log)

    @property
    def kinds(self) -> Counter[str]:
        return Counter(kind(m, p, self.dockerfile_blobs) for m, p, _ in self.log)

    @property
    def heads(self) -> int:
        """GitHub: one read of the default branch's head per branch the run creates. A new
        commit names its parent's sha, and no answer of the scan carries it (the listing
        has no head sha, a tree read by the branch's name answers the tree's sha, a blob
        names no commit). GitLab names none: its files API answers with the commit read,
        and its commit API takes a start branch."""
        if not any(path.startswith("/api/v3/") for _, path, _ in self.log):
            return 0
        return sum(1 for method, path, _ in self.log if method == "POST" and route(path) == "/repos/{repo}/git/refs")

    @property
    def minimum(self) -> int:
        """List pages + one tree per repository + one read per Dockerfile + the writes made
        (+ on GitHub, the head a new branch's commit names as its parent)."""
        return math.ceil(self.repos / 100) + self.trees + self.dockerfiles + self.kinds["write"] + self.heads

    @property
    def bound(self) -> float:
        return self.total * self.latency / self.concurrency

    def above_minimum(self) -> list[tuple[str, int]]:
        """Routes whose requests the minimum does not count, most first (writes never)."""
        counts: Counter[str] = Counter()
        pages = math.ceil(self.repos / 100)
        trees, dockerfiles, heads = self.trees, self.dockerfiles, self.heads
        for method, path, _ in self.log:
            what = kind(method, path, self.dockerfile_blobs)
            if what == "write":
                continue
            if what == "listing" and pages > 0:
                pages -= 1
            elif heads > 0 and method == "GET" and re.fullmatch(r"/repos/\{repo\}/branches/[^/]+", route(path)):
                heads -= 1
            elif what == "tree" and trees > 0:
                trees -= 1
            elif what == "dockerfile blob" and dockerfiles > 0:
                dockerfiles -= 1
            else:
                counts[f"{method} {route(path)}"] += 1
        return counts.most_common()

    def failures(self) -> list[tuple[str, int]]:
        return Counter(f"{m} {route(p)} -> {s}" for m, p, s in self.log if s >= 400).most_common()


def _cores() -> int:
    return os.cpu_count() or 1


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "FAIL"


def report(fig: RunFigures, first: bool) -> list[str]:
    """The run's lines, as printed (``bench/org_scan.py`` and its smoke test read them)."""
    per_repo = fig.total / fig.repos if fig.repos else 0.0
    kinds = fig.kinds
    lines = [
        f"{fig.label}:",
        f"  results            {', '.join(f'{k} {v}' for k, v in sorted(fig.results.items()))}",
        f"  requests           {fig.total} total, {per_repo:.4f} per repository",
        f"  by kind            {', '.join(f'{k} {kinds[k]}' for k in (*KINDS, 'write'))}",
        "  registry requests  0 (offline run: the registry-backed fixers make no look-ups)",
    ]
    if first:
        ratio = fig.total / fig.minimum if fig.minimum else 0.0
        pages = math.ceil(fig.repos / 100)
        lines.append(
            f"  minimum            {fig.minimum} (list pages {pages} + trees {fig.trees} + Dockerfiles "
            f"{fig.dockerfiles} + writes {kinds['write']}"
            + (f" + new branches' parent heads {fig.heads}" if fig.heads else "")
            + f"); requests/minimum {ratio:.3f} "
            f"[target <= {FIRST_RUN_RATIO}: {verdict(ratio <= FIRST_RUN_RATIO)}]"
        )
        lines.append(
            f"  hourly budget      {fig.total / TOKEN_HOUR:.2f} of a token's {TOKEN_HOUR:,}, "
            f"{fig.total / APP_HOUR:.2f} of an App installation's {APP_HOUR:,} (GitHub; the emulator allows more)"
        )
    else:
        lines.append(
            f"  unchanged rescan   {per_repo:.4f} requests per repository "
            f"[target < {SECOND_RUN_PER_REPO}: {verdict(per_repo < SECOND_RUN_PER_REPO)}]"
        )
    wall_ratio = fig.wall / fig.bound if fig.bound > 0 else None
    shown = "n/a (no latency)" if wall_ratio is None else f"{wall_ratio:.2f}"
    ok = None if wall_ratio is None else wall_ratio <= WALL_RATIO
    # a rescan is the listing's pages, which follow one another, and the bot's own work:
    # the bound (requests spread over the concurrency) says little there
    target = f"[target <= {WALL_RATIO}: {verdict(ok)}]" if first else "(the target is the first run's)"
    lines += [
        f"  wall               {fig.wall:.2f} s; latency lower bound {fig.bound:.2f} s "
        f"({fig.total} x {fig.latency} s / {fig.concurrency}); wall/bound {shown} {target}",
        f"  CPU                bot {fig.cpu[0]:.2f} s, emulator {fig.cpu[1]:.2f} s (with its git processes); "
        f"{_cores()} cores",
        f"  peak RSS           {fig.rss_mb:.1f} MB (the bot's process; the emulator runs in another) "
        f"[target < {RSS_MB:.0f} MB: {verdict(fig.rss_mb < RSS_MB)}]",
    ]
    above = fig.above_minimum()
    if above:
        lines.append(f"  above the minimum  {sum(n for _, n in above)} requests:")
        lines += [f"    {n:6d}  {what}" for what, n in above[:12]]
    failed = fig.failures()
    if failed:
        lines.append("  answered >= 400 (retried or expected):")
        lines += [f"    {n:6d}  {what}" for what, n in failed[:8]]
    return lines
