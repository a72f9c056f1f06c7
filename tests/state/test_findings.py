from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.state import store
from bot.state.findings import (
    FindingRecord,
    current_findings,
    finding_counts,
    record_findings,
    repositories_with_findings,
    run_findings,
)
from bot.state.store import RepoKey

T0 = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
API, WEB, DOCS = RepoKey("gh", "acme/api"), RepoKey("gh", "acme/web"), RepoKey("gh", "acme/docs")
PIN = FindingRecord("Dockerfile", 1, "DM101", "pin the base tag")
PASSWORD = FindingRecord("Dockerfile", 4, "DM201", "a default password in ENV")
LABELS = FindingRecord("Dockerfile", None, "DM105", "labels are missing")


def _runs(sessions: sessionmaker[Session], count: int) -> list[str]:
    with sessions.begin() as session:
        return [store.start_run(session, "acme", "schedule", now=T0 + timedelta(days=7 * i)) for i in range(count)]


def test_current_findings_are_the_last_scans(sessions: sessionmaker[Session]) -> None:
    old, new = _runs(sessions, 2)
    with sessions.begin() as session:
        assert record_findings(session, old, API, [PIN]) == 1
        record_findings(session, new, API, [PASSWORD, LABELS])
    with sessions() as session:  # no scan recorded: the newest run with findings
        assert [(f.code, f.line) for f in current_findings(session, API)] == [("DM105", None), ("DM201", 4)]
    with sessions.begin() as session:
        store.record_repository(session, API, head_sha="c1", base_digests={}, run_id=old)
    with sessions() as session:
        assert [f.code for f in current_findings(session, API)] == ["DM101"]
        assert current_findings(session, RepoKey("gh", "acme/none")) == []


def test_a_clean_rescan_clears_the_findings(sessions: sessionmaker[Session]) -> None:
    old, new = _runs(sessions, 2)
    with sessions.begin() as session:
        record_findings(session, old, API, [PIN])
        store.record_repository(session, API, head_sha="c1", base_digests={}, run_id=old)
        store.record_repository(session, API, head_sha="c2", base_digests={}, run_id=new)  # fixed: nothing found
    with sessions() as session:
        assert current_findings(session, API) == []


def test_repositories_with_findings_first(sessions: sessionmaker[Session]) -> None:
    (run,) = _runs(sessions, 1)
    with sessions.begin() as session:
        for repo, found in ((DOCS, []), (WEB, [PIN]), (API, [PIN, PASSWORD])):
            record_findings(session, run, repo, found)
            store.record_repository(session, repo, head_sha="c", base_digests={}, run_id=run, url=f"https://x/{repo}")
    with sessions() as session:
        listed = repositories_with_findings(session)
        assert [(r.full_name, [f.code for f in found]) for r, found in listed] == [
            ("acme/api", ["DM101", "DM201"]),
            ("acme/web", ["DM101"]),
            ("acme/docs", []),
        ]
        assert [r.full_name for r, _ in repositories_with_findings(session, limit=1)] == ["acme/api"]
        assert finding_counts(session, [run, "other"]) == {run: 3}
        assert finding_counts(session, []) == {}
        assert [(f.repository.full_name, f.code) for f in run_findings(session, run)] == [
            ("acme/api", "DM101"),
            ("acme/api", "DM201"),
            ("acme/web", "DM101"),
        ]
