from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bot.service.web.metrics import Metrics
from tests.service.web.apps import TOKEN, app
from tests.service.web.fakes import FakeServices

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def client(services: FakeServices | None = None, **options: object) -> TestClient:
    return TestClient(app(services, **options), follow_redirects=False)  # type: ignore[arg-type]


def test_healthz() -> None:
    assert client().get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("checks", "status"),
    [
        ({"database": True, "scheduler": True}, 200),
        ({"database": False, "scheduler": True}, 503),
        ({"database": True, "scheduler": False}, 503),
        ({}, 503),
    ],
)
def test_readyz(checks: dict[str, bool], status: int) -> None:
    response = client(FakeServices(checks=checks)).get("/readyz")
    assert response.status_code == status
    assert response.json()["checks"] == checks


def test_metrics_show_a_run() -> None:
    metrics = Metrics()
    web = client(metrics=metrics)
    metrics.run_finished("ok", 462.0, trigger="schedule")
    metrics.repository_scanned("github")
    metrics.repository_scanned("github")
    metrics.fix_proposed("DM104", 3)
    metrics.request_changed("github", "opened")
    metrics.api_call("github", 200, rate_limit_remaining=4711)
    metrics.registry_request("docker.io", 200)
    text = web.get("/metrics").text
    for line in [
        'dockmend_runs_total{outcome="ok",trigger="schedule"} 1.0',
        'dockmend_run_duration_seconds_bucket{le="600.0",trigger="schedule"} 1.0',
        'dockmend_run_duration_seconds_bucket{le="300.0",trigger="schedule"} 0.0',
        'dockmend_repositories_scanned_total{platform="github"} 2.0',
        'dockmend_fixes_total{code="DM104"} 3.0',
        'dockmend_requests_total{action="opened",platform="github"} 1.0',
        'dockmend_api_calls_total{platform="github",status="2xx"} 1.0',
        'dockmend_rate_limit_remaining{platform="github"} 4711.0',
        'dockmend_registry_requests_total{registry="docker.io",status="2xx"} 1.0',
    ]:
        assert line in text
    assert "dockmend_runs_total{" not in client().get("/metrics").text  # a new app starts from zero


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.run_finished("failed", 1.0)
    assert 'outcome="failed"' not in second.exposition()[0].decode()
    with pytest.raises(ValueError, match="request action"):
        first.request_changed("github", "merged")


def test_dashboard_needs_a_login() -> None:
    web = client()
    response = web.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "API token" in web.get("/login").text
    assert web.post("/login", data={"token": "wrong"}).status_code == 401
    login = web.post("/login", data={"token": TOKEN})
    assert login.status_code == 303
    cookie = login.headers["set-cookie"]
    assert TOKEN not in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert web.get("/").status_code == 200  # the cookie is kept by the client
    web.post("/logout")
    assert web.get("/").status_code == 303


def test_a_forged_or_expired_cookie_is_refused() -> None:
    web = client()
    web.cookies.set("dockmend_session", "9999999999.0123abcd")
    assert web.get("/").status_code == 303
    web.cookies.set("dockmend_session", "1.whatever")
    assert web.get("/").status_code == 303


def test_dashboard_renders_runs_requests_repositories_and_schedule() -> None:
    html = client().get("/", headers=BEARER).text
    assert '<a href="https://github.example.com/acme/payments-api/pull/412">#412 dockmend: pin base images' in html
    assert "acme/platform/ci-runner" in html and "merge_requests/17" in html
    assert '<span class="badge badge-ok">ok</span>' in html and '<span class="badge badge-failed">failed</span>' in html
    assert ">20250310T060000Z-9f3a21</code>" in html and "7m 42s" in html
    assert "2025-03-17 06:00 UTC" in html and "paused" in html
    assert "supervisord starts several processes" in html and "deploy/worker.Dockerfile:12" in html
    assert "acme/docs" not in html  # no findings: not listed
    assert "<script" not in html


def test_dashboard_escapes_what_it_shows() -> None:
    services = FakeServices()
    services.requests[0] = services.requests[0].__class__(
        **{**services.requests[0].__dict__, "title": "<script>alert(1)</script>"}
    )
    html = client(services).get("/", headers=BEARER).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dashboard_when_the_database_is_down() -> None:
    response = client(FakeServices(broken=True)).get("/", headers=BEARER)
    assert response.status_code == 503 and "not reachable" in response.text and "hunter2" not in response.text


