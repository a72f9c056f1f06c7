"""The BuildKit parser (PyPI ``dockerfile``) run on untrusted text under a budget.

The parser is a Go extension that holds the Python lock while it runs, and some inputs
make it very slow (nested variable defaults ``${a:-${a:-…}}`` grow with the cube of the
depth). So a file is first checked by a linear scan that refuses what is known to blow
up (:data:`MAX_SUBSTITUTION_DEPTH`), then parsed in a child process with a hard time
limit: the calling process (the web app, health checks, the scheduler) keeps answering,
and a child over its time is killed. Children are kept and reused (one per concurrent
caller), so the common path costs one round trip on a pipe, not a process start.

A file small and plain enough that its parse is bounded far below any budget
(:func:`in_process`: at most :data:`IN_PROCESS_MAX_BYTES`, ``${`` nested at most
:data:`IN_PROCESS_MAX_DEPTH` deep, at most :data:`IN_PROCESS_MAX_CONTINUED` continued
lines) is parsed in the calling process instead: the worst such file takes a few tens of
milliseconds, while a child costs a Python start (what one `dockmend fix` on one file
would pay twice). Everything else goes to a child.

Limits (see docs/security.md): :data:`DEFAULT_TIMEOUT` seconds per file
(``DOCKMEND_PARSE_TIMEOUT``), :data:`DEFAULT_MEMORY` for the Go heap of a child
(``GOMEMLIMIT``, ``DOCKMEND_PARSE_MEMORY``).

Over 300 lines: the guard, the in-process decision, the child's protocol and its pool
belong together: each is a line of the same defence.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import struct
import sys
import threading
import time
from typing import Any

from fixers.lazyre import LazyPattern
from fixers.records import record

DEFAULT_TIMEOUT = 20.0  # seconds per file, every BuildKit parse of the file included
DEFAULT_MEMORY = "512MiB"  # GOMEMLIMIT of a parser child
MAX_SUBSTITUTION_DEPTH = 16  # ${…} nested deeper than this is refused before parsing
# lines continued into one instruction: BuildKit's parser is quadratic in them (10,000:
# 0.3 s; 40,000: 3.3 s; 150,000: about a minute)
MAX_CONTINUATION_LINES = 10_000
# In-process parsing: the parser's time is about linear in size under these bounds (the
# worst shapes measured, 16 KiB of heredocs or nested defaults: ~25 ms; 1,000 continued
# lines: ~4 ms), so the Python lock is never held long enough to stall a health check.
IN_PROCESS_MAX_BYTES = 16 * 1024
IN_PROCESS_MAX_DEPTH = 16
IN_PROCESS_MAX_CONTINUED = 1_000
_HEADER = struct.Struct(">I")
_SUBSTITUTION_TOKENS = LazyPattern(r"\$\{|\}|\n")

# The child imports nothing of dockmend: it reads a length-prefixed text, parses it and
# answers with a length-prefixed JSON document, until its input closes.
_CHILD = r"""
import json, struct, sys
import dockerfile
rd, wr, head = sys.stdin.buffer, sys.stdout.buffer, struct.Struct(">I")
def exact(n):
    data = rd.read(n)
    if len(data) != n:
        sys.exit(0)
    return data
while True:
    text = exact(head.unpack(exact(4))[0]).decode("utf-8")
    try:
        cmds = [
            [c.cmd, c.sub_cmd, c.json, c.original, c.start_line, c.end_line, list(c.flags), list(c.value),
             [[h.name, h.content] for h in c.heredocs]]
            for c in dockerfile.parse_string(text)
        ]
        answer = {"commands": cmds}
    except dockerfile.GoParseError as exc:
        answer = {"parse_error": str(exc)}
    except Exception as exc:
        answer = {"crash": f"{type(exc).__name__}: {exc}"}
    out = json.dumps(answer).encode("utf-8")
    wr.write(head.pack(len(out)) + out)
    wr.flush()
"""


@record(frozen=True)
class Heredoc:
    name: str
    content: str


@record(frozen=True)
class Command:
    """One instruction as BuildKit's parser sees it (the fields of ``dockerfile.Command``)."""

    cmd: str | None
    sub_cmd: str | None
    json: bool
    original: str | None
    start_line: int
    end_line: int
    flags: tuple[str, ...]
    value: tuple[str, ...]
    heredocs: tuple[Heredoc, ...]


class ParseError(Exception):
    """BuildKit's parser refuses the text; the message is its own."""


class Refused(Exception):
    """The text is refused before or while parsing; ``line`` is where, when known."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class TooComplex(Refused):
    """The parse did not finish within its time (the child was killed)."""


def default_timeout() -> float:
    """``DOCKMEND_PARSE_TIMEOUT`` (seconds) or :data:`DEFAULT_TIMEOUT`."""
    raw = os.environ.get("DOCKMEND_PARSE_TIMEOUT", "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


@record(frozen=True)
class Budget:
    """The time a file's parses may take together: ``seconds`` from when it started."""

    seconds: float
    deadline: float  # time.monotonic()

    @classmethod
    def start(cls, seconds: float | None = None) -> Budget:
        seconds = seconds if seconds is not None and seconds > 0 else default_timeout()
        return cls(seconds, time.monotonic() + seconds)

    def over(self) -> TooComplex:
        return TooComplex(f"too complex to parse within {self.seconds:g} s")


def substitution_depth(text: str, escape: str = "\\") -> tuple[int, int]:
    """The deepest nesting of ``${`` in one logical line, and the line where it is
    reached (one linear scan; a line ending in the escape character continues)."""
    return _scan(text, escape)[:2]


