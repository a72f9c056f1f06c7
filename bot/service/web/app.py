"""The service's web app: health, metrics, dashboard, JSON API and chat endpoints.

Everything is built in :func:`create_app` from the settings and the services passed
in; importing this module does nothing.

* ``/healthz``: the process is up (always 200).
* ``/readyz``: 200 when every readiness check (database, scheduler) passes, else 503.
* ``/metrics``: Prometheus text, from this app's own registry.
* ``/``, ``/login``, ``/api/…``: see :mod:`bot.service.web.dashboard`, :mod:`bot.service.web.api`.
* ``/chat/slack``, ``/chat/mattermost``: see :mod:`bot.service.web.chatroutes` (only when configured).

Every request goes through the limits of :mod:`bot.service.web.limits` (body size and time;
:func:`server` adds the header, idle and connection limits to uvicorn).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from bot.errors import DockmendError
from bot.service.chat.commands import ChatActions
from bot.service.chat.replies import ReplyPoster
from bot.service.web.api import add_api_routes
from bot.service.web.auth import Auth
from bot.service.web.chatroutes import ChatContext, add_chat_routes
from bot.service.web.dashboard import DashboardContext, add_dashboard_routes, stylesheet, templates
from bot.service.web.limits import LoginThrottle, RequestLimits, uvicorn_options
from bot.service.web.metrics import Metrics
from bot.service.web.model import WebServices
from bot.settings.web import ServiceSettings, WebSettings

log = logging.getLogger(__name__)

CHAT_WORKERS = 4


def create_app(
    settings: ServiceSettings,
    services: WebServices,
    *,
    chat: ChatActions | None = None,
    metrics: Metrics | None = None,
    workers: int = CHAT_WORKERS,
) -> FastAPI:
    """The app; raises a DockmendError if an enabled endpoint has no secret.

    ``chat`` is required when a chat platform is configured. Pass the ``metrics`` the run
    code increments (a new, empty one otherwise; it is ``app.state.metrics``).
    """
    settings.validate()
    chat_on = settings.chat.slack is not None or settings.chat.mattermost is not None
    if chat_on and chat is None:
        raise DockmendError("chat is configured but the service has no chat actions to run")
    metrics = metrics or Metrics()
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dockmend-chat")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(executor.shutdown, wait=True)  # let chat commands post their results

    app = FastAPI(title="dockmend", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RequestLimits, limits=settings.web.limits)
    app.state.metrics = metrics
    app.state.executor = executor
    auth = Auth(settings.web)
    _add_probes(app, services, metrics)
    limits = settings.web.limits
    throttle = LoginThrottle(limits.login_attempts_per_client, limits.login_attempts_total)
    add_dashboard_routes(app, DashboardContext(services, auth, templates(), stylesheet(), throttle))
    add_api_routes(app, services, auth)
    if chat is not None and chat_on:
        poster = ReplyPoster(settings.chat.secrets())
        add_chat_routes(app, ChatContext(settings.chat, chat, executor, metrics, poster))
    return app


def _add_probes(app: FastAPI, services: WebServices, metrics: Metrics) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        try:
            checks = dict(await run_in_threadpool(services.readiness))
        except Exception:
            log.exception("the readiness checks failed")
            checks = {"checks": False}
        ready = bool(checks) and all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)


def server(app: FastAPI, web: WebSettings) -> uvicorn.Server:
    """A uvicorn server for ``app`` on ``web.listen``: ``run()`` serves until ``should_exit``
    is set (``run(sockets=[s])`` serves a socket bound already). Logging is the caller's."""
    options = uvicorn_options(web.limits)
    config = uvicorn.Config(app, host=web.host, port=web.port, log_config=None, server_header=False, **options)
    return uvicorn.Server(config)
