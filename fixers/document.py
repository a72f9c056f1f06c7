"""The Dockerfile document model: original text, instruction spans, stages.

Instruction boundaries come from the BuildKit parser (PyPI ``dockerfile``), which is
exact on heredocs; dockmend keeps the original text and every change is a span edit
on it (see :mod:`fixers.edits`), so bytes outside the edited spans never change.

Over 300 lines: the Dockerfile model is one data structure (instructions, stages,
lineage, offsets) that every fixer reads.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import TypeVar, cast, overload

from fixers import buildkit
from fixers.buildkit import Budget
from fixers.lazyre import LazyPattern
from fixers.records import field, record

KNOWN_INSTRUCTIONS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)
MAX_SIZE = 1024 * 1024
_DIRECTIVE = LazyPattern(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC_START = LazyPattern(r"<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")
_T = TypeVar("_T")


class DocumentError(Exception):
    """A Dockerfile that cannot be processed; it is left untouched."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


class TooComplex(DocumentError):
    """The file was not parsed within its time budget (see :mod:`fixers.buildkit`)."""


class OffsetMap(Sequence[int]):
    """For each character of a logical line, its offset in the document text: stored as
    runs (a logical start and a source start per run, in arrays), not one int per
    character. Indexing is a binary search over the runs."""

    __slots__ = ("_length", "_logical", "_source")

    def __init__(self) -> None:
        self._logical = array("q")
        self._source = array("q")
        self._length = 0

    def add_run(self, source: int, count: int) -> None:
        """``count`` characters that come from ``source``, ``source + 1``, …"""
        if count <= 0:
            return
        if self._source and self._source[-1] + (self._length - self._logical[-1]) == source:
            self._length += count  # continues the last run
            return
        self._logical.append(self._length)
        self._source.append(source)
        self._length += count

    def truncate(self, length: int) -> None:
        while self._logical and self._logical[-1] >= length:
            self._logical.pop()
            self._source.pop()
        self._length = min(self._length, length)

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("offset index out of range")
        run = bisect_right(self._logical, index) - 1
        return self._source[run] + index - self._logical[run]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OffsetMap):
            return (self._length, self._logical, self._source) == (other._length, other._logical, other._source)
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._length, tuple(self._logical), tuple(self._source)))

    def __repr__(self) -> str:
        return f"OffsetMap({list(self)!r})"

    def __iter__(self) -> Iterator[int]:
        for run, start in enumerate(self._logical):
            stop = self._logical[run + 1] if run + 1 < len(self._logical) else self._length
            yield from range(self._source[run], self._source[run] + stop - start)


@record(frozen=True, slots=True)
class Logical:
    """An instruction's text as the builder sees it (continuations joined, comment
    lines dropped) with, for each character, its offset in the document text."""

    text: str
    offsets: Sequence[int]  # len(text) + 1 entries; the last is the end offset

    def source_offset(self, index: int) -> int:
        return self.offsets[index]


@record(frozen=True, slots=True)
class Heredoc:
    name: str
    content: str


