"""Repository-controlled text in request bodies cannot open HTML, links, images or mentions.

Each hostile text goes where a Dockerfile can put it (a fix message quoting an ARG default,
a finding, a path, a file that could not be processed); the body is rendered with the real
template and parsed by markdown-it-py with HTML and GFM tables on, as GitHub and GitLab do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.engine import markdown
from bot.engine.body import BodyInput, render_body
from fixers.base import Finding, Risk
from fixers.engine import AppliedFix, FileReport

HOSTILE = [
    '<img src="https://tracker.example/p.gif">',
    "`` ` ``<img src=x onerror=alert(1)>`` ` ``",
    "``<img src=x>`",
    "`a``<script>alert(1)</script>``b`",
    "[click here](https://phish.example/login)",
    "![pixel](https://tracker.example/p.gif)",
    "<https://phish.example>",
    "ping @acme/security-team and @alice",
    "`@alice` is fine in code but @bob is not",
    "&lt;img src=x&gt; \\<b>bold\\</b>",
    "<!-- hidden --><details open><summary>x</summary>",
    "| a | b |\n| --- | --- |",
]
OURS = {"<details>", "<summary>", "</summary>", "</details>", "<sub>", "</sub>"}  # the template's own


def rendered(text: str) -> str:
    fix = AppliedFix("DM101", "pin-base-tag", Risk.SAFE, 1, f"pin {text}")
    found = Finding("DM201", "literal-secret", 1, f"ARG TOKEN has a literal value {text}")
    report = FileReport(f"svc/{text[:20]}/Dockerfile", b"FROM a\n", b"FROM a:1\n", fixes=[fix], findings=[found])
    data = BodyInput(f"acme/{text[:10]}", "main", [report], [(report.path, found)], [("x/Dockerfile", text)])
    return render_body(data)


def tokens(body: str) -> Iterator[Token]:
    for token in MarkdownIt("commonmark", {"html": True}).enable("table").parse(body):
        yield token
        yield from token.children or ()


@pytest.mark.parametrize("text", HOSTILE)
def test_no_html_link_image_or_mention_comes_out_of_repository_text(text: str) -> None:
    body = rendered(text)
    for token in tokens(body):
        assert token.type not in ("link_open", "image", "autolink_open"), (text, token)
        if token.type in ("html_inline", "html_block"):
            content = token.content.strip()
            assert content in OURS or content.startswith("<!-- dockmend:") or content.startswith("<details>"), (
                text,
                content,
            )
        if token.type == "text":
            assert "@bob" not in token.content and "@alice" not in token.content, (text, token.content)
            assert "@acme/security-team" not in token.content, (text, token.content)


def test_code_spans_are_read_the_commonmark_way() -> None:
    assert markdown.code_spans("a `b` c") == [(False, "a "), (True, "b"), (False, " c")]
    assert markdown.code_spans("``<img>`") == [(False, "``<img>`")]  # unclosed: literal text
    assert markdown.code_spans("`a``b`") == [(True, "a``b")]
    assert markdown.code_spans("`` ` ``") == [(True, "`")]


def test_md_keeps_code_as_code_and_makes_the_rest_inert() -> None:
    assert markdown.md("pin `python:3.12` (was <b>)") == "pin `python:3.12` (was &lt;b&gt;)"
    assert markdown.md("``<img>`") == "\\`\\`&lt;img&gt;\\`"  # a stray backtick cannot pair with a later one
    assert markdown.md("[x](y)") == "\\[x\\](y)"
    assert markdown.md("cc @alice") == "cc `@alice`"
    assert markdown.md("mail a@b.example") == "mail a@b.example"  # not a mention
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.cell("a | `b|c`") == "a \\| `b\\|c`"
