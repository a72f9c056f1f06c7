"""`dockmend run` against the GitHub and the GitLab emulators, through the real clients.

Each forge holds the estate of :mod:`tests.integration.estate` (20+ repositories of every
kind). The ``story`` fixture runs the bot over it several times, with people acting
between two runs (:mod:`tests.integration.story` tells what happens), and keeps what the
emulator shows after each run; each test reads one acceptance point off that record.
The reliability test runs the first run again on a fresh estate with 5% of each kind of
failure, and compares.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from markdown_it import MarkdownIt

from bot import __version__
from bot.engine.changes import FIXED_COMMENT, HUMAN_COMMENT
from fixers.registry import FIXERS
from tests.emulators.faults import SHARED_KINDS, Fault, Faults
from tests.emulators.github import GitHubEmulator
from tests.emulators.gitlab import TOKEN as GITLAB_TOKEN
from tests.integration import estate
from tests.integration.estate import Kind, Project
from tests.integration.forges import BRANCH, GITHUB_TOKEN, Forge, Write, started
from tests.integration.story import (
    ACTED,
    BY_HAND,
    CLOSED,
    HUMAN,
    MERGED,
    MOVED,
    NEW_DOCKERFILE,
    PROJECTS,
    Step,
    Story,
    bot_changes,
    step,
)


def repos(writes: Sequence[Write]) -> set[str]:
    return {w.repo for w in writes}


def branch_writes(writes: Sequence[Write], repo: str) -> list[Write]:
    """Writes that create, move or delete a branch (GitHub refs; GitLab commits and branches)."""
    return [w for w in writes if w.repo == repo and re.search(r"/git/refs|/repository/(commits|branches)", w.path)]


def codes(project: Project) -> list[str]:
    return sorted({code for found in project.fixes.values() for code in found})


def fingerprint(body: str) -> str:
    found = re.match(r"<!-- dockmend:fingerprint=([0-9a-f]+) -->\n", body)
    assert found, body[:200]
    return found.group(1)


def section(body: str, code: str) -> str:
    """The explanation of one fix: from its heading to the next heading or the opt-out."""
    start = body.index(f"\n### {code} {FIXERS[code].NAME}\n")
    ends = [i for i in (body.find("\n##", start + 1), body.find("<details><summary>How to opt out")) if i > 0]
    return body[start : min(ends)]


def diff_lines(text: str) -> list[str]:
    return [line for fence in re.findall(r"```diff\n(.*?)```", text, re.S) for line in fence.splitlines()]


def table(body: str) -> list[list[str]]:
    """The summary table as a Markdown renderer reads it (GitHub and GitLab use GFM tables)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and token.level > 3:  # cells sit inside table > thead/tbody > tr
            rows[-1].append(token.content)
    return rows


# -- 1. one request per repository that needs fixes -----------------------------------------


LOGGED = {  # what the run says about each kind of repository (None: never listed)
    Kind.FIXES: "created",
    Kind.CLEAN: "nothing to do",
    Kind.NO_DOCKERFILE: "skipped: no Dockerfile",
    Kind.OPTED_OUT: "skipped: opted out (.dockmend.yml)",
    Kind.ARCHIVED: None,
    Kind.FORK: None,
    Kind.EMPTY: None,
    Kind.TEMPLATE: None,
}


def test_the_estate_is_an_organisation_of_every_kind(story: Story) -> None:
    projects = estate.estate(story.forge.kind)
    assert len(projects) >= 20
    assert {p.kind for p in projects} == set(Kind) - ({Kind.TEMPLATE} if story.forge.kind == "gitlab" else set())
    assert {len(p.fixes) for p in projects} >= {0, 1, 3}  # several Dockerfiles in subfolders: monorepo
    assert set(story.first.state) == {story.forge.name(p) for p in projects}


