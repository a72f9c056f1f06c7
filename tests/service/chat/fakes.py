"""Fake chat actions that record what they were asked to do."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bot.errors import DockmendError

TARGETS = {"acme": "acme", "acme-gl": "acme-gl"}


@dataclass
class FakeActions:
    scan_seconds: float = 0.0  # how long start_scan takes (it runs the scan to its end)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    fail_with: Exception | None = None
    visible: list[frozenset[str] | None] = field(default_factory=list)  # the targets each status call may show

    def target_for(self, target_or_repo: str) -> str | None:
        return TARGETS.get(target_or_repo) or TARGETS.get(target_or_repo.split("/", 1)[0])

    def start_scan(self, target_or_repo: str, requested_by: str) -> str:
        self.calls.append(("scan", target_or_repo, requested_by))
        time.sleep(self.scan_seconds)
        self._maybe_fail()
        self.done.set()
        return "run-7"

    def dry_run(self, repo: str) -> str:
        self.calls.append(("dry-run", repo))
        self._maybe_fail()
        return f"{repo}: 2 fixes would change Dockerfile (DM101, DM104)"

    def status(self, run_id: str | None, targets: frozenset[str] | None = None) -> str:
        self.calls.append(("status", run_id or ""))
        self.visible.append(targets)
        return f"{run_id or 'latest'}: ok, 1 request opened: https://github.example.com/acme/app/pull/3"

    def ignore(self, repo: str, code: str, who: str) -> str:
        self.calls.append(("ignore", repo, code, who))
        return f"{code} is now ignored for {repo}"

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with


def unknown_target() -> DockmendError:
    return DockmendError("no target or repository named 'nope/nope'")
