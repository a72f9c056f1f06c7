"""One search per organisation for the bot's pull requests, instead of one look-up per repository.

``GET /search/issues?q=is:pr author:<bot> head:<prefix> user:<owner>`` lists every pull
request the bot opened from its branches in the owner's repositories, in any state, 100
to a page (https://docs.github.com/en/search-github/searching-on-github/
searching-issues-and-pull-requests: ``head:`` matches branch names that begin with it;
an App's bot account is ``author:app/<slug>``). A repository it does not name has no
request of the bot, and, since the bot opens a request right after it pushes and deletes
the branch when the request is refused, no branch either: its look-ups are spared.

The search has its own limit (30 a minute, https://docs.github.com/en/rest/search/search#rate-limit),
waited out like any other; it answers at most 1,000 results, and says
``incomplete_results`` when it timed out. Anything short of a complete answer (those two,
an error, a repository renamed away from the listing) leaves the owner unsurveyed: every
repository is then looked up as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot.platforms.base import PlatformError

log = logging.getLogger(__name__)
MAX_RESULTS = 1000  # GitHub's cap on a search's results
Fetch = Callable[[dict[str, Any]], dict[str, Any]]  # one page of GET /search/issues


def branch_prefix(branch: str) -> str:
    """``dockmend/remediate`` -> ``dockmend/``: what every branch of the bot begins with
    ('' for a branch without a folder)."""
    head, slash, _ = branch.partition("/")
    return f"{head}{slash}" if slash else ""


ISSUES = "is:issue"  # the selector of the search for the bot's issues (the status issues)


def query(owner: str, prefix: str, author: str | None) -> str:
    """The pull requests of the bot from branches beginning with ``prefix``; its issues when
    ``prefix`` is :data:`ISSUES`."""
    words = ["is:issue", f"user:{owner}"] if prefix == ISSUES else ["is:pr", f"head:{prefix}", f"user:{owner}"]
    return " ".join([*words[:1], *([f"author:{author}"] if author else []), *words[1:]])


def search(
    fetch: Fetch, owner: str, prefix: str, author: str | None, per_page: int = 100
) -> Mapping[str, tuple[str, ...]] | None:
    """The repositories named by the search, each with the bodies of its open items (a
    ticked box there asks for a scan), or None when the answer is not complete."""
    q, page, total = query(owner, prefix, author), 1, 0
    found: dict[str, list[str]] = {}
    try:
        while True:
            answer = fetch({"q": q, "per_page": per_page, "page": page})
            items = answer.get("items") or []
            total = int(answer.get("total_count") or 0)
            if answer.get("incomplete_results") or total > MAX_RESULTS:
                log.info("search for %s: incomplete; every repository is looked up", owner)
                return None
            for item in items:
                bodies = found.setdefault(_repository(item), [])
                if item.get("state") == "open":
                    bodies.append(str(item.get("body") or ""))
            if not items or page * per_page >= total:
                break
            page += 1
    except PlatformError as exc:  # lost: today's per-repository look-ups
        log.info("search for %s failed (%s); every repository is looked up", owner, exc)
        return None
    return {name: tuple(bodies) for name, bodies in found.items()}


def _repository(item: dict[str, Any]) -> str:
    """``https://api.github.com/repos/acme/app`` -> ``acme/app`` (lower-cased)."""
    return str(item["repository_url"]).rsplit("/repos/", 1)[-1].lower()