def test_one_request_per_repository_that_needs_fixes(story: Story) -> None:
    forge, first = story.forge, story.first
    assert first.ran.exit_code == 0, first.ran.err
    for project in estate.estate(forge.kind):
        name, expected = forge.name(project), LOGGED[project.kind]
        if project.kind is Kind.EMPTY and forge.kind == "github":  # only its tree (409) says so
            expected = "skipped: empty"
        state = first.state[name]
        lines = [line for line in first.ran.err.splitlines() if line.startswith(f"{name}: ")]
        assert [line.split(" http")[0] for line in lines] == ([f"{name}: {expected}"] if expected else [])
        if project.kind is not Kind.FIXES:
            assert (state.requests, set(state.branches)) == ((), set() if project.kind is Kind.EMPTY else {"main"})
            continue
        (request,) = state.requests
        assert (request.number, request.state, request.branch, request.comments) == (1, "open", BRANCH, ())
        assert set(state.branches) == {"main", BRANCH}


def test_each_branch_is_one_commit_of_the_fixed_files(story: Story) -> None:
    forge, first = story.forge, story.first
    for project in estate.fixable(forge.kind):
        state = first.state[forge.name(project)]
        head = forge.commit(project, state.branches[BRANCH])
        assert head.parents == (state.branches["main"],)
        assert (head.author_email, head.message.splitlines()[0]) == (
            forge.bot_email,
            "dockmend: " + ", ".join(f"{c} {FIXERS[c].NAME}" for c in codes(project)),
        )
        assert sorted(bot_changes(forge, project, state)) == project.changed
        (request,) = state.requests
        assert f"Dockmend-Fingerprint: {fingerprint(request.body)}" in head.message


API_AFTER = """\
FROM python:3.12-slim
LABEL org.opencontainers.image.title="api" \\
      org.opencontainers.image.description="Acme api" \\
      org.opencontainers.image.source="http://forge/acme/api" \\
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
USER 1000
CMD ["python", "-m", "api"]
"""
SCRIPT_AFTER = '#!/bin/sh\nset -e\necho "starting"\nexec /usr/local/bin/server "$@"\n'


@pytest.mark.parametrize(
    ("name", "path", "after", "mode"),
    [
        ("api", "Dockerfile", API_AFTER, "100644"),
        ("gateway", "docker-entrypoint.sh", SCRIPT_AFTER, "100755"),
        ("monorepo", "services/auth/docker-entrypoint.sh", SCRIPT_AFTER, "100755"),
    ],
)
def test_fixed_files_in_full(story: Story, name: str, path: str, after: str, mode: str) -> None:
    forge, project = story.forge, PROJECTS[name]
    branch = story.first.state[forge.name(project)].branches[BRANCH]
    assert forge.normal(forge.files(project, branch)[path].decode()) == after
    entries = {e.path: e.mode for e in forge.store.tree(forge.name(project), branch)}
    assert entries[path] == mode


# -- 1. the bodies ------------------------------------------------------------------------------


def changed_file(project: Project, path: str, code: str) -> str:
    """The file a fix changes: the Dockerfile, or the script a DM107 fix rewrites."""
    folder = path.rpartition("/")[0]
    (pattern,) = [p for f, p in project.folders.items() if f == folder]
    if code == "DM107" and pattern.rewrites:
        return f"{folder}/{pattern.rewrites[0]}" if folder else pattern.rewrites[0]
    return path


def files_phrase(paths: Sequence[str]) -> str:
    dockerfiles = sum(p.endswith("Dockerfile") for p in paths)
    others = len(paths) - dockerfiles
    said = f"{dockerfiles} Dockerfile{'s' * (dockerfiles != 1)}"
    return said + (f" and {others} other file{'s' * (others != 1)}" if others else "")


TITLES = {  # what a title says of each kind of fix (the estate is offline: no image updates)
    "DM103": "reorder layers for the build cache",
    "DM104": "clean package caches",
    "DM105": "add image labels",
    "DM106": "use the exec form",
    "DM107": "exec the entrypoint's command",
}


