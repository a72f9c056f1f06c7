"""The bot's manners, once, on top of the platform primitives (GitHub, GitLab, local).

Learned from Renovate and Dependabot users: find the request by its branch first; an
identical fix set means no write at all; a moved default branch means the commit is
recreated on the new head; a branch carrying anybody else's commit is never
force-updated (the bot says so once, then leaves it); a request closed without merge
keeps that exact fix set away until the fixes change; when every fix is on the
default branch already, the bot closes its request and deletes its branch; and a ticked
"rebase / retry" box in the body (:data:`REBASE_BOX`) has the next run recreate the
branch on the default branch and write the body again, unticked, even when nothing changed.

A run can die anywhere (kill -9, a lost connection), so every verb starts from what the
forge holds: a bot branch left without its request by a dead run is reused when the
request is wanted, deleted when the cap defers it or its fixes are no longer needed; a
request whose creation answer was lost is found by its branch (the platforms reuse it).

Whether two states are "the same" is decided by the plan's fingerprint, carried in the
branch head's commit message and in the request body (see :func:`fingerprint_trailer`
and :func:`fingerprint_comment`), and by the base sha: never by comparing whole bodies,
whose footer names the run.

Over 300 lines: one decision (what to do with a branch and its request) and the
forge calls that carry it out, kept together so that every path is read in one place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.platforms.base import (
    BranchExists,
    BranchHead,
    ChangePlan,
    ChangeRequest,
    Platform,
    Refused,
    Repo,
    RequestState,
)
from fixers.base import Finding

_FINDINGS = re.compile(r"<!-- dockmend:findings=([0-9a-f]{8,64}) -->")
_FINGERPRINT = re.compile(r"(?:<!-- dockmend:fingerprint=|^Dockmend-Fingerprint: )([0-9a-f]{8,64})", re.M)
HUMAN_MARKER = "<!-- dockmend:human-commits -->"
REBASE_MARKER = "<!-- dockmend:rebase -->"
REBASE_BOX = f"- [ ] {REBASE_MARKER} rebase / retry this request"
# A ticked task-list box (GitHub and GitLab write "[x]"; some editors "[X]").
_REBASE_TICKED = re.compile(r"^\s*[-*+] \[[xX]\] " + re.escape(REBASE_MARKER), re.M)
HUMAN_COMMENT = (
    "This branch has commits that dockmend did not make, so dockmend will not update it any more "
    "(it never force-pushes over someone's work). To let dockmend take it over again, delete the "
    "branch or close this request; the next run starts afresh."
)
FIXED_COMMENT = (
    "Every change this request proposed is on the default branch now (or no longer applies), "
    "so dockmend closes it and deletes its branch."
)


class Kind(StrEnum):
    CREATED = "created"  # a new request (and its branch)
    UPDATED = "updated"  # the fix set changed: new commit and/or new body
    REBASED = "rebased"  # same fixes, recreated on the moved default branch
    UNCHANGED = "unchanged"  # no write at all
    SKIPPED_HUMAN = "skipped-human"  # someone else committed to the branch
    SKIPPED_CLOSED = "skipped-closed"  # closed unmerged with this very fix set
    DEFERRED = "deferred"  # would open a request, but the run's cap is reached
    CLOSED = "closed"  # its fixes landed: request closed, branch deleted
    BRANCH_DELETED = "branch-deleted"  # the request was merged; the branch the forge kept is deleted
    NOTHING = "nothing"  # no fixes and no open request
    REFUSED = "refused"  # the forge refused the write by a rule of the repository (``detail``: its words)


WRITES = frozenset({Kind.CREATED, Kind.UPDATED, Kind.REBASED, Kind.CLOSED, Kind.BRANCH_DELETED})


@dataclass(frozen=True)
class PlanDetail:
    """What a request was planned with, for the state store."""

    branch: str
    title: str
    fingerprint: str
    codes: tuple[str, ...] = ()
    team: str | None = None


@dataclass(frozen=True)
class Seen:
    """The request the run found on a branch, as the forge had it before the run acted:
    how the state store learns a request's fate (merged, or closed by a person)."""

    number: int
    state: RequestState


