"""The one user-facing error type; the CLI turns it into a one-line message."""

from __future__ import annotations


class DockmendError(Exception):
    """An error the user can act on. ``exit_code`` 2 is a usage or configuration error."""

    exit_code = 2

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        where = ":".join(str(p) for p in (path, line, column) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
