"""PyGithub clients for dockmend: a token, or a GitHub App with one installation per owner.

A personal or fine-grained token gives one client for every owner. A GitHub App signs
a JWT with its private key and trades it for an installation token per organisation
(PyGithub's ``AppInstallationAuth`` renews it before it expires). Secrets stay inside
:class:`~bot.settings.registry_access.Secret` until PyGithub needs them, and a logging filter
keeps them out of PyGithub's DEBUG lines, which print response bodies (an access-token
answer carries the installation token).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from github import Auth, Github, GithubIntegration
from github.Requester import Requester

from bot.errors import DockmendError
from bot.httpwait import Listener, Pacer
from bot.platforms.base import PlatformError
from bot.platforms.github_moves import refuse_redirects
from bot.platforms.github_retry import RequestFailed, RetryPolicy, retrying
from bot.settings.registry_access import Secret

if TYPE_CHECKING:
    from bot.settings.targets import PlatformSettings

DEFAULT_URL = "https://api.github.com"
_SECRET_SHAPES = re.compile(
    r"""(?P<json>"token"\s*:\s*")[^"]+"""  # "token": "…" in a response body
    r"|\bgh[opsuvr]_[A-Za-z0-9_]{16,}"  # GitHub token formats
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]+"  # a JWT
)
_PYGITHUB_LOGGERS = ("github", "github.Requester", "github.GithubRetry")


@dataclass(frozen=True)
class Tuning:
    """How dockmend drives PyGithub. The defaults suit github.com; tests switch the
    throttle off (``Tuning.unthrottled()``) against the emulator."""

    seconds_between_requests: float | None = 0.25  # GitHub's advice against secondary limits
    seconds_between_writes: float | None = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    per_page: int = 100
    timeout: float = 30.0
    verify: bool | str = True
    rate_limit_reserve: int = 100  # calls left below which they are spread out until the reset

    @classmethod
    def unthrottled(cls, retry: RetryPolicy | None = None) -> Tuning:
        return cls(None, None, retry or RetryPolicy(backoff=0.0, max_wait=5.0))

    def pacer(self, listeners: list[Listener]) -> Pacer:
        """The fixed spacing and the back-pressure from the rate-limit headers, for every
        thread's client of one token (or App installation): GitHub's advice is per token,
        and PyGithub's own spacing would count each client (thread) apart."""
        retry = self.retry
        return Pacer(
            self.rate_limit_reserve, retry.max_wait,
            between_requests=self.seconds_between_requests, between_writes=self.seconds_between_writes,
            clock=retry.clock, sleep=retry.sleep, listeners=listeners, name="GitHub",
        )  # fmt: skip


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    private_key: Secret  # PEM
    installation_id: int | None = None  # else looked up per organisation


class _Redact(logging.Filter):
    """Rewrites a record's text with every secret shape and known secret masked."""

    def __init__(self) -> None:
        super().__init__("dockmend-redact")
        self.known: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for secret in self.known:
            text = text.replace(secret, "***")
        record.msg, record.args = _SECRET_SHAPES.sub(lambda m: f"{m['json'] or ''}***", text), ()
        return True


_REDACT = _Redact()


def protect(secret: str) -> None:
    """Mask ``secret`` (and anything token-shaped) in PyGithub's log lines."""
    if secret:
        _REDACT.known.add(secret)
    for name in _PYGITHUB_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