def test_each_body_as_specified(story: Story) -> None:
    forge, first = story.forge, story.first
    for project in estate.fixable(forge.kind):
        (request,) = first.state[forge.name(project)].requests
        body, wanted = request.body, codes(project)
        said = [TITLES[code] for code in wanted]
        summary = ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0]
        if len(summary) > 90 and len(said) > 2:
            summary = f"{', '.join(said[:2])} and {len(said) - 2} more fix{'es' * (len(said) > 3)}"
        assert request.title == f"{summary[0].upper()}{summary[1:]} ({files_phrase(project.changed)})", project.name
        risk_order = {"safe": 0, "review": 1}
        rows = sorted(
            (
                (risk_order[FIXERS[code].RISK.value], code, changed_file(project, path, code))
                for path, found in project.fixes.items()
                for code in found
            ),
        )
        header, *shown = table(body)
        assert header == ["Fix", "File", "Change", "Risk"]
        assert [[r[0], r[1], r[3]] for r in shown] == [
            [f"{code} {FIXERS[code].NAME}", f"`{path}`", FIXERS[code].RISK.value] for _, code, path in rows
        ], project.name
        for row in shown:  # offline, so no image moves: each cell counts the fix's changes and lines
            assert re.fullmatch(r"\d+ changes?, lines? \d+(, \d+)*( of `[^`]+`)?", row[2]), row
        # the intro's counts are the table's: its changes and its files (scripts included)
        intro = re.search(r"^dockmend proposes (\d+) changes? to (.+?) of \*\*", body, re.M)
        assert intro is not None
        assert int(intro.group(1)) == sum(int(row[2].split()[0]) for row in shown)
        assert intro.group(2) == files_phrase(project.changed)
        assert sorted({row[1].strip("`") for row in shown}) == project.changed
        for code in wanted:
            fixer, explained = FIXERS[code], section(body, code)
            assert f"\n**Why:** {fixer.GUIDELINE}. **Risk: {fixer.RISK.value}.** Before merging: " in explained
            assert "<details><summary>" in explained and fixer.EXPLANATION.splitlines()[0] in explained
            shown_lines = diff_lines(explained)
            for folder, pattern in project.folders.items():
                assert set(pattern.excerpts.get(code, ())) <= set(shown_lines), (project.name, folder, code)
                if code in pattern.excerpts:
                    where = changed_file(project, project.dockerfile(folder), code)
                    via = f" (run by `{project.dockerfile(folder)}`)" if where != project.dockerfile(folder) else ""
                    assert f"\n`{where}`{via}:\n- line" in explained, (project.name, code)
        checklist = re.findall(r"^- \[ \] `([^`]+)`, line \d+: \*\*(DM\d+) [a-z-]+\*\*: ", body, re.M)
        assert sorted(checklist) == sorted((p, c) for p, found in project.findings.items() for c in found)
        assert ("## Not fixed automatically" in body) == bool(project.findings)
        assert "\n- [ ] <!-- dockmend:rebase --> rebase / retry this request\n" in body
        assert "<details><summary>How to opt out</summary>" in body
        assert f"`# dockmend ignore={wanted[0]}`" in body and "top level, on `main`, with `enabled: false`" in body
        footer = (
            f"\n---\n<sub>dockmend {__version__} · run {first.ran.run_id} · fingerprint {fingerprint(body)}</sub>\n"
        )
        assert body.endswith(footer)


def test_the_findings_checklist_names_what_needs_a_person(story: Story) -> None:
    (request,) = story.first.state[story.forge.name(BY_HAND)].requests
    assert "- [ ] `Dockerfile`, line 2: **DM201 literal-secret**: ENV AWS_SECRET_ACCESS_KEY has a literal value" in (
        request.body
    )
    assert "- [ ] `Dockerfile`, line 1: **DM206 root-user**: the final stage sets no USER" in request.body


