"""What a run leaves behind: its repositories and requests in the state store, and metrics.

:func:`record_summary` turns a :class:`~bot.engine.report.RunSummary` (what ``bot.engine.run``
returns) into rows, in one transaction, and into the :class:`~bot.service.web.metrics.Metrics`
counters; it returns the run's :class:`~bot.state.store.RunCounts` for its ``runs`` row.
A dry run is never recorded.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.engine import run as runner
from bot.engine.changes import Kind, Outcome
from bot.engine.options import RequestHistory, RunOptions, Shard
from bot.engine.report import FAILED, OK, SKIPPED, PlainReporter, RunSummary
from bot.errors import DockmendError
from bot.platforms.base import Platform
from bot.service.memory import StateMemory
from bot.service.web.metrics import Metrics
from bot.settings.config import Config
from bot.state import db, findings, leases, requests, store
from bot.state.execution import RunRequest, guarded_run
from bot.state.findings import FindingRecord
from bot.state.requests import RequestState, ignored_codes
from bot.state.store import RepoKey, RunCounts

log = logging.getLogger(__name__)
_UPDATED = frozenset({Kind.UPDATED, Kind.REBASED})
_LEARNT_ONLY = frozenset({Kind.NOTHING, Kind.SKIPPED_CLOSED, Kind.DEFERRED})


class TargetBusy(DockmendError):
    """Another process runs the target now; try again later."""

    exit_code = 1


def recorded_run(
    cfg: Config,
    sessions: sessionmaker[Session],
    target: str,
    run_id: str,
    *,
    repo: str | None = None,
    offline: bool = False,
    shard: Shard | None = None,
    remember: bool = True,
    stop: threading.Event | None = None,
    platforms: Mapping[str, Platform] | None = None,
    env: Mapping[str, str] | None = None,
    metrics: Metrics | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    summaries: list[RunSummary] | None = None,
) -> RunCounts:
    """The one recorded run of a target, whoever asks (CLI, scheduler, chat, API): the
    options built here, the run, and its rows and metrics in the state store. A whole-target
    run skips what has not changed since the last one (``remember``); a run of one
    repository always scans it. Without ``out``/``err`` the run's report goes to the log."""
    memory = StateMemory(sessions) if remember and repo is None else None
    options = RunOptions(
        target=target, repo=repo, offline=offline, run_id=run_id, ignored=ignored_codes(sessions),
        history=request_history(sessions), shard=shard, memory=memory, stop=stop,
    )  # fmt: skip
    listener = metrics.registry_listener() if metrics is not None else None
    if out is None or err is None:
        buffers = io.StringIO(), io.StringIO()
        summary = runner.execute(
            cfg, options, *buffers, env, platforms=platforms, reporter=PlainReporter(*buffers),
            registry_listener=listener,
        )  # fmt: skip
        log.info("run %s of %s:\n%s%s", run_id, target, buffers[1].getvalue(), buffers[0].getvalue())
    else:
        summary = runner.execute(cfg, options, out, err, env, platforms=platforms, registry_listener=listener)
    if summaries is not None:
        summaries.append(summary)
    where = {t.name: t.target.platform for t in cfg.targets}
    return record_summary(sessions, summary, where, metrics, memory)


def run_recorded(
    cfg: Config, options: RunOptions, out: TextIO, err: TextIO, *, remember: bool = True
) -> list[RunSummary]:
    """``dockmend run``: each chosen target under its lease (a shard's own with ``--shard``),
    recorded with trigger ``cli``. Repositories unchanged since the last run are skipped
    unless ``remember`` is False (``--full-scan``) or one repository is asked for."""
    chosen = [t.name for t in cfg.targets if options.target in (None, t.name)]
    if options.dry_run or not chosen:
        return [runner.execute(cfg, options, out, err)]  # writes nothing (or says what is wrong)
    engine, sessions = db.open_database(cfg.database_url(os.environ))
    summaries: list[RunSummary] = []

    def run_target(target: str, run_id: str) -> RunCounts:
        return recorded_run(
            cfg, sessions, target, run_id, repo=options.repo, offline=options.offline, shard=options.shard,
            remember=remember, out=out, err=err, summaries=summaries,
        )  # fmt: skip

    who = os.environ.get("USER") or None
    holder = leases.default_holder()
    try:
        for target in chosen:
            # each shard has its own lease: the shards of one target run side by side
            lease = leases.target_lease(f"{target}#{options.shard}") if options.shard else None
            result = guarded_run(sessions, RunRequest(target, "cli", who), run_target, holder=holder, lease=lease)
            if result.error is not None:
                raise result.error
            if result.outcome == "skipped":
                raise TargetBusy(f"target {target!r} is running elsewhere now (run {result.run_id} skipped)")
    finally:
        engine.dispose()
    return summaries


def request_history(sessions: sessionmaker[Session]) -> Callable[[str], RequestHistory]:
    """The state store's requests per repository, for a run's fate look-ups and the
    fixer-stop policy (read once, as the run starts)."""
    read = requests.histories(sessions)

    def history(full_name: str) -> RequestHistory:
        found = read(full_name)
        return RequestHistory(found.open_branches, found.closed_unmerged)

    return history


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
    ended: list[tuple[str, tuple[str, ...]]] = []  # (fate, codes) of the requests seen to end
    with sessions.begin() as session:
        for result in summary.results:
            platform = platforms.get(result.target, "")
            key = RepoKey(platform, result.repo)
            if result.status != OK:  # an unchanged repository: only its requests' fates
                for outcome in result.outcomes:
                    ended += _learn(session, key, outcome)
                continue
            store.note_run(session, key, summary.run_id)
            for code in result.unignored:  # asked for again in the status issue
                requests.ask_again(session, result.repo, code, "status issue")
            records = [FindingRecord(path, line or None, code, message) for path, code, line, message in result.found]
            findings.record_findings(session, summary.run_id, key, records)
            for outcome in result.outcomes:
                ended += _learn(session, key, outcome)
                _record_request(session, key, result.target, summary.run_id, outcome)
        if memory is not None:  # with the requests, in one transaction
            memory.write(session)
    if metrics is not None:
        _feed(metrics, summary, platforms)
        for fate, codes in ended:
            metrics.request_ended(fate, codes)
    return counts


def _learn(session: Session, key: RepoKey, outcome: Outcome) -> list[tuple[str, tuple[str, ...]]]:
    """What the forge said of the request found on the branch (merged, closed by a person);
    the (fate, codes) of a request that ended by it."""
    seen = outcome.seen
    if seen is None:
        return []
    row = requests.learn_fate(session, key, seen.number, seen.state.value)
    if row is None or row.fate not in ("merged", "closed"):
        return []
    return [(row.fate, requests.codes_of(row))]


def _record_request(session: Session, key: RepoKey, target: str, run_id: str, outcome: Outcome) -> None:
    """One request the run touched; a closed one (no plan this run) keeps its recorded title
    and fixes. A request closed with this very fix set (SKIPPED_CLOSED) is only learnt."""
    number, plan = outcome.number, outcome.plan
    if outcome.url is None or number is None or outcome.kind in _LEARNT_ONLY:
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
        fate="fixed" if outcome.kind is Kind.CLOSED else None,
    )
    if outcome.kind is Kind.CREATED:  # a newer request from the branch
        requests.supersede(session, key, outcome.branch, number)


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
