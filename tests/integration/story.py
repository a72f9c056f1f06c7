"""What happens to the estate between runs of the bot, as a schedule would see it.

:func:`tell` runs the bot over a freshly seeded forge, lets people act between two runs,
and keeps what the emulator shows after each run (a :class:`Step`):

1. ``run-1``: the first run.
2. ``run-2``: nothing changed.
3. people act: ``worker``'s default branch moves on; someone commits on ``gateway``'s
   bot branch (and its default branch moves too); ``web``'s request is closed unmerged;
   ``svc-04``'s request is merged; someone applies ``ml``'s fixes on its default branch
   by hand. ``run-3`` answers all of that at once.
4. ``run-4``: nothing changed since.
5. ``web`` gets a new Dockerfile, so a different fix set: ``run-5``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.integration import estate
from tests.integration.estate import APT, Project
from tests.integration.forges import BRANCH, Forge, Ran, RepoState, Write

PROJECTS = {p.name: p for p in estate.ESTATE}
MOVED = PROJECTS["worker"]  # the default branch moves on
HUMAN = PROJECTS["gateway"]  # someone commits on the bot branch
CLOSED = PROJECTS["web"]  # the request is closed unmerged; later the fixes change
MERGED = PROJECTS["svc-04"]  # the request is merged
BY_HAND = PROJECTS["ml"]  # someone applies the same changes on the default branch
ACTED = (MOVED, HUMAN, CLOSED, MERGED, BY_HAND)
NEW_DOCKERFILE = "docker/Dockerfile.dev"  # what changes web's fix set


@dataclass(frozen=True)
class Step:
    """One run, what it wrote, and the emulator's state after it."""

    ran: Ran
    writes: list[Write]
    state: dict[str, RepoState]  # by full name


@dataclass(frozen=True)
class Story:
    forge: Forge
    first: Step
    second: Step
    events: Step  # after people acted
    quiet: Step  # the run after that
    changed: Step  # after web's fix set changed
    moved_main: str  # worker's new default-branch head
    human_head: str  # gateway's bot branch after the human's commit

    @property
    def steps(self) -> list[Step]:
        return [self.first, self.second, self.events, self.quiet, self.changed]


def step(forge: Forge, run_id: str, direct: bool = False) -> Step:
    mark = forge.mark()
    ran = forge.direct(run_id) if direct else forge.run(run_id)
    return Step(ran, forge.writes_since(mark), forge.snapshot())


def bot_changes(forge: Forge, project: Project, state: RepoState) -> dict[str, bytes]:
    """The files the bot's branch changes, with their new contents."""
    branch, main = forge.files(project, state.branches[BRANCH]), forge.files(project, state.branches["main"])
    return {path: content for path, content in branch.items() if main.get(path) != content}


def number(step: Step, forge: Forge, project: Project) -> int:
    (request,) = step.state[forge.name(project)].requests
    return request.number


def tell(forge: Forge) -> Story:
    first = step(forge, "run-1")
    second = step(forge, "run-2")
    moved_main = forge.human_commit(MOVED, "main", {"README.md": b"# Worker\n\nNow with a dead-letter queue.\n"})
    mine = forge.files(HUMAN, BRANCH)["Dockerfile"].replace(b"USER 1000", b"USER 10001")
    human_head = forge.human_commit(HUMAN, BRANCH, {"Dockerfile": mine})
    forge.human_commit(HUMAN, "main", {"README.md": b"# Gateway\n\nMoved on too.\n"})
    forge.close(CLOSED, number(first, forge, CLOSED))
    forge.merge(MERGED, number(first, forge, MERGED))
    forge.human_commit(BY_HAND, "main", bot_changes(forge, BY_HAND, first.state[forge.name(BY_HAND)]))
    events = step(forge, "run-3")
    quiet = step(forge, "run-4")
    forge.human_commit(CLOSED, "main", {NEW_DOCKERFILE: APT.files["Dockerfile"].encode()})
    changed = step(forge, "run-5")
    return Story(forge, first, second, events, quiet, changed, moved_main, human_head)
