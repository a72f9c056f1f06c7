"""The GitLab emulator answers like GitLab's documentation says, to the real python-gitlab.

Each of the 27 documented endpoints of ``tests/data/apis/gitlab-v4-reference.json`` is
called through python-gitlab; every body the emulator recorded for it must carry every
field of the documented example response, recursively, with the same JSON type.

Null: where the example has null, anything goes. Where it has a value, null is accepted
only when the documentation itself shows that field null somewhere (any example of the
reference), or for the few fields in :data:`NULL_WHEN` with the state that makes them null.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest
import requests

from tests.emulators.faults import Faults
from tests.emulators.github import MIT_LICENSE
from tests.emulators.gitlab import TOKEN, GitLabEmulator

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "apis" / "gitlab-v4-reference.json"
# Null in GitLab's answers in a state the documentation's examples do not show: a field
# name, or "<endpoint path> <location>" for one place only.
NULL_WHEN = {
    "readme_url": "the project has no README",
    "license_url": "the project has no recognised licence, or license=true was not asked",
    "license": "the project has no recognised licence, or license=true was not asked",
    "mirror_user_id": "the project is not a mirror",
    "marked_for_deletion_at": "the project is not scheduled for deletion",
    "marked_for_deletion_on": "the project is not scheduled for deletion",
    "issue_branch_template": "no template is configured",
    "file_template_project_id": "no file template project is configured",
    "nickname": "the licence has no nickname (most have none)",
    "pronouns": "the user has not set any",
    "local_time": "the user has not set a timezone",
    "merge_after": "no merge-after date was set on the merge request",
    "latest_build_started_at": "the project has no CI pipelines (not emulated)",
    "pipeline": "the project has no CI pipelines (not emulated)",
    "head_pipeline": "the project has no CI pipelines (not emulated)",
    "last_pipeline": "the project has no CI pipelines (not emulated)",
    "/projects/:id/repository/compare $.commit": "`to` has no commit beyond `from` (it is commits.last)",
    "closed_as_duplicate_of": "the issue was not closed as a duplicate",
}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def documented_nulls(reference: dict[str, Any]) -> set[str]:
    """Field names the documentation shows as null in at least one example."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(k for k, v in node.items() if v is None)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for endpoint in reference["endpoints"]:
        walk(endpoint.get("example_response"))
        walk(endpoint.get("related_example_response"))
    return found


def item_example(items: list[Any]) -> Any:
    """The documented shape of a list item: every key any example item has (first seen wins)."""
    if not all(isinstance(i, dict) for i in items):
        return items[0]
    merged: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            merged.setdefault(key, value)
    return merged


def mismatches(example: Any, actual: Any, nullable: set[str], where: str = "$") -> Iterator[str]:
    if example is None:
        return
    name = where.rsplit(".", 1)[-1].removesuffix("[]")
    if actual is None:
        if name not in nullable and where not in nullable:
            yield f"{where}: null where the documentation has a {json_type(example)}"
        return
    if json_type(actual) != json_type(example):
        yield f"{where}: {json_type(actual)} where the documentation has a {json_type(example)}"
    elif isinstance(example, dict):
        for key, value in example.items():
            if key not in actual:
                yield f"{where}.{key}: missing"
            else:
                yield from mismatches(value, actual[key], nullable, f"{where}.{key}")
    elif isinstance(example, list) and example:
        shape = item_example(example)
        for item in actual:
            yield from mismatches(shape, item, nullable, f"{where}[]")


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    if not REFERENCE.is_file():
        pytest.fail(f"reference not found at {REFERENCE}")
    data: dict[str, Any] = json.loads(REFERENCE.read_text())
    return data


@pytest.fixture(scope="module")
def exercised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitLabEmulator]:
    """An emulator after one call of every documented endpoint through python-gitlab."""
    seed = tmp_path_factory.mktemp("seed")
    app = seed / "acme" / "platform" / "app"
    (app / "svc").mkdir(parents=True)
    (app / "svc" / "Dockerfile").write_text("FROM alpine:3.20\n")
    (app / "LICENSE").write_text(MIT_LICENSE)
    (app / "README.md").write_text("# app\n")
    (seed / "acme" / "web").mkdir(parents=True)
    (seed / "acme" / "web" / "Dockerfile").write_text("FROM nginx\n")
    with GitLabEmulator(seed, tmp_path_factory.mktemp("git")) as emulator:
        exercise(gitlab.Gitlab(url=emulator.url, private_token=TOKEN, retry_transient_errors=False))
        yield emulator


