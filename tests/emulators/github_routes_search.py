"""``GET /search/issues``: the pull requests (``is:pr``) or plain issues (``is:issue``) of one
account, narrowed like GitHub's search.

Qualifiers understood (https://docs.github.com/en/search-github/searching-on-github/
searching-issues-and-pull-requests): ``is:pr``, ``author:<login>`` (an App's bot account
is ``author:app/<slug>``), ``head:<branch>`` (branch names that begin with it: the page's
"head:change ... opened from branch names beginning with the word 'change'"), ``org:``,
``user:`` and ``repo:``. Other words are refused, so a test sees a query the emulator
does not understand instead of a silently wider answer.

The search API has its own limit: 30 requests a minute for an authenticated caller
(https://docs.github.com/en/rest/search/search#rate-limit), answered like the primary
limit with ``X-RateLimit-Resource: search``. GitHub returns at most 1,000 results of a
search (same page), and may answer ``incomplete_results: true`` when it timed out
(https://docs.github.com/en/rest/search/search#timeouts-and-incomplete-results): the
emulator's ``search_incomplete`` knob answers so.
"""

from __future__ import annotations

import time

from tests.emulators import github_json as J
from tests.emulators import github_json_issues as I
from tests.emulators.github_http import Call, HttpError, Reply, invalid, paginate

SEARCH_PER_MINUTE = 30
MAX_RESULTS = 1000


def _criteria(q: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for word in q.split():
        key, _, value = word.partition(":")
        if key not in ("is", "author", "head", "org", "user", "repo") or not value:
            raise invalid("Validation Failed", resource="Search", field="q", code="invalid")
        found[key] = value
    return found


def _limit(call: Call) -> None:
    now = time.time()
    window = [t for t in call.em.search_calls if t > now - 60]
    if len(window) >= SEARCH_PER_MINUTE:
        reset = int(min(window)) + 61
        headers = {
            "X-RateLimit-Limit": str(SEARCH_PER_MINUTE),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "search",
        }
        login = call.credential.login if call.credential else "anonymous"
        raise HttpError(403, f"API rate limit exceeded for user {login}.", headers)
    call.em.search_calls[:] = [*window, now]


def _author(call: Call, login: str) -> str:
    """``app/<slug>`` names the App's bot account, ``<slug>[bot]``; ``@me`` the caller
    (https://docs.github.com/en/search-github/getting-started-with-searching-on-github/understanding-the-search-syntax#queries-with-usernames)."""
    if login == "@me":
        return call.credential.login if call.credential else ""
    return f"{login.removeprefix('app/')}[bot]" if login.startswith("app/") else login


def search_issues(call: Call) -> Reply:
    _limit(call)
    wanted = _criteria(call.query.get("q", ""))
    kind = wanted.get("is")
    if kind not in ("pr", "issue") or (kind == "issue" and "head" in wanted):
        raise invalid("Validation Failed", resource="Search", field="q", code="invalid")
    scope = call.credential.owner if call.credential else None
    author = _author(call, wanted["author"]) if "author" in wanted else None
    found: list[tuple[str, J.Pull | J.Issue]] = []
    for full in sorted(call.em.pulls if kind == "pr" else call.em.issues):
        meta, owner = call.em.repos.get(full), full.split("/")[0]
        if meta is None or (scope is not None and scope != owner):
            continue
        if wanted.get("repo", full) != full or wanted.get("org", wanted.get("user", owner)) != owner:
            continue
        items: list[J.Pull | J.Issue] = [
            *(call.em.pulls.get(full, {}).values() if kind == "pr" else call.em.issues.get(full, {}).values())
        ]
        found += [
            (full, p)
            for p in items
            if (author is None or p.user == author)
            and (not isinstance(p, J.Pull) or p.head.startswith(wanted.get("head", "")))
        ]
    found.sort(key=lambda item: item[1].id, reverse=True)  # "best match": newest first here
    reply = paginate(call, found[:MAX_RESULTS], lambda item: _item(call, *item))
    reply.body = {
        "total_count": len(found),
        "incomplete_results": call.em.search_incomplete,
        "items": reply.body,
        "search_type": "lexical",  # a qualifier search: no semantic matching
    }
    return reply


def _item(call: Call, full: str, p: J.Pull | J.Issue) -> J.Json:
    labels = call.em.labels.setdefault(full, {})
    if isinstance(p, J.Issue):
        return {**I.plain_issue(call.urls, full, p, call.user_of, labels), "score": 1.0}
    count = sum(1 for c in call.em.comments.get(full, []) if c.number == p.number)
    issue = I.issue(call.urls, full, p, call.user_of, labels, count)
    return {**issue, "score": 1.0}


ROUTES = [("GET", "/search/issues", search_issues)]
