"""The docs stay true: generated pages up to date, every fixer and section present, links resolve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli import docs as docsgen
from bot.service.web.metrics import Metrics
from bot.settings.output import schema
from bot.settings.secrets import REFERENCE_PATTERN
from fixers.registry import FIXERS

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)


def links(doc: Path) -> list[str]:
    """Link targets outside code: fenced blocks and code spans may show ``[x](y)`` as text."""
    text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
    return LINK.findall(re.sub(r"`[^`\n]*`", "", text))


def page(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(docsgen.pages()))
def test_generated_page_is_up_to_date(path: str) -> None:
    on_disk = (ROOT / path).read_text(encoding="utf-8") if (ROOT / path).is_file() else None
    assert on_disk == docsgen.pages()[path], f"{path} is out of date: run `python -m bot.cli.docs`"


@pytest.mark.parametrize("code", sorted(FIXERS))
def test_every_fixer_has_a_section(code: str) -> None:
    fixers = page("fixers.md")
    fixer = FIXERS[code]
    assert f'<a id="{code.lower()}"></a>\n\n## {code} `{fixer.NAME}`' in fixers
    assert fixer.EXPLANATION.strip() in fixers
    assert f"# dockmend ignore={code}" in fixers


@pytest.mark.parametrize("key", list(schema()["properties"]))
def test_every_top_level_config_key_has_a_section(key: str) -> None:
    assert f'<a id="{key}"></a>\n\n## `{key}`' in page("configuration.md")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_point_to_files(doc: Path) -> None:
    missing = []
    for target in links(doc):
        path = target.split("#", 1)[0]
        if path and not re.match(r"[a-z]+:", path) and not (doc.parent / path).exists():
            missing.append(target)
    assert missing == [], f"{doc.name} links to files that do not exist"


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    text = doc.read_text(encoding="utf-8")
    return set(ANCHOR.findall(text)) | {github_slug(h) for h in HEADING.findall(text)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_anchor_links_resolve(doc: Path) -> None:
    broken = []
    for target in links(doc):
        path, _, fragment = target.partition("#")
        if fragment and not re.match(r"[a-z]+:", path):
            linked = (doc.parent / path) if path else doc
            if linked.suffix == ".md" and linked.is_file() and fragment not in anchors(linked):
                broken.append(target)
    assert broken == [], f"{doc.name} links to anchors that do not exist"


def test_operations_lists_exactly_the_exported_metrics() -> None:
    # prometheus_client names a counter without its _total suffix; /metrics shows it with
    exported = {m.name + "_total" if m.type == "counter" else m.name for m in Metrics().registry.collect()}
    documented = set(re.findall(r"`(dockmend_[a-z_]+)(?:\{[^}]*\})?`", page("operations.md")))
    histogram_parts = {name + suffix for name in exported for suffix in ("_bucket", "_sum", "_count")}
    assert documented - histogram_parts == exported


# A small schema, rendered: each row is what one property becomes in its table.
ROWS: list[tuple[dict[str, Any], str]] = [
    (
        {"type": "string", "default": "minor", "enum": ["major", "minor"]},
        "| `k` | string | `minor` | no | `major`, `minor` |   |",
    ),
    (
        {"type": "integer", "default": 10, "minimum": 0, "description": "Per run."},
        "| `k` | integer | `10` | no | ≥ 0 | Per run. |",
    ),
    (
        {"anyOf": [{"type": "string"}, {"items": {"type": "string"}, "type": "array"}], "default": ["*"]},
        '| `k` | list of strings | `["*"]` | no |   |   |',
    ),
    (
        {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": None},
        "| `k` | integer | unset | no | ≥ 1 |   |",
    ),
    (
        {"type": "string", "pattern": REFERENCE_PATTERN},
        "| `k` | secret reference | — | yes | `${ENV_VAR}` or `file:PATH` |   |",
    ),
    (
        {"type": "string", "default": "0 6 * * mon", "description": "a | b"},
        '| `k` | string | `"0 6 * * mon"` | no |   | a \\| b |',
    ),
    (
        {"type": "boolean", "default": False, "description": "two\nlines"},
        "| `k` | boolean | `false` | no |   | two lines |",
    ),
    ({"$ref": "#/$defs/Inner"}, "| `k` | [Inner](#top-k) | — | yes |   | The inner model. |"),
]


@pytest.mark.parametrize(("prop", "row"), ROWS)
def test_a_property_renders_as_one_table_row(prop: dict[str, Any], row: str) -> None:
    inner = {"type": "object", "title": "Inner", "description": "The inner model.", "properties": {}}
    model = {
        "type": "object",
        "title": "Top",
        "properties": {"k": prop},
        "required": [] if "default" in prop else ["k"],
    }
    document = {"$defs": {"Top": model, "Inner": inner}, "properties": {"top": {"$ref": "#/$defs/Top"}}}
    assert row in docsgen.configuration_page(document).splitlines()


def test_a_model_change_changes_the_page() -> None:
    changed = schema()
    changed["$defs"]["Web"]["properties"]["new_key"] = {"type": "boolean", "default": True, "description": "New."}
    assert docsgen.configuration_page(changed) != docsgen.configuration_page()
    assert "| `new_key` | boolean | `true` | no |   | New. |" in docsgen.configuration_page(changed)


def test_check_names_the_stale_pages_and_writing_fixes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / docsgen.FIXER_PAGE).write_text(docsgen.fixers_page() + "edited by hand\n", encoding="utf-8")
    assert docsgen.main(["--check", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path} is out of date: run `python -m bot.cli.docs`" for path in (docsgen.CONFIGURATION, docsgen.FIXER_PAGE)
    ]
    assert docsgen.main(["--root", str(tmp_path)]) == 0
    assert docsgen.main(["--check", "--root", str(tmp_path)]) == 0
    assert (tmp_path / docsgen.FIXER_PAGE).read_text(encoding="utf-8") == docsgen.fixers_page()
