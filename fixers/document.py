"""The Dockerfile document model: original text, instruction spans, stages.

Instruction boundaries come from the BuildKit parser (PyPI ``dockerfile``), which is
exact on heredocs; dockmend keeps the original text and every change is a span edit
on it (see :mod:`fixers.edits`), so bytes outside the edited spans never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import dockerfile

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
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC_START = re.compile(r"<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")


class DocumentError(Exception):
    """A Dockerfile that cannot be processed; it is left untouched."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Logical:
    """An instruction's text as the builder sees it (continuations joined, comment
    lines dropped) with, for each character, its offset in the document text."""

    text: str
    offsets: tuple[int, ...]  # len(text) + 1 entries; the last is the end offset

    def source_offset(self, index: int) -> int:
        return self.offsets[index]


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str


@dataclass
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


@dataclass
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


@dataclass
class Document:
    text: str  # decoded, without BOM
    bom: bool
    newline: str
    escape: str
    lines: list[str]  # keepends
    line_offsets: list[int]  # offset of each line (0-based index)
    instructions: list[Instruction]
    stages: list[Stage]
    directives: dict[str, str]
    global_args: dict[str, str]

    @classmethod
    def parse(cls, data: bytes | str, bom: bool = False) -> Document:
        """Parse bytes (decoded strictly) or text; ``bom`` marks text that had one."""
        doc = _parse(data)
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
        lo, hi = 0, len(self.line_offsets) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_offsets[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

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

    def instruction_at(self, line: int) -> Instruction | None:
        for inst in self.instructions:
            if inst.start_line <= line <= inst.end_line:
                return inst
        return None

    def stage_of(self, inst: Instruction) -> Stage | None:
        return self.stages[inst.stage] if inst.stage >= 0 else None

    def stage_by_ref(self, ref: str) -> Stage | None:
        """A stage named or numbered ``ref`` (as in ``COPY --from=`` or ``FROM``)."""
        for stage in self.stages:
            if stage.name is not None and stage.name == ref.lower():
                return stage
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def lineage(self, stage: Stage) -> list[Stage]:
        """``stage`` and the stages of this file it is built FROM, nearest first."""
        found = [stage]
        while found[-1].parent is not None:
            found.append(self.stages[found[-1].parent])
        return found

    def is_windows(self, stage: Stage) -> bool:
        """A Windows image by its base or platform: its shell is cmd or PowerShell, its paths
        are not POSIX. (A backtick ``# escape=`` hints at one too; callers that rewrite
        commands check ``escape`` as well.)"""
        root = self.lineage(stage)[-1]
        names = (root.base_resolved.lower(), (stage.platform or "").lower(), (root.platform or "").lower())
        return any(w in n for n in names for w in ("windows", "nanoserver", "servercore"))

    def descendants(self, stage: Stage) -> list[Stage]:
        """Stages built FROM ``stage``, directly or through others."""
        found: list[Stage] = []
        frontier = {stage.index}
        for other in self.stages[stage.index + 1 :]:
            if other.parent in frontier:
                found.append(other)
                frontier.add(other.index)
        return found


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


def _buildkit(text: str, lines: list[str]) -> tuple[dockerfile.Command, ...]:
    try:
        commands: tuple[dockerfile.Command, ...] = dockerfile.parse_string(text)
        return commands
    except dockerfile.GoParseError as exc:
        message = str(exc).strip() or "parse error"
        if "no instructions" in message:
            raise DocumentError("no FROM instruction", 1) from None
        line = _unterminated_heredoc_line(lines) if "heredoc" in message else 1
        match = re.search(r"line (\d+)", message)
        if match:
            line = int(match.group(1))
        raise DocumentError(message, line) from None


def _heredoc_line_count(heredocs: tuple[Heredoc, ...]) -> int:
    return sum(h.content.count("\n") + 1 for h in heredocs)


def _logical(doc_lines: list[str], offsets: list[int], first: int, last: int, esc: str) -> Logical:
    chars: list[str] = []
    where: list[int] = []
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
        chars.extend(content)
        where.extend(range(base, base + len(content)))
        if not continuing:
            end = base + len(body)
            chars.append("\n")
            where.append(end)
    text = "".join(chars).rstrip("\n")
    where = where[: len(text)]
    where.append(offsets[last - 1] + len(doc_lines[last - 1].rstrip("\r\n")))
    return Logical(text, tuple(where))


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


def _parse(data: bytes | str) -> Document:
    text, bom = decode(data)
    lines = split_lines(text)
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    offsets.append(pos)  # a virtual line after the last one
    directives = _directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DocumentError(f"invalid escape directive {escape!r}", 1)
    commands = _buildkit(text, lines)
    newline = "\r\n" if "\r\n" in text else "\n"
    doc = Document(text, bom, newline, escape, lines, offsets, [], [], directives, {})
    for index, cmd in enumerate(commands):
        doc.instructions.append(_instruction(doc, index, cmd))
    _build_stages(doc)
    return doc


def _instruction(doc: Document, index: int, cmd: dockerfile.Command) -> Instruction:
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
    for inst in doc.instructions:
        if inst.keyword == "FROM":
            base, name = _from_parts(inst)
            resolved = _substitute(base, doc.global_args)
            stage = Stage(len(doc.stages), name, base, resolved, inst.flag("platform"), inst.index)
            parent = doc.stage_by_ref(resolved) if "/" not in resolved else None
            stage.parent = parent.index if parent and parent.name == resolved.lower() else None
            doc.stages.append(stage)
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
