"""Request fates: merged, closed unmerged by a person, fixed (closed by the bot), superseded.

What the forge says of a request (``learn_fate``) and what the bot does to it
(``record_request``) are kept apart, so that acceptance and the fixer-stop policy count
people's decisions only. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.state import requests
from bot.state.store import RepoKey

T0 = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
API = RepoKey("gh", "acme/api")
WEB = RepoKey("gl", "acme/web")
BRANCH = "dockmend/DM104-clean-caches"


def opened(session: Session, repo: RepoKey, number: int, codes: tuple[str, ...], *, at: datetime = T0) -> None:
    requests.record_request(
        session, repo, number=number, url=f"https://x/{number}", branch=BRANCH, state="open", fingerprint="f",
        codes=codes, now=at,
    )  # fmt: skip


def fates(sessions: sessionmaker[Session], repo: RepoKey) -> list[tuple[int, str, str]]:
    with sessions() as session:
        return sorted((r.number, r.state, r.fate) for r in requests.repository_requests(session, repo))


def test_the_forge_tells_merged_and_closed_and_the_bot_tells_fixed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for number in (1, 2, 3):
            opened(session, API, number, ("DM104",))
    with sessions.begin() as session:
        merged = requests.learn_fate(session, API, 1, "merged", now=T0 + timedelta(hours=5))
        closed = requests.learn_fate(session, API, 2, "closed", now=T0 + timedelta(days=2))
        requests.record_request(
            session, API, number=3, url="https://x/3", branch=BRANCH, state="closed", fingerprint=None, fate="fixed",
            now=T0 + timedelta(days=3),
        )  # fmt: skip
        assert merged is not None and merged.closed_at == T0 + timedelta(hours=5)
        assert closed is not None and closed.fate == "closed"
    assert fates(sessions, API) == [(1, "merged", "merged"), (2, "closed", "closed"), (3, "closed", "fixed")]
    with sessions.begin() as session:
        # told again: nothing changes (and nothing is counted twice); a fixed one stays fixed
        assert requests.learn_fate(session, API, 1, "merged") is None
        assert requests.learn_fate(session, API, 2, "closed") is None
        assert requests.learn_fate(session, API, 3, "closed") is None
        assert requests.learn_fate(session, API, 99, "merged") is None  # never recorded
    assert fates(sessions, API)[2] == (3, "closed", "fixed")


def test_a_request_reopened_by_a_person_is_open_again(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        opened(session, API, 1, ("DM104",))
        requests.learn_fate(session, API, 1, "closed", now=T0 + timedelta(days=1))
    with sessions.begin() as session:
        row = requests.learn_fate(session, API, 1, "open", now=T0 + timedelta(days=2))
        assert row is not None and row.closed_at is None
    assert fates(sessions, API) == [(1, "open", "open")]


def test_a_newer_request_on_the_branch_supersedes_the_open_ones(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        opened(session, API, 1, ("DM104",))
        opened(session, API, 2, ("DM104",))
        requests.learn_fate(session, API, 2, "closed")  # a person's close is kept as such
        opened(session, API, 3, ("DM104",))
        opened(session, WEB, 1, ("DM104",))  # another repository, same branch name
        marked = requests.supersede(session, API, BRANCH, 3, now=T0 + timedelta(days=1))
        assert [r.number for r in marked] == [1]
    assert fates(sessions, API) == [(1, "closed", "superseded"), (2, "closed", "closed"), (3, "open", "open")]
    assert fates(sessions, WEB) == [(1, "open", "open")]


def test_history_counts_closes_by_people_per_code_and_lists_open_branches(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        opened(session, API, 1, ("DM104", "DM106"))
        opened(session, API, 2, ("DM104",))
        opened(session, API, 3, ("DM104",))
        opened(session, API, 4, ("DM106",))
        opened(session, WEB, 1, ("DM104",))
        requests.learn_fate(session, API, 1, "closed")
        requests.learn_fate(session, API, 2, "closed")
        requests.learn_fate(session, API, 3, "merged")
        requests.record_request(
            session, API, number=4, url="u", branch="dockmend/DM106-exec-form", state="closed", fingerprint=None,
            fate="fixed",
        )  # fmt: skip
    history = requests.histories(sessions)
    api = history("acme/api")
    assert dict(api.closed_unmerged) == {"DM104": 2, "DM106": 1}  # merged and fixed ones do not count
    assert api.open_branches == frozenset()
    web = history("acme/web")
    assert (dict(web.closed_unmerged), web.open_branches) == ({}, frozenset({BRANCH}))
    assert history("acme/none") == requests.History()


def test_asked_again_forgets_the_chat_ignore_and_restarts_the_stop_count(sessions: sessionmaker[Session]) -> None:
    """The status issue's "propose it again" box: the requests keep their fates (acceptance
    is history), but the fixer-stop policy counts only what is closed after it."""
    with sessions.begin() as session:
        for number in (1, 2):
            opened(session, API, number, ("DM104", "DM106"))
            requests.learn_fate(session, API, number, "closed", now=T0 + timedelta(hours=number))
        requests.ignore_fix(session, "acme/api", "DM104", "alice")
    assert requests.ignored_codes(sessions)("acme/api") == {"DM104"}
    with sessions.begin() as session:
        requests.ask_again(session, "acme/api", "DM104", "status issue", now=T0 + timedelta(days=1))
    assert requests.ignored_codes(sessions)("acme/api") == frozenset()
    assert dict(requests.histories(sessions)("acme/api").closed_unmerged) == {"DM106": 2}
    assert fates(sessions, API) == [(1, "closed", "closed"), (2, "closed", "closed")]
    with sessions.begin() as session:  # closed again later: counted again; asked twice: one reset
        opened(session, API, 3, ("DM104",), at=T0 + timedelta(days=2))
        requests.learn_fate(session, API, 3, "closed", now=T0 + timedelta(days=3))
        requests.ask_again(session, "acme/api", "DM106", "status issue", now=T0 + timedelta(days=4))
        requests.ask_again(session, "acme/api", "DM106", "status issue", now=T0 + timedelta(days=4))
    assert dict(requests.histories(sessions)("acme/api").closed_unmerged) == {"DM104": 1}


def test_requests_ended_since_lists_every_end_but_open(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for number in (1, 2, 3):
            opened(session, API, number, ("DM104",))
        requests.learn_fate(session, API, 1, "merged", now=T0 + timedelta(days=1))
        requests.learn_fate(session, API, 2, "closed", now=T0 + timedelta(days=3))
    with sessions() as session:
        assert [r.number for r in requests.requests_ended_since(session, T0)] == [1, 2]
        assert [r.number for r in requests.requests_ended_since(session, T0 + timedelta(days=2))] == [2]


def test_unknown_fates_are_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValueError, match="fate"):
        requests.record_request(
            session, API, number=1, url="u", branch="b", state="closed", fingerprint="f",
            fate="rejected",  # type: ignore[arg-type]
        )  # fmt: skip
    with sessions() as session, pytest.raises(ValueError, match="state"):
        requests.learn_fate(session, API, 1, "gone")  # type: ignore[arg-type]
