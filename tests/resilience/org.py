"""The small organisation the resilience tests scan, on either forge, and its final state.

Seven repositories of :mod:`tests.integration.estate`'s patterns: five need fixes (one
with three Dockerfiles, one of them already clean), one has no Dockerfile, one is clean.
:func:`started` seeds a fresh emulator with it and wraps it in the integration tests'
:class:`~tests.integration.forges.Forge` (names, snapshots, files). :func:`final_state`
is what two runs must agree on, without what may differ between them: the emulator's
address, the run id in the bodies' footer, the fingerprint (the DM105 labels name the
repository's URL, so the address) and commit shas (a commit made again has a new date).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.emulators.faults import Faults
from tests.emulators.github import MIT_LICENSE
from tests.integration import forges
from tests.integration.estate import APT, ENTRYPOINT, GO, PIP, README, SECRETS, TIDY, Kind, Project
from tests.integration.forges import BRANCH, Forge
from tests.integration.story import bot_changes

ORG = (
    Project("api", Kind.FIXES, {"": PIP}, {**README, "LICENSE": MIT_LICENSE}),
    Project("worker", Kind.FIXES, {"": APT}, README, subgroup="services"),
    Project("gateway", Kind.FIXES, {"": ENTRYPOINT}, README),
    Project("ml", Kind.FIXES, {"": SECRETS}, README, subgroup="services"),
    Project(
        "monorepo",
        Kind.FIXES,
        {"services/billing": PIP, "tools/migrate": GO, "tools/lint": TIDY},
        {"docs/README.md": "# Monorepo\n"},
    ),
    Project("docs", Kind.NO_DOCKERFILE, extra={"README.md": "# Docs\n", "mkdocs.yml": "site_name: Acme\n"}),
    Project("clean", Kind.CLEAN, {"": TIDY}, README),
)
FIXABLE = tuple(p for p in ORG if p.kind is Kind.FIXES)
_FINGERPRINT = re.compile(r"(dockmend:fingerprint=|fingerprint |Dockmend-Fingerprint: )[0-9a-f]{8,64}")
_RUN = re.compile(r"· run \S+ ·")


@contextmanager
def started(kind: str, tmp: Path, faults: Faults | None = None) -> Iterator[Forge]:
    """A fresh emulator of ``kind`` holding :data:`ORG`, running, with ``faults``."""
    with forges.started(kind, tmp, ORG, faults) as forge:
        yield forge


def normal(forge: Forge, text: str) -> str:
    return _RUN.sub("· run RUN ·", _FINGERPRINT.sub(r"\1FINGERPRINT", forge.normal(text)))


def labels(forge: Forge) -> dict[tuple[str, int], tuple[str, ...]]:
    """(repository, request number) -> the request's labels, as the emulator holds them."""
    state = forge.em.state()  # type: ignore[attr-defined]
    if forge.kind == "github":
        return {(name, p["number"]): tuple(p["labels"]) for name, ps in state["pulls"].items() for p in ps}
    projects = state["projects"].items()
    return {(name, mr["iid"]): tuple(mr["labels"]) for name, p in projects for mr in p["merge_requests"]}


def final_state(forge: Forge, projects: Sequence[Project] = ORG) -> dict[str, Any]:
    """Each repository's branches, requests (bodies, labels, comments) and the bot's commits
    (author, message, and the files they change), normalised (see the module's docstring)."""
    snapshot, tags = forge.snapshot(), labels(forge)
    found: dict[str, Any] = {}
    for project in projects:
        name = forge.name(project)
        state = snapshot[name]
        requests = [
            (r.number, r.state, r.branch, r.title, normal(forge, r.body), r.comments, tags[(name, r.number)])
            for r in state.requests
        ]
        found[project.name] = {
            "branches": sorted(state.branches),
            "requests": requests,
            "commits": _commits(forge, project),
        }
    return found


def _commits(forge: Forge, project: Project) -> list[tuple[str, str, dict[str, str]]]:
    """The bot branch's commits beyond the default branch, and what the branch changes."""
    name, state = forge.name(project), forge.snapshot()[forge.name(project)]
    if BRANCH not in state.branches:
        return []
    log = forge.store.log(name, BRANCH, exclude="main")
    changed = {path: normal(forge, content.decode()) for path, content in bot_changes(forge, project, state).items()}
    return [(c.author_email, normal(forge, c.message), changed) for c in log]


def duplicates_and_orphans(forge: Forge) -> list[str]:
    """What must never be: more than one request of the bot's branch, or a bot branch
    without an open request (an orphan)."""
    wrong = []
    for name, state in forge.snapshot().items():
        mine = [r for r in state.requests if r.branch == BRANCH]
        if len(mine) > 1:
            wrong.append(f"{name}: {len(mine)} requests from {BRANCH}")
        if BRANCH in state.branches and not any(r.state == "open" for r in mine):
            wrong.append(f"{name}: {BRANCH} has no open request")
    return wrong
