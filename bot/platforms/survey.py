"""What one listing per organisation says about the bot's requests, kept for a run.

A forge that can list the bot's requests across an organisation in a few calls (GitHub's
search, GitLab's group merge requests) asks once per organisation and branch (or branch
prefix); a repository the answer does not name has no request of the bot, and, since the
bot opens its request right after pushing and deletes the branch when the request is
refused, no branch either: its look-ups are spared. A repository the bot writes to in
this process is looked up again from then on (a listing sees no branch, and GitHub's
search index lags behind a new request). An answer that was not complete is None:
every repository of that organisation is then looked up as before.

One window stays: a process killed between its push and its request leaves a branch that
no listing names. The repository's next request meets it (its creation finds the branch
and reads it); ``survey=False`` on the platform looks every repository up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

# (scope, selector) -> the names it lists, each with the bodies of its open items; None: incomplete
Search = Callable[[str, str], "Mapping[str, tuple[str, ...]] | None"]


class Survey:
    """The repositories (lower-cased names or ids) with a request of the bot, per scope
    (organisation, group) and selector (branch prefix, branch); None: not complete."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], Mapping[str, tuple[str, ...]] | None] = {}
        self._written: set[str] = set()  # repositories the bot wrote to in this process
        self._lock = threading.Lock()

    def knows_nothing(self, scope: str, selector: str, name: str, search: Search) -> bool:
        """True when the scope's listing for ``selector`` does not name ``name`` (the listing
        is asked once, on the first question about a scope and selector)."""
        found, name = self._listing(scope, selector, search), name.lower()
        with self._lock:
            return found is not None and name not in found and name not in self._written

    def bodies(self, scope: str, selector: str, name: str, search: Search) -> tuple[str, ...] | None:
        """The bodies of the open items the scope's listing for ``selector`` names in ``name``
        (what a person may have ticked there); None when the listing is not complete."""
        found = self._listing(scope, selector, search)
        return None if found is None else found.get(name.lower(), ())

    def _listing(self, scope: str, selector: str, search: Search) -> Mapping[str, tuple[str, ...]] | None:
        key = (scope.lower(), selector)
        with self._lock:  # one listing, whichever thread asks first
            if key not in self._found:
                self._found[key] = search(*key)
            return self._found[key]

    def forget(self, scope: str) -> None:
        """A new listing of the scope (a new run, for a platform ``dockmend serve`` keeps):
        its next question asks again."""
        with self._lock:
            for key in [k for k in self._found if k[0] == scope.lower()]:
                del self._found[key]

    def written(self, name: str) -> None:
        """The bot pushed a branch there: look the repository up from now on (the search
        does not see a branch, nor a request younger than its index)."""
        with self._lock:
            self._written.add(name.lower())
