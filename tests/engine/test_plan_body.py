"""Change plans and request bodies: exact text, and the Markdown as GitHub/GitLab render it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.engine.body import LIMIT, MARGIN, BodyError, BodyInput, check_template, render_body
from bot.engine.changes import fingerprint_in
from bot.engine.plan import PlanContext, branch_name, build_plan, commit_message, file_updates, fingerprint, title
from bot.engine.repoconfig import RepoConfig
from bot.platforms.base import FileUpdate, Repo
from bot.settings.targets import Target, TargetSettings
from fixers.base import FileChange, Finding, Risk
from fixers.engine import AppliedFix, FileReport

BEFORE = b"FROM alpine:3.20\nENV X=1\nCMD run --flag\n"
AFTER = b'FROM alpine:3.20\nLABEL a="b"\nENV X=1\nCMD ["run", "--flag"]\n'
LABELS = AppliedFix("DM105", "add-labels", Risk.SAFE, 1, "add labels a")
EXEC = AppliedFix("DM106", "exec-form", Risk.REVIEW, 3, "CMD in exec form, without a shell as PID 1")
SECRET = Finding("DM201", "literal-secret", 2, "ENV X has a literal value")
REPO = Repo("here", "acme/app", "acme/app", "main", "https://example.com/acme/app", head_sha="a" * 40)


def report(path: str = "svc/Dockerfile", **kw: object) -> FileReport:
    return FileReport(path, BEFORE, AFTER, fixes=[LABELS, EXEC], findings=[SECRET], **kw)  # type: ignore[arg-type]


def body(*reports: FileReport, **kw: object) -> str:
    data = BodyInput("acme/app", "main", list(reports), [(r.path, f) for r in reports for f in r.findings], **kw)  # type: ignore[arg-type]
    return render_body(data)


def md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def test_body_text() -> None:
    text = body(report(), fingerprint="0123456789abcdef01234567", run_id="R1", version="9.9")
    assert text.startswith("<!-- dockmend:fingerprint=0123456789abcdef01234567 -->\n")
    assert fingerprint_in(text) == "0123456789abcdef01234567"
    assert "\ndockmend proposes 2 changes to 1 Dockerfile of **acme/app**, " in text
    table = (
        "| Fix | File | Change | Risk |\n| --- | --- | --- | --- |\n"
        "| DM105 add-labels | `svc/Dockerfile` | 1 change, line 1 | safe |\n"
        "| DM106 exec-form | `svc/Dockerfile` | 1 change, line 3 | review |\n"
    )
    assert table in text
    assert text.index("### DM105 add-labels") < text.index("### DM106 exec-form")  # safe ones first
    labels = '```diff\n@@ -1,2 +1,3 @@\n FROM alpine:3.20\n+LABEL a="b"\n ENV X=1\n```\n'
    exec_form = '```diff\n@@ -2,2 +2,2 @@\n ENV X=1\n-CMD run --flag\n+CMD ["run", "--flag"]\n```\n'
    assert labels in text and exec_form in text
    assert "`svc/Dockerfile`:\n- line 3: CMD in exec form, without a shell as PID 1\n" in text
    assert "\n**Why:** Define image metadata with LABEL. **Risk: safe.** Before merging: check that" in text
    assert "**Risk: review.** Before merging: the command now runs without a shell" in text
    assert "<details><summary>1 change in 1 file: what and where</summary>" in text
    assert "- [ ] `svc/Dockerfile`, line 2: **DM201 literal-secret**: ENV X has a literal value\n" in text
    assert "\n- [ ] <!-- dockmend:rebase --> rebase / retry this request\n" in text
    assert "`# dockmend ignore=DM105`" in text and "`fixers: {ignore: [DM105, DM106]}`" in text
    assert "top level, on `main`, with `enabled: false`" in text
    assert text.endswith("---\n<sub>dockmend 9.9 · run R1 · fingerprint 0123456789abcdef01234567</sub>\n")


def test_body_renders_as_markdown() -> None:
    tokens = md().parse(body(report(), report("api/Dockerfile")))
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 5  # the header and four fixes
    cells = [t.content for t in tokens if t.type == "inline" and t.map and t.map[0] == rows[1].map[0]]  # type: ignore[index]
    assert cells == ["DM105 add-labels", "`api/Dockerfile`", "1 change, line 1", "safe"]
    fences = [t for t in tokens if t.type == "fence"]
    assert [t.info for t in fences] == ["diff"] * 4
    details = [t.content for t in tokens if t.type == "html_block"]
    assert sum("<details><summary>" in d for d in details) == 3 and sum("</details>" in d for d in details) == 3
    checklist = [t.content for t in tokens if t.type == "inline" and t.content.startswith("[ ] ")]
    assert checklist == [
        "[ ] `api/Dockerfile`, line 2: **DM201 literal-secret**: ENV X has a literal value",
        "[ ] `svc/Dockerfile`, line 2: **DM201 literal-secret**: ENV X has a literal value",
        "[ ] <!-- dockmend:rebase --> rebase / retry this request",
    ]
    html = md().render(body(report()))
    assert "<h2>Not fixed automatically</h2>" in html and "<h3>DM106 exec-form</h3>" in html
    assert '<code class="language-diff">' in html and "<table>" in html


def test_same_message_is_said_once_with_its_lines() -> None:
    fixes = [AppliedFix("DM106", "exec-form", Risk.REVIEW, n, "CMD in exec form") for n in (3, 5, 9)]
    text = body(FileReport("Dockerfile", BEFORE, AFTER, fixes=fixes))
    assert text.count("CMD in exec form") == 1 and "- lines 3, 5, 9: CMD in exec form\n" in text
    assert "| DM106 exec-form | `Dockerfile` | 3 changes, lines 3, 5, 9 | review |" in text
    assert "dockmend proposes 3 changes to 1 Dockerfile of" in text


def test_image_rows_show_from_and_to_with_tag_and_digest() -> None:
    old, new = "python:3.12@sha256:" + "a" * 64, "python:3.12@sha256:" + "b" * 64
    refresh = AppliedFix("DM102", "bump-base-tag", Risk.REVIEW, 1, "digest update")
    digest = FileReport("Dockerfile", f"FROM {old}\n".encode(), f"FROM {new}\n".encode(), fixes=[refresh])
    pin = AppliedFix("DM101", "pin-base-tag", Risk.SAFE, 1, "pin")
    unknown = FileReport("app/Dockerfile", b"FROM ghcr.io/org/app\n", b"FROM ghcr.io/org/app:v2.1\n", fixes=[pin])
    text = body(digest, unknown)
    assert (
        "| DM102 bump-base-tag | `Dockerfile` | `python:3.12@sha256:aaaaaaaaaaaa` → "
        "[`python:3.12@sha256:bbbbbbbbbbbb`](https://www.python.org/downloads/) | review |"
    ) in text
    assert "| DM101 pin-base-tag | `app/Dockerfile` | `ghcr.io/org/app` → `ghcr.io/org/app:v2.1` | safe |" in text
    links = [t for t in md().parse(text) for t in t.children or () if t.type == "link_open"]
    assert [t.attrs["href"] for t in links] == ["https://www.python.org/downloads/"]  # dockmend's list only
    assert (
        title(None, [digest, unknown])
        == "Pin ghcr.io/org/app to v2.1 and update the python:3.12 digest (2 Dockerfiles)"
    )


def test_no_placeholder_branch_in_the_opt_out() -> None:
    data = BodyInput("app", "(plain folder)", [report()])
    text = render_body(data)
    assert "plain folder" not in text and "add `.dockmend.yml` at its top level, with `enabled: false`" in text


def test_excerpts_show_no_phantom_edit_at_the_end() -> None:
    before = b"FROM a\nRUN x\nCMD run --flag\n\n"  # a blank line at the end: the commit keeps it
    after = b'FROM a\nRUN x\nCMD ["run", "--flag"]\n\n'
    text = body(FileReport("Dockerfile", before, after, fixes=[EXEC]))
    (excerpt,) = re.findall(r"```diff\n(.*?)```", text, re.S)
    assert excerpt == '@@ -2,3 +2,3 @@\n RUN x\n-CMD run --flag\n+CMD ["run", "--flag"]\n \n'
    assert [line for line in excerpt.splitlines() if line[:1] in "-+"] == ["-CMD run --flag", '+CMD ["run", "--flag"]']


def test_repository_text_is_escaped() -> None:
    odd = FileReport(
        "odd|dir/Dockerfile",
        BEFORE,
        AFTER,
        fixes=[AppliedFix("DM105", "add-labels", Risk.SAFE, 1, "labels <script>x</script> and `a<b`")],
    )
    text = body(odd)
    assert "| DM105 add-labels | `odd\\|dir/Dockerfile` | 1 change, line 1 | safe |" in text
    assert "- line 1: labels &lt;script&gt;x&lt;/script&gt; and `a<b`\n" in text
    html = md().render(text)
    assert "<script>" not in html and "<code>odd|dir/Dockerfile</code>" in html
    assert "<code>a&lt;b</code>" in html


def test_fences_outlast_backticks_in_content() -> None:
    ticks = FileReport("Dockerfile", b"FROM a\nRUN echo ```\n", b"FROM a\nRUN echo ```x\n", fixes=[EXEC])
    text = body(ticks)
    assert "````diff\n@@ -1,2 +1,2 @@\n FROM a\n-RUN echo ```\n+RUN echo ```x\n````\n" in text


def test_wrapper_script_change_is_the_excerpt_of_its_fix() -> None:
    script = FileChange("entry.sh", b'#!/bin/sh\n"$@"\n', b'#!/bin/sh\nexec "$@"\n')
    fix = AppliedFix("DM107", "wrapper-exec", Risk.SAFE, 3, "exec the last command of entry.sh")
    text = body(FileReport("Dockerfile", BEFORE, BEFORE, fixes=[fix], files=[script]))
    assert '```diff\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-"$@"\n+exec "$@"\n```\n' in text


def test_long_bodies_stay_under_the_limit() -> None:
    # one RUN of 300 lines (the fix's instruction, line 3 is in it), every line changed
    many = ("RUN " + " \\\n    ".join(f"step-{i} {'x' * 60}" for i in range(300)) + "\n").encode()
    big = [
        FileReport(f"s{n}/Dockerfile", b"FROM a\n" + many, b"FROM a\n" + many.replace(b"step", b"step-"), fixes=[EXEC])
        for n in range(40)
    ]
    text = body(*big)
    assert len(text) <= LIMIT - MARGIN and "The excerpts are shortened" in text
    assert text.count("*… ") == 40  # each excerpt says how much it left out
    huge = body(*(FileReport(f"s{n}/Dockerfile", BEFORE, AFTER, fixes=[EXEC] * 3) for n in range(600)))
    assert len(huge) <= LIMIT - MARGIN and huge.endswith("The commit has every change.)*\n")


def test_users_bring_their_own_template(tmp_path: Path) -> None:
    custom = tmp_path / "mine.md.j2"
    custom.write_text("{{ marker }}\nFixes for {{ repo }}: {{ codes | join(', ') }}\n")
    data = BodyInput("acme/app", "main", [report()], fingerprint="abcdef0123456789")
    assert (
        render_body(data, custom)
        == "<!-- dockmend:fingerprint=abcdef0123456789 -->\nFixes for acme/app: DM105, DM106\n"
    )
    (tmp_path / "broken.md.j2").write_text("{% for %}")
    with pytest.raises(BodyError, match=r"broken\.md\.j2"):
        check_template(tmp_path / "broken.md.j2")
    with pytest.raises(BodyError):
        check_template(tmp_path / "missing.md.j2")


# -- plans


def test_branch_names() -> None:
    assert branch_name("dockmend", None) == "dockmend/remediate"
    assert branch_name("bots/dm", "DM105") == "bots/dm/DM105-add-labels"


def test_file_updates_place_context_files_and_keep_modes() -> None:
    scripts = [FileChange("entry.sh", b"a", b"b"), FileChange("../shared/run.sh", b"c", b"d")]
    found = file_updates([report(files=scripts)], {"svc/entry.sh": "100755"})
    assert found == (
        FileUpdate("shared/run.sh", b"d", "100644"),
        FileUpdate("svc/Dockerfile", AFTER, "100644"),
        FileUpdate("svc/entry.sh", b"b", "100755"),
    )


def test_fingerprint_is_of_paths_and_contents() -> None:
    one, two = FileUpdate("a/Dockerfile", b"x"), FileUpdate("b/Dockerfile", b"y")
    assert fingerprint([one, two]) == fingerprint([two, one])
    assert fingerprint([one]) != fingerprint([FileUpdate("a/Dockerfile", b"x ")])
    assert fingerprint([one]) != fingerprint([FileUpdate("c/Dockerfile", b"x")])
    assert fingerprint([FileUpdate("ab", b"c")]) != fingerprint([FileUpdate("a", b"bc")])
    assert len(fingerprint([one])) == 24


def test_commit_message_lists_the_codes() -> None:
    assert commit_message([report(), report("api/Dockerfile")], "f" * 24) == (
        "dockmend: DM105 add-labels, DM106 exec-form\n\n"
        "- svc/Dockerfile: DM105, DM106\n- api/Dockerfile: DM105, DM106\n\n"
        f"Dockmend-Fingerprint: {'f' * 24}\n"
    )


def test_build_plan_takes_request_settings_from_target_and_repository() -> None:
    settings = TargetSettings(
        Target("t", "here", ""), branch_prefix="bots", labels=("docker",), reviewers=("ops",), draft=True
    )
    context = PlanContext(REPO, "b" * 40, settings, RepoConfig(reviewers=("alice",)), {}, run_id="R", version="1")
    plan = build_plan(context, None, [report()])
    assert plan is not None
    assert (plan.branch, plan.base_branch, plan.base_sha) == ("bots/remediate", "main", "b" * 40)
    assert plan.title == "Add image labels and use the exec form (1 Dockerfile)"
    assert (plan.labels, plan.reviewers, plan.draft) == (("docker",), ("alice",), True)
    assert fingerprint_in(plan.body) == plan.fingerprint == fingerprint_in(plan.commit_message)
    per_fixer = build_plan(context, "DM105", [report()])
    assert per_fixer is not None and per_fixer.branch == "bots/DM105-add-labels"
    assert per_fixer.title == "Add image labels (1 Dockerfile)"
    assert build_plan(context, None, [FileReport("Dockerfile", BEFORE, BEFORE)]) is None
