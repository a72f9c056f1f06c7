"""Golden request bodies and titles: a typical request and a large one, made by the real
fixers (the registry is a table), rendered by the real template, read back with
markdown-it-py as GitHub and GitLab read them, and checked for their facts: the visible
length, counts that are the table's, from→to of images, excerpts under the file that
changed and no phantom edit.

``DOCKMEND_UPDATE_GOLDEN=1`` rewrites the files in ``golden/`` (then read the diff).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.engine.body import BodyError
from bot.engine.plan import PlanContext, build_plan, check_title_template, file_updates
from bot.engine.repoconfig import RepoConfig
from bot.platforms.base import ChangePlan, Repo
from bot.settings.targets import Target, TargetSettings
from fixers.base import Context, ImagePolicy
from fixers.engine import FileReport, run_fixers
from fixers.registry import FIXERS, by_name
from tests.registry.fake import D, TableResolver

GOLDEN = Path(__file__).parent / "golden"
RESOLVER = TableResolver(
    {
        "docker.io/library/alpine": {"latest": D("a"), "3.20": D("a"), "3.20.3": D("a"), "3": D("a"), "3.19": D("b")},
        "docker.io/library/python": {
            "3.11.2-slim-bookworm": D("5"),
            "3.11.9-slim-bookworm": D("6"),
            "3.12.4-slim-bookworm": D("7"),
        },
        "docker.io/library/debian": {"bookworm-slim": D("d"), "12.6-slim": D("d"), "12-slim": D("d")},
    }
)
ENTRYPOINT = '#!/bin/sh\nset -e\necho "starting"\n/usr/local/bin/server "$@"\n'
API = (  # a base image to update, apt caches, a shell-form CMD; a blank line at the end stays
    "FROM python:3.11.2-slim-bookworm\nENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "COPY . /app\nUSER 1000\nCMD python -m api\n\n"
)
WORKER = 'FROM alpine\nRUN apk add curl\nUSER 1000\nCMD ["worker"]\n'  # a tag to pin, apk's cache
GATEWAY = (  # an entrypoint script that does not exec
    "FROM debian:bookworm-slim\nCOPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh\n"
    'USER 1000\nENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]\n'
)
CODES = ("DM101", "DM102", "DM103", "DM104", "DM106", "DM107", "DM108", "DM109", "DM110", "DM111", "DM201", "DM206")


@dataclass(frozen=True)
class Files:
    files: dict[str, bytes]

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


def fixed(path: str, text: str, context: dict[str, str] | None = None) -> FileReport:
    files = Files({k: v.encode() for k, v in (context or {}).items()})
    ctx = Context(path=path, files=files, offline=False, resolver=RESOLVER, policy=ImagePolicy())
    report = run_fixers(path, text.encode(), ctx, [FIXERS[c] for c in CODES], by_name())
    assert report.error is None, report.error
    return report


def typical() -> list[FileReport]:
    return [
        fixed("services/api/Dockerfile", API),
        fixed("services/worker/Dockerfile", WORKER),
        fixed("gateway/Dockerfile", GATEWAY, {"docker-entrypoint.sh": ENTRYPOINT}),
    ]


def large() -> list[FileReport]:
    reports = [fixed(f"services/svc-{n:02d}/Dockerfile", API if n % 2 else WORKER) for n in range(24)]
    return [*reports, fixed("gateway/Dockerfile", GATEWAY, {"docker-entrypoint.sh": ENTRYPOINT})]


REPO = Repo("here", "acme/platform", "acme/platform", "main", "https://forge/acme/platform", head_sha="a" * 40)


def plan(reports: list[FileReport], title_template: str | None = None) -> ChangePlan:
    settings = TargetSettings(Target("t", "here", ""), title_template=title_template)
    findings = [(r.path, f) for r in reports for f in r.findings]
    context = PlanContext(REPO, "b" * 40, settings, RepoConfig(), {}, findings, run_id="RUN", version="1.0")
    made = build_plan(context, None, [r for r in reports if r.fixes])
    assert made is not None
    return made


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("DOCKMEND_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return path.read_text()


def visible(body: str) -> list[str]:
    """The lines a reader sees before opening anything: outside ``<details>`` (each folded
    block shows its summary line), without blank lines and HTML comments."""
    shown, depth = [], 0
    for line in body.splitlines():
        opened, closed = line.count("<details>"), line.count("</details>")
        if depth == 0 and opened:
            shown.append(line)
        depth += opened - closed
        if depth == 0 and not opened and not closed and line.strip() and not re.fullmatch(r"<!--.*-->", line):
            shown.append(line)
    assert depth == 0
    return shown


def table(body: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for token in MarkdownIt("commonmark").enable("table").parse(body):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and token.level > 3:
            rows[-1].append(token.content)
    return rows


def changes_in(cell: str) -> int:
    """A Change cell's count: "3 changes, lines …", or one per image moved."""
    counted = re.match(r"(\d+) changes?, ", cell)
    return int(counted.group(1)) if counted else cell.count(" → ")