class Clients:
    """PyGithub clients: one per owner (the same one with a token) *and per thread*.

    A PyGithub client must not be shared by threads: its connection object takes a
    request's method, URL and body in one call and sends them in the next, so two threads
    can send each other's requests (a POST twice, an answer to the wrong caller). The
    runner's threads each get their own; they share the owner's pacer and credentials."""

    def __init__(self, url: str, tuning: Tuning, token: Secret | None = None, app: AppCredentials | None = None):
        if (token is None) == (app is None):
            raise PlatformError("GitHub: configure either a token or a GitHub App, not both or neither")
        self.url = url.rstrip("/")
        self.tuning = tuning
        self._token = token
        self._app = app
        self._clients: dict[tuple[str, int], Github] = {}  # (owner key, thread id)
        self._auths: dict[str, Auth.Auth] = {}
        self.pacers: dict[str, Pacer] = {}  # one per client: an App has a rate limit per installation
        self.listeners: list[Listener] = []
        self._lock = threading.Lock()  # several runner threads may ask for a new owner's client at once
        protect(token.reveal() if token else "")

    def __repr__(self) -> str:
        return f"Clients({self.url!r}, {'app' if self._app else 'token'})"

    @property
    def is_app(self) -> bool:
        return self._app is not None

    def listen(self, listener: Listener) -> None:
        """Tell ``listener`` about every answer of every client (the service's metrics)."""
        self.listeners.append(listener)

    def for_owner(self, owner: str) -> Github:
        key = owner.lower() if self._app else ""
        mine = (key, threading.get_ident())  # a finished thread's id may come back: its client is free
        with self._lock:
            if mine not in self._clients:
                if key not in self.pacers:
                    self.pacers[key] = self.tuning.pacer(self.listeners)
                    self._auths[key] = self._auth(owner)
                self._clients[mine] = self._build(self._auths[key], self.pacers[key])
            return self._clients[mine]

    def _auth(self, owner: str) -> Auth.Auth:
        if self._token is not None:
            return Auth.Token(self._token.reveal())
        assert self._app is not None
        app_auth = Auth.AppAuth(self._app.app_id, self._app.private_key.reveal())
        installation = self._app.installation_id or self._installation(app_auth, owner)
        return Auth.AppInstallationAuth(app_auth, installation)

    def app_slug(self) -> str:
        """The App's slug (``GET /app`` with its JWT): its bot account is ``<slug>[bot]``."""
        assert self._app is not None
        integration = self._integration(Auth.AppAuth(self._app.app_id, self._app.private_key.reveal()))
        return retrying(self.tuning.retry, "the GitHub App", lambda: str(integration.get_app().slug))

    def _integration(self, app_auth: Auth.AppAuth) -> GithubIntegration:
        return GithubIntegration(
            base_url=self.url,
            auth=app_auth,
            timeout=math.ceil(self.tuning.timeout),
            verify=self.tuning.verify,
            retry=None,
            seconds_between_requests=self.tuning.seconds_between_requests,
            seconds_between_writes=self.tuning.seconds_between_writes,
        )

    def _installation(self, app_auth: Auth.AppAuth, owner: str) -> int:
        """The App's installation on ``owner``: ``/orgs/{org}/installation``, and for a user
        account (404 there) the App's installations (``GET /app/installations``) by
        ``account.login`` (``/users/{username}/installation`` is not in the API subset
        dockmend keeps to)."""
        integration = self._integration(app_auth)
        what = f"GitHub App installation for {owner}"
        try:
            return retrying(self.tuning.retry, what, lambda: int(integration.get_org_installation(owner).id))
        except RequestFailed as exc:
            if exc.status != 404:
                raise
            missing = exc

        def find() -> int | None:
            for installation in integration.get_installations():
                account = installation.raw_data.get("account") or {}
                if str(account.get("login", "")).lower() == owner.lower():
                    return int(installation.id)
            return None

        found = retrying(self.tuning.retry, what, find)
        if found is None:
            raise missing
        return found

    def _build(self, auth: Auth.Auth, pacer: Pacer) -> Github:
        client = Github(
            base_url=self.url,
            auth=auth,
            per_page=self.tuning.per_page,
            timeout=math.ceil(self.tuning.timeout),
            verify=self.tuning.verify,
            retry=None,  # dockmend's RetryPolicy is the one retry layer
            seconds_between_requests=None,  # the shared pacer spaces them (``observe``)
            seconds_between_writes=None,
            lazy=True,  # also: no requester copies (PyGithub copies one for a non-default laziness)
        )
        observe(client.requester, pacer)
        refuse_redirects(client.requester)  # a renamed repository is re-resolved, not followed blindly
        return client


def observe(requester: Requester, pacer: Pacer) -> None:
    """Pace every HTTP request of ``requester`` and tell ``pacer`` about every answer.

    PyGithub calls its debug hooks on every request (JSON, pages, blobs): ``NEW_DEBUG_FRAME``
    just before sending, ``DEBUG_ON_RESPONSE`` with the status and the lower-cased headers.
    They do nothing unless PyGithub's debug flag is on; they are kept and called here. The
    hook is not told the method, which the pacer needs (writes have their own spacing):
    ``requestJsonAndCheck``, which every call dockmend makes goes through, notes it first
    (a requester serves one thread, see :class:`Clients`)."""
    frame, response, send = requester.NEW_DEBUG_FRAME, requester.DEBUG_ON_RESPONSE, requester.requestJsonAndCheck
    verb = ["GET"]

    def noting(method: str, *args: Any, **kwargs: Any) -> Any:
        verb[0] = method
        try:
            return send(method, *args, **kwargs)
        finally:
            verb[0] = "GET"

    def before(headers: dict[str, str]) -> None:
        pacer.before(write=verb[0] not in ("GET", "HEAD"))
        frame(headers)

    def after(status: int, headers: dict[str, str | int], data: str) -> None:
        left, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        pacer.answered(status, None if left is None else str(left), None if reset is None else str(reset))
        response(status, headers, data)

    # setattr: mypy refuses to replace a method on an instance (it is what is meant here)
    setattr(requester, "NEW_DEBUG_FRAME", before)  # noqa: B010
    setattr(requester, "DEBUG_ON_RESPONSE", after)  # noqa: B010
    setattr(requester, "requestJsonAndCheck", noting)  # noqa: B010


def clients_from_settings(settings: PlatformSettings, env: Mapping[str, str], tuning: Tuning | None) -> Clients:
    if settings.app_id and (settings.token_env or settings.token_file):
        raise DockmendError(f"platform {settings.name!r}: give a token or a GitHub App (app_id), not both")
    app = _app(settings) if settings.app_id else None
    token = settings.token_value(env)
    if app is None and token is None:
        raise DockmendError(f"platform {settings.name!r}: needs 'token: ${{ENV}}', 'token_file' or 'app_id'")
    pace = settings.pace()
    tuning = tuning or Tuning(
        seconds_between_requests=pace.seconds_between_requests or None,  # PyGithub: None or 0, no pause
        seconds_between_writes=pace.seconds_between_writes or None,
        timeout=settings.timeout,
        verify=settings.verify,
        rate_limit_reserve=pace.rate_limit_reserve,
    )
    return Clients(settings.url or DEFAULT_URL, tuning, token, app)


def _app(settings: PlatformSettings) -> AppCredentials:
    if settings.private_key_file is None:
        raise DockmendError(f"platform {settings.name!r}: a GitHub App needs 'private_key_file'")
    try:
        key = settings.private_key_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DockmendError(f"platform {settings.name!r}: cannot read private_key_file: {exc.strerror}") from None
    installation = settings.installation_id
    if installation is not None and not installation.isdigit():
        raise DockmendError(f"platform {settings.name!r}: 'installation_id' must be a number")
    return AppCredentials(str(settings.app_id), Secret(key), int(installation) if installation else None)
