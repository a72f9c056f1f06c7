"""The read-only dashboard: server-rendered HTML (Jinja2), no JavaScript."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from urllib.parse import parse_qsl

import jinja2
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot import __version__
from bot.service.web.acceptance import WEEKS, acceptance, hours_text, week_start
from bot.service.web.auth import COOKIE, SESSION_SECONDS, Auth
from bot.service.web.limits import LoginThrottle, retry_after
from bot.service.web.model import WebServices

log = logging.getLogger(__name__)

RUNS_SHOWN = 20
REPOSITORIES_SHOWN = 100
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class DashboardContext:
    services: WebServices
    auth: Auth
    templates: jinja2.Environment
    css: bytes
    throttle: LoginThrottle


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.service.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["hours"] = hours_text
    return env


def stylesheet() -> bytes:
    return resources.files("bot.service.web").joinpath("static/dashboard.css").read_bytes()


def when(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(start: datetime, end: datetime | None) -> str:
    if end is None:
        return "running"
    seconds = int((end - start).total_seconds())
    minutes, seconds = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def add_dashboard_routes(app: FastAPI, ctx: DashboardContext) -> None:
    def page(name: str, values: dict[str, object], status: int = 200, extra: Mapping[str, str] = {}) -> HTMLResponse:
        html = ctx.templates.get_template(name).render(version=__version__, **values)
        return HTMLResponse(html, status_code=status, headers={**HEADERS, **extra})

    @app.get("/", include_in_schema=False)
    async def dashboard(request: Request) -> Response:
        viewer = ctx.auth.viewer(request)
        if viewer is None:
            return RedirectResponse("/login", status_code=303)
        try:
            data = await run_in_threadpool(_overview, ctx.services)
        except Exception:
            log.exception("reading the dashboard data failed")
            return page("error.html", {"message": "The state database is not reachable right now."}, 503)
        return page("dashboard.html", {"viewer": viewer, **data})

    @app.get("/login", include_in_schema=False)
    async def login_form() -> Response:
        return page("login.html", {"error": None})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        wait = ctx.throttle.attempt(request.client.host if request.client else "unknown")
        if wait is not None:
            slow_down: dict[str, object] = {"error": "Too many attempts; wait a minute and try again."}
            return page("login.html", slow_down, 429, retry_after(wait))
        form = dict(parse_qsl((await request.body())[:4096].decode("utf-8", "replace")))
        if not ctx.auth.token_matches(form.get("token")):
            return page("login.html", {"error": "That token is not right."}, 401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE, ctx.auth.new_session(), max_age=SESSION_SECONDS, httponly=True, samesite="strict",
            secure=ctx.auth.secure_cookies,
        )  # fmt: skip
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=ctx.auth.secure_cookies)
        return response

    @app.get("/static/dashboard.css", include_in_schema=False)
    async def css() -> Response:
        return Response(ctx.css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def _overview(services: WebServices, now: datetime | None = None) -> dict[str, object]:
    schedule = services.next_runs()
    now = now or datetime.now(UTC)
    open_requests = services.open_requests()
    since = week_start(now) - timedelta(weeks=WEEKS - 1)
    return {
        "runs": services.recent_runs(RUNS_SHOWN),
        "repositories": services.repositories(REPOSITORIES_SHOWN),
        "requests": open_requests,
        "acceptance": acceptance(services.ended_requests(since), open_requests, now),
        "schedule": schedule,
        "next_run": min((s.next_run for s in schedule if s.next_run is not None), default=None),
    }