def exercise(gl: gitlab.Gitlab) -> None:
    gl.auth()
    gl.users.list(username="alice")
    group = gl.groups.get("acme")
    group.projects.list(include_subgroups=True, archived=False, with_shared=False, get_all=True)
    project = gl.projects.get("acme/platform/app", license=True)
    project = gl.projects.get(project.id, license=True)
    project.members_all.list(get_all=True)
    project.repository_tree(recursive=True, get_all=True)
    project.files.get("svc/Dockerfile", ref="main")
    project.files.raw("svc/Dockerfile", ref="main")
    project.branches.get("main")
    project.branches.create({"branch": "scratch", "ref": "main"})
    project.branches.delete("scratch")
    commit = project.commits.create(
        {
            "branch": "dockmend/remediate",
            "start_branch": "main",
            "commit_message": "Pin the base image",
            "author_name": "dockmend[bot]",
            "author_email": "dockmend@noreply.invalid",
            "actions": [
                {"action": "update", "file_path": "svc/Dockerfile", "content": "FROM alpine:3.20.3\n"},
                {"action": "create", "file_path": "svc/run.sh", "content": "#!/bin/sh\nexec app\n"},
                {"action": "chmod", "file_path": "svc/run.sh", "execute_filemode": True},
            ],
        }
    )
    project.commits.list(ref_name="dockmend/remediate", get_all=True)
    project.commits.get(commit.id)
    project.repository_compare("main", "dockmend/remediate")
    mr = project.mergerequests.create(
        {
            "source_branch": "dockmend/remediate",
            "target_branch": "main",
            "title": "Pin the base image",
            "description": "Why and how.",
            "labels": ["dockmend", "docker"],
            "assignee_ids": [2],
            "reviewer_ids": [3],
            "remove_source_branch": True,
        }
    )
    project.mergerequests.list(source_branch="dockmend/remediate", state="opened", get_all=True)
    assert [m.iid for m in group.mergerequests.list(source_branch="dockmend/remediate", get_all=True)] == [mr.iid]
    mr = project.mergerequests.get(mr.iid)
    mr.notes.create({"body": "A note."})
    list(mr.commits())
    issue = project.issues.create({"title": "dockmend status", "description": "<!-- dockmend:status -->"})
    mine = project.issues.list(author_username="dockmend-bot", state="opened", order_by="created_at", get_all=True)
    assert [i.iid for i in mine] == [issue.iid]
    listed = group.issues.list(author_username="dockmend-bot", state="opened", scope="all", get_all=True)
    assert [(i.project_id, i.iid) for i in listed] == [(project.id, issue.iid)]
    issue.description = "<!-- dockmend:status -->\n- [x] <!-- dockmend:now:DM104 --> DM104"
    issue.save()
    assert issue.task_completion_status == {"count": 1, "completed_count": 1}
    mr.title = "Pin the base image (updated)"
    mr.state_event = "close"
    mr.save()


def test_every_documented_endpoint_was_called_and_answered(
    reference: dict[str, Any], exercised: GitLabEmulator
) -> None:
    answered = {(m, t) for m, t, status, _ in exercised.recorded if 200 <= status < 300}
    missing = [(e["method"], e["path"]) for e in reference["endpoints"] if (e["method"], e["path"]) not in answered]
    assert missing == []


def test_bodies_carry_every_documented_field_with_its_type(
    reference: dict[str, Any], exercised: GitLabEmulator
) -> None:
    documented = documented_nulls(reference)
    problems = []
    for endpoint in reference["endpoints"]:
        example = endpoint.get("example_response") or endpoint.get("related_example_response")
        if example is None:
            continue
        key = (endpoint["method"], endpoint["path"])
        here = {k.split(" ", 1)[-1] for k in NULL_WHEN if " " not in k or k.startswith(f"{key[1]} ")}
        nullable = documented | here
        bodies = [b for m, t, s, b in exercised.recorded if (m, t) == key and 200 <= s < 300]
        assert any(bodies), f"{key}: no non-empty answer recorded"
        for body in bodies:
            problems += [f"{key[0]} {key[1]}: {p}" for p in mismatches(example, body, nullable)]
    assert problems == []


def test_raw_file_and_delete_answers(exercised: GitLabEmulator) -> None:
    raw = [b for m, t, s, b in exercised.recorded if t.endswith("/files/:file_path/raw") and s == 200]
    assert raw == [b"FROM alpine:3.20\n"]
    deleted = [s for m, t, s, b in exercised.recorded if m == "DELETE"]
    assert deleted == [204]


def test_the_comparison_catches_what_it_should() -> None:
    example = {"id": 1, "name": "x", "tags": [{"a": 1}], "maybe": None, "owner": {"id": 1}}
    assert list(mismatches(example, {"id": 1, "name": "y", "tags": [], "maybe": 3, "owner": {"id": 2}}, set())) == []
    found = list(mismatches(example, {"id": "1", "tags": [{"b": 1}], "maybe": None, "owner": None}, {"x"}))
    assert found == [
        "$.id: string where the documentation has a number",
        "$.name: missing",
        "$.tags[].a: missing",
        "$.owner: null where the documentation has a object",
    ]


# -- the conventions python-gitlab relies on (see ../shared/TESTING.md)


