"""Repository endpoints of the GitLab emulator: tree, files, blobs, branches, commits, compare."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from tests.emulators import gitlab_bodies as bodies
from tests.emulators.gitlab_api import Reply, Req, Route, keyset, paginate
from tests.emulators.gitlab_model import ApiError, Change, Project, now
from tests.emulators.gitlab_world import World


def _project(w: World, req: Req) -> Project:
    return w.project(req.args["id"])


def _ref(w: World, p: Project, ref: str | None) -> str:
    sha = w.resolve(p, ref)
    if sha is None:
        raise ApiError(404, "404 Tree Not Found" if ref in (None, "", "HEAD") else "404 Commit Not Found")
    return sha


def tree(w: World, req: Req) -> Reply:
    p = _project(w, req)
    sha = _ref(w, p, req.text("ref"))
    recursive = bool(req.flag("recursive", False))
    folder = (req.text("path") or "").strip("/")
    if folder and folder not in {e.path for e in w.tree(p, sha) if e.type == "tree"}:
        raise ApiError(404, "404 invalid revision or path Not Found")
    entries = w.tree(p, f"{sha}:{folder}" if folder else sha, recursive)
    if folder:  # ls-tree on a subtree names entries relative to it
        entries = [replace(e, path=f"{folder}/{e.path}") for e in entries]
    items = [bodies.tree_entry(e) for e in entries]
    if req.text("pagination") == "keyset":
        return keyset(req, items, key=lambda item: str(item["path"]))
    return paginate(req, items)


def _file_at(w: World, req: Req) -> tuple[Project, str, str, bytes, Any]:
    p = _project(w, req)
    path = req.args["file_path"]
    ref = req.text("ref") or p.default_branch
    sha = _ref(w, p, ref)
    entry = w.files(p, sha).get(path)
    if entry is None:
        raise ApiError(404, "404 File Not Found")
    return p, ref, sha, w.blob(p, entry.sha), entry


def file(w: World, req: Req) -> Reply:
    if req.text("ref") is None:
        raise ApiError(400, "ref is missing", key="error")
    p, ref, sha, content, entry = _file_at(w, req)
    last = w.git(p, "log", "-1", "--format=%H", sha, "--", entry.path).strip()
    body = bodies.file(entry.path, ref, content, entry, sha, last)
    headers = {f"X-Gitlab-{k.replace('_', '-').title()}": str(v) for k, v in body.items() if k != "content"}
    return Reply(200, body, headers)


def file_raw(w: World, req: Req) -> Reply:
    _, _, _, content, entry = _file_at(w, req)
    return Reply(200, content, {"X-Gitlab-Blob-Id": entry.sha}, content_type="text/plain; charset=utf-8")


def blob(w: World, req: Req) -> Reply:
    p = _project(w, req)
    return Reply(200, bodies.blob(req.args["sha"], w.blob(p, req.args["sha"])))


def blob_raw(w: World, req: Req) -> Reply:
    p = _project(w, req)
    return Reply(200, w.blob(p, req.args["sha"]), content_type="application/octet-stream")


def branches(w: World, req: Req) -> Reply:
    p = _project(w, req)
    return paginate(req, sorted(w.branches(p).items()), lambda b: bodies.branch(w, p, b[0], b[1], req.base))


def branch(w: World, req: Req) -> Reply:
    p = _project(w, req)
    sha = w.branches(p).get(req.args["branch"])
    if sha is None:
        raise ApiError(404, "404 Branch Not Found")
    return Reply(200, bodies.branch(w, p, req.args["branch"], sha, req.base))


def create_branch(w: World, req: Req) -> Reply:
    p = _project(w, req)
    name, ref = req.required("branch"), req.required("ref")
    if name in w.branches(p):
        raise ApiError(400, "Branch already exists")
    sha = w.resolve(p, ref)
    if sha is None:
        raise ApiError(400, "Invalid reference name: " + ref)
    w.store.set_ref(p.full_path, name, sha)
    p.last_activity_at = now()
    return Reply(201, bodies.branch(w, p, name, sha, req.base))


def delete_branch(w: World, req: Req) -> Reply:
    p = _project(w, req)
    name = req.args["branch"]
    if name not in w.branches(p):
        raise ApiError(404, "404 Branch Not Found")
    if name == p.default_branch:
        raise ApiError(400, "Cannot remove HEAD branch")
    w.store.delete_ref(p.full_path, name)
    p.last_activity_at = now()
    return Reply(204)


def commits(w: World, req: Req) -> Reply:
    p = _project(w, req)
    ref = req.text("ref_name") or p.default_branch
    if w.empty(p):
        return paginate(req, [], totals=False)  # GitLab leaves the totals out for commits
    exclude = None
    if ".." in ref:
        exclude, ref = ref.split("..", 1)
    shas = w.shas(p, _ref(w, p, ref), _ref(w, p, exclude) if exclude else None)
    if req.text("path"):
        touched = set(w.git(p, "log", "--format=%H", ref, "--", str(req.text("path"))).split())
        shas = [sha for sha in shas if sha in touched]
    return paginate(req, shas, lambda sha: bodies.commit(w, p, sha, req.base), totals=False)


def commit(w: World, req: Req) -> Reply:
    p = _project(w, req)
    sha = w.resolve(p, req.args["sha"])
    if sha is None:
        raise ApiError(404, "404 Commit Not Found")
    return Reply(200, bodies.commit(w, p, sha, req.base, stats=True))


def create_commit(w: World, req: Req) -> Reply:
    """One commit from ``actions``; creates the branch from ``start_branch``/``start_sha``,
    or overwrites it with ``force``."""
    p = _project(w, req)
    branch, message = req.required("branch"), req.required("commit_message")
    actions = req.arg("actions")
    if not isinstance(actions, list) or not actions:
        raise ApiError(400, "actions is missing", key="error")
    parent = _commit_parent(w, req, p, branch)
    files = w.files(p, parent)
    changes: dict[str, Change] = {}
    for action in actions:
        _apply(w, p, files, changes, action)
    author = (req.text("author_name") or req.user.name, req.text("author_email") or req.user.email)
    sha = w.write_commit(p, parent, changes, message, author, (req.user.name, req.user.email))
    w.store.set_ref(p.full_path, branch, sha)
    p.last_activity_at = now()
    return Reply(201, bodies.commit(w, p, sha, req.base, stats=True))


def _commit_parent(w: World, req: Req, p: Project, branch: str) -> str | None:
    start_sha, start_branch = req.text("start_sha"), req.text("start_branch")
    existing = w.branches(p).get(branch)
    if start_sha is None and start_branch is None:
        if existing is None and not w.empty(p):
            raise ApiError(400, "You can only create or edit files when you are on a branch")
        return existing
    if existing is not None and not req.flag("force", False):
        raise ApiError(
            400, f"A branch called '{branch}' already exists. Switch to that branch in order to make changes"
        )
    start = w.resolve(p, start_sha or start_branch)
    if start is None or (start_sha and not start.startswith(start_sha)):
        raise ApiError(400, "Invalid start_sha" if start_sha else "Invalid start_branch")
    return start


def _apply(w: World, p: Project, files: dict[str, Any], changes: dict[str, Change], action: dict[str, Any]) -> None:
    kind, path = action.get("action"), str(action.get("file_path", "")).strip("/")
    current = _current(w, p, files, changes, path)
    if kind == "create" or kind == "move":
        _expect(current is None, "A file with this name already exists")
    elif kind in ("update", "delete", "chmod"):
        _expect(current is not None, "A file with this name doesn't exist")
    else:
        raise ApiError(400, "actions[action] does not have a valid value", key="error")
    if kind == "move":
        old = str(action.get("previous_path", "")).strip("/")
        previous = _current(w, p, files, changes, old)
        _expect(previous is not None, "A file with this name doesn't exist")
        assert previous is not None
        changes[old] = None
        changes[path] = (previous[0], _content(action) if action.get("content") is not None else previous[1])
    elif kind == "delete":
        changes[path] = None
    elif kind == "chmod":
        assert current is not None
        changes[path] = ("100755" if action.get("execute_filemode") else "100644", current[1])
    else:  # create keeps no mode; update keeps the file's
        changes[path] = (current[0] if current else "100644", _content(action))


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ApiError(400, message)


def _current(w: World, p: Project, files: dict[str, Any], changes: dict[str, Change], path: str) -> Change:
    if path in changes:
        return changes[path]
    entry = files.get(path)
    return (entry.mode, w.blob(p, entry.sha)) if entry else None


def _content(action: dict[str, Any]) -> bytes:
    content = str(action.get("content") or "")
    return base64.b64decode(content) if action.get("encoding") == "base64" else content.encode()


def compare(w: World, req: Req) -> Reply:
    p = _project(w, req)
    old, new = _ref(w, p, req.required("from")), _ref(w, p, req.required("to"))
    base = old if req.flag("straight", False) else (w.merge_base(p, old, new) or old)
    items = [bodies.commit(w, p, sha, req.base) for sha in reversed(w.shas(p, new, base))]  # oldest first
    return Reply(
        200,
        {
            "commit": items[-1] if items else None,
            "commits": items,
            "diffs": diffs(w, p, base, new),
            "compare_timeout": False,
            "compare_same_ref": req.text("from") == req.text("to"),
            "web_url": f"{req.base}/{p.full_path}/-/compare/{old}...{new}",
        },
    )


def diffs(w: World, p: Project, old: str, new: str) -> list[dict[str, Any]]:
    found = []
    raw = w.git(p, "diff", "--raw", "-z", "-M", old, new).split("\0")
    i = 0
    while i < len(raw) - 1:
        meta = raw[i].lstrip(":").split()
        status = meta[4]
        paths = raw[i + 1 : i + (3 if status[0] in "RC" else 2)]
        i += 1 + len(paths)
        patch = w.git(p, "diff", old, new, "--", *paths)
        found.append(
            {
                "old_path": paths[0],
                "new_path": paths[-1],
                "a_mode": None if meta[0] == "000000" else meta[0],
                "b_mode": None if meta[1] == "000000" else meta[1],
                "diff": patch[patch.find("\n@@") + 1 :] if "\n@@" in patch else "",  # hunks, no headers
                "collapsed": False,
                "too_large": False,
                "new_file": status == "A",
                "renamed_file": status[0] == "R",
                "deleted_file": status == "D",
            }
        )
    return found


P = "/projects/:id/repository"
ROUTES: list[Route] = [
    ("GET", f"{P}/tree", tree),
    ("GET", f"{P}/files/:file_path", file),
    ("HEAD", f"{P}/files/:file_path", file),
    ("GET", f"{P}/files/:file_path/raw", file_raw),
    ("GET", f"{P}/blobs/:sha", blob),
    ("GET", f"{P}/blobs/:sha/raw", blob_raw),
    ("GET", f"{P}/branches", branches),
    ("GET", f"{P}/branches/:branch", branch),
    ("POST", f"{P}/branches", create_branch),
    ("DELETE", f"{P}/branches/:branch", delete_branch),
    ("GET", f"{P}/commits", commits),
    ("GET", f"{P}/commits/:sha", commit),
    ("POST", f"{P}/commits", create_commit),
    ("GET", f"{P}/compare", compare),
]
