"""What the web app shows, and the one interface it reads it through.

The service implements :class:`WebServices` over the state store, the scheduler and
the run orchestration; the app only reads these records (and triggers runs).
Datetimes are timezone-aware (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class RunInfo:
    id: str
    target: str | None  # None: every target
    trigger: str  # schedule, chat, api, cli
    requested_by: str | None
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str = "running"  # running, ok, partial, failed
    repositories: int = 0  # scanned
    findings: int = 0
    requests_opened: int = 0
    requests_updated: int = 0
    requests_closed: int = 0


@dataclass(frozen=True)
class FindingInfo:
    code: str  # DM103
    path: str  # the Dockerfile
    message: str
    line: int | None = None


@dataclass(frozen=True)
class RepositoryInfo:
    platform: str
    full_name: str
    url: str | None = None
    last_scanned: datetime | None = None
    findings: tuple[FindingInfo, ...] = ()


@dataclass(frozen=True)
class RequestInfo:
    platform: str
    repository: str
    number: int
    title: str
    url: str
    state: str  # open, merged, closed
    target: str
    opened_at: datetime
    updated_at: datetime | None = None
    team: str | None = None  # the team it was routed to
    fixes: tuple[str, ...] = ()  # codes
    fate: str = "open"  # open, merged, closed (unmerged, by a person), fixed (closed by the bot), superseded
    closed_at: datetime | None = None  # when a run saw it end


@dataclass(frozen=True)
class ScheduledRun:
    target: str
    next_run: datetime | None  # None: paused
    schedule: str = ""  # the cron text and timezone, for people


class WebServices(Protocol):
    """The data behind the dashboard and ``/api/``; each call is short (a query)."""

    def recent_runs(self, limit: int) -> Sequence[RunInfo]: ...

    def repositories(self, limit: int) -> Sequence[RepositoryInfo]:
        """Repositories with their current findings, those with findings first."""
        ...

    def open_requests(self) -> Sequence[RequestInfo]: ...

    def ended_requests(self, since: datetime) -> Sequence[RequestInfo]:
        """Requests that ended (merged, closed, fixed, superseded) at or after ``since``."""
        ...

    def next_runs(self) -> Sequence[ScheduledRun]: ...

    def readiness(self) -> Mapping[str, bool]:
        """Named checks, like ``{"database": True, "scheduler": True}``; all true: ready."""
        ...

    def trigger_run(self, target: str, requested_by: str) -> str:
        """Start a run of ``target`` in the background; its id. LookupError: no such target;
        a DockmendError (like "already running"): refused, its message is shown."""
        ...


def to_json(value: Any) -> Any:
    """Records as JSON values (datetimes as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: to_json(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
