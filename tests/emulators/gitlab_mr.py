"""Merge requests and notes of the GitLab emulator, plus what a human does to them (merge, close)."""

from __future__ import annotations

from typing import Any

from tests.emulators import gitlab_bodies as bodies
from tests.emulators.gitlab_api import Reply, Req, Route, of_group, paginate
from tests.emulators.gitlab_model import ApiError, MergeRequest, Note, Project, User, now
from tests.emulators.gitlab_world import World

Json = dict[str, Any]
STATES = {"opened", "closed", "merged", "locked"}


def body(w: World, mr: MergeRequest, base: str) -> Json:
    p = w.projects[mr.project_id]
    source = w.branches(p).get(mr.source_branch) or mr.last_sha
    target = w.branches(p).get(mr.target_branch)
    merge_base = w.merge_base(p, target, source) if source and target else None
    behind = len(w.shas(p, target, source)) if source and target else 0
    people = [w.users[i] for i in mr.assignee_ids]
    ref = f"!{mr.iid}"
    return {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": mr.project_id,
        "title": mr.title,
        "description": mr.description,
        "state": mr.state,
        "imported": False,
        "imported_from": "none",
        "created_at": mr.created_at,
        "updated_at": mr.updated_at,
        "merged_by": _user(w, mr.merged_by_id, base),
        "merge_user": _user(w, mr.merged_by_id, base),
        "merged_at": mr.merged_at,
        "merge_after": None,
        "prepared_at": mr.created_at,
        "closed_by": _user(w, mr.closed_by_id, base),
        "closed_at": mr.closed_at,
        "target_branch": mr.target_branch,
        "source_branch": mr.source_branch,
        "user_notes_count": len(mr.notes),
        "upvotes": 0,
        "downvotes": 0,
        "author": bodies.user(w.users[mr.author_id], base),
        "assignees": [bodies.user(u, base) for u in people],
        "assignee": bodies.user(people[0], base) if people else None,
        "reviewers": [bodies.user(w.users[i], base) for i in mr.reviewer_ids],
        "source_project_id": mr.project_id,
        "target_project_id": mr.project_id,
        "labels": list(mr.labels),
        "draft": mr.draft,
        "work_in_progress": mr.draft,
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable" if mr.state == "opened" else "not_open",
        "sha": source,
        "merge_commit_sha": mr.merge_commit_sha,
        "squash_commit_sha": None,
        "discussion_locked": None,
        "should_remove_source_branch": mr.remove_source_branch if mr.state == "merged" else None,
        "force_remove_source_branch": bool(mr.remove_source_branch),
        "allow_collaboration": False,
        "allow_maintainer_to_push": False,
        "reference": ref,
        "references": {"short": ref, "relative": ref, "full": f"{p.full_path}{ref}"},
        "web_url": f"{base}/{p.full_path}/-/merge_requests/{mr.iid}",
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "squash": mr.squash,
        "squash_on_merge": mr.squash,
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_conflicts": False,
        "blocking_discussions_resolved": True,
        "approvals_before_merge": None,
        "subscribed": True,
        "changes_count": str(
            len(w.git(p, "diff", "--name-only", merge_base, source).split()) if merge_base and source else 0
        ),
        "latest_build_started_at": None,
        "latest_build_finished_at": None,
        "first_deployed_to_production_at": None,
        "pipeline": None,
        "head_pipeline": None,
        "diff_refs": {"base_sha": merge_base, "head_sha": source, "start_sha": target},
        "merge_error": None,
        "first_contribution": False,
        "user": {"can_merge": True},
        "diverged_commits_count": behind,
    }


def _user(w: World, user_id: int | None, base: str) -> Json | None:
    return bodies.user(w.users[user_id], base) if user_id is not None else None


def _project(w: World, req: Req) -> Project:
    return w.project(req.args["id"])


