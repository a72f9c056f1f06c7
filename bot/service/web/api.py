"""The JSON API under ``/api/``: the dashboard's data, and ``POST /api/runs``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.errors import DockmendError
from bot.service.web.auth import Auth
from bot.service.web.model import WebServices, to_json

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dockmend"'}


def add_api_routes(app: FastAPI, services: WebServices, auth: Auth) -> None:
    async def read(request: Request, fetch: Callable[[], Sequence[Any]]) -> Response:
        if auth.viewer(request) is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401, headers=_CHALLENGE)
        try:
            items = await run_in_threadpool(fetch)
        except Exception:
            log.exception("reading %s failed", request.url.path)
            return JSONResponse({"error": "the state database is not reachable"}, status_code=503)
        return JSONResponse({"items": to_json(list(items))})

    @app.get("/api/runs")
    async def runs(request: Request, limit: int = 50) -> Response:
        return await read(request, lambda: services.recent_runs(_clamp(limit)))

    @app.get("/api/repositories")
    async def repositories(request: Request, limit: int = 200) -> Response:
        return await read(request, lambda: services.repositories(_clamp(limit)))

    @app.get("/api/requests")
    async def requests(request: Request) -> Response:
        return await read(request, services.open_requests)

    @app.get("/api/schedule")
    async def schedule(request: Request) -> Response:
        return await read(request, services.next_runs)

    @app.post("/api/runs")
    async def trigger(request: Request) -> Response:
        if not auth.bearer(request):  # the bearer token only: no cookie, no proxy header
            return JSONResponse({"error": "unauthorized"}, status_code=401, headers=_CHALLENGE)
        body = await _json(request)
        target = body.get("target") if isinstance(body, dict) else None
        who = body.get("requested_by", "") if isinstance(body, dict) else ""
        if not isinstance(target, str) or not target or not isinstance(who, str):
            return JSONResponse({"error": 'expected {"target": NAME, "requested_by": TEXT (optional)}'}, 400)
        requested_by = f"api:{who}" if who else "api"
        try:
            run_id = await run_in_threadpool(services.trigger_run, target, requested_by)
        except LookupError:
            return JSONResponse({"error": f"no target named {target!r}"}, status_code=404)
        except DockmendError as exc:
            return JSONResponse({"error": exc.message}, status_code=409)
        return JSONResponse({"run_id": run_id, "target": target}, status_code=202)


def _clamp(limit: int) -> int:
    return min(max(limit, 1), MAX_LIMIT)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > 16 * 1024:
        return None
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return None
