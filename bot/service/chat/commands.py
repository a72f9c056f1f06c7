"""The ``/dockmend`` slash command: parse, authorise, dispatch to :class:`ChatActions`.

:func:`handle` turns a verified request into an immediate reply (shown to the caller
only, within the platform's 3-second deadline) and, for commands that do work, a job
whose text is posted to the ``response_url`` once it is done. Nothing runs for a
caller who is not allowed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.errors import DockmendError
from bot.settings.web import TargetChatSettings

log = logging.getLogger(__name__)

_PART = r"(?!\.\.?(?:/|$))[A-Za-z0-9_.-]+"  # a path part, but not . or ..
_REPO = re.compile(rf"{_PART}(?:/{_PART})+")  # owner/repo, or group/sub/repo on GitLab
_TARGET = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_RUN_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CODE = re.compile(r"DM[0-9]{3}", re.IGNORECASE)
VERBS = ("help", "scan", "dry-run", "status", "ignore")

HELP = """\
*dockmend* keeps Dockerfiles healthy. Commands:
• `help`: this text
• `scan <target|owner/repo>`: run now; the requests opened or updated are posted here
• `dry-run <owner/repo>`: what would change, writing nothing
• `status [run id]`: the latest runs, or one run
• `ignore <owner/repo> <code>`: stop proposing one fix (like DM103) for a repository"""

REFUSAL = (
    "Sorry, you are not allowed to use dockmend from here. "
    "If you need it, ask the people who run dockmend to add you (or this channel) to its allowed list."
)


class ChatActions(Protocol):
    """What chat commands do; the service wires this to runs and the state store.

    Every method is called from a worker thread, never on the request path, so it may
    take as long as the work takes. A :class:`DockmendError` message is shown to the
    caller as it is; any other exception is logged and reported as a failure.
    """

    def target_for(self, target_or_repo: str) -> str | None:
        """The configured target a target name or ``owner/repo`` belongs to (None: unknown)."""
        ...

    def start_scan(self, target_or_repo: str, requested_by: str) -> str:
        """Run a scan to its end; return the run id."""
        ...

    def dry_run(self, repo: str) -> str:
        """A summary of what would change in ``repo``; writes nothing."""
        ...

    def status(self, run_id: str | None, targets: frozenset[str] | None = None) -> str:
        """One run (its outcome, requests opened/updated with links), or the latest runs;
        only runs of ``targets`` when given (the caller may see no others)."""
        ...

    def ignore(self, repo: str, code: str, who: str) -> str:
        """Record that ``repo`` should not get fix ``code`` any more; a confirmation."""
        ...


@dataclass(frozen=True)
class Inbound:
    """A verified slash command, whichever platform it came from."""

    platform: str  # "slack" or "mattermost"
    text: str
    user_id: str
    user_name: str = ""
    channel_id: str = ""
    channel_name: str = ""
    response_url: str = ""

    @property
    def who(self) -> str:
        return f"{self.platform}:{self.user_name or self.user_id}"


@dataclass(frozen=True)
class Command:
    verb: str
    subject: str | None = None  # target, repository or run id
    code: str | None = None


@dataclass(frozen=True)
class Access:
    """Allowed users and channels. A given list must match; no list at all admits nobody."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    @classmethod
    def of(cls, users: tuple[str, ...], channels: tuple[str, ...]) -> Access:
        return cls(frozenset(users), frozenset(channels))

    def admits(self, inbound: Inbound) -> bool:
        """By IDs only: a user or channel name can be changed by whoever owns it."""
        if not self.users and not self.channels:
            return False
        return _matches(self.users, inbound.user_id) and _matches(self.channels, inbound.channel_id)


def _matches(allowed: frozenset[str], value: str) -> bool:
    return not allowed or "*" in allowed or bool(value and value in allowed)


@dataclass(frozen=True)
class Policy:
    """A platform's access lists: the section's own, and per target (either one admits)."""

    general: Access
    targets: Mapping[str, Access]

    @classmethod
    def of(cls, users: tuple[str, ...], channels: tuple[str, ...], targets: Mapping[str, TargetChatSettings]) -> Policy:
        per_target = {name: Access.of(t.allowed_users, t.allowed_channels) for name, t in targets.items()}
        return cls(Access.of(users, channels), per_target)

    def admits_anywhere(self, inbound: Inbound) -> bool:
        return self.general.admits(inbound) or any(a.admits(inbound) for a in self.targets.values())

    def admits_target(self, inbound: Inbound, target: str | None) -> bool:
        if self.general.admits(inbound):
            return True
        return target is not None and target in self.targets and self.targets[target].admits(inbound)

    def visible(self, inbound: Inbound) -> frozenset[str] | None:
        """The targets whose runs the caller may see (None: every target)."""
        if self.general.admits(inbound):
            return None
        return frozenset(name for name, access in self.targets.items() if access.admits(inbound))


