"""A small POSIX shell tokenizer for RUN commands and wrapper scripts.

It splits a command line into simple commands with their words and spans, and notes
every shell feature it meets. It never executes anything. Fixers use the spans to
edit text in place and the features to decide when a rewrite is provably safe: when
the tokenizer is unsure, it says so (``Script.unsure``) and fixers leave the text alone.

Over 300 lines: one tokenizer (a state machine over quotes, expansions, heredocs and
lists) that every fixer reads RUNs with.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterator

from fixers.lazyre import LazyPattern
from fixers.records import field, record

OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "(", ")")
OPENERS = frozenset({"if", "while", "until", "for", "case", "select", "{"})
CLOSERS = {"fi": ("if",), "done": ("while", "until", "for", "select"), "esac": ("case",), "}": ("{",)}
LIST_OPERATORS = frozenset({"&&", "||", "|", "|&"})
_OPERATOR_STARTS = frozenset(op[0] for op in OPERATORS)
_REDIRECT = LazyPattern(r"(\d*|&)(>>|>&|<&|<<<|<<-|<<|<>|>\||>|<)")
_ASSIGNMENT = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")


@record(frozen=True)
class Word:
    raw: str
    value: str  # quotes removed, backslash escapes resolved; no expansion
    start: int
    end: int
    quoted: bool = False
    expands: bool = False  # contains $ or ` outside single quotes
    glob: bool = False  # contains an unquoted * ? or [


@record
class Command:
    words: list[Word] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0
    op_before: str = ""
    op_after: str = ""
    depth: int = 0  # inside if/loops/case/groups/subshells when > 0

    @property
    def argv(self) -> list[str]:
        return [w.value for w in self.words]

    def program_index(self) -> int:
        """Index of the first word that is not a variable assignment."""
        for i, word in enumerate(self.words):
            if not _ASSIGNMENT.match(word.raw):
                return i
        return len(self.words)

    @property
    def program(self) -> str:
        i = self.program_index()
        return self.words[i].value if i < len(self.words) else ""


@record
class Script:
    text: str
    commands: list[Command]
    features: set[str]
    unsure: bool = False  # unbalanced quotes, unknown constructs: do not rewrite

    def top_level(self) -> list[Command]:
        return [c for c in self.commands if c.depth == 0]


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.features: set[str] = set()
        self.unsure = False

    def word(self) -> Word:
        start, text = self.pos, self.text
        value: list[str] = []
        quoted = expands = glob = False
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\n<>" or self._operator_at():
                break
            if ch == "\\":
                self.features.add("escape")
                value.append(text[self.pos + 1 : self.pos + 2])
                self.pos += 2
            elif ch == "'":
                quoted = True
                self.features.add("quote")
                end = text.find("'", self.pos + 1)
                if end < 0:
                    self.unsure, end = True, len(text)
                value.append(text[self.pos + 1 : end])
                self.pos = end + 1
            elif ch == '"':
                quoted = True
                self.features.add("quote")
                expands |= self._double_quoted(value)
            elif ch == "$" or ch == "`":
                expands = True
                self.features.add("expansion")
                value.append(self._expansion())
            else:
                if ch in "*?[":
                    glob = True
                    self.features.add("glob")
                elif ch == "~" and self.pos == start:
                    self.features.add("tilde")
                    expands = True
                value.append(ch)
                self.pos += 1
        raw = text[start : self.pos]
        return Word(raw, "".join(value), start, self.pos, quoted, expands, glob)

    def _double_quoted(self, value: list[str]) -> bool:
        text, expands = self.text, False
        self.pos += 1
        while self.pos < len(text) and text[self.pos] != '"':
            ch = text[self.pos]
            if ch == "\\" and self.pos + 1 < len(text):
                nxt = text[self.pos + 1]
                value.append(nxt if nxt in '$`"\\\n' else ch + nxt)
                self.pos += 2
            elif ch in "$`":
                expands = True
                self.features.add("expansion")
                value.append(self._expansion())
            else:
                value.append(ch)
                self.pos += 1
        if self.pos >= len(text):
            self.unsure = True
        self.pos += 1
        return expands

    def _expansion(self) -> str:
        """Skip a $name, ${...}, $(...), $((...)) or `...`; return its raw text."""
        text, start = self.text, self.pos
        if text[start] == "`":
            end = text.find("`", start + 1)
            self.features.add("substitution")
            if end < 0:
                self.unsure, end = True, len(text) - 1
            self.pos = end + 1
        elif text.startswith("$(", start) or text.startswith("${", start):
            if text.startswith("$(", start):
                self.features.add("substitution")
            depth, self.pos = 0, start + 1
            while self.pos < len(text):
                ch = text[self.pos]
                if ch in "({":
                    depth += 1
                elif ch in ")}":
                    depth -= 1
                    if depth == 0:
                        break
                elif ch == "'":
                    nxt = text.find("'", self.pos + 1)
                    self.pos = nxt if nxt > 0 else len(text)
                elif ch == "\\":
                    self.pos += 1
                self.pos += 1
            if self.pos >= len(text):
                self.unsure = True
            self.pos += 1
        else:
            match = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]?)").match(text, start)
            assert match is not None
            self.pos = match.end()
        return text[start : self.pos]

    def _operator_at(self) -> str:
        if self.pos >= len(self.text) or self.text[self.pos] not in _OPERATOR_STARTS:
            return ""
        for op in OPERATORS:
            if self.text.startswith(op, self.pos):
                return op
        return ""


# The scripts of the file being fixed (see file_scope): every fixer and check reads the
# same RUNs, and a file may hold more of them than the process-wide cache keeps.
_FILE_SCRIPTS: contextvars.ContextVar[dict[str, Script] | None] = contextvars.ContextVar("scripts", default=None)


_FILE_MEMO: contextvars.ContextVar[dict[object, object] | None] = contextvars.ContextVar("memo", default=None)


@contextlib.contextmanager
def file_scope() -> Iterator[None]:
    """Within it (one file's fixing), every script parsed is kept until the scope ends,
    and :func:`file_memo` gives other analyses of the same text a place to keep theirs."""
    token, memo = _FILE_SCRIPTS.set({}), _FILE_MEMO.set({})
    try:
        yield
    finally:
        _FILE_SCRIPTS.reset(token)
        _FILE_MEMO.reset(memo)


def file_memo() -> dict[object, object] | None:
    """The current file's memo (None outside :func:`file_scope`): keys must be
    hashable and name their analysis; values must never be mutated by callers."""
    return _FILE_MEMO.get()


def parse(text: str) -> Script:
    """Split ``text`` into simple commands. Newlines separate commands like ``;``.

    Cached: every fixer and check reads the same RUNs; callers never mutate the result."""
    scripts = _FILE_SCRIPTS.get()
    if scripts is None:
        return _parse_cached(text)
    found = scripts.get(text)
    if found is None:
        found = scripts[text] = _parse_cached(text)
    return found


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Script:
    lex = _Lexer(text)
    commands: list[Command] = []
    current = Command(start=0)
    stack: list[str] = []  # open compound commands, groups and subshells
    op_before = ""

    def finish(op: str) -> None:
        nonlocal current, op_before
        if current.words or current.redirects:
            current.op_before, current.op_after = op_before, op
            commands.append(current)
        op_before = op
        current = Command(start=lex.pos, depth=len(stack))

    while lex.pos < len(text):
        ch = text[lex.pos]
        if ch in " \t":
            lex.pos += 1
            continue
        if ch == "\n":
            lex.pos += 1
            if not (current.words or current.redirects) and op_before in LIST_OPERATORS:
                continue  # a line break after && || | continues the list
            finish("\n")
            continue
        if ch == "#" and (lex.pos == 0 or text[lex.pos - 1] in " \t\n;&|()"):
            end = text.find("\n", lex.pos)
            lex.features.add("comment")
            lex.pos = len(text) if end < 0 else end
            continue
        if _redirect(lex, current):
            continue
        op = lex._operator_at()
        if op:
            lex.features.add(op)
            current.end = current.end or lex.pos
            _nest(lex, stack, op, current)
            lex.pos += len(op)
            finish(op)
            continue
        if not current.words and not current.redirects:
            current.start = lex.pos
            current.depth = len(stack)
        word = lex.word()
        if word.end == word.start:  # a character no rule consumed
            lex.unsure = True
            lex.pos += 1
            continue
        if current.program_index() == len(current.words):
            _keyword(lex, stack, word, current)
        current.words.append(word)
        current.end = word.end
    finish("")
    if stack:
        lex.unsure = True
    return Script(text, commands, lex.features, lex.unsure)


def _redirect(lex: _Lexer, current: Command) -> bool:
    text, ch = lex.text, lex.text[lex.pos]
    redirect = _REDIRECT.match(text, lex.pos)
    if not (redirect and (redirect.group(1) or ch in "<>")):
        return False
    lex.features.add("redirect")
    if redirect.group(2).startswith("<<") and redirect.group(2) != "<<<":
        lex.features.add("heredoc")
        lex.unsure = True
    lex.pos = redirect.end()
    while lex.pos < len(text) and text[lex.pos] in " \t":
        lex.pos += 1
    target = lex.word() if lex.pos < len(text) else None
    current.redirects.append(redirect.group(0) + (target.raw if target else ""))
    current.end = lex.pos
    return True


def _nest(lex: _Lexer, stack: list[str], op: str, current: Command) -> None:
    """Track subshells; a ``)`` inside ``case`` ends a pattern, not a subshell."""
    if op == "(":
        if stack and stack[-1] == "case" and not current.words:
            return  # the optional ( before a case pattern
        lex.features.add("subshell")
        stack.append("(")
    elif op == ")":
        if stack and stack[-1] == "(":
            stack.pop()
        elif not (stack and stack[-1] == "case"):
            lex.unsure = True


def _keyword(lex: _Lexer, stack: list[str], word: Word, current: Command) -> None:
    """Reserved words at command position open and close compound commands."""
    if word.quoted:
        return
    if word.value in OPENERS:
        lex.features.add("compound")
        stack.append(word.value)
    elif word.value in CLOSERS:
        if stack and stack[-1] in CLOSERS[word.value]:
            stack.pop()
        else:
            lex.unsure = True
    current.depth = len(stack)
    if word.value == "function" or lex.text.startswith("()", word.end):
        lex.features.add("function")
        lex.unsure = lex.unsure or word.value != "function"
