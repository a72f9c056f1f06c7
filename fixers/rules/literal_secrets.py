"""DM201: a password, token or key written literally into the Dockerfile."""

from __future__ import annotations

import itertools
import re

from fixers.base import Context, Finding, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.lazyre import LazyPattern
from fixers.servers import Launch, run_launches

CODE = "DM201"
NAME = "literal-secret"
RISK = Risk.REPORT
GUIDELINE = "Avoid default passwords; configure them through environment variables"
MESSAGE = "a password or secret is written literally in the Dockerfile"
EXPLANATION = """\
The image guidelines ask for no default passwords (guideline 9): people who extend
or run an image forget to change them, and a well-known password in production is a
security hole. A value written into ENV or ARG, or fed to chpasswd/passwd/useradd in
a RUN, is stored in the image configuration or the build history of every stage and
can be read by anyone who can pull the image or its cache. Let the password come from
the environment at run time (`docker run -e`, a Kubernetes Secret), read it from a
file (`*_FILE=/run/secrets/...`), or pass build-time secrets with
`RUN --mount=type=secret`. If a default is truly unavoidable, print a warning at
start-up that says how to change it. dockmend reports these and never rewrites them,
and its messages never repeat the value."""
NEEDS_NETWORK = False

# A secret term is one word, or two adjacent words (API KEY), of the variable name.
_SECRET_WORDS = frozenset({"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIALS", "APIKEY"})
_SECRET_PAIRS = frozenset({("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("LICENSE", "KEY")})
# Words that may follow the term and still name the secret itself (SECRET_KEY_BASE);
# any other (…_FILE, …_PATH, …_URL, …_LENGTH) names something about it, not it.
_TRAILING_OK = frozenset({"KEY", "BASE", "HASH", "VALUE", "SALT", "STRING"})
_NOT_SECRET = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil"})
_NAME_WORDS = LazyPattern(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_REFERENCE = LazyPattern(r"\$\{\w+(?::?([-=+?])([^}]*))?\}|\$\w+")
_LOCKED = frozenset({"*", "!", "!!", "x"})


def is_secret_name(name: str) -> bool:
    words = [w.upper() for w in _NAME_WORDS.findall(name)]
    for i, word in enumerate(words):
        end = i + 1 if word in _SECRET_WORDS else i + 2 if tuple(words[i : i + 2]) in _SECRET_PAIRS else 0
        if end and all(w in _TRAILING_OK or w.isdigit() for w in words[end:]):
            return True
    return False


def is_literal(value: str) -> bool:
    """A value that is neither empty, a reference to another variable, a path nor a flag."""
    value = _unquote(value.strip())
    if value.startswith(("/", "./", "~/")):
        return False
    rest = _REFERENCE.sub(lambda m: m.group(2) if m.group(1) in ("-", "=") else "", value).strip()
    return bool(_unquote(rest)) and rest.lower() not in _NOT_SECRET


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _variables(inst: Instruction) -> list[tuple[str, str | None]]:
    if inst.keyword == "ENV":
        return list(zip(inst.args[::2], inst.args[1::2], strict=False))
    pairs = [arg.partition("=") for arg in inst.args]
    return [(key, value if sep else None) for key, sep, value in pairs]


def _variable_findings(inst: Instruction) -> list[Finding]:
    what = "value" if inst.keyword == "ENV" else "default value"
    return [
        Finding(CODE, NAME, inst.start_line, f"{inst.keyword} {key} has a literal {what}")
        for key, value in _variables(inst)
        if value is not None and is_secret_name(key) and is_literal(value)
    ]


def _literal_word(launch: Launch) -> bool:
    """An echo/printf of a literal, or of ``$USER:literal`` (chpasswd's input)."""
    if launch.program not in ("echo", "printf"):
        return False
    data = [w for w in launch.words[1:] if not w.value.startswith("-")]
    return any(not w.expands or re.fullmatch(r"[^:]*:[^$`]*", w.raw) for w in data)


def _password_command(prev: Launch | None, launch: Launch) -> str | None:
    """The program that sets a password from a literal, if ``launch`` does."""
    piped = prev is not None and prev.op_after == "|" and _literal_word(prev)
    if launch.program in ("chpasswd", "passwd") and piped:
        return launch.program
    here = [r for r in launch.redirects if r.startswith("<<<")]
    if launch.program in ("chpasswd", "passwd") and here and not re.search(r"[$`]", here[0]):
        return launch.program
    if launch.program in ("useradd", "usermod", "adduser"):
        for flag, value in itertools.pairwise(launch.words):
            if flag.value in ("-p", "--password") and not value.expands and value.value not in _LOCKED:
                return launch.program
    args = launch.argv[1:]
    if launch.program == "htpasswd" and args and re.fullmatch(r"-\w*b\w*", args[0]) and not launch.words[-1].expands:
        return launch.program
    return None


def _run_findings(inst: Instruction) -> list[Finding]:
    launches = run_launches(inst)
    programs = {_password_command(prev, cur) for prev, cur in zip([None, *launches], launches, strict=False)}
    return [
        Finding(CODE, NAME, inst.start_line, f"RUN sets a password from a literal with {program}")
        for program in sorted(p for p in programs if p)
    ]


def fix(doc: Document, ctx: Context) -> FixResult:
    findings: list[Finding] = []
    for inst in doc.instructions:
        if inst.keyword in ("ENV", "ARG"):
            findings += _variable_findings(inst)
        elif inst.keyword == "RUN":
            findings += _run_findings(inst)
    return FixResult(findings=findings)