class UsageError(ValueError):
    """The command text does not parse; the message says what was expected."""


def parse(text: str) -> Command:
    words = text.split()
    if not words:
        return Command("help")
    verb, args = words[0].lower(), words[1:]
    if verb not in VERBS:
        raise UsageError(f"I don't know `{_quote(words[0])}`.")
    if verb == "help":
        return Command("help")
    if verb == "status":
        return _status(args)
    if verb == "scan":
        return Command("scan", _one(args, "scan <target|owner/repo>", repo_only=False))
    if verb == "dry-run":
        return Command("dry-run", _one(args, "dry-run <owner/repo>", repo_only=True))
    if len(args) != 2 or not _REPO.fullmatch(args[0]) or not _CODE.fullmatch(args[1]):
        raise UsageError("Usage: `ignore <owner/repo> <code>`, like `ignore acme/app DM103`.")
    return Command("ignore", args[0], args[1].upper())


def _status(args: list[str]) -> Command:
    if not args:
        return Command("status")
    if len(args) != 1 or not _RUN_ID.fullmatch(args[0]):
        raise UsageError("Usage: `status [run id]`.")
    return Command("status", args[0])


def _one(args: list[str], usage: str, *, repo_only: bool) -> str:
    ok = len(args) == 1 and (_REPO.fullmatch(args[0]) or (not repo_only and _TARGET.fullmatch(args[0])))
    if not ok:
        raise UsageError(f"Usage: `{usage}`.")
    return args[0]


def _quote(word: str) -> str:
    return word[:40].replace("`", "'")


@dataclass(frozen=True)
class Decision:
    """The immediate reply, and the work whose text goes to the response URL (if any)."""

    reply: str
    job: Callable[[], str] | None = None
    command: str = "help"
    allowed: bool = True
    progress: str | None = None  # posted when the job starts
    public: bool = False  # the job's messages are shown to the channel


def handle(inbound: Inbound, policy: Policy, actions: ChatActions) -> Decision:
    """Authorise and dispatch; never runs the work itself (see :attr:`Decision.job`)."""
    if not policy.admits_anywhere(inbound):
        return Decision(REFUSAL, command="refused", allowed=False)
    try:
        command = parse(inbound.text)
    except UsageError as exc:
        return Decision(f"{exc}\n\n{HELP}", command="usage")
    if command.verb == "help":
        return Decision(HELP)
    if command.verb != "status" and not policy.admits_target(inbound, _target(actions, command.subject)):
        return Decision(REFUSAL, command="refused", allowed=False)
    public = command.verb in ("scan", "ignore")  # the channel sees what changes its repositories
    progress = f"{inbound.who} started a scan of {command.subject}." if command.verb == "scan" else None
    job = _job(command, inbound, actions, policy.visible(inbound))
    return Decision(_ack(command), job, command.verb, True, progress, public)


def _target(actions: ChatActions, subject: str | None) -> str | None:
    try:
        return actions.target_for(subject) if subject else None
    except Exception:  # an unknown target is a refusal unless the caller is allowed everywhere
        log.exception("resolving the target of %r failed", subject)
        return None


def _ack(command: Command) -> str:
    subject = f" {command.subject}" if command.subject else ""
    if command.verb == "scan":
        return f"Scanning{subject}; I'll post the result here when the run is done."
    if command.verb == "dry-run":
        return f"Dry run of{subject} started; nothing will be written. The summary follows here."
    if command.verb == "ignore":
        return f"Recording: {command.code} stays off for{subject}."
    return "Looking that up…"


def _job(command: Command, inbound: Inbound, actions: ChatActions, visible: frozenset[str] | None) -> Callable[[], str]:
    def run() -> str:
        try:
            return _dispatch(command, inbound, actions, visible)
        except DockmendError as exc:
            return f"Sorry, `{command.verb}` failed: {exc.message}"
        except Exception:
            log.exception("chat command %s from %s failed", command.verb, inbound.who)
            return f"Sorry, `{command.verb}` failed unexpectedly; the dockmend log has the details."

    return run


def _dispatch(command: Command, inbound: Inbound, actions: ChatActions, visible: frozenset[str] | None) -> str:
    subject = command.subject or ""
    if command.verb == "scan":
        run_id = actions.start_scan(subject, inbound.who)
        return f"Run {run_id} ({subject}) finished.\n{actions.status(run_id, visible)}"
    if command.verb == "dry-run":
        return actions.dry_run(subject)
    if command.verb == "ignore":
        return actions.ignore(subject, command.code or "", inbound.who)
    return actions.status(command.subject, visible)
