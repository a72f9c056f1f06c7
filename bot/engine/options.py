"""What a run is asked to do: ``RunOptions``, built by keyword, and ``--shard``."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.engine.rescan import Memory
from bot.errors import DockmendError
from bot.platforms.base import Repo


def nothing_ignored(full_name: str) -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class RequestHistory:
    """What the state store knows of a repository's requests, read once as the run starts:
    the branches with a request it believes open (looked up even when the branch is gone,
    to learn a merge or a close), and how often each fixer code was closed unmerged."""

    open_branches: frozenset[str] = frozenset()
    closed_unmerged: Mapping[str, int] = field(default_factory=dict)


def no_history(full_name: str) -> RequestHistory:
    return RequestHistory()


@dataclass(frozen=True)
class Shard:
    """``--shard INDEX/COUNT``: this process takes the repositories whose name hashes to
    ``index`` modulo ``count``, so that ``count`` processes share a target without overlap.
    The hash is of the full name only (SHA-256, not Python's salted ``hash``): every
    process, on every machine and at every run, puts a repository in the same shard."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise DockmendError(f"--shard {text!r}: expected INDEX/COUNT, like 0/3")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or index >= count:
            raise DockmendError(f"--shard {text!r}: INDEX must be 0 to COUNT-1 and COUNT at least 1")
        return cls(index, count)

    def owns(self, full_name: str) -> bool:
        digest = hashlib.sha256(full_name.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    dry_run: bool = False
    target: str | None = None  # only this target
    repo: str | None = None  # only this repository (full name)
    offline: bool = False  # no registry: the base-image fixers do nothing
    run_id: str = ""
    # fixer codes not wanted in a repository (chat `ignore`, kept in the state database)
    ignored: Callable[[str], frozenset[str]] = nothing_ignored
    # the repository's requests as the state store knows them (fates, the fixer-stop policy)
    history: Callable[[str], RequestHistory] = no_history
    shard: Shard | None = None  # only this shard's repositories
    memory: Memory | None = None  # what earlier runs saw: unchanged repositories are skipped
    stop: threading.Event | None = None  # set on shutdown: repositories not begun are left for later

    def wants(self, repo: Repo) -> bool:
        if self.repo is not None and repo.full_name != self.repo:
            return False
        return self.shard is None or self.shard.owns(repo.full_name)
