from __future__ import annotations

import pytest

from fixers.rules import maintainer_label
from fixers.rules.add_labels import _literal
from tests.fixers.helpers import fixed, run

AUTHORS = "org.opencontainers.image.authors"

CHANGED = [
    (
        "FROM alpine:3.20\nMAINTAINER Jane Doe <jane@example.com>\n",
        f'FROM alpine:3.20\nLABEL {AUTHORS}="Jane Doe <jane@example.com>"\n',
    ),
    # the value is kept exactly: quotes escaped, `$` literal (MAINTAINER expands nothing)
    ('FROM alpine:3.20\nMAINTAINER "Jane" $USER\n', f'FROM alpine:3.20\nLABEL {AUTHORS}="\\"Jane\\" \\$USER"\n'),
    ("FROM alpine:3.20\nMAINTAINER a\\b\n", f"FROM alpine:3.20\nLABEL {AUTHORS}='a\\b'\n"),
    # layout: case, indentation, CRLF, no final newline, several stages
    ("from alpine:3.20\n  maintainer ops\r\n", f'from alpine:3.20\n  label {AUTHORS}="ops"\r\n'),
    ("FROM alpine:3.20\nMAINTAINER ops", f'FROM alpine:3.20\nLABEL {AUTHORS}="ops"'),
    (
        "FROM golang:1.22 AS build\nMAINTAINER ops\nFROM alpine:3.20\nMAINTAINER ops\n",
        f'FROM golang:1.22 AS build\nLABEL {AUTHORS}="ops"\nFROM alpine:3.20\nLABEL {AUTHORS}="ops"\n',
    ),
    ("# escape=`\nFROM nanoserver\nMAINTAINER C:\\ops\n", f"# escape=`\nFROM nanoserver\nLABEL {AUTHORS}='C:\\ops'\n"),
    # the same value already set as the label: the MAINTAINER goes
    (
        f'FROM alpine:3.20\nLABEL {AUTHORS}="ops"\nMAINTAINER ops\nRUN true\n',
        f'FROM alpine:3.20\nLABEL {AUTHORS}="ops"\nRUN true\n',
    ),
    (
        f"FROM alpine:3.20 AS base\nLABEL {AUTHORS}=ops\nFROM base\nMAINTAINER ops\nRUN true\n",
        f"FROM alpine:3.20 AS base\nLABEL {AUTHORS}=ops\nFROM base\nRUN true\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), CHANGED)
def test_maintainer_becomes_the_authors_label(before: str, after: str) -> None:
    assert fixed(maintainer_label, before) == after


UNCHANGED = [
    "FROM alpine:3.20\nLABEL maintainer=ops\n",
    "FROM alpine:3.20\nONBUILD MAINTAINER ops\n",
    # a different authors label: a person decides which is right
    f"FROM alpine:3.20\nLABEL {AUTHORS}=dev\nMAINTAINER ops\n",
    f"FROM alpine:3.20\nMAINTAINER ops\nLABEL {AUTHORS}=$WHO\n",
    # a value no quoting carries safely through every parser
    "FROM alpine:3.20\nMAINTAINER it's C:\\ops\n",
    "# dockmend ignore=DM108\nFROM alpine:3.20\n# dockmend ignore=maintainer-label\nMAINTAINER ops\n",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(text: str) -> None:
    report = run(maintainer_label, text)
    assert report.error is None
    assert report.after.decode() == text
    assert report.fixes == [] and report.findings == []


@pytest.mark.parametrize("value", ['Jane "JD" Doe', "it's $5 ${X}", "50% <a@b.c>", "a\\tb", "`tick`"])
def test_the_builder_reads_the_value_back(value: str) -> None:
    after = fixed(maintainer_label, f"FROM alpine:3.20\nMAINTAINER {value}\n")
    label = after.splitlines()[1].removeprefix(f"LABEL {AUTHORS}=")
    assert _literal(label, "\\") == value


def test_message_and_line() -> None:
    report = run(maintainer_label, "FROM alpine:3.20\nRUN true\nMAINTAINER ops\n")
    assert [(f.code, f.line, f.message) for f in report.fixes] == [("DM108", 3, f"MAINTAINER as the label {AUTHORS}")]
