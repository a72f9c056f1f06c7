from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.platforms.base import Repo
from bot.state import requests, store
from bot.state.cache import StateCache
from bot.state.store import RepoKey, RunCounts

T0 = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
API = RepoKey("gh", "acme/api")
DIGESTS = {"python:3.12-slim": "sha256:aaa", "nginx:1.27": "sha256:bbb"}


def test_runs_are_recorded_and_listed_newest_first(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = store.start_run(session, "acme", "schedule", now=T0)
        second = store.start_run(session, "acme", "chat", requested_by="U123", now=T0 + timedelta(hours=1))
        store.finish_run(session, first, "ok", RunCounts(repositories_scanned=3, fixes=2, requests_opened=1), now=T0)
    with sessions() as session:
        runs = store.recent_runs(session)
        assert [run.id for run in runs] == [second, first]
        done = store.get_run(session, first)
        assert done is not None
        assert (done.outcome, done.repositories_scanned, done.fixes, done.requests_opened) == ("ok", 3, 2, 1)
        assert done.started_at == T0 and done.started_at.tzinfo is not None
        assert runs[0].outcome is None and runs[0].requested_by == "U123"
        assert store.recent_runs(session, target="other") == []


def test_unknown_trigger_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValueError, match="trigger"):
        store.start_run(session, "acme", "webhook")  # type: ignore[arg-type]


def test_times_come_back_in_utc(sessions: sessionmaker[Session]) -> None:
    paris = T0.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    with sessions.begin() as session:
        run_id = store.start_run(session, "acme", "cli", now=paris)
    with sessions() as session:
        run = store.get_run(session, run_id)
        assert run is not None and run.started_at == T0 and run.started_at.utcoffset() == timedelta(0)


def test_a_dead_processes_runs_are_abandoned(sessions: sessionmaker[Session]) -> None:
    from bot.state import leases

    with sessions() as session:
        leases.acquire(session, "target:alive", "alive", timedelta(hours=1))
    with sessions.begin() as session:
        dead = store.start_run(session, "gone", "schedule", holder="dead")
        alive = store.start_run(session, "alive", "schedule", holder="alive")
        finished = store.start_run(session, "done", "schedule", holder="dead")
        store.finish_run(session, finished, "ok")
    with sessions.begin() as session:
        assert store.abandon_runs(session) == 1
    with sessions() as session:
        outcomes = {run.id: run.outcome for run in store.recent_runs(session)}
        assert outcomes == {dead: "abandoned", alive: None, finished: "ok"}


@pytest.mark.parametrize(
    ("head", "digests", "scan_key", "age", "rescan"),
    [
        ("c1", DIGESTS, "v1", timedelta(0), False),
        ("c2", DIGESTS, "v1", timedelta(0), True),  # the default branch moved
        (None, DIGESTS, "v1", timedelta(0), True),  # head unknown
        ("c1", {**DIGESTS, "nginx:1.27": "sha256:new"}, "v1", timedelta(0), True),  # a base image moved
        ("c1", {"python:3.12-slim": "sha256:aaa"}, "v1", timedelta(0), True),  # one image fewer
        ("c1", DIGESTS, "v2", timedelta(0), True),  # dockmend or its settings changed
        ("c1", DIGESTS, "v1", timedelta(days=31), True),  # too old
    ],
)
def test_should_rescan(
    sessions: sessionmaker[Session],
    head: str | None,
    digests: dict[str, str],
    scan_key: str,
    age: timedelta,
    rescan: bool,
) -> None:
    with sessions.begin() as session:
        store.record_repository(session, API, head_sha="c1", base_digests=DIGESTS, scan_key="v1", now=T0)
    with sessions() as session:
        result = store.should_rescan(
            session, API, head, digests, scan_key=scan_key, max_age=timedelta(days=30), now=T0 + age
        )
        assert result is rescan


