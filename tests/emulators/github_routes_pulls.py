"""Pull requests and the issue endpoints that decorate them (labels, assignees, comments)."""

from __future__ import annotations

from typing import Any

from tests.emulators import github_json as J
from tests.emulators import github_json_issues as I
from tests.emulators.github_http import Call, HttpError, Reply, invalid, not_found, paginate
from tests.emulators.github_routes_git import repo_json


def _pulls(call: Call) -> tuple[str, dict[int, J.Pull]]:
    full = call.repo().full_name
    return full, call.em.pulls.setdefault(full, {})


def _pull(call: Call, key: str = "pull_number") -> tuple[str, J.Pull]:
    full, pulls = _pulls(call)
    try:
        return full, pulls[int(call.params[key])]
    except (KeyError, ValueError):
        raise not_found() from None


def pull_json(call: Call, full: str, p: J.Pull) -> J.Json:
    meta = call.em.repos[full]
    labels = call.em.labels.setdefault(full, {})
    return I.pull(call.urls, full, p, repo_json(call, meta), call.em.accounts[meta.owner], call.user_of, labels)


def list_pulls(call: Call) -> Reply:
    full, pulls = _pulls(call)
    state, head, base = call.query.get("state", "open"), call.query.get("head"), call.query.get("base")
    owner = full.split("/")[0]
    found = [
        p
        for p in pulls.values()
        if state in ("all", p.state)
        and (head is None or head in (f"{owner}:{p.head}", p.head))
        and base in (None, p.base)
    ]
    descending = call.query.get("direction", "desc" if call.query.get("sort", "created") == "created" else "asc")
    found.sort(key=lambda p: p.number, reverse=descending == "desc")
    return paginate(call, found, lambda p: I.pull_simple(pull_json(call, full, p)))


def create_pull(call: Call) -> Reply:
    meta = call.writable()
    full, pulls = _pulls(call)
    title, base, head = call.field("title"), call.field("base"), call.field("head").split(":")[-1]
    store = call.em.store
    base_sha, head_sha = store.head(full, base), store.head(full, head)
    if base_sha is None or head_sha is None:
        field = "base" if base_sha is None else "head"
        raise invalid("Validation Failed", resource="PullRequest", field=field, code="invalid")
    if any(p.state == "open" and p.head == head and p.base == base for p in pulls.values()):
        message = f"A pull request already exists for {meta.owner}:{head}."
        raise invalid("Validation Failed", resource="PullRequest", code="custom", message=message)
    if not store.log(full, head_sha, exclude=base_sha):
        raise invalid(
            "Validation Failed", resource="PullRequest", code="custom", message=f"No commits between {base} and {head}"
        )
    if call.body.get("draft") and not meta.drafts:
        message = "Draft pull requests are not supported in this repository."
        raise invalid("Validation Failed", resource="PullRequest", code="custom", message=message)
    number, login = call.em.next_number(full), call.credential.login if call.credential else "ghost"
    p = J.Pull(
        number,
        next(call.em.ids),
        head,
        base,
        title,
        call.body.get("body"),
        login,
        J.now(),
        bool(call.body.get("draft")),
    )
    p.head_sha, p.base_sha, p.updated_at = head_sha, base_sha, p.created_at
    pulls[number] = p
    return Reply(pull_json(call, full, p), 201)


def get_pull(call: Call) -> Reply:
    full, p = _pull(call)
    return Reply(pull_json(call, full, p))


def update_pull(call: Call) -> Reply:
    call.writable()
    full, p = _pull(call)
    for key in ("title", "body"):
        if key in call.body:
            setattr(p, key, call.field(key, str, required=key == "title"))
    state = call.body.get("state")
    if state == "closed" and p.state == "open":
        p.state, p.closed_at = "closed", J.now()
    elif state == "open" and p.state == "closed":
        if p.merged_at or call.em.store.head(full, p.head) is None:
            raise invalid("Validation Failed", resource="PullRequest", field="state", code="invalid")
        p.state, p.closed_at = "open", None
    elif state not in (None, "open", "closed"):
        raise invalid("Validation Failed", resource="PullRequest", field="state", code="invalid")
    p.updated_at = J.now()
    return Reply(pull_json(call, full, p))


def pull_commits(call: Call) -> Reply:
    full, p = _pull(call)
    log = list(reversed(call.em.store.log(full, p.head_sha, exclude=p.base_sha)))
    return paginate(call, log, lambda c: J.commit(call.urls, full, c))


def request_reviewers(call: Call) -> Reply:
    call.writable()
    full, p = _pull(call)
    reviewers = call.field("reviewers", list, required=False) or []
    teams = call.field("team_reviewers", list, required=False) or []
    known = call.em.accounts
    if any(r == p.user or r not in known or known[r].type != "User" for r in reviewers):
        message = (
            "Reviews may only be requested from collaborators. One or more of the users or teams "
            f"you specified is not a collaborator of the {full} repository."
        )
        raise HttpError(422, message)
    p.reviewers += [r for r in reviewers if r not in p.reviewers]
    p.team_reviewers += [t for t in teams if t not in p.team_reviewers]
    return Reply(I.pull_simple(pull_json(call, full, p)), 201)


def _issue(call: Call, full: str, p: J.Pull) -> J.Json:
    count = sum(1 for c in call.em.comments.get(full, []) if c.number == p.number)
    return I.issue(call.urls, full, p, call.user_of, call.em.labels.setdefault(full, {}), count)


def add_assignees(call: Call) -> Reply:
    call.writable()
    full, p = _pull(call, "issue_number")
    known = call.em.accounts
    # like GitHub, users who cannot be assigned are dropped without an error
    for login in call.field("assignees", list, required=False) or []:
        if login in known and known[login].type == "User" and login not in p.assignees:
            p.assignees.append(login)
    return Reply(_issue(call, full, p), 201)


def add_labels(call: Call) -> Reply:
    call.writable()
    full, p = _pull(call, "issue_number")
    names: Any = call.body.get("labels") if isinstance(call.body, dict) else call.body
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise invalid("Invalid request.\n\nlabels must be an array of strings.", field="labels", code="invalid")
    ids = call.em.labels.setdefault(full, {})
    for name in names:
        ids.setdefault(name, next(call.em.ids))
        if name not in p.labels:
            p.labels.append(name)
    return Reply([J.label(call.urls, full, name, ids[name]) for name in p.labels])


def list_comments(call: Call) -> Reply:
    full, p = _pull(call, "issue_number")
    found = [c for c in call.em.comments.get(full, []) if c.number == p.number]
    return paginate(call, found, lambda c: I.comment(call.urls, full, c, call.user_of))


def create_comment(call: Call) -> Reply:
    call.writable()
    full, p = _pull(call, "issue_number")
    login = call.credential.login if call.credential else "ghost"
    c = J.Comment(next(call.em.ids), p.number, call.field("body"), login, J.now())
    call.em.comments.setdefault(full, []).append(c)
    return Reply(I.comment(call.urls, full, c, call.user_of), 201)


ROUTES = [
    ("GET", "/repos/{owner}/{repo}/pulls", list_pulls),
    ("POST", "/repos/{owner}/{repo}/pulls", create_pull),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", get_pull),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}", update_pull),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", pull_commits),
    ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", request_reviewers),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees", add_assignees),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", add_labels),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", list_comments),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", create_comment),
]