def _scan(text: str, escape: str) -> tuple[int, int, int, int]:
    """The deepest ``${`` nesting and its line; the longest run of continued lines and
    the line it starts on."""
    deepest, where, depth, line, line_start = 0, 1, 0, 1, 0
    longest, longest_at, run, run_at = 0, 1, 0, 1
    for match in _SUBSTITUTION_TOKENS.finditer(text):
        token = match.group()
        if token == "\n":
            if text[line_start : match.start()].rstrip().endswith(escape):
                run, run_at = run + 1, run_at if run else line
                if run > longest:
                    longest, longest_at = run, run_at
            else:
                depth = run = 0
            line, line_start = line + 1, match.end()
        elif token == "}":
            depth = max(depth - 1, 0)
        else:
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
    return deepest, where, longest, longest_at


def guard(text: str, escape: str = "\\") -> None:
    """Refuse what is known to make the parser blow up, before parsing it."""
    depth, line, continued, start = _scan(text, escape)
    if depth > MAX_SUBSTITUTION_DEPTH:
        raise Refused(
            f"variable substitutions nested {depth} deep (at most {MAX_SUBSTITUTION_DEPTH} are parsed)",
            line,
        )
    if continued > MAX_CONTINUATION_LINES:
        raise Refused(
            f"an instruction continued over {continued} lines (at most {MAX_CONTINUATION_LINES} are parsed)",
            start,
        )


class _Child:
    """A parser process (its modules are loaded only when a file is parsed in a child)."""

    def __init__(self) -> None:
        import subprocess

        env = {**os.environ, "GOMEMLIMIT": os.environ.get("DOCKMEND_PARSE_MEMORY", DEFAULT_MEMORY)}
        self.pid_owner = os.getpid()
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )

    def ask(self, text: str, deadline: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        data = text.encode("utf-8", "surrogatepass")
        self.proc.stdin.write(_HEADER.pack(len(data)) + data)
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        size = _HEADER.unpack(self._read(fd, _HEADER.size, deadline))[0]
        import json

        answer: dict[str, Any] = json.loads(self._read(fd, size, deadline))
        return answer

    @staticmethod
    def _read(fd: int, size: int, deadline: float) -> bytes:
        import select

        chunks: list[bytes] = []
        left = size
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the parser process ended")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.proc.wait()


class _Pool:
    """Idle parser children, reused; one is taken per parse and returned after."""

    def __init__(self) -> None:
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.pid_owner == os.getpid() and child.proc.poll() is None:
                    return child
        return _Child()

    def give(self, child: _Child) -> None:
        with self._lock:
            self._idle.append(child)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            if child.pid_owner == os.getpid():
                child.kill()


_POOL = _Pool()


def prepare() -> None:
    """Load the parser in this process and have one parser child started and answering:
    for callers that time files (bench/scaling.py) and must not time these start-ups."""
    _parse_here("FROM a\n")
    _parse_in_child("FROM a\n", Budget.start())


def shutdown() -> None:
    """Stop the idle parser children (they are started again when needed)."""
    _POOL.close()


atexit.register(shutdown)


def in_process(text: str, escape: str = "\\") -> bool:
    """Whether ``text`` is parsed in this process: small, valid UTF-8, shallow ``${``
    nesting and short continued instructions (the known slow shapes), so its parse is
    bounded; anything else is parsed in a child under the time budget."""
    if len(text) > IN_PROCESS_MAX_BYTES:
        return False
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: the child refuses them (a per-file error)
        return False
    if size > IN_PROCESS_MAX_BYTES:
        return False
    depth, _, continued, _ = _scan(text, escape)
    return depth <= IN_PROCESS_MAX_DEPTH and continued <= IN_PROCESS_MAX_CONTINUED


def parse(text: str, budget: Budget, escape: str = "\\") -> tuple[Command, ...]:
    """Parse ``text``: in this process when :func:`in_process` says it is bounded, else in
    a child process that is killed at the budget's deadline.

    Raises :class:`ParseError` (the parser's refusal), :class:`TooComplex` (out of time)
    or :class:`Refused` (the child died, e.g. out of memory)."""
    if budget.deadline <= time.monotonic():
        raise budget.over()
    answer = _parse_here(text) if in_process(text, escape) else _parse_in_child(text, budget)
    if "parse_error" in answer:
        raise ParseError(answer["parse_error"])
    if "crash" in answer:
        raise Refused(f"the parser failed: {answer['crash']}")
    return tuple(
        Command(
            cmd,
            sub,
            bool(is_json),
            original,
            int(start),
            int(end),
            tuple(flags),
            tuple(value),
            tuple(Heredoc(name, content) for name, content in heredocs),
        )
        for cmd, sub, is_json, original, start, end, flags, value, heredocs in answer["commands"]
    )


def _parse_here(text: str) -> dict[str, Any]:
    """The child's answer, computed in this process (the same fields, the same errors)."""
    import dockerfile  # a Go extension: loaded only when a file is parsed here

    try:
        return {
            "commands": [
                [
                    c.cmd,
                    c.sub_cmd,
                    c.json,
                    c.original,
                    c.start_line,
                    c.end_line,
                    list(c.flags),
                    list(c.value),
                    [[h.name, h.content] for h in c.heredocs],
                ]
                for c in dockerfile.parse_string(text)
            ]
        }
    except dockerfile.GoParseError as exc:
        return {"parse_error": str(exc)}
    except Exception as exc:  # what the child reports as a crash
        return {"crash": f"{type(exc).__name__}: {exc}"}


def _parse_in_child(text: str, budget: Budget) -> dict[str, Any]:
    child = _POOL.take()
    try:
        answer = child.ask(text, budget.deadline)
    except TimeoutError:
        child.kill()
        raise budget.over() from None
    except (OSError, EOFError, ValueError):
        child.kill()
        raise Refused("the parser process failed on this file (out of memory?)") from None
    _POOL.give(child)
    return answer