def list_mrs(w: World, req: Req) -> Reply:
    p = _project(w, req)
    state = req.text("state") or "all"
    found = [mr for mr in w.merge_requests if mr.project_id == p.id and state in ("all", mr.state)]
    for name in ("source_branch", "target_branch"):
        if req.text(name):
            found = [mr for mr in found if getattr(mr, name) == req.text(name)]
    for label in req.strings("labels") or []:
        found = [mr for mr in found if label in mr.labels]
    iids = req.ints("iids")
    if iids:
        found = [mr for mr in found if mr.iid in iids]
    order = req.text("order_by") or "created_at"
    found.sort(key=lambda mr: (getattr(mr, order if order in ("title", "updated_at") else "created_at"), mr.id))
    if (req.text("sort") or "desc") == "desc":
        found.reverse()
    return paginate(req, found, lambda mr: body(w, mr, req.base))


def group_mrs(w: World, req: Req) -> Reply:
    """The merge requests of every project of a group and its subgroups ("List group merge
    requests", https://docs.gitlab.com/api/merge_requests/#list-group-merge-requests):
    ``scope`` defaults to ``all`` there, and the merge requests of archived projects are left out unless
    ``non_archived=false``."""
    found = of_group(w, req, w.merge_requests)
    for name in ("source_branch", "target_branch"):
        if req.text(name):
            found = [mr for mr in found if getattr(mr, name) == req.text(name)]
    return paginate(req, found, lambda mr: body(w, mr, req.base))


def create_mr(w: World, req: Req) -> Reply:
    p = _project(w, req)
    source, target, title = req.required("source_branch"), req.required("target_branch"), req.required("title")
    for branch in (source, target):
        if branch not in w.branches(p):
            raise ApiError(400, [f'Branch "{branch}" does not exist'])
    for mr in w.merge_requests:
        if (mr.project_id, mr.source_branch, mr.target_branch, mr.state) == (p.id, source, target, "opened"):
            raise ApiError(409, [f"Another open merge request already exists for this source branch: !{mr.iid}"])
    iid = 1 + max((mr.iid for mr in w.merge_requests if mr.project_id == p.id), default=0)
    mr = MergeRequest(w.next_id("mr"), iid, p.id, title, req.text("description") or "", source, target, req.user.id)
    _edit(w, mr, req)
    w.merge_requests.append(mr)
    return Reply(201, body(w, mr, req.base))


def _edit(w: World, mr: MergeRequest, req: Req) -> None:
    """The attributes create and update share."""
    mr.labels = req.strings("labels") or [] if req.arg("labels") is not None else mr.labels
    mr.labels = _unique(mr.labels + (req.strings("add_labels") or []))
    mr.labels = [label for label in mr.labels if label not in (req.strings("remove_labels") or [])]
    for name in ("assignee_id", "assignee_ids"):  # the list wins when both are given
        if req.arg(name) is not None:
            mr.assignee_ids = [i for i in req.ints(name) or [] if i in w.users]
    if req.arg("reviewer_ids") is not None:
        mr.reviewer_ids = [i for i in req.ints("reviewer_ids") or [] if i in w.users]
    mr.remove_source_branch = req.flag("remove_source_branch", mr.remove_source_branch)
    mr.squash = bool(req.flag("squash", mr.squash))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def get_mr(w: World, req: Req) -> Reply:
    return Reply(200, body(w, w.mr(_project(w, req), req.args["merge_request_iid"]), req.base))


UPDATABLE = [
    "title",
    "description",
    "state_event",
    "labels",
    "add_labels",
    "remove_labels",
    "assignee_id",
    "assignee_ids",
    "reviewer_ids",
    "remove_source_branch",
    "squash",
    "target_branch",
    "discussion_locked",
    "milestone_id",
    "allow_collaboration",
    "merge_after",
]


