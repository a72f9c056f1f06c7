"""DM109: ``ADD`` of local files and folders becomes ``COPY`` (hadolint DL3020)."""

from __future__ import annotations

import posixpath
import re

from fixers.base import Context, ContextFiles, Fix, FixResult, Risk
from fixers.document import Document, Instruction
from fixers.edits import Edit
from fixers.lazyre import LazyPattern

CODE = "DM109"
NAME = "add-to-copy"
RISK = Risk.SAFE
GUIDELINE = "Use COPY for local files; ADD only for what needs it (URLs, archives to unpack)"
MESSAGE = "ADD of local files: COPY does the same without ADD's surprises"
EXPLANATION = """\
`ADD` does more than copy: it downloads URLs, clones git repositories and unpacks a
local tar archive (by its content, whatever its name) into the destination. For plain
files and folders `COPY` does exactly the same and says so (hadolint DL3020, Docker's
best practices): a reader need not wonder whether `ADD app.bin /opt/` unpacks.

    ADD --chown=app requirements.txt /app/

becomes

    COPY --chown=app requirements.txt /app/

dockmend rewrites an ADD only when every source is known not to be an archive ADD
would unpack: a folder (`.`, `src/`), or a file whose first bytes in the build context
are not a tar, gzip, bzip2, xz or zstd stream, or, when the file cannot be read, a name
whose extension no archive uses (`.sh`, `.py`, `.conf`, `.json`, …). URLs, git sources,
variables, globs that could match an archive, heredocs and ADD-only flags
(`--checksum`, `--keep-git-dir`, `--unpack`) are left alone. `--chown`, `--chmod` and
`--link` mean the same for COPY. The image's files are the same."""
NEEDS_NETWORK = False

_COPY_FLAGS = frozenset({"--chown", "--chmod", "--link"})
# Extensions no archive format ADD detects would carry; a file with one is copied as is.
_PLAIN_EXTENSIONS = (
    "sh bash py pl rb php js mjs cjs ts json yaml yml toml ini cfg conf config properties xml html htm css "
    "txt md rst csv env service socket repo list key pem crt asc gpg pub lua sql go java jar war ear class "
    "c h cpp so whl zip apk deb rpm ico png jpg jpeg gif svg webp woff woff2 ttf otf eot map lock"
)
_PLAIN = frozenset(_PLAIN_EXTENSIONS.split())
_ARCHIVE_NAME = LazyPattern(r"\.(tar|tgz|taz|tbz2?|tb2|txz|tlz|tzst|gz|bz2|xz|lzma|zst|z|Z)$", re.I)
_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")  # gzip, bzip2, xz, zstd


def fix(doc: Document, ctx: Context) -> FixResult:
    result = FixResult()
    for inst in doc.instructions:
        if inst.keyword == "ADD" and _local(inst, ctx.files):
            edit = _edit(doc, inst)
            if edit is not None:
                result.fixes.append(Fix(inst.start_line, "COPY instead of ADD: local sources, no archive", [edit]))
    return result


def _local(inst: Instruction, files: ContextFiles) -> bool:
    """Whether every source is a local file or folder that ADD copies as COPY would."""
    if inst.heredocs or len(inst.args) < 2:
        return False
    if any(flag.partition("=")[0].lower() not in _COPY_FLAGS for flag in inst.flags):
        return False
    return all(_plain_source(src, files) for src in inst.args[:-1])


def _plain_source(src: str, files: ContextFiles) -> bool:
    if "://" in src or src.startswith("git@") or any(c in src for c in "$\\\"'"):
        return False
    path = posixpath.normpath(src.lstrip("/"))
    if src.endswith("/") or path in (".", ""):
        return True  # a folder: ADD copies its contents and unpacks nothing inside it
    if any(c in path for c in "*?["):
        return _extension(path) in _PLAIN  # every match shares the pattern's extension
    data = files.read(path)
    if data is not None:
        return not _is_archive(data)
    return _extension(path) in _PLAIN


def _extension(path: str) -> str:
    name = posixpath.basename(path)
    if _ARCHIVE_NAME.search(name):
        return ""
    return name.rpartition(".")[2].lower() if "." in name.lstrip(".") else ""


def _is_archive(data: bytes) -> bool:
    """What ADD unpacks: a tar, bare or compressed (it detects by content, not by name)."""
    return data.startswith(_MAGIC) or data[257:262] == b"ustar"


def _edit(doc: Document, inst: Instruction) -> Edit | None:
    match = re.match(rf"[ \t]*({re.escape(inst.raw_keyword)})\b", doc.line_text(inst.start_line))
    if match is None:
        return None
    keyword = {"ADD": "COPY", "add": "copy"}.get(inst.raw_keyword, "Copy")
    return Edit(inst.start + match.start(1), inst.start + match.end(1), keyword)
