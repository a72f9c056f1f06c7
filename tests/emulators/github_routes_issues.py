"""Plain issues (the status issue): list, create, edit (https://docs.github.com/en/rest/issues/issues).

``GET /repos/{owner}/{repo}/issues`` lists pull requests too on GitHub; the emulator lists
them as issues with their ``pull_request`` key, so a client that does not skip them sees
them as GitHub would show them. ``creator`` and ``state`` narrow the listing.
"""

from __future__ import annotations

from tests.emulators import github_json as J
from tests.emulators import github_json_issues as I
from tests.emulators.github_http import Call, Reply, invalid, not_found, paginate


def _issues(call: Call) -> tuple[str, dict[int, J.Issue]]:
    full = call.repo().full_name
    return full, call.em.issues.setdefault(full, {})


def _json(call: Call, full: str, item: J.Issue | J.Pull) -> J.Json:
    labels = call.em.labels.setdefault(full, {})
    if isinstance(item, J.Pull):
        count = sum(1 for c in call.em.comments.get(full, []) if c.number == item.number)
        return I.issue(call.urls, full, item, call.user_of, labels, count)
    return I.plain_issue(call.urls, full, item, call.user_of, labels)


def list_issues(call: Call) -> Reply:
    full, issues = _issues(call)
    state, creator = call.query.get("state", "open"), call.query.get("creator")
    found: list[J.Issue | J.Pull] = [*issues.values(), *call.em.pulls.get(full, {}).values()]
    found = [i for i in found if state in ("all", i.state) and creator in (None, i.user)]
    found.sort(key=lambda i: i.number, reverse=call.query.get("direction", "desc") == "desc")
    return paginate(call, found, lambda i: _json(call, full, i))


def _labels(call: Call, full: str) -> list[str]:
    names = call.field("labels", list, required=False) or []
    if not all(isinstance(n, str) for n in names):
        raise invalid("Validation Failed", resource="Issue", field="labels", code="invalid")
    ids = call.em.labels.setdefault(full, {})
    for name in names:
        ids.setdefault(name, next(call.em.ids))
    return list(names)


def create_issue(call: Call) -> Reply:
    call.writable()
    full, issues = _issues(call)
    title = call.field("title")
    if not title.strip():
        raise invalid("Validation Failed", resource="Issue", field="title", code="missing_field")
    login = call.credential.login if call.credential else "ghost"
    number = call.em.next_number(full)  # one sequence with the pull requests, as on GitHub
    issue = J.Issue(number, next(call.em.ids), title, call.body.get("body"), login, J.now())
    issue.updated_at, issue.labels = issue.created_at, _labels(call, full)
    issues[number] = issue
    return Reply(_json(call, full, issue), 201)


def update_issue(call: Call) -> Reply:
    call.writable()
    full, issues = _issues(call)
    try:
        issue = issues[int(call.params["issue_number"])]
    except (KeyError, ValueError):
        raise not_found() from None
    for key in ("title", "body"):
        if key in call.body:
            setattr(issue, key, call.field(key, str, required=False))
    state = call.body.get("state")
    if state not in (None, "open", "closed"):
        raise invalid("Validation Failed", resource="Issue", field="state", code="invalid")
    if state is not None and state != issue.state:
        issue.state, issue.closed_at = state, J.now() if state == "closed" else None
    if "labels" in call.body:
        issue.labels = _labels(call, full)
    issue.updated_at = J.now()
    return Reply(_json(call, full, issue))


ROUTES = [
    ("GET", "/repos/{owner}/{repo}/issues", list_issues),
    ("POST", "/repos/{owner}/{repo}/issues", create_issue),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", update_issue),
]
