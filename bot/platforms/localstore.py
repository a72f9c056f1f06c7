"""Where the local platform keeps its requests: files in the checkout's git directory.

``<git dir>/dockmend/requests.json`` is the record (state, title, body, labels,
comments of every request); ``<git dir>/dockmend/REQUEST.md`` shows the open requests'
titles and bodies for people to read, rewritten after every change. Close a request
by hand by setting its ``"state"`` to ``"closed"`` in the JSON file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.platforms.base import PlatformError

MAX_STATE = 16 * 1024 * 1024


@dataclass
class StoredRequest:
    id: int
    branch: str
    state: str  # open | closed | merged
    title: str
    body: str
    labels: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    draft: bool = False
    comments: list[str] = field(default_factory=list)
    updated: str = ""


class RequestStore:
    def __init__(self, git_dir: Path) -> None:
        self.folder = git_dir / "dockmend"
        self.file = self.folder / "requests.json"
        self.view = self.folder / "REQUEST.md"

    def load(self) -> list[StoredRequest]:
        if not self.file.is_file():
            return []
        try:
            if self.file.stat().st_size > MAX_STATE:
                raise PlatformError(f"{self.file}: larger than {MAX_STATE} bytes")
            data = json.loads(self.file.read_text(encoding="utf-8"))
            return [StoredRequest(**item) for item in data["requests"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PlatformError(f"{self.file}: unreadable request state ({exc})") from None

    def save(self, requests: list[StoredRequest]) -> None:
        self.folder.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for request in requests:
            request.updated = request.updated or stamp
        data: dict[str, Any] = {"requests": [vars(r) for r in requests]}
        _atomic(self.file, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        _atomic(self.view, _markdown([r for r in requests if r.state == "open"]))

    def url(self, request_id: int) -> str:
        return f"{self.view.as_uri()}#request-{request_id}"


def _markdown(requests: list[StoredRequest]) -> str:
    if not requests:
        return "No open dockmend request.\n"
    parts = [f'<a id="request-{r.id}"></a>\n\n# {r.title}\n\n{r.body.rstrip()}\n' for r in requests]
    return "\n---\n\n".join(parts)


def _atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