@record(slots=True)
class Instruction:
    index: int
    keyword: str  # upper case: RUN, FROM, ...
    raw_keyword: str  # as written: run, Run, ...
    start_line: int  # 1-based
    end_line: int  # inclusive, heredoc bodies included
    header_end_line: int  # last line of the instruction itself (before heredoc bodies)
    flags: tuple[str, ...]
    args: tuple[str, ...]
    json: bool
    sub_keyword: str | None  # the instruction after ONBUILD
    heredocs: tuple[Heredoc, ...]
    original: str  # BuildKit's joined form
    stage: int  # index of its stage; -1 before the first FROM
    start: int = 0  # offset of the first character of start_line
    header_end: int = 0  # offset of the end of header_end_line, before its newline
    end: int = 0  # offset just after end_line's newline (or end of text)
    logical: Logical = field(default_factory=lambda: Logical("", (0,)))

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (or ``""`` for a bare ``--name``)."""
        for f in self.flags:
            key, _, value = f.partition("=")
            if key.lower() == f"--{name}":
                return value
        return None

    @property
    def command(self) -> str:
        """For shell-form RUN/CMD/ENTRYPOINT: the command text; for JSON form ''."""
        return "" if self.json else " ".join(self.args)

    def mounts(self) -> list[dict[str, str]]:
        result = []
        for f in self.flags:
            key, _, value = f.partition("=")
            if key.lower() == "--mount":
                parts = dict(p.partition("=")[::2] for p in value.split(","))
                result.append({k.strip().lower(): v.strip() for k, v in parts.items()})
        return result


@record(slots=True)
class Stage:
    index: int
    name: str | None  # lower case alias
    base: str  # the image as written (variables unexpanded)
    base_resolved: str  # with global ARG defaults substituted
    platform: str | None
    from_index: int  # index of the FROM instruction
    instructions: list[Instruction] = field(default_factory=list)
    parent: int | None = None  # index of the stage this one is built FROM, if any

    @property
    def is_scratch(self) -> bool:
        return self.base_resolved.lower() == "scratch"


@record
class Document:
    text: str  # decoded, without BOM
    bom: bool
    newline: str
    escape: str
    lines: list[str]  # keepends
    line_offsets: array[int]  # offset of each line (0-based index), and the end of the text
    instructions: list[Instruction]
    stages: list[Stage]
    directives: dict[str, str]
    global_args: dict[str, str]
    _carried: dict[str, dict[int, object]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def parse(cls, data: bytes | str, bom: bool = False, budget: Budget | None = None) -> Document:
        """Parse bytes (decoded strictly) or text; ``bom`` marks text that had one.

        BuildKit's parser runs in a child process within ``budget`` (by default a fresh
        one of :func:`fixers.buildkit.default_timeout` seconds): over it, :class:`TooComplex`."""
        doc = _parse(data, budget or Budget.start())
        doc.bom = doc.bom or bom
        return doc

    def encode(self) -> bytes:
        return (("\ufeff" if self.bom else "") + self.text).encode("utf-8")

    def line_start(self, line: int) -> int:
        return self.line_offsets[line - 1]

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``'s content, before its newline."""
        text = self.lines[line - 1]
        return self.line_offsets[line - 1] + len(text.rstrip("\r\n"))

    def line_text(self, line: int) -> str:
        return self.lines[line - 1].rstrip("\r\n")

    def line_of(self, offset: int) -> int:
        return max(1, min(bisect_right(self.line_offsets, offset), len(self.line_offsets)))

    @cached_property
    def heredoc_lines(self) -> frozenset[int]:
        return frozenset(n for i in self.instructions for n in range(i.header_end_line + 1, i.end_line + 1))

    @cached_property
    def comments(self) -> list[tuple[int, str]]:
        """Comment lines outside heredoc bodies, directives included."""
        return [
            (n, line.strip())
            for n, line in enumerate(self.lines, 1)
            if line.lstrip().startswith("#") and n not in self.heredoc_lines
        ]

    @cached_property
    def _start_lines(self) -> array[int]:
        return array("q", (i.start_line for i in self.instructions))

    @cached_property
    def _stage_names(self) -> dict[str, Stage]:
        found: dict[str, Stage] = {}
        for stage in self.stages:
            if stage.name is not None:
                found.setdefault(stage.name, stage)
        return found

    @cached_property
    def _roots(self) -> list[Stage]:
        roots: list[Stage] = []
        for stage in self.stages:  # a parent always comes before its children
            roots.append(roots[stage.parent] if stage.parent is not None else stage)
        return roots

    def instruction_at(self, line: int) -> Instruction | None:
        at = bisect_right(self._start_lines, line) - 1
        if at >= 0 and self.instructions[at].start_line <= line <= self.instructions[at].end_line:
            return self.instructions[at]
        return None

    def stage_of(self, inst: Instruction) -> Stage | None:
        return self.stages[inst.stage] if inst.stage >= 0 else None

    def stage_by_ref(self, ref: str) -> Stage | None:
        """A stage named or numbered ``ref`` (as in ``COPY --from=`` or ``FROM``)."""
        named = self._stage_names.get(ref.lower())
        if named is not None:
            return named
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def lineage(self, stage: Stage) -> list[Stage]:
        """``stage`` and the stages of this file it is built FROM, nearest first."""
        found = [stage]
        while found[-1].parent is not None:
            found.append(self.stages[found[-1].parent])
        return found

    def inherited(self, stage: Stage, name: str, own: Callable[[Stage], bool]) -> bool:
        """Whether ``own`` holds for a stage of ``stage``'s lineage. Each stage is asked once
        per ``name`` (the answers are kept), so asking for every stage is linear."""
        return self.carried(stage, f"inherited:{name}", False, lambda value, item: value or own(item))

    def carried(self, stage: Stage, name: str, start: _T, step: Callable[[_T, Stage], _T]) -> _T:
        """A value carried down ``stage``'s lineage to its end: ``step(value, each)`` for each
        stage from the root (given ``start``, the same for every call with one ``name``).
        Each stage is computed once per ``name`` (the answers are kept), so asking for
        every stage is linear."""
        known = cast(dict[int, _T], self._carried.setdefault(name, {}))
        chain: list[Stage] = []
        walk: Stage | None = stage
        while walk is not None and walk.index not in known:
            chain.append(walk)
            walk = self.stages[walk.parent] if walk.parent is not None else None
        value = known[walk.index] if walk is not None else start
        for item in reversed(chain):
            value = step(value, item)
            known[item.index] = value
        return value

    def root(self, stage: Stage) -> Stage:
        """The last of :meth:`lineage` (the stage built FROM an image), in constant time."""
        return self._roots[stage.index]

    def is_windows(self, stage: Stage) -> bool:
        """A Windows image by its base or platform: its shell is cmd or PowerShell, its paths
        are not POSIX. (A backtick ``# escape=`` hints at one too; callers that rewrite
        commands check ``escape`` as well.)"""
        root = self.root(stage)
        names = (root.base_resolved.lower(), (stage.platform or "").lower(), (root.platform or "").lower())
        return any(w in n for n in names for w in ("windows", "nanoserver", "servercore"))

    def descendants(self, stage: Stage) -> list[Stage]:
        """Stages built FROM ``stage``, directly or through others."""
        found: list[int] = []
        todo = [stage.index]
        while todo:
            children = self._children[todo.pop()]
            found += children
            todo += children
        return [self.stages[i] for i in sorted(found)]

    @cached_property
    def _children(self) -> list[list[int]]:
        children: list[list[int]] = [[] for _ in self.stages]
        for stage in self.stages:
            if stage.parent is not None:
                children[stage.parent].append(stage.index)
        return children


