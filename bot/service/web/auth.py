"""Who may read the dashboard and the API, and who may trigger runs.

* ``POST /api/runs``: ``Authorization: Bearer <web.api_token>`` only (no cookie, so a
  page on another site cannot make a logged-in browser trigger runs).
* Reading (dashboard, ``GET /api/…``): the same bearer token, or the login cookie the
  form at ``/login`` sets, or, only when ``web.trusted_user_header`` names one, that
  header as set by the reverse proxy in front (which must strip it from clients).

The cookie holds an expiry and an HMAC of it keyed with the token, never the token.
Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from starlette.requests import Request

from bot.settings.secrets import Secret
from bot.settings.web import WebSettings

COOKIE = "dockmend_session"
SESSION_SECONDS = 12 * 3600


class Auth:
    def __init__(self, web: WebSettings) -> None:
        self._token = web.api_token
        self._header = web.trusted_user_header
        self.secure_cookies = web.secure_cookies

    def token_matches(self, given: str | None) -> bool:
        return _equal(self._token, given)

    def bearer(self, request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(credentials.strip())

    def viewer(self, request: Request) -> str | None:
        """Who is reading (for the page header), or None: not allowed."""
        if self.bearer(request):
            return "api token"
        if self._session_ok(request.cookies.get(COOKIE)):
            return "signed in"
        if self._header is not None:
            user = request.headers.get(self._header, "").strip()
            if user:
                return user
        return None

    def new_session(self, now: float | None = None) -> str:
        expires = str(int((time.time() if now is None else now) + SESSION_SECONDS))
        return f"{expires}.{self._mac(expires)}"

    def _session_ok(self, value: str | None, now: float | None = None) -> bool:
        if not value or self._token is None or not self._token.reveal():
            return False
        expires, _, mac = value.partition(".")
        if not expires.isascii() or not expires.isdigit() or int(expires) < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._mac(expires).encode("ascii"), mac.encode("utf-8", "replace"))

    def _mac(self, expires: str) -> str:
        assert self._token is not None
        key = self._token.reveal().encode("utf-8")
        return hmac.new(key, f"dockmend dashboard session {expires}".encode(), hashlib.sha256).hexdigest()


def _equal(secret: Secret | None, given: str | None) -> bool:
    if secret is None or not secret.reveal() or not given:
        return False  # an unset token admits nobody
    return hmac.compare_digest(secret.reveal().encode("utf-8"), given.encode("utf-8", "replace"))
