"""Prometheus metrics: one :class:`Metrics` per service, on its own registry.

The run code gets the same object the app serves at ``/metrics`` and calls its
methods; nothing is registered globally, so two apps (or two tests) never share
counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.httpwait import Listener
from fixers.registry import FIXERS

RUN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)  # seconds
REQUEST_ACTIONS = ("opened", "updated", "closed")
FATES = ("merged", "closed")  # closed: unmerged, by a person
MAX_REGISTRY_LABELS = 64


def status_class(status: int | None) -> str:
    """``2xx`` … ``5xx``, or ``none`` for a request that got no answer (dropped, timed out)."""
    return "none" if status is None else f"{status // 100}xx"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._registry_labels: set[str] = set()
        r = self.registry
        self.runs = Counter("dockmend_runs", "Runs finished, by outcome.", ["outcome", "trigger"], registry=r)
        self.run_duration = Histogram(
            "dockmend_run_duration_seconds", "Run duration.", ["trigger"], buckets=RUN_BUCKETS, registry=r
        )
        self.repositories = Counter(
            "dockmend_repositories_scanned", "Repositories scanned, by platform.", ["platform"], registry=r
        )
        self.fixes = Counter("dockmend_fixes", "Fixes proposed, by fixer code.", ["code"], registry=r)
        self.requests = Counter(
            "dockmend_requests", "Pull/merge requests opened, updated or closed.", ["platform", "action"], registry=r
        )
        self.api_calls = Counter(
            "dockmend_api_calls", "Forge API calls, by platform and answer class.", ["platform", "status"], registry=r
        )
        self.rate_limit = Gauge(
            "dockmend_rate_limit_remaining", "Forge API calls left in the window, as last reported.", ["platform"],
            registry=r,
        )  # fmt: skip
        self.registry_requests = Counter(
            "dockmend_registry_requests", "Container registry requests, by registry host and answer class.",
            ["registry", "status"], registry=r,
        )  # fmt: skip
        self.request_fates = Counter(
            "dockmend_request_fates", "Requests merged, or closed unmerged by a person, by fixer code in them.",
            ["code", "fate"], registry=r,
        )  # fmt: skip
        self.chat_commands = Counter(
            "dockmend_chat_commands", "Chat commands received, by platform and command.", ["platform", "command"],
            registry=r,
        )  # fmt: skip

    def run_finished(self, outcome: str, seconds: float, trigger: str = "schedule") -> None:
        self.runs.labels(outcome, trigger).inc()
        self.run_duration.labels(trigger).observe(seconds)

    def repository_scanned(self, platform: str) -> None:
        self.repositories.labels(platform).inc()

    def fix_proposed(self, code: str, count: int = 1) -> None:
        self.fixes.labels(code).inc(count)

    def request_changed(self, platform: str, action: str) -> None:
        if action not in REQUEST_ACTIONS:
            raise ValueError(f"request action must be one of {REQUEST_ACTIONS}, not {action!r}")
        self.requests.labels(platform, action).inc()

    def request_ended(self, fate: str, codes: Iterable[str]) -> None:
        """A request merged or closed unmerged: counted once for each fixer code in it
        (labels from the fixers' codes only: anything else is not counted)."""
        if fate not in FATES:
            raise ValueError(f"request fate must be one of {FATES}, not {fate!r}")
        for code in set(codes):
            if code in FIXERS:
                self.request_fates.labels(code, fate).inc()

    def api_call(self, platform: str, status: int | None, rate_limit_remaining: int | None = None) -> None:
        self.api_calls.labels(platform, status_class(status)).inc()
        if rate_limit_remaining is not None:
            self.rate_limit.labels(platform).set(rate_limit_remaining)

    def api_listener(self, platform: str) -> Listener:
        """What a forge client calls with each answer (``platform.listen(...)``)."""
        return lambda status, remaining: self.api_call(platform, status, remaining)

    def registry_request(self, registry: str, status: int | None) -> None:
        """``registry`` is a label from a bounded set (see RegistryClient); past
        :data:`MAX_REGISTRY_LABELS` distinct values, more are counted as "other"."""
        if registry not in self._registry_labels:
            if len(self._registry_labels) >= MAX_REGISTRY_LABELS:
                registry = "other"
            self._registry_labels.add(registry)
        self.registry_requests.labels(registry, status_class(status)).inc()

    def registry_listener(self) -> Callable[[str, int | None], None]:
        """What the registry client calls with each answer (host, status)."""
        return self.registry_request

    def chat_command(self, platform: str, command: str) -> None:
        self.chat_commands.labels(platform, command).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