def decode(data: bytes | str) -> tuple[str, bool]:
    """Decode a Dockerfile strictly; returns the text without BOM and whether it had one."""
    if isinstance(data, bytes):
        if len(data) > MAX_SIZE:
            raise DocumentError(f"file is larger than {MAX_SIZE} bytes", 1)
        nul = data.find(b"\x00")
        if nul >= 0:
            raise DocumentError("binary file (NUL byte)", data.count(b"\n", 0, nul) + 1)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DocumentError("not valid UTF-8", line) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        return text[1:], True
    return text, False


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only (as the builder does), keeping line endings."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def _directives(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        key = match.group(1).lower()
        if key in found:
            break
        found[key] = match.group(2)
    return found


def _unterminated_heredoc_line(lines: list[str]) -> int:
    """Best effort: the line of a heredoc opener whose terminator never comes."""
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith("#"):
            continue
        for match in _HEREDOC_START.finditer(line):
            name = match.group(2)
            if not any(rest.strip() == name for rest in lines[n:]):
                return n
    return 1


def _buildkit(text: str, lines: list[str], escape: str, budget: Budget) -> tuple[buildkit.Command, ...]:
    try:
        buildkit.guard(text, escape)
        return buildkit.parse(text, budget, escape)
    except buildkit.TooComplex as exc:
        raise TooComplex(exc.message, exc.line) from None
    except buildkit.Refused as exc:
        raise DocumentError(exc.message, exc.line) from None
    except buildkit.ParseError as exc:
        message = str(exc).strip() or "parse error"
        if "no instructions" in message:
            raise DocumentError("no FROM instruction", 1) from None
        line = _unterminated_heredoc_line(lines) if "heredoc" in message else 1
        if "greater than max allowed size" in message:  # BuildKit's 64 KiB per line
            line = next((n for n, text in enumerate(lines, 1) if len(text.encode()) > 65535), 1)
        match = re.search(r"line (\d+)", message)
        if match:
            line = int(match.group(1))
        raise DocumentError(message, line) from None


def _heredoc_line_count(heredocs: tuple[Heredoc, ...]) -> int:
    return sum(h.content.count("\n") + 1 for h in heredocs)


