"""Project issues of the GitLab emulator (the status issue): list, create, edit
(https://docs.gitlab.com/api/issues/, see ``tests/data/apis/gitlab-v4-reference.json``)."""

from __future__ import annotations

from typing import Any

from tests.emulators import gitlab_bodies as bodies
from tests.emulators.gitlab_api import Reply, Req, Route, of_group, paginate
from tests.emulators.gitlab_model import ApiError, Issue, now
from tests.emulators.gitlab_world import World

Json = dict[str, Any]
UPDATABLE = ("title", "description", "state_event", "labels", "add_labels", "remove_labels", "discussion_locked")


def body(w: World, issue: Issue, base: str) -> Json:
    p = w.projects[issue.project_id]
    api = f"{base}/api/v4/projects/{p.id}"
    closer = w.users[issue.closed_by_id] if issue.closed_by_id is not None else None
    checked = (issue.description or "").count("- [x]") + (issue.description or "").count("- [X]")
    boxes = checked + (issue.description or "").count("- [ ]")
    return {
        "id": issue.id,
        "iid": issue.iid,
        "project_id": p.id,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "closed_at": issue.closed_at,
        "closed_by": bodies.user(closer, base) if closer else None,
        "labels": list(issue.labels),
        "milestone": None,
        "assignees": [],
        "assignee": None,
        "author": bodies.user(w.users[issue.author_id], base),
        "type": "ISSUE",
        "upvotes": 0,
        "downvotes": 0,
        "merge_requests_count": 0,
        "user_notes_count": 0,
        "due_date": None,
        "imported": False,
        "imported_from": "none",
        "subscribed": True,
        "web_url": f"{base}/{p.full_path}/-/issues/{issue.iid}",
        "references": {"short": f"#{issue.iid}", "relative": f"#{issue.iid}", "full": f"{p.full_path}#{issue.iid}"},
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "has_tasks": boxes > 0,
        "task_status": f"{checked} of {boxes} checklist items completed",
        "confidential": False,
        "discussion_locked": False,
        "issue_type": "issue",
        "severity": "UNKNOWN",
        "_links": {
            "self": f"{api}/issues/{issue.iid}",
            "notes": f"{api}/issues/{issue.iid}/notes",
            "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
            "project": api,
            "closed_as_duplicate_of": None,
        },
        "task_completion_status": {"count": boxes, "completed_count": checked},
    }


def _issue(w: World, req: Req) -> Issue:
    p = w.project(req.args["id"])
    for issue in w.issues:
        if issue.project_id == p.id and str(issue.iid) == req.args["issue_iid"]:
            return issue
    raise ApiError(404, "404 Issue Not Found")


def list_issues(w: World, req: Req) -> Reply:
    p = w.project(req.args["id"])
    state = req.text("state") or "all"
    found = [i for i in w.issues if i.project_id == p.id and state in ("all", i.state)]
    author = req.text("author_username")
    if author:
        found = [i for i in found if w.users[i.author_id].username == author]
    if req.text("author_id"):
        found = [i for i in found if str(i.author_id) == req.text("author_id")]
    for label in req.strings("labels") or []:
        found = [i for i in found if label in i.labels]
    found.sort(key=lambda i: (i.created_at, i.id), reverse=(req.text("sort") or "desc") == "desc")
    return paginate(req, found, lambda i: body(w, i, req.base))


def group_issues(w: World, req: Req) -> Reply:
    """The issues of every project of a group and its subgroups ("List group issues");
    those of archived projects are left out unless ``non_archived=false``."""
    return paginate(req, of_group(w, req, w.issues), lambda i: body(w, i, req.base))


def create_issue(w: World, req: Req) -> Reply:
    p = w.project(req.args["id"])
    title = req.required("title")
    iid = 1 + max((i.iid for i in w.issues if i.project_id == p.id), default=0)
    issue = Issue(w.next_id("issue"), iid, p.id, title, req.text("description"), req.user.id)
    issue.labels = list(dict.fromkeys(req.strings("labels") or []))
    w.issues.append(issue)
    return Reply(201, body(w, issue, req.base))


def update_issue(w: World, req: Req) -> Reply:
    issue = _issue(w, req)
    if not any(req.arg(name) is not None for name in UPDATABLE):
        raise ApiError(400, "at least one parameter must be provided", key="error")
    issue.title = req.text("title") or issue.title
    issue.description = req.text("description", issue.description)
    if req.arg("labels") is not None:
        issue.labels = req.strings("labels") or []
    issue.labels = list(dict.fromkeys(issue.labels + (req.strings("add_labels") or [])))
    issue.labels = [label for label in issue.labels if label not in (req.strings("remove_labels") or [])]
    event = req.text("state_event")
    if event == "close" and issue.state == "opened":
        issue.state, issue.closed_at, issue.closed_by_id = "closed", now(), req.user.id
    elif event == "reopen" and issue.state == "closed":
        issue.state, issue.closed_at, issue.closed_by_id = "opened", None, None
    issue.updated_at = now()
    return Reply(200, body(w, issue, req.base))


ISSUES = "/projects/:id/issues"
ROUTES: list[Route] = [
    ("GET", ISSUES, list_issues),
    ("POST", ISSUES, create_issue),
    ("PUT", f"{ISSUES}/:issue_iid", update_issue),
    ("GET", "/groups/:id/issues", group_issues),
]
