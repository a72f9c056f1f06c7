"""Renamed and transferred repositories: GitHub's redirects, seen instead of followed.

GitHub answers a repository's old name with 301 (reads) or 307 (writes) and a ``Location``
on the new place. PyGithub follows a 301 with the path alone (``?recursive=1`` lost: a
recursive tree comes back as its top level, files go unseen) and returns a 307's body as if
the write had succeeded. So no redirect reaches PyGithub: the connection raises
:class:`Moved`, the platform asks where the repository is now (``GET /repos/{old}``,
followed on purpose, see :func:`following`) and repeats the call there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from github.Requester import Requester

REDIRECTS = frozenset({301, 302, 307, 308})
_state = threading.local()


class Moved(Exception):
    """An answer redirected the call: the repository was renamed or transferred."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(f"{status} moved to {location}")
        self.status = status
        self.location = location


@contextmanager
def following() -> Iterator[None]:
    """Let PyGithub follow a 301 in this thread (to read a moved repository's new name)."""
    _state.follow = True
    try:
        yield
    finally:
        _state.follow = False


def refuse_redirects(requester: Requester) -> None:
    """Make ``requester``'s connections raise :class:`Moved` on a redirect (unless
    :func:`following`). PyGithub builds each connection from the class it keeps per
    requester; a subclass of it is put there (this requester only)."""
    attribute = "_Requester__connectionClass"
    base: type[Any] = getattr(requester, attribute)

    class Connection(base):  # type: ignore[misc]
        def getresponse(self) -> Any:
            response = super().getresponse()
            if response.status in REDIRECTS and not getattr(_state, "follow", False):
                headers = {key.lower(): value for key, value in response.getheaders()}
                raise Moved(response.status, str(headers.get("location", "")))
            return response

    setattr(requester, attribute, Connection)
