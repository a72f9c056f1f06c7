"""The status issue: one issue per repository (``status_issue: true``) that each run keeps true.

Like Renovate's dependency dashboard, it says what is pending (the bot's open requests
and their fixes), what the caps deferred (and until when), what is ignored (a request
closed unmerged, chat ``ignore``, the fixer-stop policy) and a broken ``.dockmend.yml``.
Its checkboxes ask the next run for something: ``- [ ] <!-- dockmend:now:DM104 -->``
opens a deferred fix despite the caps; ``- [ ] <!-- dockmend:unignore:DM104 -->``
proposes an ignored fix again (the run forgets the chat ``ignore``, the closed request
and the fixer-stop count for that repository and code). The run acts on a ticked box,
then writes the issue again, unticked, with the new state.

The issue is found again by :data:`MARKER` in its body among the bot's own issues, never
by its title alone; it is written only when its text changes (an unchanged body is not
written again), and opened only when there is something to say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.engine.changes import Kind, Outcome, rebase_asked
from bot.engine.markdown import md
from bot.platforms.base import Issue, IssueTracker, Repo
from fixers.registry import FIXERS

MARKER = "<!-- dockmend:status -->"
TITLE = "dockmend: status of this repository's Dockerfile fixes"
_BOX = re.compile(r"^\s*[-*+] \[(?P<mark>[ xX])\] <!-- dockmend:(?P<verb>now|unignore):(?P<code>DM\d{3}) -->", re.M)
PENDING = frozenset({Kind.CREATED, Kind.UPDATED, Kind.REBASED, Kind.UNCHANGED, Kind.SKIPPED_HUMAN})


@dataclass(frozen=True)
class Ticks:
    """What the ticked boxes of a status issue ask for: fixer codes to open now despite
    the caps, and codes to propose again."""

    now: frozenset[str] = frozenset()
    unignore: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.now or self.unignore)


def ticks(body: str) -> Ticks:
    found: dict[str, set[str]] = {"now": set(), "unignore": set()}
    for match in _BOX.finditer(body):
        if match["mark"] in "xX":
            found[match["verb"]].add(match["code"])
    return Ticks(frozenset(found["now"]), frozenset(found["unignore"]))


def asked(bodies: Iterable[str]) -> bool:
    """A person ticked a box in one of the bot's requests (rebase / retry) or its status
    issue: the repository is scanned, even when nothing was pushed."""
    return any(rebase_asked(body) or ticks(body) for body in bodies)


@dataclass(frozen=True)
class Pending:
    url: str
    title: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Status:
    """Everything the issue says, computed from one run's outcomes for the repository."""

    pending: tuple[Pending, ...] = ()
    deferred: tuple[str, ...] = ()  # codes the caps held back
    ignored: tuple[tuple[str, str], ...] = ()  # (code, why)
    errors: tuple[str, ...] = ()  # what is wrong with the repository's .dockmend.yml
    max_requests: int = 10
    per_repo: int = 1

    def __bool__(self) -> bool:
        return bool(self.pending or self.deferred or self.ignored or self.errors)


def status_of(
    outcomes: Sequence[Outcome],
    chat_ignored: Iterable[str],
    stopped: Iterable[str],
    errors: Sequence[str] = (),
    *,
    max_requests: int = 10,
    per_repo: int = 1,
) -> Status:
    """The status after a run: its outcomes, the codes chat ignores there, the codes the
    fixer-stop policy left out, and the configuration errors."""
    pending: list[Pending] = []
    deferred: list[str] = []
    closed: list[str] = []
    for o in outcomes:
        codes = o.plan.codes if o.plan is not None else ()
        if o.kind in PENDING and o.url and o.plan is not None:
            pending.append(Pending(o.url, o.plan.title, codes))
        elif o.kind is Kind.DEFERRED:
            deferred += codes
        elif o.kind is Kind.SKIPPED_CLOSED:
            closed += codes
    why = {c: "its request was closed unmerged" for c in closed}
    why |= {c: "closed unmerged too often (`stop_after_closed`)" for c in stopped}
    why |= {c: "ignored from chat (`ignore`)" for c in chat_ignored}
    return Status(
        tuple(pending),
        tuple(sorted(set(deferred))),
        tuple(sorted(why.items())),
        tuple(errors),
        max_requests,
        per_repo,
    )


def _name(code: str) -> str:
    fixer = FIXERS.get(code)
    return f"{code} `{fixer.NAME}`" if fixer is not None else code


def render(status: Status) -> str:
    """The issue's body (GitHub and GitLab task lists; every box starts unticked)."""
    lines = [
        MARKER,
        "This issue lists what dockmend does in this repository; each run keeps it up to date. "
        "Tick a box and the next run acts on it.",
        "",
    ]
    if status.errors:
        lines += ["## Configuration errors", ""]
        lines += [f"- {md(' '.join(error.split()))}" for error in status.errors]  # the repository's words: inert
        lines += ["", "dockmend does nothing else here until the file is fixed.", ""]
    lines += ["## Pending", ""]
    if status.pending:
        lines += [f"- [{md(p.title)}]({p.url}): {', '.join(_name(c) for c in p.codes)}" for p in status.pending]
    else:
        lines += ["No open request."]
    if status.deferred:
        lines += [
            "",
            "## Deferred",
            "",
            f"Held back by the caps (`max_requests`: {status.max_requests} a run, "
            f"`max_requests_per_repo`: {status.per_repo}); the next run with room opens them. "
            "Tick one to have the next run open it anyway:",
            "",
        ]
        lines += [f"- [ ] <!-- dockmend:now:{code} --> {_name(code)}" for code in status.deferred]
    if status.ignored:
        lines += ["", "## Ignored", "", "Tick one to have dockmend propose it again:", ""]
        lines += [f"- [ ] <!-- dockmend:unignore:{code} --> {_name(code)}: {why}" for code, why in status.ignored]
    return "\n".join(lines) + "\n"


def tracker_of(platform: object) -> IssueTracker | None:
    """The platform's issues, when it has them (a local folder has none: no status issue)."""
    return platform if isinstance(platform, IssueTracker) else None


@dataclass(frozen=True)
class Published:
    """What a run did to the status issue: ``opened``, ``updated``, ``unchanged`` or
    ``nothing`` (no issue, nothing to say), with ``would`` in a dry run."""

    action: str
    url: str | None = None
    body: str = ""


def publish(tracker: IssueTracker, repo: Repo, issue: Issue | None, status: Status, *, dry_run: bool) -> Published:
    """Open or update the status issue when its text changes; a dry run writes nothing."""
    body = render(status)
    if issue is None and not status:
        return Published("nothing")
    if issue is not None and issue.body == body and issue.title == TITLE:
        return Published("unchanged", issue.url, body)
    action = "opened" if issue is None else "updated"
    if dry_run:
        return Published(action, issue.url if issue else None, body)
    if issue is None:
        return Published(action, tracker.open_issue(repo, TITLE, body).url, body)
    return Published(action, tracker.update_issue(repo, issue, TITLE, body).url, body)
