"""Regular expressions compiled on first use instead of at import.

``dockmend fix`` imports every fixer, and a given Dockerfile uses few of their patterns:
compiling them all at import was a tenth of a one-file run. A module keeps its patterns
as module constants, written ``LazyPattern(r"…")`` instead of ``re.compile(r"…")``: the
object has the methods of :class:`re.Pattern` that the code uses, in slots left empty: the
first look-up of any of them compiles the pattern and fills the slots with the compiled
pattern's own methods, so every later call is the compiled pattern's, with no step between.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, AnyStr, Generic

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "split", "sub")


class LazyPattern(Generic[AnyStr]):
    """``re.compile(pattern, flags)``, done on the first match, search, sub, …"""

    __slots__ = ("_compiled", "findall", "finditer", "flags", "fullmatch", "match", "pattern", "search", "split", "sub")

    match: Callable[..., re.Match[AnyStr] | None]
    fullmatch: Callable[..., re.Match[AnyStr] | None]
    search: Callable[..., re.Match[AnyStr] | None]
    finditer: Callable[..., Iterator[re.Match[AnyStr]]]
    findall: Callable[..., list[Any]]
    split: Callable[..., list[AnyStr | Any]]
    sub: Callable[..., AnyStr]

    def __init__(self, pattern: AnyStr, flags: int = 0) -> None:
        self.pattern: AnyStr = pattern
        self.flags = flags
        self._compiled: re.Pattern[AnyStr] | None = None

    @property
    def compiled(self) -> re.Pattern[AnyStr]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
            for name in _METHODS:
                setattr(self, name, getattr(self._compiled, name))
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        """A method's slot is empty until the first call of any of them (see the module)."""
        if name not in _METHODS:
            raise AttributeError(name)
        return getattr(self.compiled, name)
