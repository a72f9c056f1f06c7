"""The status issue's text: a golden body read back with markdown-it-py as GitHub and GitLab
read it (task lists: one box per deferred and per ignored fix, each unticked, each naming
its code), the ticked boxes found the way a forge writes them, and what a run's outcomes
make of it.

``DOCKMEND_UPDATE_GOLDEN=1`` rewrites ``golden/status.md`` (then read the diff).
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from bot.engine import status
from bot.engine.changes import REBASE_BOX, Kind, Outcome, PlanDetail
from tests.engine.test_golden_bodies import golden

URL = "https://github.com/acme/api/pull/7"
STATUS = status.Status(
    pending=(status.Pending(URL, "Pin python to 3.11.9-slim-bookworm and clean apt caches", ("DM102", "DM104")),),
    deferred=("DM106", "DM110"),
    ignored=(("DM103", "ignored from chat (`ignore`)"), ("DM105", "closed unmerged too often (`stop_after_closed`)")),
    max_requests=10,
    per_repo=1,
)


def items(body: str) -> list[str]:
    """The text of each list item, as markdown-it-py reads the body."""
    found, inside = [], False
    for token in MarkdownIt("commonmark").parse(body):
        inside = token.type == "list_item_open" or (inside and token.type != "list_item_close")
        if inside and token.type == "inline":
            found.append(token.content)
    return found


def test_golden_body_and_its_facts() -> None:
    body = status.render(STATUS)
    assert body == golden("status.md", body)
    assert body.startswith(status.MARKER)
    listed = items(body)
    boxes = [item for item in listed if item.startswith("[ ] <!-- dockmend:")]
    assert [re.search(r"dockmend:(\w+):(DM\d+)", b).groups() for b in boxes] == [  # type: ignore[union-attr]
        ("now", "DM106"),
        ("now", "DM110"),
        ("unignore", "DM103"),
        ("unignore", "DM105"),
    ]
    (pending,) = [item for item in listed if item.startswith("[Pin python")]
    assert pending.endswith(f"]({URL}): DM102 `bump-base-tag`, DM104 `consolidate-cleanup`")
    assert "`max_requests`: 10 a run" in body
    assert not status.ticks(body)  # written unticked


def test_nothing_to_say_is_no_issue_and_a_broken_file_is_said_inertly() -> None:
    assert not status.Status()
    broken = status.render(status.Status(errors=(".dockmend.yml: unknown key <img src=x> @acme/admins",)))
    assert "## Configuration errors" in broken and "<img" not in broken and "`@acme/admins`" in broken


@pytest.mark.parametrize(
    ("body", "now", "unignore"),
    [
        ("- [x] <!-- dockmend:now:DM104 --> DM104", {"DM104"}, set()),
        ("- [X] <!-- dockmend:now:DM104 --> DM104\n* [x] <!-- dockmend:unignore:DM103 -->", {"DM104"}, {"DM103"}),
        ("  - [x] <!-- dockmend:unignore:DM105 --> indented", set(), {"DM105"}),
        ("- [ ] <!-- dockmend:now:DM104 --> unticked", set(), set()),
        ("text - [x] <!-- dockmend:now:DM104 --> mid-line", set(), set()),
        ("- [x] now DM104 (no marker: someone's own list)", set(), set()),
        ("- [x] <!-- dockmend:later:DM104 -->", set(), set()),
    ],
)
def test_ticked_boxes(body: str, now: set[str], unignore: set[str]) -> None:
    assert status.ticks(body) == status.Ticks(frozenset(now), frozenset(unignore))


def test_a_ticked_rebase_box_or_status_box_asks_for_a_scan() -> None:
    assert status.asked(["nothing", REBASE_BOX.replace("[ ]", "[x]")])
    assert status.asked(["- [x] <!-- dockmend:unignore:DM103 -->"])
    assert not status.asked([REBASE_BOX, "- [ ] <!-- dockmend:now:DM104 -->"])


def plan(codes: tuple[str, ...], title: str = "t") -> PlanDetail:
    return PlanDetail("dockmend/remediate", title, "f" * 16, codes)


def test_what_a_run_makes_of_its_outcomes() -> None:
    outcomes = (
        Outcome(Kind.UNCHANGED, "dockmend/DM104-x", URL, plan=plan(("DM104",), "Clean caches")),
        Outcome(Kind.DEFERRED, "dockmend/DM106-x", plan=plan(("DM106",))),
        Outcome(Kind.SKIPPED_CLOSED, "dockmend/DM110-x", "https://x/9", plan=plan(("DM110",))),
        Outcome(Kind.NOTHING, "dockmend/DM111-x"),
    )
    made = status.status_of(outcomes, {"DM103"}, {"DM105"}, max_requests=3, per_repo=2)
    assert made.pending == (status.Pending(URL, "Clean caches", ("DM104",)),)
    assert made.deferred == ("DM106",)
    assert dict(made.ignored) == {
        "DM103": "ignored from chat (`ignore`)",
        "DM105": "closed unmerged too often (`stop_after_closed`)",
        "DM110": "its request was closed unmerged",
    }
    assert (made.max_requests, made.per_repo) == (3, 2)
