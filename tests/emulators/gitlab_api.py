"""Requests, replies, parameters and pagination of the GitLab emulator's REST v4 API."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlencode

from tests.emulators.gitlab_model import ApiError, User
from tests.emulators.gitlab_world import World

T = TypeVar("T")
TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off", ""}


@dataclass
class Req:
    method: str
    path: str  # the raw (still percent-encoded) path below /api/v4
    args: dict[str, str]  # decoded path parameters (":id" -> "group/sub/app")
    query: dict[str, list[str]]
    body: dict[str, Any]
    user: User
    base: str  # web base URL built from the request's Host (and the emulator's prefix)

    def arg(self, name: str, default: Any = None) -> Any:
        """A parameter from the JSON body, else the query string (GitLab accepts both)."""
        if name in self.body:
            return self.body[name]
        values = self.query.get(name) or self.query.get(f"{name}[]")
        if not values:
            return default
        return values if name + "[]" in self.query else values[-1]

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.arg(name, default)
        return None if value is None else str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None or value == "":
            raise ApiError(400, f"{name} is missing", key="error")
        return value

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        """Booleans: JSON true/false, or 'True'/'False'/'true'/'1' strings (python-gitlab sends str(bool))."""
        value = self.arg(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ApiError(400, f"{name} is invalid", key="error")

    def ints(self, name: str) -> list[int] | None:
        value = self.arg(name)
        if value is None:
            return None
        items = value if isinstance(value, list) else str(value).split(",")
        return [int(i) for i in items if str(i).strip() not in ("", "0")]

    def strings(self, name: str) -> list[str] | None:
        """A list, or a comma-separated string (labels)."""
        value = self.arg(name)
        if value is None:
            return None
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(i).strip() for i in items if str(i).strip()]


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[[World, Req], Reply]
Route = tuple[str, str, Handler]  # (method, path template as in the reference, handler)


class Listed(Protocol):
    """What a group listing filters and sorts: an issue or a merge request."""

    id: int
    project_id: int
    author_id: int
    state: str
    created_at: str


L = TypeVar("L", bound=Listed)


def of_group(w: World, req: Req, items: Sequence[L]) -> list[L]:
    """``items`` as a group listing (group issues, group merge requests) gives them: those of
    the group's and its subgroups' projects, of archived projects only with
    ``non_archived=false``, in ``state`` (default ``all``), by ``author_username``, newest
    first unless ``sort=asc``."""
    groups = {g.id for g in w.subgroups(w.group(req.args["id"]))}
    non_archived = req.flag("non_archived", True) is not False
    projects = {p.id for p in w.projects.values() if p.group.id in groups and not (non_archived and p.archived)}
    state = req.text("state") or "all"
    author = req.text("author_username")
    found = [
        i
        for i in items
        if i.project_id in projects
        and state in ("all", i.state)
        and (not author or w.users[i.author_id].username == author)
    ]
    found.sort(key=lambda i: (i.created_at, i.id), reverse=(req.text("sort") or "desc") == "desc")
    return found


def per_page(req: Req) -> int:
    return max(1, min(100, int(req.text("per_page") or 20)))


def paginate(
    req: Req,
    items: Sequence[T],
    render: Callable[[T], Any] = lambda i: i,
    totals: bool = True,
    max_offset: int | None = None,
) -> Reply:
    """Offset pagination: ``Link`` (prev/next/first/last) and the ``X-*`` headers; only the
    page's items are rendered. ``max_offset``: a page starting past it is refused (405)."""
    size = per_page(req)
    pages = max(1, -(-len(items) // size))
    page = max(1, int(req.text("page") or 1))
    if max_offset is not None and (page - 1) * size >= max_offset:
        # "Offset pagination has a maximum allowed offset of 50000 for requests that return
        # objects of type Project. Remaining records can be retrieved using keyset
        # pagination." (GitLab's answer, quoted in gitlab4j/gitlab4j-api#864); its sibling
        # from the same pagination code, 405 {"error": "Keyset pagination is not yet
        # available for this type of request"} (gitlab-org/gitlab#224737), gives the shape
        text = (
            f"Offset pagination has a maximum allowed offset of {max_offset} for requests that return "
            "objects of type Project. Remaining records can be retrieved using keyset pagination."
        )
        raise ApiError(405, text, key="error")
    headers = {"X-Page": str(page), "X-Per-Page": str(size)}
    headers["X-Next-Page"] = str(page + 1) if page < pages else ""
    headers["X-Prev-Page"] = str(page - 1) if page > 1 else ""
    links = {"first": 1, "last": pages} if totals else {}
    if page < pages:
        links["next"] = page + 1
    if page > 1:
        links["prev"] = page - 1
    if totals:  # GitLab leaves the totals out where counting is expensive (commits)
        headers |= {"X-Total": str(len(items)), "X-Total-Pages": str(pages)}
    if links:
        headers["Link"] = ", ".join(f'<{page_url(req, {"page": n})}>; rel="{rel}"' for rel, n in links.items())
    return Reply(200, [render(item) for item in items[(page - 1) * size : page * size]], headers)


def keyset(req: Req, items: list[Any], key: Callable[[Any], str]) -> Reply:
    """Keyset pagination (``pagination=keyset``): the next link carries a ``page_token``."""
    size = per_page(req)
    start = 0
    token = req.text("page_token")
    if token:
        start = next((i + 1 for i, item in enumerate(items) if key(item) == token), len(items))
    chunk = items[start : start + size]
    headers = {"X-Per-Page": str(size)}
    if start + size < len(items):
        headers["Link"] = f'<{page_url(req, {"page_token": key(chunk[-1])})}>; rel="next"'
    return Reply(200, chunk, headers)


def page_url(req: Req, changes: dict[str, Any]) -> str:
    query = [(k, v) for k, values in req.query.items() if k not in changes for v in values]
    query += [(k, str(v)) for k, v in changes.items()]
    return f"{req.base}/api/v4{req.path}?{urlencode(query)}"


def parse_body(raw: bytes, headers: Any) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in (headers.get("Content-Type") or "json"):
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(400, "The provided content-type 'application/json' is not supported.") from None
        return data if isinstance(data, dict) else {}
    return {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
