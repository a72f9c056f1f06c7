"""What a GitHub emulator route sees (:class:`Call`) and answers (:class:`Reply`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from tests.emulators.github_json import Json, RepoMeta, Urls, user

if TYPE_CHECKING:
    from tests.emulators.github import GitHubEmulator

DOCS = "https://docs.github.com/rest"


@dataclass
class Credential:
    login: str
    write: bool = True
    owner: str | None = None  # an installation token only reaches this account's repositories
    selected: frozenset[str] | None = None  # and, when installed on selected ones, only those (names)
    expires: float | None = None


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> Json:
        return {"message": self.message, "documentation_url": DOCS, "status": str(self.status), **self.extra}


def not_found() -> HttpError:
    return HttpError(404, "Not Found")


def invalid(text: str, **error: Any) -> HttpError:
    """422, with GitHub's ``errors`` list (resource, field, code, message)."""
    return HttpError(422, text, errors=[error] if error else [])


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    em: GitHubEmulator
    urls: Urls
    method: str
    path: str  # without the query string, percent-decoded
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    credential: Credential | None = None

    def repo(self) -> RepoMeta:
        """The addressed repository, as this credential may see it (else 404, like GitHub)."""
        full = f"{self.params['owner']}/{self.params['repo']}"
        meta = self.em.repos.get(full)
        scope = self.credential.owner if self.credential else None
        if meta is None or (scope is not None and scope != meta.owner):
            raise not_found()
        return meta

    def writable(self) -> RepoMeta:
        meta = self.repo()
        chosen = self.credential.selected if self.credential else None
        if self.credential is not None and (
            not self.credential.write or (chosen is not None and meta.name not in chosen)
        ):
            raise HttpError(403, "Resource not accessible by integration")
        if meta.archived:
            raise HttpError(403, "Repository was archived so is read-only.")
        return meta

    def field(self, name: str, kind: type | tuple[type, ...] = str, required: bool = True) -> Any:
        value = self.body.get(name) if isinstance(self.body, dict) else None
        if value is None and not required:
            return None
        if not isinstance(value, kind):
            raise invalid(f"Invalid request.\n\n{name!r} is missing or not a {kind}.", field=name, code="invalid")
        return value

    def user_of(self, login: str) -> Json:
        return user(self.urls, self.em.account(login, "User"))


def paginate(call: Call, items: Sequence[Any], build: Callable[[Any], Any], default: int = 30) -> Reply:
    """One page of ``items`` and the ``Link`` header GitHub sends (next, last, first, prev)."""
    try:
        per_page = max(1, min(100, int(call.query.get("per_page", default))))
        page = max(1, int(call.query.get("page", 1)))
    except ValueError as exc:
        raise invalid("Invalid pagination parameters") from exc
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def link(n: int, rel: str) -> str:
        query = urlencode({**call.query, "per_page": per_page, "page": n})
        return f'<{call.urls.api}{quote(call.path)}?{query}>; rel="{rel}"'

    rels = []
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        rels += [link(1, "first"), link(page - 1, "prev")]
    return Reply([build(x) for x in chunk], headers={"Link": ", ".join(rels)} if rels else {})
