"""JSON bodies of the GitLab emulator, shaped like GitLab's documented example responses.

Every field of the documentation's example is present with the same JSON type;
``tests/emulators/test_gitlab_conformance.py`` checks it. Values come from the
emulator's state (real git shas, dates, authors); settings GitLab would report for
features the emulator does not model (CI, mirrors, milestones) keep neutral values.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from tests.emulators.gitlab_model import MergeRequest, Note, Project, User
from tests.emulators.gitlab_world import World
from tests.emulators.gitstore import TreeEntry

Json = dict[str, Any]


def user(u: User, base: str) -> Json:
    return {
        "id": u.id,
        "username": u.username,
        "name": u.name,
        "state": u.state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{base}/{u.username}",
    }


def current_user(u: User, base: str) -> Json:
    return {
        **user(u, base),
        "email": u.email,
        "created_at": "2024-01-01T00:00:00.000Z",
        "bio": "",
        "location": None,
        "public_email": u.email,
        "linkedin": "",
        "twitter": "",
        "discord": "",
        "github": "",
        "website_url": "",
        "organization": "",
        "job_title": "",
        "pronouns": None,
        "bot": u.bot,
        "work_information": None,
        "followers": 0,
        "following": 0,
        "local_time": None,
        "last_sign_in_at": "2024-01-01T00:00:00.000Z",
        "confirmed_at": "2024-01-01T00:00:00.000Z",
        "theme_id": 1,
        "last_activity_on": "2024-01-01",
        "color_scheme_id": 1,
        "projects_limit": 100000,
        "current_sign_in_at": "2024-01-01T00:00:00.000Z",
        "identities": [],
        "can_create_group": True,
        "can_create_project": True,
        "two_factor_enabled": False,
        "external": False,
        "private_profile": False,
        "commit_email": u.email,
    }


def member(u: User, base: str, creator: User) -> Json:
    return {
        **user(u, base),
        "created_at": "2024-01-01T00:00:00.000Z",
        "created_by": user(creator, base),
        "email": u.email,  # shown to group owners (the bot's token is one)
        "expires_at": None,
        "access_level": 50 if u.bot else 30,
        "group_saml_identity": None,
    }


def tree_entry(e: TreeEntry) -> Json:
    return {"id": e.sha, "name": e.path.rsplit("/", 1)[-1], "type": e.type, "path": e.path, "mode": e.mode}


def file(path: str, ref: str, content: bytes, entry: TreeEntry, commit_id: str, last_commit_id: str) -> Json:
    return {
        "file_name": path.rsplit("/", 1)[-1],
        "file_path": path,
        "size": len(content),
        "encoding": "base64",
        "content": base64.b64encode(content).decode(),
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "ref": ref,
        "blob_id": entry.sha,
        "commit_id": commit_id,
        "last_commit_id": last_commit_id,
        "execute_filemode": entry.mode == "100755",
    }


def blob(sha: str, content: bytes) -> Json:
    return {"size": len(content), "encoding": "base64", "content": base64.b64encode(content).decode(), "sha": sha}


def commit(w: World, p: Project, sha: str, base: str, stats: bool = False) -> Json:
    c, (name, email, date) = w.details(p, sha)
    body: Json = {
        "id": c.sha,
        "short_id": c.sha[:11],
        "created_at": date,
        "parent_ids": list(c.parents),
        "title": c.message.split("\n", 1)[0],
        "message": c.message,
        "author_name": c.author_name,
        "author_email": c.author_email,
        "authored_date": c.date,
        "committer_name": name,
        "committer_email": email,
        "committed_date": date,
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{base}/{p.full_path}/-/commit/{c.sha}",
    }
    if stats:
        additions, deletions = w.numstat(p, c.parents[0] if c.parents else None, c.sha)
        body |= {
            "stats": {"additions": additions, "deletions": deletions, "total": additions + deletions},
            "status": None,
            "last_pipeline": None,
        }
    return body


def branch(w: World, p: Project, name: str, sha: str, base: str) -> Json:
    default = w.branches(p).get(p.default_branch)
    merged = name != p.default_branch and default is not None and w.merge_base(p, sha, default) == sha
    return {
        "name": name,
        "merged": merged,
        "protected": name == p.default_branch,
        "default": name == p.default_branch,
        "developers_can_push": False,
        "developers_can_merge": False,
        "can_push": True,
        "web_url": f"{base}/{p.full_path}/-/tree/{name}",
        "commit": commit(w, p, sha, base),
    }


def note(n: Note, mr: MergeRequest, author: User, base: str) -> Json:
    return {
        "id": n.id,
        "type": None,
        "body": n.body,
        "attachment": None,
        "author": {**user(author, base), "email": author.email, "created_at": "2024-01-01T00:00:00.000Z"},
        "created_at": n.created_at,
        "updated_at": n.created_at,
        "system": False,
        "noteable_id": mr.id,
        "noteable_type": "MergeRequest",
        "project_id": mr.project_id,
        "noteable_iid": mr.iid,
        "resolvable": False,
        "confidential": False,
        "internal": False,
    }
