"""The GitHub emulator answers like GitHub: every JSON body it sends, through the real
PyGithub client, validates against the official OpenAPI description of its operation
(``tests/data/apis/github-rest-subset.json``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from github import Auth, Github, GithubException, GithubIntegration, InputGitAuthor, InputGitTreeElement

from tests.emulators.github import MIT_LICENSE, GitHubApp, GitHubEmulator, app_keypair
from tests.emulators.github_server import ROUTES

SPEC = Path(__file__).resolve().parents[1] / "data" / "apis" / "github-rest-subset.json"
APP_ID = 4242


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable: true`` also admits null."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example", "examples")}
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@cache
def spec() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.fail(f"official description not found at {SPEC}")
    return json.loads(SPEC.read_text())  # type: ignore[no-any-return]


def schema_for(method: str, template: str, status: int) -> Any | None:
    operation = spec()["paths"][template][method.lower()]
    response = operation["responses"].get(str(status))
    if response is None:
        return None
    content = response.get("content", {}).get("application/json")
    return None if content is None else to_json_schema(content["schema"])


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitHubEmulator, str]]:
    private, public = app_keypair()
    em = GitHubEmulator(
        tmp_path_factory.mktemp("gh"), app=GitHubApp(APP_ID, public, installations={"acme": 7}), tokens=["tok"]
    )
    for i in range(7):
        em.add_repo(f"acme/app{i}", {"Dockerfile": b"FROM alpine:3.19\n", "LICENSE": MIT_LICENSE.encode()})
    em.add_repo(
        "acme/tools", {"ci/Dockerfile": b"FROM debian\n"}, topics=["docker"], description="Tools", is_template=True
    )
    em.add_repo("acme/empty")
    em.add_repo("jane/dotfiles", {"Dockerfile": b"FROM scratch\n"}, owner_type="User", fork=True)
    em.add_token("tok-alice", "alice")
    with em.running():
        yield em, private


def client(em: GitHubEmulator, auth: Auth.Auth | None = None) -> Github:
    return Github(
        base_url=em.url,
        auth=auth or Auth.Token("tok"),
        per_page=3,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )


def exercise_reads(g: Github) -> None:
    assert len(list(g.get_organization("acme").get_repos())) == 9  # three pages of three
    assert [r.full_name for r in g.get_user("jane", lazy=True).get_repos()] == ["jane/dotfiles"]
    assert g.get_user().login == "dockmend-bot"
    g.get_rate_limit()
    repo = g.get_repo("acme/app1")
    assert repo.license.spdx_id == "MIT" and repo.get_license().license.spdx_id == "MIT"
    assert g.get_repo("acme/tools").get_topics() == ["docker"]
    tree = repo.get_git_tree("main", recursive=True)
    assert repo.get_git_blob(tree.tree[0].sha).content
    assert len(list(repo.get_commits())) == 1
    branch = repo.get_branch("main")
    assert branch.commit.commit.tree.sha == tree.sha
    with pytest.raises(GithubException) as empty:
        g.get_repo("acme/empty").get_git_tree("main", recursive=True)
    assert empty.value.status == 409
    with pytest.raises(GithubException) as missing:
        _ = repo.get_git_ref("heads/nope").object
    assert missing.value.status == 404


def exercise_writes(em: GitHubEmulator, g: Github) -> None:
    repo = g.get_repo("acme/app2")
    base = repo.get_git_ref("heads/main").object.sha
    blob = repo.create_git_blob("FROM alpine:3.20\n", "utf-8")
    parent = repo.get_git_commit(base)
    tree = repo.create_git_tree([InputGitTreeElement("Dockerfile", "100644", "blob", sha=blob.sha)], parent.tree)
    author = InputGitAuthor("dockmend[bot]", "dockmend@users.noreply.example")
    commit = repo.create_git_commit("DM101: pin", tree, [parent], author=author)
    ref = repo.create_git_ref("refs/heads/dockmend/remediate", commit.sha)
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/dockmend/remediate", commit.sha)
    assert exists.value.status == 422
    ref.edit(commit.sha, force=True)
    comparison = repo.compare("main", "dockmend/remediate")
    assert [c.commit.author.email for c in comparison.commits] == ["dockmend@users.noreply.example"]
    pull = repo.create_pull(title="Fix Dockerfiles", body="Why", head="acme:dockmend/remediate", base="main")
    pull.add_to_labels("dockmend")
    pull.create_review_request(reviewers=["alice"], team_reviewers=["platform"])
    pull.add_to_assignees("alice")
    pull.create_issue_comment("Hello")
    assert [c.body for c in pull.get_issue_comments()] == ["Hello"]
    assert [p.number for p in repo.get_pulls(state="all", head="acme:dockmend/remediate")] == [pull.number]
    query = {"q": "is:pr author:dockmend-bot head:dockmend/ org:acme", "per_page": 100}
    _, found = g.requester.requestJsonAndCheck("GET", "/search/issues", parameters=query)
    assert [(i["repository_url"].rsplit("/repos/")[1], i["number"]) for i in found["items"]] == [
        ("acme/app2", pull.number)
    ]
    assert len(list(pull.get_commits())) == 1
    pull.edit(title="Fix Dockerfiles (2)", body="Why, again")
    assert repo.get_pull(pull.number).title == "Fix Dockerfiles (2)"
    status = repo.create_issue(title="dockmend status", body="<!-- dockmend:status -->\nNothing yet.")
    mine = repo.get_issues(state="open", creator="dockmend-bot", sort="created", direction="asc")
    assert [(i.number, "/pull/" in i.html_url) for i in mine] == [(pull.number, True), (status.number, False)]
    status.edit(title="dockmend status", body="<!-- dockmend:status -->\n- [ ] <!-- dockmend:now:DM104 -->")
    assert status.body.endswith("DM104 -->") and status.number == pull.number + 1  # one sequence, as on GitHub
    query = {"q": "is:issue author:dockmend-bot user:acme", "per_page": 100}
    _, found = g.requester.requestJsonAndCheck("GET", "/search/issues", parameters=query)
    assert [(i["number"], i["body"]) for i in found["items"]] == [(status.number, status.body)]
    em.merge_pull("acme/app2", pull.number)
    assert repo.get_pull(pull.number).merged
    ref.delete()


def exercise_app(em: GitHubEmulator, private_key: str) -> None:
    app_auth = Auth.AppAuth(APP_ID, private_key)
    integration = GithubIntegration(base_url=em.url, auth=app_auth, retry=None, seconds_between_requests=None)
    assert integration.get_app().slug == "dockmend"
    assert [i.id for i in integration.get_installations()] == [7]
    installation = integration.get_org_installation("acme")
    assert integration.get_access_token(installation.id).token.startswith("ghs_")
    g = client(em, Auth.AppInstallationAuth(app_auth, installation.id))
    assert len(list(g.get_repo("acme/app3").get_git_tree("main").tree)) == 2
    assert len(list(installation.get_repos())) == 9


def test_every_route_is_an_official_operation() -> None:
    for method, template, *_ in ROUTES:
        assert method.lower() in spec()["paths"].get(template, {}), (method, template)


def test_every_answer_validates_against_the_official_schema(emulator: tuple[GitHubEmulator, str]) -> None:
    em, private_key = emulator
    g = client(em)
    exercise_reads(g)
    exercise_writes(em, g)
    exercise_app(em, private_key)
    answered = {(r.method, r.template) for r in em.responses}
    assert answered == {(method, template) for method, template, *_ in ROUTES}
    checked = 0
    for recorded in em.responses:
        schema = schema_for(recorded.method, recorded.template, recorded.status)
        if schema is None or recorded.body is None:
            continue
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(recorded.body), key=lambda e: list(e.path))
        where = f"{recorded.method} {recorded.template} {recorded.status}"
        assert not errors, f"{where}: {errors[0].message} at {list(errors[0].path)}"
        checked += 1
    assert checked >= len(ROUTES)


def test_conditional_requests_and_rate_limit_headers(emulator: tuple[GitHubEmulator, str]) -> None:
    em, _ = emulator
    url = f"{em.url}/orgs/acme/repos?per_page=2"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "token tok"})) as first:
        etag, remaining = first.headers["ETag"], int(first.headers["X-RateLimit-Remaining"])
        assert first.headers["X-RateLimit-Limit"] == "5000" and 'rel="next"' in first.headers["Link"]
    conditional = urllib.request.Request(url, headers={"Authorization": "Bearer tok", "If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(conditional)
    assert not_modified.value.code == 304
    assert int(not_modified.value.headers["X-RateLimit-Remaining"]) == remaining  # a 304 costs nothing
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "token nope"}))
    assert refused.value.code == 401