def seen_of(request: ChangeRequest | None) -> Seen | None:
    number = number_of(request)
    return Seen(number, request.state) if request is not None and number is not None else None


@dataclass(frozen=True)
class Outcome:
    """What happened to one of the bot's branches and its request: one typed record."""

    kind: Kind
    branch: str
    url: str | None = None  # the request's, when there is one
    dry_run: bool = False
    number: int | None = None  # the request's number (GitHub) or iid (GitLab), when there is one
    plan: PlanDetail | None = None  # what it was planned with, when this run planned it
    detail: str | None = None  # a refusal's reason, as the forge gave it
    seen: Seen | None = None  # the request found on the branch before the run acted, if any


def number_of(request: ChangeRequest | None) -> int | None:
    """A forge request's number; None for none, or a local platform's folder."""
    return int(request.id) if request is not None and request.id.isdigit() else None


def fingerprint_comment(fingerprint: str) -> str:
    """The request-body marker (an HTML comment: invisible on GitHub and GitLab)."""
    return f"<!-- dockmend:fingerprint={fingerprint} -->"


def findings_comment(digest: str) -> str:
    """The body's second marker: a digest of the findings and problems the checklist shows."""
    return f"<!-- dockmend:findings={digest} -->"


def findings_in(text: str) -> str | None:
    match = _FINDINGS.search(text)
    return match.group(1) if match else None


