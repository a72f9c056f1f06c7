"""``POST /chat/slack`` and ``POST /chat/mattermost``: slash commands.

Both platforms post ``application/x-www-form-urlencoded`` and give up after 3 seconds.
The request is verified first (Slack: the signature over the raw body, read before
anything parses it; Mattermost: the command token), then authorised; the answer is an
immediate acknowledgment, and the work runs on the app's worker threads, which post
the result to the command's ``response_url``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.service.chat import mattermost, slack
from bot.service.chat.commands import ChatActions, Decision, Inbound, Policy, handle
from bot.service.chat.replies import ReplyPoster, redact
from bot.service.chat.slack import VerificationError
from bot.service.web.metrics import Metrics
from bot.settings.web import ChatSettings

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # slash command payloads are a few hundred bytes


@dataclass(frozen=True)
class ChatContext:
    settings: ChatSettings
    actions: ChatActions
    executor: Executor
    metrics: Metrics
    poster: ReplyPoster


def add_chat_routes(app: FastAPI, ctx: ChatContext) -> None:
    if ctx.settings.slack is not None:
        s = ctx.settings.slack
        replays = slack.Replays()

        def verify_slack(request: Request, body: bytes) -> None:
            slack.verify(s.signing_secret, request.headers, body, replays=replays)

        policy = Policy.of(s.allowed_users, s.allowed_channels, s.targets)
        _add_route(app, ctx, "slack", "Slack", verify_slack, policy)

    if ctx.settings.mattermost is not None:
        m = ctx.settings.mattermost

        def verify_mattermost(request: Request, body: bytes) -> None:
            header = request.headers.get("authorization", "")
            given = _form(body).get("token") or (header[6:].strip() if header.lower().startswith("token ") else None)
            mattermost.verify_token(m.token, given)

        policy = Policy.of(m.allowed_users, m.allowed_channels, m.targets)
        _add_route(app, ctx, "mattermost", "Mattermost", verify_mattermost, policy)


def _add_route(
    app: FastAPI, ctx: ChatContext, platform: str, title: str, verify: Callable[[Request, bytes], None], policy: Policy
) -> None:
    """``POST /chat/<platform>``: the body read (up to :data:`MAX_BODY`), verified, then parsed and dispatched."""

    async def command(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return _refused("request too large", 413)
        try:
            verify(request, body)
        except VerificationError as exc:
            return _refused(f"{title} request refused: {exc}")
        form = _form(body)
        if platform == "slack" and form.get("ssl_check") == "1":  # Slack's certificate check
            return Response(status_code=200)
        return await _dispatch(ctx, _inbound(platform, form), policy)

    app.add_api_route(f"/chat/{platform}", command, methods=["POST"], include_in_schema=False)


async def _body(request: Request) -> bytes | None:
    """The raw body, or None past :data:`MAX_BODY` (read no further than that)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(reversed(pairs))  # the first value of a repeated field wins


def _inbound(platform: str, form: Mapping[str, str]) -> Inbound:
    return Inbound(
        platform=platform,
        text=form.get("text", ""),
        user_id=form.get("user_id", ""),
        user_name=form.get("user_name", ""),
        channel_id=form.get("channel_id", ""),
        channel_name=form.get("channel_name", ""),
        response_url=form.get("response_url", ""),
    )


def _refused(reason: str, status: int = 401) -> Response:
    log.warning("%s", reason)
    return JSONResponse({"error": "unauthorized" if status == 401 else "refused"}, status_code=status)


async def _dispatch(ctx: ChatContext, inbound: Inbound, policy: Policy) -> Response:
    # target_for may touch the configuration or the database: keep it off the event loop
    decision = await run_in_threadpool(handle, inbound, policy, ctx.actions)
    ctx.metrics.chat_command(inbound.platform, decision.command)
    if not decision.allowed:
        log.warning("refused a %s command from %s", inbound.platform, inbound.who)
    if decision.job is not None:
        if not _postable(inbound.response_url):
            return _reply(ctx, "I can't answer later without a response URL from the chat server.")
        ctx.executor.submit(_work, ctx, inbound, decision)
    return _reply(ctx, decision.reply)


def _reply(ctx: ChatContext, text: str) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": redact(text, ctx.settings.secrets())})


def _postable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _work(ctx: ChatContext, inbound: Inbound, decision: Decision) -> None:
    assert decision.job is not None
    try:
        if decision.progress:
            ctx.poster.reply(inbound.platform, inbound.response_url, decision.progress, public=decision.public)
        text = decision.job()
        ctx.poster.reply(inbound.platform, inbound.response_url, text, public=decision.public)
    except Exception:  # the executor would swallow it silently
        log.exception("chat command %s from %s failed", decision.command, inbound.who)