def test_the_run_ends_with_a_table_of_requests(story: Story) -> None:
    forge, ran = story.forge, story.first.ran
    fixable = estate.fixable(forge.kind)
    scanned = [p for p in estate.estate(forge.kind) if p.kind in (Kind.FIXES, Kind.CLEAN)]
    kinds = (Kind.NO_DOCKERFILE, Kind.OPTED_OUT, *((Kind.EMPTY,) if forge.kind == "github" else ()))
    skipped = [p for p in estate.estate(forge.kind) if p.kind in kinds]
    summary = f"run {ran.run_id}: {len(scanned)} repositories scanned, {len(skipped)} skipped, 0 failed; "
    assert summary in ran.out and ran.out.rstrip().endswith(f"; {len(fixable)} request(s)")
    web = "/-/merge_requests/1" if forge.kind == "gitlab" else "/pull/1"
    for project in fixable:
        name = forge.name(project)
        assert re.search(rf"│ {name} +│ ok +│ \d+ +│ \d+ +│ created http://127\.0\.0\.1:\d+/{name}{web} ", ran.out)
    for secret in (GITHUB_TOKEN, GITLAB_TOKEN):
        assert all(secret not in text for step in story.steps for text in (step.ran.out, step.ran.err))


# -- 2. a second run writes nothing -----------------------------------------------------------


def test_a_second_run_makes_no_write_at_all(story: Story) -> None:
    second = story.second
    assert second.ran.exit_code == 0, second.ran.err
    assert second.writes == []
    assert second.state == story.first.state
    for project in estate.fixable(story.forge.kind):
        assert f"{story.forge.name(project)}: unchanged" in second.ran.err


# -- 3. the default branch moved: the bot branch is rebased -------------------------------------


def test_a_moved_default_branch_leads_to_a_rebased_branch(story: Story) -> None:
    forge, name = story.forge, story.forge.name(MOVED)
    before, after = story.first.state[name], story.events.state[name]
    assert after.branches["main"] == story.moved_main
    head = forge.commit(MOVED, after.branches[BRANCH])
    assert head.parents == (story.moved_main,) and head.author_email == forge.bot_email
    assert bot_changes(forge, MOVED, after) == bot_changes(forge, MOVED, before)  # the same fixes, on the new head
    assert after.requests == before.requests  # one request, the same number, the same body
    assert f"{name}: rebased" in story.events.ran.err
    assert branch_writes(story.events.writes, name)  # the branch moved
    assert not [w for w in story.events.writes if w.repo == name and w.method == "POST" and "pull" in w.path]


# -- 4. a human commit on the bot branch: the bot never touches it again ------------------------


def test_a_human_commit_on_the_bot_branch_stops_the_bot(story: Story) -> None:
    forge, name = story.forge, story.forge.name(HUMAN)
    assert forge.commit(HUMAN, story.human_head).author_email != forge.bot_email
    for later in (story.events, story.quiet, story.changed):
        state = later.state[name]
        assert state.branches[BRANCH] == story.human_head  # never force-pushed over, never rebased
        (request,) = state.requests
        assert (request.state, request.comments) == ("open", (HUMAN_COMMENT,))  # said once
        assert branch_writes(later.writes, name) == []
    said = [w.method for w in story.events.writes if w.repo == name]
    assert sorted(said) == (["PATCH", "POST"] if forge.kind == "github" else ["POST", "PUT"])  # comment, marker
    assert f"{name}: skipped-human" in story.events.ran.err and f"{name}: skipped-human" in story.quiet.ran.err


# -- 5. a request closed unmerged is not reopened for the same fixes -------------------------------


def test_a_request_closed_unmerged_is_not_reopened_for_the_same_fixes(story: Story) -> None:
    name = story.forge.name(CLOSED)
    (opened,) = story.first.state[name].requests
    for later in (story.events, story.quiet):
        assert later.state[name].requests == (dataclasses.replace(opened, state="closed"),)
        assert [w for w in later.writes if w.repo == name] == []
        assert f"{name}: skipped-closed" in later.ran.err


def test_a_changed_fix_set_after_a_close_opens_a_new_request(story: Story) -> None:
    name = story.forge.name(CLOSED)
    (opened,) = story.first.state[name].requests
    closed, new = story.changed.state[name].requests
    assert (closed.number, closed.state) == (opened.number, "closed")
    assert (new.number, new.state, new.branch) == (opened.number + 1, "open", BRANCH)
    assert f"`{NEW_DOCKERFILE}`" in new.body and fingerprint(new.body) != fingerprint(opened.body)
    assert f"{name}: created" in story.changed.ran.err
    assert repos(story.changed.writes) == {name}  # and nothing else anywhere