def check_facts(made: ChangePlan, reports: list[FileReport]) -> tuple[list[list[str]], list[str]]:
    body = made.body
    lines = body.splitlines()
    assert re.fullmatch(r"<!-- dockmend:fingerprint=[0-9a-f]{24} -->", lines[0])
    assert re.fullmatch(r"<!-- dockmend:findings=[0-9a-f]{16} -->", lines[1])
    header, *rows = table(body)
    assert header == ["Fix", "File", "Change", "Risk"]
    intro = re.search(r"^dockmend proposes (\d+) changes? to (.+?) of \*\*", body, re.M)
    assert intro is not None
    paths = {cell.strip("`") for _, cell, _, _ in rows}
    committed = {f.path for f in file_updates([r for r in reports if r.fixes], {})}
    assert paths == committed  # the table names every file the commit changes, scripts too
    assert int(intro.group(1)) == sum(changes_in(row[2]) for row in rows)
    assert int(intro.group(1)) == sum(len(r.fixes) for r in reports)
    dockerfiles = sum(p.endswith("Dockerfile") for p in paths)
    others = len(paths) - dockerfiles
    said = f"{dockerfiles} Dockerfile{'s' * (dockerfiles != 1)}" + (
        f" and {others} other file{'s' * (others != 1)}" if others else ""
    )
    assert intro.group(2) == said and made.title.endswith(f"({said})")
    assert "- [ ] <!-- dockmend:rebase --> rebase / retry this request" in lines
    tokens = MarkdownIt("commonmark").parse(body)
    box = next(i for i, t in enumerate(tokens) if t.type == "inline" and "dockmend:rebase" in t.content)
    opened = max(i for i in range(box) if tokens[i].type == "bullet_list_open")
    assert [t.type for t in tokens[opened:box]].count("list_item_open") == 1  # a list of its own
    for code in sorted({f.code for r in reports for f in r.fixes}):  # explained once, folded
        assert body.count(f"\n### {code} {FIXERS[code].NAME}\n") == 1
    # DM107's excerpt sits under the script it changed, the Dockerfile that runs it named
    script = body.index("`gateway/docker-entrypoint.sh` (run by `gateway/Dockerfile`):\n")
    excerpt = body[script:].split("```diff\n", 1)[1].split("```", 1)[0]
    assert '-/usr/local/bin/server "$@"\n+exec /usr/local/bin/server "$@"\n' in excerpt
    # no phantom edit: the blank line that ends the api Dockerfile is not shown as deleted
    diffs = re.findall(r"```diff\n(.*?)```", body, re.S)
    assert all(re.fullmatch(r"-\s*", line) is None for d in diffs for line in d.splitlines())
    assert "plain folder" not in body and "(None)" not in body
    return rows, visible(body)


def test_typical_request() -> None:
    reports = typical()
    made = plan(reports)
    rows, shown = check_facts(made, reports)
    assert made.body == golden("typical.md", made.body)
    assert made.title == golden("typical.title", made.title + "\n").rstrip("\n")
    assert made.title == (
        "Pin alpine to 3.20, update python to 3.11.9-slim-bookworm and 3 more fixes (2 Dockerfiles and 1 other file)"
    )
    assert len(shown) <= 40, "\n".join(shown)
    assert any(line.startswith("- [ ] `services/api/Dockerfile`, line 2: **DM201 literal-secret**: ") for line in shown)
    image_rows = {row[1]: row[2] for row in rows if row[0].startswith(("DM101", "DM102"))}
    assert image_rows == {
        "`services/api/Dockerfile`": "`python:3.11.2-slim-bookworm` → [`python:3.11.9-slim-bookworm`](https://www.python.org/downloads/)",
        "`services/worker/Dockerfile`": "`alpine` → [`alpine:3.20`](https://alpinelinux.org/releases/)",
    }


def test_large_request() -> None:
    reports = large()
    made = plan(reports)
    rows, shown = check_facts(made, reports)
    assert made.body == golden("large.md", made.body)
    assert made.title == golden("large.title", made.title + "\n").rstrip("\n")
    assert len(rows) > 40
    # what is visible besides the table's rows stays what it is for a typical request
    assert len(shown) - len(rows) <= 40 - 8, "\n".join(shown)
    assert len(made.body) < 65_536


def test_titles_are_stable_and_configurable() -> None:
    first, again = plan(typical()), plan(typical())
    assert first.title == again.title and first.fingerprint == again.fingerprint
    mine = plan(typical(), "[{{ codes | join(',') }}] {{ phrases | first }} in {{ counts.files }} files")
    assert mine.title == "[DM101,DM102,DM104,DM106,DM107] pin alpine to 3.20 in 3 files"


def test_a_broken_title_template_is_an_error() -> None:
    with pytest.raises(BodyError, match="title template"):
        check_title_template("{% if %}")
    check_title_template(None)
    check_title_template("{{ summary }}")
    with pytest.raises(BodyError, match="title template: 'nope' is undefined"):
        plan(typical(), "{{ nope }}")
