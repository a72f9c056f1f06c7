"""What a run leaves behind: its repositories and requests in the state store, and metrics.

:func:`record_summary` turns a :class:`~bot.engine.report.RunSummary` (what ``bot.engine.run``
returns) into rows, in one transaction, and into the :class:`~bot.service.web.metrics.Metrics`
counters; it returns the run's :class:`~bot.state.store.RunCounts` for its ``runs`` row.
A dry run is never recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from bot.engine.changes import Kind, Outcome
from bot.engine.report import FAILED, OK, SKIPPED, PlanDetail, RunSummary
from bot.service.memory import StateMemory
from bot.service.web.metrics import Metrics
from bot.state import findings, requests, store
from bot.state.findings import FindingRecord
from bot.state.requests import RequestState
from bot.state.store import RepoKey, RunCounts

_NUMBER = re.compile(r"/(?:pull|pulls|merge_requests)/(\d+)/?$")
_UPDATED = frozenset({Kind.UPDATED, Kind.REBASED})


def request_number(url: str) -> int | None:
    """The request's number (GitHub) or iid (GitLab), from its web URL."""
    found = _NUMBER.search(url)
    return int(found.group(1)) if found else None


def request_state(kind: Kind) -> RequestState:
    if kind is Kind.CLOSED:
        return "closed"
    if kind is Kind.BRANCH_DELETED:
        return "merged"
    return "open"


def counts_of(summary: RunSummary) -> RunCounts:
    kinds = [o.kind for r in summary.results for o in r.outcomes]
    return RunCounts(
        repositories_scanned=summary.count(OK),
        repositories_skipped=summary.count(SKIPPED),
        repositories_failed=summary.count(FAILED),
        fixes=summary.fixes,
        requests_opened=sum(k is Kind.CREATED for k in kinds),
        requests_updated=sum(k in _UPDATED for k in kinds),
        requests_closed=sum(k is Kind.CLOSED for k in kinds),
    )


def record_summary(
    sessions: sessionmaker[Session],
    summary: RunSummary,
    platforms: Mapping[str, str],
    metrics: Metrics | None = None,
    memory: StateMemory | None = None,
) -> RunCounts:
    """Record a (real) run; ``platforms`` maps each target's name to its platform's name."""
    counts = counts_of(summary)
    if summary.dry_run:
        return counts
    with sessions.begin() as session:
        for result in summary.results:
            platform = platforms.get(result.target, "")
            if result.status != OK:
                continue
            key = RepoKey(platform, result.repo)
            store.note_run(session, key, summary.run_id)
            records = [FindingRecord(path, line or None, code, message) for path, code, line, message in result.found]
            findings.record_findings(session, summary.run_id, key, records)
            plans = {plan.branch: plan for plan in result.plans}
            for outcome in result.outcomes:
                _record_request(session, key, result.target, summary.run_id, outcome, plans.get(outcome.branch))
        if memory is not None:  # with the requests, in one transaction
            memory.write(session)
    if metrics is not None:
        _feed(metrics, summary, platforms)
    return counts


def _record_request(
    session: Session, key: RepoKey, target: str, run_id: str, outcome: Outcome, plan: PlanDetail | None
) -> None:
    """One request the run touched; a closed one (no plan this run) keeps its recorded title and fixes."""
    number = request_number(outcome.url or "")
    if outcome.url is None or number is None or outcome.kind is Kind.NOTHING:
        return
    requests.record_request(
        session,
        key,
        number=number,
        url=outcome.url,
        branch=outcome.branch,
        state=request_state(outcome.kind),
        fingerprint=plan.fingerprint if plan is not None else None,
        title=plan.title if plan is not None else None,
        codes=plan.codes if plan is not None else None,
        target=target,
        team=plan.team if plan is not None else None,
        run_id=run_id,
    )


def _feed(metrics: Metrics, summary: RunSummary, platforms: Mapping[str, str]) -> None:
    for result in summary.results:
        platform = platforms.get(result.target, "")
        if result.status == OK:
            metrics.repository_scanned(platform)
        for code in result.fix_codes:
            metrics.fix_proposed(code)
        for outcome in result.outcomes:
            action = {Kind.CREATED: "opened", Kind.CLOSED: "closed"}.get(outcome.kind)
            action = action or ("updated" if outcome.kind in _UPDATED else None)
            if action is not None:
                metrics.request_changed(platform, action)