# -- 6. fixes that landed upstream close the request and delete the branch ----------------------


def test_fixes_applied_by_hand_close_the_request_and_delete_the_branch(story: Story) -> None:
    name = story.forge.name(BY_HAND)
    (opened,) = story.first.state[name].requests
    after = story.events.state[name]
    assert after.requests == (dataclasses.replace(opened, state="closed", comments=(FIXED_COMMENT,)),)
    assert set(after.branches) == {"main"}
    assert f"{name}: closed" in story.events.ran.err


def test_a_merged_request_leaves_no_bot_branch(story: Story) -> None:
    name = story.forge.name(MERGED)
    (opened,) = story.first.state[name].requests
    after = story.events.state[name]
    assert after.requests == (dataclasses.replace(opened, state="merged"),)
    assert set(after.branches) == {"main"}
    # GitLab removes the source branch on merge (the bot asks it to); GitHub keeps it: the bot deletes it
    said = "branch-deleted http" if story.forge.kind == "github" else "nothing to do"
    assert f"{name}: {said}" in story.events.ran.err
    assert f"{name}: nothing to do" in story.quiet.ran.err


# -- and everything else stays as it was ----------------------------------------------------------


def test_runs_write_only_where_people_acted(story: Story) -> None:
    forge = story.forge
    acted = {forge.name(p) for p in (MOVED, HUMAN, BY_HAND)}
    if forge.kind == "github":
        acted.add(forge.name(MERGED))  # GitHub keeps a merged branch: the bot deletes it
    assert repos(story.events.writes) == acted
    assert story.quiet.writes == []
    assert story.quiet.state == story.events.state
    untouched = [p for p in estate.estate(forge.kind) if p not in ACTED]
    for project in untouched:
        assert story.changed.state[forge.name(project)] == story.first.state[forge.name(project)]


# -- 7. 5% of every failure: the same requests, no duplicates -------------------------------------


def outcome(forge: Forge, step: Step) -> dict[str, object]:
    """What a run produced, without what differs between two emulators: their address, so
    the fingerprint of the fixes (the DM105 labels name the repository's URL), and the run id."""
    found: dict[str, object] = {}
    for project in estate.estate(forge.kind):
        state = step.state[forge.name(project)]
        changed = bot_changes(forge, project, state) if BRANCH in state.branches else {}
        requests = [
            (r.number, r.state, r.branch, r.title, forge.normal(anonymous(r.body, step.ran.run_id)), r.comments)
            for r in state.requests
        ]
        found[project.name] = (
            sorted(state.branches),
            requests,
            {p: forge.normal(c.decode()) for p, c in changed.items()},
        )
    return found


def anonymous(body: str, run_id: str) -> str:
    return body.replace(fingerprint(body), "FINGERPRINT").replace(f"run {run_id} ", "run RUN ")


@dataclasses.dataclass
class Recording(Faults):
    """Faults that also note which requests were done but lost their answer."""

    lost: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def decide(self, method: str, path: str) -> Fault | None:
        fault = super().decide(method, path)
        if fault is not None and fault.after:
            self.lost.append((method, path))
        return fault