def test_an_unknown_repository_is_scanned(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert store.should_rescan(session, API, "c1", {})
        assert store.seen_base_images(session, API) == {}


def test_record_repository_updates_in_place(sessions: sessionmaker[Session]) -> None:
    repo = Repo(platform="gh", full_name="acme/api", id="acme/api", default_branch="main", url="u")
    with sessions.begin() as session:
        store.record_repository(session, repo, head_sha="c1", base_digests=DIGESTS, default_branch="main")
    with sessions.begin() as session:
        store.record_repository(session, repo, head_sha="c2", base_digests={"nginx:1.27": "sha256:ccc"})
    with sessions() as session:
        assert store.seen_base_images(session, API) == {"nginx:1.27": "sha256:ccc"}
        (row,) = store.repositories(session)
        assert (row.head_sha, row.default_branch) == ("c2", "main")
        assert not store.should_rescan(session, repo, "c2", {"nginx:1.27": "sha256:ccc"})


def test_blobs_cache_small_contents_only(sessions: sessionmaker[Session]) -> None:
    big = b"RUN true\n" * (store.MAX_CACHED_BLOB // 9 + 1)
    with sessions.begin() as session:
        store.record_blob(session, API, "Dockerfile", "b1", b"FROM python:3.12\n")
        store.record_blob(session, API, "big/Dockerfile", "b2", big)
    with sessions.begin() as session:
        store.record_blob(session, API, "Dockerfile", "b3", b"FROM python:3.13\n")
    with sessions() as session:
        assert store.cached_blob(session, "b3") == b"FROM python:3.13\n"
        assert store.cached_blob(session, "b1") is None  # replaced
        assert store.cached_blob(session, "b2") is None  # too big to keep
        assert store.repository_blobs(session, API) == {"Dockerfile": "b3", "big/Dockerfile": "b2"}


def test_requests_are_upserted_and_listed(sessions: sessionmaker[Session]) -> None:
    web = RepoKey("gl", "acme/web")
    fields = {"url": "https://x/1", "branch": "dockmend/fixes", "fingerprint": "f1", "title": "dockmend: fixes"}
    with sessions.begin() as session:
        run_id = store.start_run(session, "acme", "schedule")
        requests.record_request(
            session, API, number=1, state="open", now=T0, codes=["DM101", "DM105"], target="acme", team="platform",
            run_id=run_id, **fields,
        )  # fmt: skip
        requests.record_request(session, web, number=7, state="open", now=T0, **fields)
        requests.record_request(session, API, number=1, state="open", now=T0 + timedelta(days=7), **fields)
    with sessions() as session:
        listed = requests.open_requests(session)
        assert [(r.repository.full_name, r.number) for r in listed] == [("acme/api", 1), ("acme/web", 7)]
        assert listed[0].opened_at == T0 and listed[0].updated_at == T0 + timedelta(days=7)
        assert [r.number for r in requests.open_requests(session, platform="gl")] == [7]
        (first,) = requests.run_requests(session, run_id)
        assert (first.title, requests.codes_of(first), first.target, first.team) == (
            "dockmend: fixes", ("DM101", "DM105"), "acme", "platform"
        )  # fmt: skip
        assert [r.number for r in requests.requests_opened_since(session, T0, target="acme")] == [1]
        assert requests.requests_opened_since(session, T0 + timedelta(seconds=1)) == []
    with sessions.begin() as session:
        requests.record_request(session, API, number=1, state="merged", now=T0 + timedelta(days=8), **fields)
        requests.record_request(session, API, number=1, state="merged", now=T0 + timedelta(days=9), **fields)
    with sessions() as session:
        (merged,) = requests.repository_requests(session, API)
        assert (merged.state, merged.closed_at) == ("merged", T0 + timedelta(days=8))
        assert [r.number for r in requests.open_requests(session)] == [7]


def test_a_request_closed_without_a_plan_keeps_its_fingerprint(sessions: sessionmaker[Session]) -> None:
    """A run that closes a request (its fixes landed) plans nothing for it: what the
    request held stays recorded, for the dashboard and for `ignore`."""
    opened = {"url": "https://x/1", "branch": "dockmend/remediate", "title": "dockmend: fixes", "codes": ["DM104"]}
    with sessions.begin() as session:
        requests.record_request(session, API, number=1, state="open", fingerprint="f1", now=T0, **opened)
        requests.record_request(
            session, API, number=1, state="closed", fingerprint=None, url="https://x/1", branch="dockmend/remediate"
        )
    with sessions() as session:
        (closed,) = requests.repository_requests(session, API)
        assert (closed.state, closed.fingerprint, closed.title, requests.codes_of(closed)) == (
            "closed", "f1", "dockmend: fixes", ("DM104",)
        )  # fmt: skip


def test_ignored_fixes(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert requests.ignore_fix(session, "acme/api", "DM103", "alice")
        assert not requests.ignore_fix(session, "acme/api", "DM103", "bob")
        assert requests.ignore_fix(session, "acme/api", "fp-1234", "bob")
    with sessions() as session:
        assert requests.is_ignored(session, "acme/api", "DM101", "DM103")
        assert not requests.is_ignored(session, "acme/web", "DM103")
        assert [(i.subject, i.ignored_by) for i in requests.ignored(session, "acme/api")] == [
            ("DM103", "alice"),
            ("fp-1234", "bob"),
        ]
    with sessions.begin() as session:
        assert requests.unignore_fix(session, "acme/api", "DM103")
        assert not requests.unignore_fix(session, "acme/api", "DM103")
        assert not requests.is_ignored(session, "acme/api", "DM103")


def test_registry_cache(sessions: sessionmaker[Session]) -> None:
    now = [T0.timestamp()]
    cache = StateCache(sessions, clock=lambda: now[0])
    cache.put("tags docker.io/library/python", '["3.12"]', ttl=60)
    cache.put("tags docker.io/library/python", '["3.12", "3.13"]', ttl=60)
    assert cache.get("tags docker.io/library/python") == '["3.12", "3.13"]'
    assert cache.get("missing") is None
    now[0] += 61
    assert cache.get("tags docker.io/library/python") is None
    assert cache.purge() == 1
    cache.close()