def api(emulator: GitLabEmulator, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{emulator.url}/api/v4{path}", headers={"PRIVATE-TOKEN": TOKEN, **headers}, timeout=10)


def test_offset_pagination_headers(exercised: GitLabEmulator) -> None:
    first = api(exercised, "/groups/acme/projects?include_subgroups=True&per_page=1")
    assert len(first.json()) == 1
    assert first.links["next"]["url"].startswith(f"{exercised.url}/api/v4/groups/acme/projects?")
    assert {k: first.headers[k] for k in ("X-Page", "X-Per-Page", "X-Next-Page", "X-Prev-Page", "X-Total")} == {
        "X-Page": "1",
        "X-Per-Page": "1",
        "X-Next-Page": "2",
        "X-Prev-Page": "",
        "X-Total": "2",
    }
    last = requests.get(first.links["last"]["url"], headers={"PRIVATE-TOKEN": TOKEN}, timeout=10)
    assert "next" not in last.links and last.headers["X-Prev-Page"] == "1"
    commits = api(
        exercised, "/projects/acme%2Fplatform%2Fapp/repository/commits?per_page=1&ref_name=dockmend/remediate"
    )
    assert "next" in commits.links and "X-Total" not in commits.headers  # as GitLab: no totals for commits


def test_ids_paths_booleans_and_tokens(exercised: GitLabEmulator) -> None:
    by_path = api(exercised, "/projects/acme%2Fplatform%2Fapp").json()
    assert api(exercised, f"/projects/{by_path['id']}").json()["path_with_namespace"] == "acme/platform/app"
    assert api(exercised, f"/projects/{by_path['id']}/repository/files/README%2Emd?ref=main").status_code == 200
    assert api(exercised, f"/groups/{by_path['namespace']['id']}").json()["full_path"] == "acme/platform"
    for archived, count in (("True", 0), ("true", 0), ("False", 2), ("0", 2)):
        assert len(api(exercised, f"/groups/acme/projects?include_subgroups=True&archived={archived}").json()) == count
    assert api(exercised, "/user", **{"PRIVATE-TOKEN": ""}).status_code == 401
    assert api(exercised, "/user", **{"PRIVATE-TOKEN": "", "Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert api(exercised, "/projects/acme%2Fnothing").json() == {"message": "404 Project Not Found"}


def test_rate_limit_headers_and_the_429_answer(exercised: GitLabEmulator) -> None:
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(api(exercised, "/user").headers)
    exercised.set_faults(Faults(too_many_requests_rate=1.0, retry_after=30))
    try:
        limited = api(exercised, "/user")
    finally:
        exercised.set_faults(None)
    assert (limited.status_code, limited.text, limited.headers["Retry-After"]) == (429, "Retry later", "30")


def test_runs_standalone(tmp_path: Path) -> None:
    (tmp_path / "acme" / "app").mkdir(parents=True)
    (tmp_path / "acme" / "app" / "Dockerfile").write_text("FROM alpine\n")
    command = [sys.executable, "-m", "tests.emulators.gitlab", "--port", "0", "--seed", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]) as server:
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            answer = requests.get(f"{url}/api/v4/projects/acme%2Fapp", headers={"PRIVATE-TOKEN": TOKEN}, timeout=10)
            assert answer.json()["default_branch"] == "main"
        finally:
            server.terminate()


def test_commit_actions_move_delete_and_force(exercised: GitLabEmulator) -> None:
    gl = gitlab.Gitlab(url=exercised.url, private_token=TOKEN, retry_transient_errors=False)
    project = gl.projects.get("acme/web")
    main = project.branches.get("main").commit["id"]
    actions = [
        {"action": "move", "file_path": "build/Dockerfile", "previous_path": "Dockerfile"},
        {"action": "create", "file_path": "notes.txt", "content": "aGk=", "encoding": "base64"},
    ]
    first = project.commits.create({"branch": "moves", "start_sha": main, "commit_message": "m", "actions": actions})
    with pytest.raises(gitlab.GitlabCreateError, match="already exists"):
        project.commits.create({"branch": "moves", "start_sha": main, "commit_message": "m", "actions": actions})
    again = {"branch": "moves", "start_sha": main, "commit_message": "n", "actions": actions, "force": True}
    second = project.commits.create(again)
    assert second.parent_ids == [main] != [first.id]
    project.commits.create(
        {"branch": "moves", "commit_message": "d", "actions": [{"action": "delete", "file_path": "notes.txt"}]}
    )
    tree = {e["path"] for e in project.repository_tree(ref="moves", recursive=True, get_all=True)}
    assert tree == {"build", "build/Dockerfile"}
    with pytest.raises(gitlab.GitlabCreateError, match="doesn't exist"):
        project.commits.create(
            {"branch": "moves", "commit_message": "x", "actions": [{"action": "update", "file_path": "nope"}]}
        )
