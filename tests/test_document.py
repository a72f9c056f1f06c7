from __future__ import annotations

import pytest

from fixers.document import Document, DocumentError, Stage

HEREDOCS = """\
# syntax=docker/dockerfile:1
FROM alpine:3.20 AS base
RUN <<EOF
FROM not-an-instruction
EOF
COPY <<-"A" <<B /dst
\tbody a
\tA
body b
B
run echo done
"""


def test_heredoc_bodies_are_not_instructions() -> None:
    doc = Document.parse(HEREDOCS)
    assert [i.keyword for i in doc.instructions] == ["FROM", "RUN", "COPY", "RUN"]
    run, copy = doc.instructions[1], doc.instructions[2]
    assert (run.start_line, run.header_end_line, run.end_line) == (3, 3, 5)
    assert (copy.start_line, copy.header_end_line, copy.end_line) == (6, 6, 10)
    assert [h.content for h in copy.heredocs] == ["\tbody a\n", "body b\n"]
    assert doc.heredoc_lines == {4, 5, 7, 8, 9, 10}
    assert doc.instructions[3].raw_keyword == "run"
    assert doc.directives == {"syntax": "docker/dockerfile:1"}


def test_continuations_with_comments_and_blank_lines() -> None:
    text = "FROM a\nRUN apt-get update \\\n  # comment\n\n  && apt-get install -y x\n"
    doc = Document.parse(text)
    run = doc.instructions[1]
    assert run.logical.text == "RUN apt-get update   && apt-get install -y x"
    index = run.logical.text.index("install")
    assert text[run.logical.source_offset(index) :].startswith("install -y x")
    assert run.header_end == len(text) - 1
    assert doc.comments == [(3, "# comment")]


def test_escape_directive_backtick() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  c:\\\n"
    doc = Document.parse(text)
    assert doc.escape == "`"
    assert doc.instructions[1].logical.text == "RUN dir   c:\\"


def test_crlf_and_bom_round_trip() -> None:
    data = "\ufeffFROM a\r\nRUN x\r\n".encode()
    doc = Document.parse(data)
    assert doc.bom and doc.newline == "\r\n"
    assert doc.encode() == data
    assert doc.instructions[1].start_line == 2
    assert doc.line_text(2) == "RUN x"


def test_stages_args_platform_and_references() -> None:
    text = (
        "ARG BASE=golang:1.22\n"
        "FROM --platform=$BUILDPLATFORM ${BASE} AS build\n"
        "RUN go build\n"
        "FROM build AS test\n"
        "FROM scratch\n"
        "COPY --from=build /out /out\n"
    )
    doc = Document.parse(text)
    build, test, final = doc.stages
    assert build.base_resolved == "golang:1.22" and build.platform == "$BUILDPLATFORM" and build.name == "build"
    assert test.parent == 0 and final.is_scratch and final.parent is None
    assert doc.descendants(build) == [test]
    assert doc.stage_by_ref("build") is build and doc.stage_by_ref("0") is build
    assert doc.instructions[-1].flag("from") == "build"


def test_json_form_and_onbuild() -> None:
    doc = Document.parse('FROM a\nCMD ["nginx", "-g", "daemon off;"]\nONBUILD RUN make\n')
    cmd, onbuild = doc.instructions[1], doc.instructions[2]
    assert cmd.json and cmd.args == ("nginx", "-g", "daemon off;")
    assert onbuild.sub_keyword == "RUN"


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"FROM a\nRUN \xff\n", 2, "not valid UTF-8"),
        (b"FROM a\n\x00\x01\x02", 2, "binary"),
        (b"RUN echo\n", 1, "FROM"),
        (b"# only a comment\n", 1, "no FROM"),
        (b"FROM a\nRUN x\nRUN <<EOF\nbody\n", 3, "heredoc"),
        (b"FROM a\nBOGUS x\n", 2, "unknown instruction"),
        (b"hello world\n", 1, "unknown instruction"),
    ],
)
def test_bad_files_give_a_line(data: bytes, line: int, message: str) -> None:
    with pytest.raises(DocumentError) as info:
        Document.parse(data)
    assert info.value.line == line
    assert message in info.value.message


def test_a_value_carried_down_the_lineage_is_worked_out_once_per_stage() -> None:
    doc = Document.parse(
        "FROM alpine:3.20 AS a\nENV X=1\nFROM a AS b\nFROM b AS c\nENV Y=2\nFROM alpine:3.20 AS d\nFROM a\n"
    )
    steps: list[int] = []

    def envs(before: tuple[str, ...], stage: Stage) -> tuple[str, ...]:
        steps.append(stage.index)
        return before + tuple(i.args[0] for i in stage.instructions if i.keyword == "ENV")

    answers = [doc.carried(stage, "envs", (), envs) for stage in reversed(doc.stages)]
    assert answers[::-1] == [("X",), ("X",), ("X", "Y"), (), ("X",)]
    assert sorted(steps) == [0, 1, 2, 3, 4]  # each stage once, whatever order they are asked in
    assert doc.carried(doc.stages[2], "envs", (), envs) == ("X", "Y") and len(steps) == 5
