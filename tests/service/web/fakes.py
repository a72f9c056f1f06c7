"""Fake services for the web app: records in memory, as the state store would return them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.errors import DockmendError
from bot.service.web.model import FindingInfo, RepositoryInfo, RequestInfo, RunInfo, ScheduledRun

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


def sample_runs() -> list[RunInfo]:
    monday = NOW.replace(hour=6, minute=0)
    return [
        RunInfo("20250310T090112Z-4be1c0", "platform-team", "chat", "slack:alice", NOW - timedelta(minutes=29)),
        RunInfo(
            "20250310T060000Z-9f3a21", "acme", "schedule", None, monday, monday + timedelta(minutes=7, seconds=42),
            "ok", 48, 131, 6, 3, 1,
        ),
        RunInfo(
            "20250303T060000Z-1c77de", "acme", "schedule", None, monday - timedelta(days=7),
            monday - timedelta(days=7) + timedelta(minutes=9, seconds=5), "partial", 47, 140, 4, 2, 0,
        ),
        RunInfo(
            "20250228T142210Z-05aa9e", "acme-gl", "api", "api:release-bot", NOW - timedelta(days=9, hours=19),
            NOW - timedelta(days=9, hours=18, minutes=58), "failed", 3, 0, 0, 0, 0,
        ),
    ]  # fmt: skip


def sample_requests() -> list[RequestInfo]:
    return [
        RequestInfo(
            "github", "acme/payments-api", 412, "dockmend: pin base images, clean apt caches",
            "https://github.example.com/acme/payments-api/pull/412", "open", "acme",
            NOW - timedelta(hours=3, minutes=30), NOW - timedelta(hours=3, minutes=30), "payments", ("DM101", "DM104"),
        ),
        RequestInfo(
            "github", "acme/web-frontend", 88, "dockmend: add image labels, exec-form CMD",
            "https://github.example.com/acme/web-frontend/pull/88", "open", "acme",
            NOW - timedelta(days=7, hours=3), NOW - timedelta(hours=3, minutes=28), "web", ("DM105", "DM106"),
        ),
        RequestInfo(
            "gitlab", "acme/platform/ci-runner", 17, "dockmend: bump python 3.12.1 → 3.12.9",
            "https://gitlab.example.com/acme/platform/ci-runner/-/merge_requests/17", "open", "acme-gl",
            NOW - timedelta(days=14), None, None, ("DM102",),
        ),
    ]  # fmt: skip


def sample_repositories() -> list[RepositoryInfo]:
    return [
        RepositoryInfo(
            "github", "acme/payments-api", "https://github.example.com/acme/payments-api", NOW - timedelta(hours=3),
            (
                FindingInfo("DM206", "Dockerfile", "the final stage sets no USER, so it runs as root", 31),
                FindingInfo("DM203", "deploy/worker.Dockerfile", "supervisord starts several processes", 12),
            ),
        ),
        RepositoryInfo(
            "github", "acme/web-frontend", "https://github.example.com/acme/web-frontend", NOW - timedelta(hours=3),
            (FindingInfo("DM206", "Dockerfile", "nginx listens on 8080 but nothing is EXPOSEd", None),),
        ),
        RepositoryInfo("github", "acme/docs", None, NOW - timedelta(hours=3), ()),
    ]  # fmt: skip


def sample_schedule() -> list[ScheduledRun]:
    return [
        ScheduledRun("acme", datetime(2025, 3, 17, 6, 0, tzinfo=UTC), "0 6 * * mon (Europe/Berlin)"),
        ScheduledRun("acme-gl", datetime(2025, 3, 17, 7, 0, tzinfo=UTC), "0 8 * * mon (Europe/Berlin)"),
        ScheduledRun("platform-team", None, "paused"),
    ]


def sample_ended(now: datetime) -> list[RequestInfo]:
    """Requests that ended in the weeks before ``now``: merged, closed by people, fixed."""
    ended = []
    for n, (fate, codes, team, days, hours) in enumerate(
        [
            ("merged", ("DM104",), "payments", 2, 5), ("merged", ("DM104", "DM106"), "web", 9, 30),
            ("closed", ("DM106",), "web", 9, 50), ("merged", ("DM105",), "payments", 16, 2),
            ("closed", ("DM104",), None, 23, 70), ("fixed", ("DM105",), "web", 3, 1),
        ]
    ):  # fmt: skip
        closed_at = now - timedelta(days=days)
        ended.append(
            RequestInfo(
                "github",
                f"acme/service-{n}",
                100 + n,
                f"dockmend: request {n}",
                f"https://forge/{n}",
                fate,
                "acme",
                closed_at - timedelta(hours=hours),
                closed_at,
                team,
                codes,
                fate,
                closed_at,
            )
        )
    return ended


@dataclass
class FakeServices:
    runs: list[RunInfo] = field(default_factory=sample_runs)
    requests: list[RequestInfo] = field(default_factory=sample_requests)
    repos: list[RepositoryInfo] = field(default_factory=sample_repositories)
    schedule: list[ScheduledRun] = field(default_factory=sample_schedule)
    ended: list[RequestInfo] = field(default_factory=lambda: sample_ended(NOW))
    checks: dict[str, bool] = field(default_factory=lambda: {"database": True, "scheduler": True})
    targets: tuple[str, ...] = ("acme", "acme-gl", "platform-team")
    triggered: list[tuple[str, str]] = field(default_factory=list)
    busy: bool = False
    broken: bool = False  # every read raises, like a database that went away

    def recent_runs(self, limit: int) -> Sequence[RunInfo]:
        self._check()
        return self.runs[:limit]

    def repositories(self, limit: int) -> Sequence[RepositoryInfo]:
        self._check()
        return self.repos[:limit]

    def open_requests(self) -> Sequence[RequestInfo]:
        self._check()
        return self.requests

    def ended_requests(self, since: datetime) -> Sequence[RequestInfo]:
        self._check()
        return [r for r in self.ended if r.closed_at is not None and r.closed_at >= since]

    def next_runs(self) -> Sequence[ScheduledRun]:
        self._check()
        return self.schedule

    def readiness(self) -> Mapping[str, bool]:
        return self.checks

    def trigger_run(self, target: str, requested_by: str) -> str:
        if target not in self.targets:
            raise LookupError(target)
        if self.busy:
            raise DockmendError(f"target {target!r} is already running")
        self.triggered.append((target, requested_by))
        return f"run-{len(self.triggered)}"

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("database down: postgresql://dockmend:hunter2@db/dockmend")