def update_mr(w: World, req: Req) -> Reply:
    p = _project(w, req)
    mr = w.mr(p, req.args["merge_request_iid"])
    if not any(req.arg(name) is not None for name in UPDATABLE):
        raise ApiError(400, "at least one parameter must be provided", key="error")
    mr.title = req.text("title") or mr.title
    mr.description = req.text("description", mr.description) or ""
    mr.target_branch = req.text("target_branch") or mr.target_branch
    _edit(w, mr, req)
    event = req.text("state_event")
    if event == "close" and mr.state == "opened":
        close(w, mr, req.user)
    elif event == "reopen" and mr.state == "closed":
        mr.state, mr.closed_at, mr.closed_by_id = "opened", None, None
    mr.updated_at = now()
    return Reply(200, body(w, mr, req.base))


def create_note(w: World, req: Req) -> Reply:
    mr = w.mr(_project(w, req), req.args["merge_request_iid"])
    note = Note(w.next_id("note"), req.required("body"), req.user.id)
    mr.notes.append(note)
    return Reply(201, bodies.note(note, mr, req.user, req.base))


def list_notes(w: World, req: Req) -> Reply:
    mr = w.mr(_project(w, req), req.args["merge_request_iid"])
    return paginate(req, [bodies.note(n, mr, w.users[n.author_id], req.base) for n in reversed(mr.notes)])


def mr_commits(w: World, req: Req) -> Reply:
    p = _project(w, req)
    mr = w.mr(p, req.args["merge_request_iid"])
    shas = mr.commits_at_merge or _ahead(w, p, mr)
    return paginate(req, shas, lambda sha: bodies.commit(w, p, sha, req.base))


def _ahead(w: World, p: Project, mr: MergeRequest) -> list[str]:
    source, target = w.branches(p).get(mr.source_branch), w.branches(p).get(mr.target_branch)
    return w.shas(p, source, target) if source and target else []


def close(w: World, mr: MergeRequest, user: User) -> None:
    mr.state, mr.closed_at, mr.closed_by_id, mr.updated_at = "closed", now(), user.id, now()
    w.projects[mr.project_id].last_activity_at = now()  # GitLab records the event on the project


def merge(w: World, mr: MergeRequest, user: User, squash: bool = False) -> str:
    """What the merge button does: a merge (or squash) commit on the target branch."""
    if mr.state != "opened":
        raise ApiError(405, "Method Not Allowed")
    p = w.projects[mr.project_id]
    source, target = w.branches(p)[mr.source_branch], w.branches(p)[mr.target_branch]
    mr.commits_at_merge = _ahead(w, p, mr)
    tree = w.merge_tree(p, target, source)
    who = (user.name, user.email)
    if squash:
        sha = w.commit_tree(p, tree, (target,), mr.title, who, who)
    else:
        message = f"Merge branch '{mr.source_branch}' into '{mr.target_branch}'\n\n{mr.title}\n\n"
        message += f"See merge request {p.full_path}!{mr.iid}"
        sha = w.commit_tree(p, tree, (target, source), message, who, who)
    w.store.set_ref(p.full_path, mr.target_branch, sha)
    mr.state, mr.merged_at, mr.merged_by_id, mr.merge_commit_sha = "merged", now(), user.id, sha
    mr.last_sha, mr.updated_at = source, now()
    p.last_activity_at = now()
    if mr.remove_source_branch:
        w.store.delete_ref(p.full_path, mr.source_branch)
    return sha


M = "/projects/:id/merge_requests"
ROUTES: list[Route] = [
    ("GET", M, list_mrs),
    ("POST", M, create_mr),
    ("GET", f"{M}/:merge_request_iid", get_mr),
    ("PUT", f"{M}/:merge_request_iid", update_mr),
    ("POST", f"{M}/:merge_request_iid/notes", create_note),
    ("GET", f"{M}/:merge_request_iid/notes", list_notes),
    ("GET", f"{M}/:merge_request_iid/commits", mr_commits),
    ("GET", "/groups/:id/merge_requests", group_mrs),
]
