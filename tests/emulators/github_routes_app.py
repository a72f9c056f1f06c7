"""GitHub App endpoints (a JWT in, installation tokens out), the user and the rate limit."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import TYPE_CHECKING

import jwt

from tests.emulators import github_json as J
from tests.emulators import github_json_issues as I
from tests.emulators.github_http import Call, Credential, HttpError, Reply, not_found

if TYPE_CHECKING:
    from tests.emulators.github import GitHubApp, GitHubEmulator


def check_jwt(em: GitHubEmulator, token: str) -> GitHubApp:
    """The app whose key signed ``token`` (RS256, iss = app id, at most 10 minutes long)."""
    app = em.app
    if app is None:
        raise HttpError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(token, app.public_key, algorithms=["RS256"], options={"require": ["exp", "iat", "iss"]})
    except jwt.PyJWTError:
        raise HttpError(401, "A JSON web token could not be decoded") from None
    if str(claims["iss"]) != str(app.app_id) or claims["exp"] - claims["iat"] > 660:
        raise HttpError(401, "'Expiration time' claim ('exp') is too far in the future")
    return app


def _app(call: Call) -> GitHubApp:
    assert call.em.app is not None  # the server checked the JWT
    return call.em.app


def _installation(call: Call, login: str) -> J.Json:
    app = _app(call)
    if login not in app.installations:
        raise not_found()
    account = call.em.account(login)
    return I.installation(call.urls, app.installations[login], app.app_id, app.slug, account)


def get_app(call: Call) -> Reply:
    app = _app(call)
    owner = call.em.account(f"{app.slug}-owner", "User")
    return Reply(
        {
            "id": app.app_id,
            "slug": app.slug,
            "client_id": f"Iv1.{app.app_id:08d}",
            "node_id": J.node("App", app.app_id),
            "owner": J.user(call.urls, owner),
            "name": app.slug,
            "description": "Dockerfile remediation",
            "external_url": f"{call.urls.web}/apps/{app.slug}",
            "html_url": f"{call.urls.web}/apps/{app.slug}",
            "created_at": J.EPOCH,
            "updated_at": J.EPOCH,
            "permissions": dict(I.PERMISSIONS),
            "events": [],
        }
    )


def list_installations(call: Call) -> Reply:
    return Reply([_installation(call, login) for login in sorted(_app(call).installations)])


def org_installation(call: Call) -> Reply:
    # An App on a user account: "GET /orgs/{org}/installation" is for organisations; users
    # have "GET /users/{username}/installation" (docs.github.com, REST API endpoints for
    # GitHub Apps), so the organisation route answers a user's login with 404 Not Found.
    account = call.em.accounts.get(call.params["org"])
    if account is not None and account.type != "Organization":
        raise not_found()
    return Reply(_installation(call, call.params["org"]))


def create_access_token(call: Call) -> Reply:
    app = _app(call)
    owners = {number: login for login, number in app.installations.items()}
    try:
        owner = owners[int(call.params["installation_id"])]
    except (KeyError, ValueError):
        raise not_found() from None
    token = f"ghs_{secrets.token_hex(18)}"
    expires = time.time() + app.token_ttl
    chosen = app.selected.get(owner)
    selected = None if chosen is None else frozenset(chosen)
    call.em.credentials[token] = Credential(f"{app.slug}[bot]", owner=owner, expires=expires, selected=selected)
    call.em.account(f"{app.slug}[bot]", "Bot")
    stamp = dt.datetime.fromtimestamp(expires, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Reply(I.access_token(token, stamp), 201)


def get_user(call: Call) -> Reply:
    if call.credential is None:
        raise HttpError(401, "Requires authentication")
    if call.credential.owner is not None:
        raise HttpError(403, "Resource not accessible by integration")
    return Reply(J.authenticated_user(call.urls, call.em.account(call.credential.login, "User")))


def rate_limit(call: Call) -> Reply:
    limit, used, reset = call.em.rate(call.credential, count=False)
    return Reply(I.rate_limit(limit, used, reset))


JWT_ROUTES = [
    ("GET", "/app", get_app),
    ("GET", "/app/installations", list_installations),
    ("GET", "/orgs/{org}/installation", org_installation),
    ("POST", "/app/installations/{installation_id}/access_tokens", create_access_token),
]
ROUTES = [
    ("GET", "/user", get_user),
    ("GET", "/rate_limit", rate_limit),
]