def test_five_percent_of_failures_change_no_outcome(story: Story, tmp_path: Path) -> None:
    """5% of the requests fail in each way: 5xx, 403 secondary rate limit and 429 (with
    Retry-After: 1, recorded rather than slept), a dropped connection before the work, and
    (GitHub) after it, the answer lost. Seeded: the same faults every time."""
    rate = 0.05
    faults = Recording(
        server_error_rate=rate,
        secondary_rate_limit_rate=rate,
        too_many_requests_rate=rate,
        drop_rate=rate,
        lost_answer_rate=rate,  # GitHub's emulator does the work, then drops; GitLab's drops before
        retry_after=1,
        seed=7,  # the draws land on both forges' retried writes (see the last assertion)
    )
    with started(story.forge.kind, tmp_path) as forge:
        forge.concurrency = 1  # one request after the other: the seeded draws hit the same requests
        forge.set_faults(faults)
        first = step(forge, "faulty-1", direct=True)
        second = step(forge, "faulty-2", direct=True)
    assert first.ran.exit_code == 0 and second.ran.exit_code == 0, first.ran.err + second.ran.err
    assert {kind for _, _, kind in faults.injected} == SHARED_KINDS
    assert 1.0 in forge.sleeps  # Retry-After honoured
    hit = faults.lost if forge.kind == "github" else [(m, p) for m, p, _ in faults.injected]
    retried = {
        re.sub(r".*/(pulls|git/refs|repository/commits|merge_requests)$", r"\1", p) for m, p in hit if m == "POST"
    }
    assert {"pulls", "git/refs"} <= retried or {"repository/commits", "merge_requests"} <= retried  # (seeded)
    assert outcome(forge, first) == outcome(story.forge, story.first)  # titles, branches, bodies, files
    for project in estate.fixable(forge.kind):
        assert len(forge.store.log(forge.name(project), BRANCH, exclude="main")) == 1  # one commit, one branch
    assert (second.writes, second.state) == ([], first.state)  # the next run, faults and all, writes nothing


# -- 8. a person ticks "rebase / retry": the next run recreates the branch -------------------------

TICKED = "- [x] <!-- dockmend:rebase --> rebase / retry this request"
UNTICKED = "- [ ] <!-- dockmend:rebase --> rebase / retry this request"


def tick_as_a_person(forge: Forge, project: Project, number: int, body: str) -> None:
    """Edit the request's body through the forge's API with a person's token, as the web
    page's task list does when the box is clicked."""
    name = forge.name(project)
    if isinstance(forge.em, GitHubEmulator):
        forge.em.add_token("ghp-alice", login="alice")
        url, headers, verb = (
            f"{forge.em.url}/repos/{name}/pulls/{number}",
            {"Authorization": "token ghp-alice"},
            "PATCH",
        )
        payload = {"body": body}
    else:
        forge.em.tokens["glpat-alice"] = "alice"
        url = f"{forge.em.url}/api/v4/projects/{quote(name, safe='')}/merge_requests/{number}"
        headers, verb, payload = {"PRIVATE-TOKEN": "glpat-alice"}, "PUT", {"description": body}
    answer = httpx.request(verb, url, json=payload, headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_a_ticked_rebase_box_recreates_the_branch_and_unticks_it(kind: str, tmp_path: Path) -> None:
    project = PROJECTS["api"]
    with started(kind, tmp_path, [project]) as forge:
        first = step(forge, "tick-1")
        name = forge.name(project)
        (opened,) = first.state[name].requests
        assert UNTICKED in opened.body.splitlines()
        quiet = step(forge, "tick-2")
        assert quiet.writes == [] and f"{name}: unchanged" in quiet.ran.err  # nothing to do unless asked
        tick_as_a_person(forge, project, opened.number, opened.body.replace(UNTICKED, TICKED))
        asked = step(forge, "tick-3")
        assert asked.ran.exit_code == 0, asked.ran.err
        assert f"{name}: rebased" in asked.ran.err
        # the branch's commit was made again (within the same second as the first it is the
        # very same commit, and GitHub's ref then needs no move)
        assert [w for w in asked.writes if w.repo == name and re.search(r"/git/commits|/repository/commits", w.path)]
        state = asked.state[name]
        head = forge.commit(project, state.branches[BRANCH])
        assert head.parents == (state.branches["main"],) and head.author_email == forge.bot_email
        assert bot_changes(forge, project, state) == bot_changes(forge, project, first.state[name])
        (request,) = state.requests
        assert request.number == opened.number and request.state == "open"
        assert UNTICKED in request.body.splitlines() and TICKED not in request.body
        after = step(forge, "tick-4")
        assert after.writes == []  # unticked again: the next run leaves it be