def test_empty_dashboard() -> None:
    html = client(FakeServices(runs=[], requests=[], repos=[], schedule=[])).get("/", headers=BEARER).text
    assert "No open requests." in html and "No runs yet." in html and "Nothing scheduled." in html


@pytest.mark.parametrize(
    ("header", "sent", "allowed"),
    [
        ("X-Forwarded-User", {"X-Forwarded-User": "alice"}, True),
        ("X-Forwarded-User", {"X-Forwarded-User": ""}, False),
        ("X-Forwarded-User", {"X-Remote-User": "alice"}, False),
        (None, {"X-Forwarded-User": "alice"}, False),  # not trusted unless configured
    ],
)
def test_trusted_proxy_header(header: str | None, sent: dict[str, str], allowed: bool) -> None:
    response = client(header=header).get("/", headers=sent)
    assert response.status_code == (200 if allowed else 303)
    if allowed:
        assert "alice" in response.text


@pytest.mark.parametrize("path", ["/api/runs", "/api/repositories", "/api/requests", "/api/schedule"])
def test_api_reads_need_the_token(path: str) -> None:
    web = client()
    assert web.get(path).status_code == 401
    assert web.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert web.get(path, headers=BEARER).status_code == 200


def test_api_data() -> None:
    web = client()
    runs = web.get("/api/runs?limit=2", headers=BEARER).json()["items"]
    assert [r["id"] for r in runs] == ["20250310T090112Z-4be1c0", "20250310T060000Z-9f3a21"]
    assert runs[1]["finished_at"] == "2025-03-10T06:07:42+00:00" and runs[1]["requests_opened"] == 6
    requests = web.get("/api/requests", headers=BEARER).json()["items"]
    assert requests[0]["url"].endswith("/pull/412") and requests[0]["fixes"] == ["DM101", "DM104"]
    repos = web.get("/api/repositories", headers=BEARER).json()["items"]
    assert repos[0]["findings"][0] == {
        "code": "DM206",
        "path": "Dockerfile",
        "message": repos[0]["findings"][0]["message"],
        "line": 31,
    }
    assert web.get("/api/schedule", headers=BEARER).json()["items"][2] == {
        "target": "platform-team",
        "next_run": None,
        "schedule": "paused",
    }
    assert client(FakeServices(broken=True)).get("/api/runs", headers=BEARER).status_code == 503


def test_trigger_a_run() -> None:
    services = FakeServices()
    web = client(services)
    assert web.post("/api/runs", json={"target": "acme"}).status_code == 401
    assert (
        web.post("/api/runs", json={"target": "acme"}, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    )
    assert services.triggered == []
    response = web.post("/api/runs", json={"target": "acme", "requested_by": "release-bot"}, headers=BEARER)
    assert response.status_code == 202 and response.json() == {"run_id": "run-1", "target": "acme"}
    assert services.triggered == [("acme", "api:release-bot")]
    assert web.post("/api/runs", json={"target": "nope"}, headers=BEARER).status_code == 404
    assert web.post("/api/runs", json={}, headers=BEARER).status_code == 400
    assert web.post("/api/runs", content=b"{not json", headers=BEARER).status_code == 400
    services.busy = True
    busy = web.post("/api/runs", json={"target": "acme"}, headers=BEARER)
    assert busy.status_code == 409 and "already running" in busy.json()["error"]


def test_a_login_cookie_cannot_trigger_runs() -> None:
    services = FakeServices()
    web = client(services, header="X-Forwarded-User")
    web.post("/login", data={"token": TOKEN})
    assert web.post("/api/runs", json={"target": "acme"}).status_code == 401
    assert web.post("/api/runs", json={"target": "acme"}, headers={"X-Forwarded-User": "alice"}).status_code == 401
    assert services.triggered == []


def test_html_security_headers() -> None:
    response = client().get("/", headers=BEARER)
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    css = client().get("/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert re.search(r"\.badge-ok", css.text)


def test_nothing_is_registered_globally() -> None:
    import prometheus_client

    client().get("/metrics")
    assert not [m.name for m in prometheus_client.REGISTRY.collect() if m.name.startswith("dockmend")]