def _logical(doc_lines: list[str], offsets: array[int], first: int, last: int, esc: str) -> Logical:
    chars: list[str] = []
    where = OffsetMap()
    continuing = False
    for n in range(first, last + 1):
        line = doc_lines[n - 1]
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if continuing and (not stripped or stripped.startswith("#")):
            continue
        base = offsets[n - 1]
        content = body.rstrip()
        continuing = content.endswith(esc) and n < last
        if continuing:
            content = content[: -len(esc)]
        chars.append(content)
        where.add_run(base, len(content))
        if not continuing:
            chars.append("\n")
            where.add_run(base + len(body), 1)
    text = "".join(chars).rstrip("\n")
    where.truncate(len(text))
    where.add_run(offsets[last - 1] + len(doc_lines[last - 1].rstrip("\r\n")), 1)
    return Logical(text, where)


def _substitute(value: str, args: dict[str, str]) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        default = match.group(2)
        got = args.get(name, "")
        if default is not None:
            modifier, fallback = default[:2], default[2:]
            if modifier == ":-":
                return got or fallback
            if modifier == ":+":
                return fallback if got else ""
        return got

    return re.sub(r"\$\{(\w+)(:[-+][^}]*)?\}|\$(\w+)", repl, value)


def _parse(data: bytes | str, budget: Budget) -> Document:
    text, bom = decode(data)
    lines = split_lines(text)
    offsets, pos = array("q"), 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    offsets.append(pos)  # a virtual line after the last one
    directives = _directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DocumentError(f"invalid escape directive {escape!r}", 1)
    commands = _buildkit(text, lines, escape, budget)
    newline = "\r\n" if "\r\n" in text else "\n"
    doc = Document(text, bom, newline, escape, lines, offsets, [], [], directives, {})
    for index, cmd in enumerate(commands):
        doc.instructions.append(_instruction(doc, index, cmd))
    _build_stages(doc)
    return doc


def _instruction(doc: Document, index: int, cmd: buildkit.Command) -> Instruction:
    if cmd.cmd is None or cmd.original is None:  # e.g. a line holding only the escape character
        raise DocumentError(f"a line with no instruction (only {doc.escape!r}?)", cmd.start_line)
    keyword = cmd.cmd.upper()
    if keyword not in KNOWN_INSTRUCTIONS:
        raise DocumentError(f"unknown instruction {cmd.cmd!r}", cmd.start_line)
    heredocs = tuple(Heredoc(h.name, h.content) for h in cmd.heredocs)
    header_end_line = cmd.end_line - _heredoc_line_count(heredocs)
    if header_end_line < cmd.start_line:
        header_end_line = cmd.start_line
    inst = Instruction(
        index=index,
        keyword=keyword,
        raw_keyword=cmd.cmd,
        start_line=cmd.start_line,
        end_line=cmd.end_line,
        header_end_line=header_end_line,
        flags=tuple(cmd.flags),
        args=tuple(cmd.value),
        json=cmd.json,
        sub_keyword=cmd.sub_cmd.upper() if cmd.sub_cmd else None,
        heredocs=heredocs,
        original=cmd.original,
        stage=-1,
    )
    inst.start = doc.line_start(cmd.start_line)
    inst.header_end = doc.line_end(header_end_line)
    inst.end = doc.line_offsets[cmd.end_line]
    inst.logical = _logical(doc.lines, doc.line_offsets, cmd.start_line, header_end_line, doc.escape)
    return inst


def _from_parts(inst: Instruction) -> tuple[str, str | None]:
    args = inst.args
    if not args:
        raise DocumentError("FROM without an image", inst.start_line)
    name = args[2].lower() if len(args) >= 3 and args[1].upper() == "AS" else None
    return args[0], name


def _build_stages(doc: Document) -> None:
    names: dict[str, Stage] = {}  # the first stage of each name, as stage_by_ref finds it
    for inst in doc.instructions:
        if inst.keyword == "FROM":
            base, name = _from_parts(inst)
            resolved = _substitute(base, doc.global_args)
            stage = Stage(len(doc.stages), name, base, resolved, inst.flag("platform"), inst.index)
            parent = names.get(resolved.lower()) if "/" not in resolved else None
            stage.parent = parent.index if parent else None
            doc.stages.append(stage)
            if name is not None:
                names.setdefault(name, stage)
        elif not doc.stages:
            if inst.keyword != "ARG":
                raise DocumentError(f"{inst.keyword} before the first FROM", inst.start_line)
            for arg in inst.args:
                key, _, value = arg.partition("=")
                doc.global_args[key] = value.strip("\"'")
        if doc.stages:
            inst.stage = len(doc.stages) - 1
            doc.stages[-1].instructions.append(inst)
    if not doc.stages:
        raise DocumentError("no FROM instruction", 1)
