from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from fixers.base import Context
from fixers.rules import add_to_copy
from tests.fixers.helpers import fixed, run


class Files:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("a.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"a"))
    return out.getvalue()


CONTEXT = Files(
    {"app.bin": b"\x7fELF\x02", "rootfs": gzip.compress(_tar()), "plain.tar.txt": _tar(), "run": b"#!/bin/sh\n"}
)

CHANGED = [
    ("FROM alpine:3.20\nADD app.py /app/\n", "FROM alpine:3.20\nCOPY app.py /app/\n"),
    ("FROM alpine:3.20\nADD . /app\n", "FROM alpine:3.20\nCOPY . /app\n"),
    (
        "FROM alpine:3.20\nADD src/ conf/nginx.conf /etc/app/\n",
        "FROM alpine:3.20\nCOPY src/ conf/nginx.conf /etc/app/\n",
    ),
    ("FROM alpine:3.20\nADD *.sh /usr/local/bin/\n", "FROM alpine:3.20\nCOPY *.sh /usr/local/bin/\n"),
    (
        "FROM alpine:3.20\nADD --chown=app:app --chmod=755 --link run.sh /\n",
        "FROM alpine:3.20\nCOPY --chown=app:app --chmod=755 --link run.sh /\n",
    ),
    ('FROM alpine:3.20\nADD ["a b.json", "/etc/"]\n', 'FROM alpine:3.20\nCOPY ["a b.json", "/etc/"]\n'),
    ("from alpine:3.20\n  add app.py /app/\r\n", "from alpine:3.20\n  copy app.py /app/\r\n"),
    ("FROM alpine:3.20\nAdd app.py \\\n  /app/\n", "FROM alpine:3.20\nCopy app.py \\\n  /app/\n"),
    # read from the build context: neither an ELF binary nor a script is an archive
    ("FROM alpine:3.20\nADD app.bin run /opt/\n", "FROM alpine:3.20\nCOPY app.bin run /opt/\n"),
]


@pytest.mark.parametrize(("before", "after"), CHANGED)
def test_local_sources_are_copied(before: str, after: str) -> None:
    assert fixed(add_to_copy, before, Context(files=CONTEXT)) == after


UNCHANGED = [
    "FROM alpine:3.20\nADD https://example.com/app.py /app/\n",
    "FROM alpine:3.20\nADD git@github.com:acme/app.git /src\n",
    "FROM alpine:3.20\nADD --keep-git-dir=true https://github.com/acme/app.git /src\n",
    "FROM alpine:3.20\nADD --checksum=sha256:" + "a" * 64 + " app.py /app/\n",
    # archives ADD unpacks, by name or by content
    "FROM alpine:3.20\nADD rootfs.tar.gz /\n",
    "FROM alpine:3.20\nADD app.py vendor.tgz /app/\n",
    "FROM alpine:3.20\nADD rootfs /\n",  # gzip-compressed tar, no extension
    "FROM alpine:3.20\nADD plain.tar.txt /\n",  # a tar whatever its name
    # not known: no extension and not readable (a folder? an archive?), variables, wide globs
    "FROM alpine:3.20\nADD src /app/src\n",
    "FROM alpine:3.20\nADD $SRC /app/\n",
    "FROM alpine:3.20\nADD * /app/\n",
    "FROM alpine:3.20\nADD <<EOF /etc/motd\nhi\nEOF\n",
    "FROM alpine:3.20\nONBUILD ADD app.py /app/\n",
    "FROM alpine:3.20\n# dockmend ignore=add-to-copy\nADD app.py /app/\n",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(text: str) -> None:
    report = run(add_to_copy, text, Context(files=CONTEXT))
    assert report.error is None
    assert report.after.decode() == text
    assert report.fixes == []


def test_message_and_line() -> None:
    report = run(add_to_copy, "FROM alpine:3.20\nRUN true\nADD app.py /\n")
    assert [(f.code, f.line, f.message) for f in report.fixes] == [
        ("DM109", 3, "COPY instead of ADD: local sources, no archive")
    ]
