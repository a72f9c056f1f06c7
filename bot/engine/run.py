"""`dockmend run`: every target once, from the repository listing to the requests.

Failures are isolated per repository and classified: a forge outage or rate limit
(:class:`PlatformUnavailable`) is retried once at the end of the same run, then
reported; anything else about a repository (not found, forbidden, a bad
``.dockmend.yml``, even a bug) is reported and the run goes on. Caps: requests opened
per run (``max_requests``, default 10) and per repository (``max_requests_per_repo``, 1).

Over 300 lines: the Runner's steps read top to bottom as one run does, the status
issue's around the scan included (its boxes change what the scan proposes); options,
the request budget and the status issue's text live in their own modules.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TextIO

from bot import __version__
from bot.engine import onboarding, status
from bot.engine.body import check_template
from bot.engine.budget import Budget
from bot.engine.changes import WRITES, Kind, Outcome, PlanDetail, close_if_fixed, ensure_change_request, look_up
from bot.engine.options import RunOptions
from bot.engine.plan import PlanContext, branch_name, build_plan, check_title_template, fixer_branches
from bot.engine.repoconfig import RepoConfigError
from bot.engine.report import (
    FAILED,
    OK,
    SKIPPED,
    PlainReporter,
    RepoResult,
    Reporter,
    RichReporter,
    RunSummary,
)
from bot.engine.rescan import RecordingResolver, Seen, same_answers, scan_key, target_key
from bot.engine.scan import BlobCache, RepoScan, ScanSettings, scan
from bot.engine.selection import selected_fixers
from bot.errors import DockmendError
from bot.platforms import build_platform
from bot.platforms.base import Issue, Platform, PlatformError, PlatformUnavailable, Repo, same_marker, skip_reason
from bot.registry.cache import default_path
from bot.registry.client import RegistryClient, resolver_from_config
from bot.runid import new_run_id
from bot.settings.config import Config
from bot.settings.targets import TargetSettings
from fixers.base import ImageResolver

log = logging.getLogger(__name__)
DEFAULT_CONCURRENCY = 4  # repositories worked on at once per platform (``concurrency``)


STOPPING = "not reached: dockmend is stopping"
UNCHANGED = "unchanged since the last run"


@dataclass(frozen=True)
class RepoJob:
    """One repository's work in a run: where it lives, its target's settings, the shared
    request budget, its key for the rescan memory, and the codes chat ignores there."""

    platform: Platform
    settings: TargetSettings
    repo: Repo
    budget: Budget
    key: str  # the rescan key: the target's part and the ignored codes
    ignored: frozenset[str]
    last_try: bool = False  # the end-of-run retry: a registry outage now fails the repository
    stopped: tuple[str, ...] = ()  # codes left out by the fixer-stop policy (closed unmerged too often)
    known: frozenset[str] = frozenset()  # branches with a request the state store believes open
    target_key: str = ""  # the target's part of ``key``
    asked: status.Ticks = field(default_factory=status.Ticks)  # what the status issue's ticked boxes ask of this run


@dataclass
class _Scanned:
    """A repository's result, and what its scan depended on (for the next run's skip)."""

    result: RepoResult
    lookups: Mapping[str, str] = field(default_factory=dict)
    head_sha: str | None = None
    complete: bool = False  # nothing deferred or failed: safe to skip next time if unchanged
    wants_status: bool | None = None  # the repository's .dockmend.yml on the status issue (None: silent)
    wrote: bool = False  # the status issue was written (GitLab counts it as activity)


class Runner:
    def __init__(
        self,
        config: Config,
        platforms: Mapping[str, Platform],
        reporter: Reporter,
        options: RunOptions,
        resolver: ImageResolver | None = None,
    ) -> None:
        self.config = config
        self.platforms = platforms
        self.reporter = reporter
        self.options = options
        self.resolver = resolver
        self.cache = BlobCache()
        self.summary = RunSummary(options.run_id or new_run_id(), options.dry_run)
        self._lock = threading.Lock()

    def run(self) -> RunSummary:
        targets = [t for t in self.config.targets if self.options.target in (None, t.name)]
        if not targets:
            wanted = f" named {self.options.target!r}" if self.options.target else ""
            raise DockmendError(f"no target{wanted} in the configuration")
        for settings in targets:
            self._target(settings)
        self.reporter.finish(self.summary)
        return self.summary

    def _target(self, settings: TargetSettings) -> None:
        platform = self.platforms[settings.target.platform]
        try:
            repos = [r for r in platform.list_repos(settings.target) if self.options.wants(r)]
        except PlatformError as exc:
            self._record(RepoResult(settings.name, "(listing)", FAILED, f"cannot list repositories: {exc}"))
            return
        self.reporter.start(settings.name, len(repos))
        budget = Budget(settings.max_requests, [r.full_name for r in repos], settings.max_requests_per_repo)
        key = target_key(self.config, settings, self.options.offline)  # what every repository's key starts with
        workers = max(1, self._concurrency(settings))
        first = len(self.summary.results)
        later: list[Repo] = []

        def job(repo: Repo, last_try: bool = False) -> RepoJob:
            ignored = self.options.ignored(repo.full_name)  # chat-ignored codes (read once, as the run starts)
            history = self.options.history(repo.full_name)
            limit = settings.stop_after_closed  # the fixer-stop policy (0: never)
            stopped = tuple(sorted(c for c, n in history.closed_unmerged.items() if limit and n >= limit))
            ignored |= frozenset(stopped)
            return RepoJob(
                platform, settings, repo, budget, scan_key(key, ignored), ignored, last_try, stopped,
                history.open_branches, key,
            )  # fmt: skip

        def one(repo: Repo) -> None:
            try:
                self._record(self._repo(job(repo)))
            except PlatformUnavailable as exc:
                log.warning("%s: %s; trying again at the end of the run", repo.full_name, exc)
                with self._lock:
                    later.append(repo)
            finally:
                budget.finished(repo.full_name)

        # Several repositories at once (the platform's ``concurrency``): most of a run is
        # waiting for the forge. The budget and the reporter are shared under locks.
        with ThreadPoolExecutor(workers, thread_name_prefix=f"dockmend-{settings.name}") as pool:
            for done in [pool.submit(one, repo) for repo in repos]:
                done.result()
        # the report lists repositories in the listing's order, whatever finished first,
        # then the ones tried again
        order = {repo.full_name: n for n, repo in enumerate(repos)}
        self.summary.results[first:] = sorted(self.summary.results[first:], key=lambda r: order.get(r.repo, -1))
        later.sort(key=lambda repo: order[repo.full_name])
        if later and isinstance(self.resolver, RegistryClient):
            self.resolver.forget_outages()  # a registry that was down is asked again
        for repo in later:
            try:
                self._record(self._repo(job(repo, last_try=True)))
            except PlatformUnavailable as exc:
                self._record(RepoResult(settings.name, repo.full_name, FAILED, f"unavailable, try later: {exc}"))

    def _concurrency(self, settings: TargetSettings) -> int:
        entry = self.config.platforms.get(settings.target.platform)
        return entry.concurrency if entry is not None else DEFAULT_CONCURRENCY

    def _record(self, result: RepoResult) -> None:
        with self._lock:
            self.summary.results.append(result)
            self.reporter.done(result)

    def _repo(self, job: RepoJob) -> RepoResult:
        """One repository; everything but an outage (of the forge, or of a registry before
        the ``last_try``) becomes a result."""
        repo, name = job.repo, job.settings.name
        reason = skip_reason(job.settings.target, repo)
        if reason:
            return RepoResult(name, repo.full_name, SKIPPED, reason)
        if self.options.stop is not None and self.options.stop.is_set():
            return RepoResult(name, repo.full_name, SKIPPED, STOPPING)
        if self._unchanged(repo, job.key):
            fates, bodies = self._fates(job)
            # a request closed or merged since: the status issue would say it is pending
            ended = job.settings.status_issue and any(o.seen and o.seen.state.value != "open" for o in fates)
            if not ended and not self._ticked(job, bodies):
                return RepoResult(name, repo.full_name, SKIPPED, UNCHANGED, outcomes=fates, stopped=job.stopped)
            log.info("%s: a box was ticked; scanning it although nothing was pushed", repo.full_name)
        try:
            scanned = self._with_status(job)
        except PlatformUnavailable:
            raise
        except (PlatformError, DockmendError) as exc:
            return RepoResult(name, repo.full_name, FAILED, str(exc))
        except Exception as exc:  # a bug must cost one repository, not the run
            log.debug("%s: internal error", repo.full_name, exc_info=True)  # the traceback: --debug
            return RepoResult(name, repo.full_name, FAILED, f"internal error {type(exc).__name__}: {exc}")
        self._remember(job, scanned)
        return scanned.result

    def _fates(self, job: RepoJob) -> tuple[tuple[Outcome, ...], list[str]]:
        """An unchanged repository is not scanned, but its open requests may have been
        merged or closed since: look them up (one call each) for the state store; and the
        bodies of the open ones (a ticked rebase box)."""
        found, bodies = [], []
        for branch in sorted(job.known):
            try:
                outcome, request = look_up(job.platform, job.repo, branch)
            except PlatformError as exc:  # learnt at a later run
                log.info("%s: cannot look up the request from %s: %s", job.repo.full_name, branch, exc)
                continue
            if outcome.seen is not None:
                found.append(outcome)
            if request is not None and outcome.seen is not None and outcome.seen.state.value == "open":
                bodies.append(request.body)
        return tuple(found), bodies

    def _ticked(self, job: RepoJob, looked_up: list[str]) -> bool:
        """Whether a person ticked a box (rebase / retry, or the status issue's) in an
        unchanged repository: from the organisation-wide look-up's bodies when it answered,
        else from the repository's own (its open requests, its status issue)."""
        tracker = status.tracker_of(job.platform)
        if tracker is None:
            return status.asked(looked_up)
        wanted = job.settings.status_issue
        surveyed = tracker.surveyed(job.repo, f"{job.settings.branch_prefix}/", wanted)
        if surveyed is not None:
            return status.asked(surveyed)
        issue = self._issue(job) if wanted else None
        return status.asked([*looked_up, *([issue.body] if issue is not None else [])])

    def _unchanged(self, repo: Repo, key: str) -> bool:
        memory = self.options.memory
        if memory is None or self.options.dry_run or repo.marker is None:
            return False
        seen = memory.seen(repo)
        if seen is None or not same_marker(seen.marker, repo.marker) or seen.scan_key != key:
            return False
        return same_answers(self.resolver, seen.lookups)

    def _remember(self, job: RepoJob, scanned: _Scanned) -> None:
        memory, repo = self.options.memory, job.repo
        if memory is None or self.options.dry_run or not scanned.complete or repo.marker is None:
            return
        marker: str | None = repo.marker
        if scanned.wrote or any(o.kind in WRITES or o.kind is Kind.SKIPPED_HUMAN for o in scanned.result.outcomes):
            try:
                marker = job.platform.marker(repo)  # our own push moved it
            except PlatformError:
                return
        if marker is not None:
            memory.remember(repo, Seen(marker, job.key, scanned.lookups), scanned.head_sha)

    def _with_status(self, job: RepoJob) -> _Scanned:
        """The scan, with the status issue around it when wanted (GitHub, GitLab): its ticked
        boxes read first (they change what the scan proposes), then the issue written."""
        tracker = status.tracker_of(job.platform)
        if tracker is None or not self._forge(job):
            if job.settings.status_issue:
                log.info("%s: no status issue: a local folder has no issues", job.repo.full_name)
            return self._changes(job)
        issue = self._issue(job) if job.settings.status_issue else None
        try:
            scanned = self._changes(self._asking(job, issue))
        except RepoConfigError as exc:  # the issue says so, then the repository fails as before
            if job.settings.status_issue:
                self._publish(job, issue, status.Status(errors=(str(exc),)))
            raise
        if scanned.wants_status and not job.settings.status_issue:  # asked for by .dockmend.yml
            issue = self._issue(job)
            if issue is not None and status.ticks(issue.body):
                scanned = self._changes(self._asking(job, issue))
        if not (job.settings.status_issue if scanned.wants_status is None else scanned.wants_status):
            return scanned
        asked = status.ticks(issue.body) if issue is not None else status.Ticks()
        result = scanned.result
        chat = set(job.ignored) - set(job.stopped) - asked.unignore
        now = status.status_of(
            result.outcomes, chat, set(job.stopped) - asked.unignore,
            max_requests=job.settings.max_requests, per_repo=job.settings.max_requests_per_repo,
        )  # fmt: skip
        done = self._publish(job, issue, now)
        note = f"{done.action} {done.url or ''}".strip() if done.action in ("opened", "updated") else ""
        note = f"failed: {done.body}" if done.action == "failed" else note
        result = replace(result, unignored=tuple(sorted(asked.unignore)), status_issue=note)
        wrote = done.action in ("opened", "updated") and not self.options.dry_run
        return replace(scanned, result=result, wrote=wrote)

    def _forge(self, job: RepoJob) -> bool:
        entry = self.config.platforms.get(job.settings.target.platform)
        return entry is not None and entry.type in onboarding.FORGES

    def _asking(self, job: RepoJob, issue: Issue | None) -> RepoJob:
        """The job as the status issue's ticked boxes want it: ignored codes asked for again
        are proposed (and a request closed with them does not keep them away)."""
        asked = status.ticks(issue.body) if issue is not None else status.Ticks()
        if not asked:
            return job
        ignored = job.ignored - asked.unignore
        stopped = tuple(c for c in job.stopped if c not in asked.unignore)
        key = scan_key(job.target_key, ignored)
        return replace(job, ignored=ignored, stopped=stopped, key=key, asked=asked)

    def _issue(self, job: RepoJob) -> Issue | None:
        """The status issue, or None; a forge that refuses issues (turned off for the
        project, a token without the permission) costs the issue, not the repository."""
        tracker = status.tracker_of(job.platform)
        assert tracker is not None
        try:
            return tracker.find_issue(job.repo, status.MARKER)
        except PlatformUnavailable:
            raise
        except PlatformError as exc:
            log.warning("%s: cannot read the status issue: %s", job.repo.full_name, exc)
            return None

    def _publish(self, job: RepoJob, issue: Issue | None, now: status.Status) -> status.Published:
        tracker = status.tracker_of(job.platform)
        assert tracker is not None
        try:
            done = status.publish(tracker, job.repo, issue, now, dry_run=self.options.dry_run)
        except PlatformUnavailable:
            raise
        except PlatformError as exc:
            log.warning("%s: cannot write the status issue: %s", job.repo.full_name, exc)
            return status.Published("failed", None, str(exc))
        if self.options.dry_run and done.action in ("opened", "updated"):
            self.reporter.status_preview(job.repo.full_name, done.action, status.TITLE, done.body)
        return done

    def _changes(self, job: RepoJob) -> _Scanned:
        settings, repo = job.settings, job.repo
        config = self.config.for_target(settings)
        recorder = RecordingResolver(self.resolver) if self.resolver is not None else None
        scan_settings = ScanSettings(config, settings.grouping, self.options.offline, recorder, job.ignored)
        found = scan(job.platform, repo, scan_settings, self.cache)  # finished: base pinned when needed
        lookups = dict(recorder.lookups) if recorder is not None else {}
        wants = found.config.status_issue
        if found.skip:
            return _Scanned(
                RepoResult(settings.name, repo.full_name, SKIPPED, found.skip), lookups, found.base_sha, True, wants
            )
        fixes, findings = sum(len(r.fixes) for r in found.reports), len(found.findings)
        if found.retry_later:
            reason = f"a registry was unavailable, try later ({found.retry_later[0]})"
            if not job.last_try:  # tried again at the end of the run
                raise PlatformUnavailable(reason)
            return _Scanned(RepoResult(settings.name, repo.full_name, FAILED, reason, fixes, findings))
        found_ = tuple((path, f.code, f.line, f.message) for path, f in found.findings)
        codes = tuple(fix.code for report in found.reports for fix in report.fixes)
        entry = self.config.platforms.get(settings.target.platform)
        kind = entry.type if entry is not None else None
        if onboarding.applies(settings, kind, found):  # a new repository is asked first
            asked = self._ask(job, found)
            if not asked.go:
                done = (asked.outcome,) if asked.outcome is not None else ()
                result = RepoResult(
                    settings.name, repo.full_name, OK, asked.reason, fixes, findings, done, found_, codes
                )
                return _Scanned(result, lookups, found.base_sha, all(o.kind is not Kind.DEFERRED for o in done), wants)
        outcomes = self._plans(job, found)
        outcomes += self._close(job, found, outcomes)
        if onboarding.answered(settings, kind, found):  # its merged onboarding branch goes
            tidied = onboarding.tidy(job.platform, repo, settings, dry_run=self.options.dry_run)
            outcomes += [tidied] if tidied is not None else []
        result = RepoResult(
            settings.name, repo.full_name, OK, "", fixes, findings, tuple(outcomes), found_, codes, job.stopped
        )
        # deferred or refused: asked again next run, whether or not anything was pushed
        complete = all(o.kind not in (Kind.DEFERRED, Kind.REFUSED) for o in outcomes)
        return _Scanned(result, lookups, found.base_sha, complete, wants)

    def _ask(self, job: RepoJob, found: RepoScan) -> onboarding.Decision:
        take = functools.partial(job.budget.take, job.repo.full_name)
        give_back, dry_run = job.budget.give_back, self.options.dry_run
        return onboarding.decide(job.platform, job.repo, job.settings, found, take, give_back, dry_run=dry_run)

    def _plans(self, job: RepoJob, found: RepoScan) -> list[Outcome]:
        settings, repo = job.settings, job.repo
        context = PlanContext(  # base_sha is pinned whenever a file changes, so a plan has it
            repo, found.base_sha or "", settings, found.config, found.modes, found.findings, found.problems,
            self.summary.run_id, __version__,
        )  # fmt: skip
        outcomes, opened = [], 0
        for code, reports in sorted(found.groups.items(), key=lambda group: group[0] or ""):
            plan = build_plan(context, code, reports)
            if plan is None:
                continue
            codes = tuple(sorted({fix.code for report in reports for fix in report.fixes}))
            forced = bool(job.asked.now & set(codes))  # the status issue asks for it now, whatever the caps
            took = not forced and opened < settings.max_requests_per_repo and job.budget.take(repo.full_name)
            again = bool(job.asked.unignore & set(codes))
            try:
                outcome = ensure_change_request(
                    job.platform, repo, plan, allow_new=forced or took, dry_run=self.options.dry_run, again=again
                )
            except BaseException:
                if took:
                    job.budget.give_back()
                raise
            if outcome.kind is Kind.CREATED:
                opened += 1
            elif took:
                job.budget.give_back()
            if self.options.dry_run:
                self.reporter.preview(repo.full_name, plan, outcome, reports)
            team = plan.team_reviewers[0] if plan.team_reviewers else None
            outcomes.append(replace(outcome, plan=PlanDetail(plan.branch, plan.title, plan.fingerprint, codes, team)))
            if outcome.kind is Kind.REFUSED:  # a ruleset or protection: once per repository and run
                break
        return outcomes

    def _close(self, job: RepoJob, found: RepoScan, outcomes: list[Outcome]) -> list[Outcome]:
        """Close the bot's requests whose fixes are not needed any more. Not when a file
        could not be read: its fixes are unknown, not gone; nor when the repository refused
        a write (tried once per run)."""
        planned = {o.branch for o in outcomes}
        if found.problems or any(o.kind is Kind.REFUSED for o in outcomes):
            return []
        settings = job.settings
        if settings.grouping == "repository":
            branches = [branch_name(settings.branch_prefix, None)]
        else:
            branches = fixer_branches(settings.branch_prefix)
        closed: list[Outcome] = []
        for branch in (b for b in branches if b not in planned):
            outcome = close_if_fixed(
                job.platform, job.repo, branch, dry_run=self.options.dry_run, known=branch in job.known
            )
            if outcome.kind is not Kind.NOTHING or outcome.seen is not None:
                closed.append(outcome)
            if outcome.kind is Kind.REFUSED:
                break
        return closed


def execute(
    config: Config,
    options: RunOptions,
    out: TextIO,
    err: TextIO,
    env: Mapping[str, str] | None = None,
    *,
    platforms: Mapping[str, Platform] | None = None,
    reporter: Reporter | None = None,
    registry_listener: Callable[[str, int | None], None] | None = None,
) -> RunSummary:
    """Build the platforms the chosen targets use (unless given: the service and tests pass
    theirs), and the registry client, then run."""
    chosen = [t for t in config.targets if options.target in (None, t.name)]
    if platforms is None:
        platforms = {name: build_platform(config.platforms[name], env) for name in {t.target.platform for t in chosen}}
    for settings in chosen:
        check_template(settings.template)
        check_title_template(settings.title_template)
    if reporter is None:
        reporter = RichReporter(out, err) if err.isatty() else PlainReporter(out, err)
    with contextlib.ExitStack() as stack:
        resolver = None
        fixers = [f for t in chosen for f in selected_fixers([], [], config.for_target(t))]
        if not options.offline and any(f.NEEDS_NETWORK for f in fixers):
            cache = default_path(os.environ if env is None else env)
            client = resolver_from_config(config.registries, env=env, path=config.path, cache_path=cache)
            client.retrying.listener = registry_listener  # the service's metrics count registry requests
            resolver = stack.enter_context(client)
        return Runner(config, platforms, reporter, options, resolver).run()