def findings_digest(findings: Sequence[tuple[str, Finding]], problems: Sequence[tuple[str, str]]) -> str:
    """Same checklist, same digest: the request is refreshed when what it reports changes,
    even when its fixes do not."""
    items = sorted((path, f.code, f.line, f.message) for path, f in findings)
    text = repr((items, sorted(problems)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint_trailer(fingerprint: str) -> str:
    """The commit-message marker, as a git trailer."""
    return f"Dockmend-Fingerprint: {fingerprint}"


def fingerprint_in(text: str) -> str | None:
    match = _FINGERPRINT.search(text)
    return match.group(1) if match else None


def rebase_asked(body: str) -> bool:
    """Someone ticked the body's rebase / retry box."""
    return bool(_REBASE_TICKED.search(body))


def bot_only(head: BranchHead, bot_email: str) -> bool:
    return all(author.lower() == bot_email.lower() for author in head.authors)


@dataclass(frozen=True)
class _Steps:
    kind: Kind
    write: bool = False
    force: bool = False
    open: bool = False
    update: bool = False


def _decide(
    plan: ChangePlan, request: ChangeRequest | None, head: BranchHead | None, bot_email: str, again: bool = False
) -> _Steps:
    closed = request is not None and request.state is RequestState.CLOSED
    if closed and not again and request is not None and fingerprint_in(request.body) == plan.fingerprint:
        return _Steps(Kind.SKIPPED_CLOSED)
    if head is not None and not bot_only(head, bot_email):
        return _Steps(Kind.SKIPPED_HUMAN)
    open_request = request if request and request.state is RequestState.OPEN else None
    # A branch with no commit of its own (merged, or level with the default branch) holds nothing.
    same_fixes = head is not None and bool(head.authors) and fingerprint_in(head.message) == plan.fingerprint
    branch_ok = same_fixes and head is not None and head.base_sha == plan.base_sha
    body_ok = (
        open_request is not None
        and fingerprint_in(open_request.body) == plan.fingerprint
        and findings_in(open_request.body) == (plan.findings or None)
        # a run that died between a GitHub pull request and its labels left them off
        and (open_request.labels is None or set(plan.labels) <= set(open_request.labels))
    )
    if open_request is not None and rebase_asked(open_request.body):
        # a person asked: recreate the branch on the default branch's head and write the body
        # again (its box unticked), even when nothing changed
        return _Steps(
            Kind.REBASED if same_fixes and body_ok else Kind.UPDATED, write=True, force=head is not None, update=True
        )
    if branch_ok and body_ok:
        return _Steps(Kind.UNCHANGED)
    write, force = not branch_ok, head is not None
    if open_request is None:
        return _Steps(Kind.CREATED, write=write, force=force, open=True)
    kind = Kind.REBASED if same_fixes and body_ok else Kind.UPDATED
    return _Steps(kind, write=write, force=force, update=not body_ok)


def ensure_change_request(
    platform: Platform,
    repo: Repo,
    plan: ChangePlan,
    *,
    allow_new: bool = True,
    dry_run: bool = False,
    again: bool = False,
) -> Outcome:
    """Bring the bot's branch and request for ``plan`` up to date, politely.

    ``allow_new`` False (a cap is reached) turns what would be a new request into
    DEFERRED, with nothing written. ``dry_run`` computes the outcome and writes nothing.
    ``again`` (a person asked for these fixes again in the status issue): a request closed
    with this very fix set does not keep it away.

    With no request from the branch in any state, the branch is most likely absent too:
    it is created without looking first, and only when it turns out to exist (a run died
    before its request, or someone pushed one) is it read and the decision taken again."""
    request = platform.find_request(repo, plan.branch)
    optimistic = request is None and allow_new and not dry_run
    head = None if optimistic else platform.branch_head(repo, plan.branch)
    try:
        try:
            return _apply(platform, repo, plan, request, head, (allow_new, dry_run, again))
        except BranchExists:
            if not optimistic:
                raise
        head = platform.branch_head(repo, plan.branch)
        return _apply(platform, repo, plan, request, head, (allow_new, dry_run, again))
    except Refused as exc:  # a ruleset or protection: the outcome, not a failure to retry
        return Outcome(Kind.REFUSED, plan.branch, request.url if request else None, detail=str(exc))


def _apply(
    platform: Platform,
    repo: Repo,
    plan: ChangePlan,
    request: ChangeRequest | None,
    head: BranchHead | None,
    flags: tuple[bool, bool, bool],  # allow_new, dry_run, again
) -> Outcome:
    allow_new, dry_run, again = flags
    steps = _decide(plan, request, head, platform.bot_email, again)
    seen = seen_of(request)
    if steps.open and not allow_new:
        if head is not None and not dry_run:  # an orphan (a run died before its request): not kept past the cap
            platform.delete_branch(repo, plan.branch)
        return Outcome(Kind.DEFERRED, plan.branch, dry_run=dry_run, seen=seen)
    url = request.url if request else None
    if dry_run:
        return Outcome(steps.kind, plan.branch, url, dry_run=True, number=number_of(request), seen=seen)
    if steps.kind is Kind.SKIPPED_HUMAN:
        _tell_human_once(platform, repo, request)
    if steps.write:
        platform.write_branch(repo, plan, force=steps.force)
    if steps.open:
        request = platform.open_request(repo, plan)
    elif steps.update and request is not None:
        request = platform.update_request(repo, request, plan.title, plan.body, plan.labels)
    return Outcome(steps.kind, plan.branch, request.url if request else url, number=number_of(request), seen=seen)


def close_if_fixed(
    platform: Platform, repo: Repo, branch: str, *, dry_run: bool = False, known: bool = False
) -> Outcome:
    """The repository needs no fixes from ``branch``: close the bot's open request there
    and delete the branch (a merged request's too, and one a dead run left without its
    request); leave a branch with someone else's commits alone.

    The branch is looked at first: most repositories have none, and then there is nothing
    to close (GitHub closes a pull request whose branch is deleted; a merged or closed
    one needs nothing), for one call instead of two. When the state store believes a
    request from the branch is open (``known``), it is looked up even without its branch
    (a forge that deletes merged branches), so that its fate is learnt. A refusal (a
    ruleset keeps the branch) is the outcome."""
    try:
        return _close_if_fixed(platform, repo, branch, dry_run, known)
    except Refused as exc:
        return Outcome(Kind.REFUSED, branch, dry_run=dry_run, detail=str(exc))


def _close_if_fixed(platform: Platform, repo: Repo, branch: str, dry_run: bool, known: bool) -> Outcome:
    head = platform.branch_head(repo, branch)
    if head is None:
        request = platform.find_request(repo, branch) if known else None
        return Outcome(Kind.NOTHING, branch, dry_run=dry_run, number=number_of(request), seen=seen_of(request))
    request = platform.find_request(repo, branch)
    if request is None:
        return _delete_orphan(platform, repo, branch, head, dry_run)
    if request.state is RequestState.MERGED:
        return replace(_delete_merged(platform, repo, request, head, dry_run), seen=seen_of(request))
    if request.state is not RequestState.OPEN:
        number = number_of(request)
        return Outcome(Kind.NOTHING, branch, request.url, dry_run=dry_run, number=number, seen=seen_of(request))
    seen = seen_of(request)
    if not bot_only(head, platform.bot_email):
        if not dry_run:
            _tell_human_once(platform, repo, request)
        return Outcome(Kind.SKIPPED_HUMAN, branch, request.url, dry_run=dry_run, number=number_of(request), seen=seen)
    if not dry_run:
        platform.close_request(repo, request, FIXED_COMMENT)
        platform.delete_branch(repo, branch)
    return Outcome(Kind.CLOSED, branch, request.url, dry_run=dry_run, number=number_of(request), seen=seen)


def look_up(platform: Platform, repo: Repo, branch: str) -> tuple[Outcome, ChangeRequest | None]:
    """Only learn the fate of the request from ``branch`` (a repository unchanged since
    the last run is not scanned, but a request can be merged or closed meanwhile); the
    request as found (its body may carry a ticked box)."""
    request = platform.find_request(repo, branch)
    return Outcome(Kind.NOTHING, branch, dry_run=False, number=number_of(request), seen=seen_of(request)), request


def _delete_merged(platform: Platform, repo: Repo, request: ChangeRequest, head: BranchHead, dry_run: bool) -> Outcome:
    """GitHub keeps a merged request's branch unless the repository deletes head branches:
    the bot deletes its own (never one with someone else's commits)."""
    if not bot_only(head, platform.bot_email):
        return Outcome(Kind.NOTHING, request.branch, request.url, dry_run=dry_run, number=number_of(request))
    if not dry_run:
        platform.delete_branch(repo, request.branch)
    return Outcome(Kind.BRANCH_DELETED, request.branch, request.url, dry_run=dry_run, number=number_of(request))


def _delete_orphan(platform: Platform, repo: Repo, branch: str, head: BranchHead, dry_run: bool) -> Outcome:
    """A bot branch without any request: a run died between the branch and its request.
    Its fixes are not needed any more, so it goes (unless someone else committed to it)."""
    if not bot_only(head, platform.bot_email):
        return Outcome(Kind.NOTHING, branch, dry_run=dry_run)
    if not dry_run:
        platform.delete_branch(repo, branch)
    return Outcome(Kind.BRANCH_DELETED, branch, dry_run=dry_run)


def _tell_human_once(platform: Platform, repo: Repo, request: ChangeRequest | None) -> None:
    """Comment once on an open request; the body's marker remembers it (no API lists comments)."""
    if request is None or request.state is not RequestState.OPEN or HUMAN_MARKER in request.body:
        return
    platform.comment(repo, request, HUMAN_COMMENT)
    platform.update_request(repo, request, request.title, f"{request.body.rstrip()}\n\n{HUMAN_MARKER}\n")
