"""The GitHub emulator's JSON bodies, shaped like the official REST v3 schemas.

Every URL is absolute and built from the request's ``Host`` (PyGithub follows them and
asserts host, port and the ``/api/v3`` prefix). The builders take plain values and the
emulator's records; they never touch git themselves.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.gitstore import Commit, TreeEntry

EPOCH = "2024-01-01T00:00:00Z"
Json = dict[str, Any]


@dataclass(frozen=True)
class Urls:
    web: str  # http://127.0.0.1:P

    @property
    def api(self) -> str:
        return f"{self.web}/api/v3"

    def repo(self, full: str) -> str:
        return f"{self.api}/repos/{full}"


@dataclass
class Account:
    login: str
    id: int
    type: str = "Organization"  # or "User" (GitHub App bots are "Bot")


@dataclass
class RepoMeta:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    private: bool = False
    archived: bool = False
    disabled: bool = False
    fork: bool = False
    is_template: bool = False
    topics: list[str] = field(default_factory=list)
    description: str | None = None
    license: str | None = None  # SPDX id; None: recognised from the LICENSE file
    created_at: str = EPOCH
    pushed_at: str = EPOCH
    # GitHub computes ``size`` hourly: "When a repository is initially created, the size is
    # 0" (the official description's words, quoted in github/docs#29992), and a push shows
    # up in it only at the next computation. False: not computed since the last push.
    size_computed: bool = True
    # "Draft pull requests are available in public repositories with GitHub Free ..., and in
    # public and private repositories with GitHub Team and GitHub Enterprise Cloud"
    # (docs.github.com, About pull requests): a private repository on a Free plan refuses
    # ``draft: true`` with 422 "Draft pull requests are not supported in this repository."
    drafts: bool = True
    # An organisation ruleset (or branch protection) on every branch of the repository, by
    # the ruleset API's rule types: "creation" (restrict creations), "update", "deletion",
    # "required_signatures" (commits must have verified signatures). A ref write that breaks
    # one answers 422 {"message": "Repository rule violations found", "documentation_url":
    # "https://docs.github.com/rest/git/refs#create-a-reference", "status": "422"} (the body
    # quoted for POST/PATCH/DELETE .../git/refs in a public test harness; GraphQL's
    # createCommitOnBranch says "Repository rule violations found\n\n<the rule>\n\n", and
    # git pushes "GH013: Repository rule violations found for refs/heads/... - Commits must
    # have verified signatures." (py-cov-action/python-coverage-comment-action#561)).
    rules: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Pull:
    number: int
    id: int
    head: str
    base: str
    title: str
    body: str | None
    user: str
    created_at: str
    draft: bool = False
    state: str = "open"
    updated_at: str = EPOCH
    closed_at: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None
    head_sha: str = ""  # kept when the branch is deleted
    base_sha: str = ""
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    team_reviewers: list[str] = field(default_factory=list)


@dataclass
class Issue:
    """A plain issue (not a pull request's): numbered with the repository's pull requests."""

    number: int
    id: int
    title: str
    body: str | None
    user: str
    created_at: str
    state: str = "open"
    updated_at: str = EPOCH
    closed_at: str | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class Comment:
    id: int
    number: int
    body: str
    user: str
    created_at: str


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node(kind: str, key: object) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def user(u: Urls, a: Account) -> Json:
    api = f"{u.api}/users/{a.login}"
    return {
        "login": a.login,
        "id": a.id,
        "node_id": node(a.type, a.id),
        "avatar_url": f"{u.web}/avatars/{a.login}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{u.web}/{a.login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": a.type,
        "site_admin": False,
    }


def authenticated_user(u: Urls, a: Account) -> Json:
    counts: tuple[str, ...] = ("followers", "following", "public_gists", "public_repos", "collaborators", "disk_usage")
    private = ("owned_private_repos", "private_gists", "total_private_repos")
    return {
        **user(u, a),
        **dict.fromkeys(("bio", "blog", "company", "email", "hireable", "location", "name")),
        **dict.fromkeys(counts + private, 0),
        "created_at": EPOCH,
        "updated_at": EPOCH,
        "two_factor_authentication": True,
    }


def license_simple(u: Urls, spdx: str) -> Json:
    key = spdx.lower()
    return {"key": key, "name": spdx, "spdx_id": spdx, "url": f"{u.api}/licenses/{key}", "node_id": node("L", key)}


def _repo_urls(u: Urls, full: str) -> Json:
    api = u.repo(full)
    templated = {
        "archive_url": "{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "statuses_url": "/statuses/{sha}",
        "trees_url": "/git/trees{/sha}",
    }
    plain: tuple[str, ...] = (
        "contributors",
        "deployments",
        "downloads",
        "events",
        "forks",
        "hooks",
        "languages",
        "merges",
    )
    plain += ("stargazers", "subscribers", "subscription", "tags", "teams")
    return {
        **{key: f"{api}/{suffix.lstrip('/')}" for key, suffix in templated.items()},
        **{f"{name}_url": f"{api}/{name}" for name in plain},
    }


def repo(u: Urls, meta: RepoMeta, owner: Account, size: int, spdx: str | None) -> Json:
    """A Full Repository (a superset of what the listings carry)."""
    full = meta.full_name
    host = u.web.split("://", 1)[1]
    counts: tuple[str, ...] = ("forks", "forks_count", "open_issues", "open_issues_count", "stargazers_count")
    counts += ("watchers", "watchers_count", "network_count", "subscribers_count")
    return {
        "id": meta.id,
        "node_id": node("Repository", meta.id),
        "name": meta.name,
        "full_name": full,
        "owner": user(u, owner),
        "private": meta.private,
        "visibility": "private" if meta.private else "public",
        "html_url": f"{u.web}/{full}",
        "description": meta.description,
        "fork": meta.fork,
        "url": u.repo(full),
        **_repo_urls(u, full),
        "git_url": f"git://{host}/{full}.git",
        "ssh_url": f"git@{host}:{full}.git",
        "clone_url": f"{u.web}/{full}.git",
        "svn_url": f"{u.web}/{full}",
        "mirror_url": None,
        "homepage": None,
        "language": "Dockerfile" if size else None,
        **dict.fromkeys(counts, 0),
        "size": size,
        "default_branch": meta.default_branch,
        "topics": list(meta.topics),
        "is_template": meta.is_template,
        "archived": meta.archived,
        "disabled": meta.disabled,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "license": license_simple(u, spdx) if spdx else None,
        "pushed_at": meta.pushed_at,
        "created_at": meta.created_at,
        "updated_at": meta.pushed_at,
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        "allow_forking": True,
        "web_commit_signoff_required": False,
    }


def git_commit(u: Urls, full: str, c: Commit, signed: bool = False) -> Json:
    """``signed``: GitHub signed it (an App's commit made without author or committer)."""
    api = u.repo(full)
    person = {"name": c.author_name, "email": c.author_email, "date": _utc(c.date)}
    return {
        "sha": c.sha,
        "node_id": node("Commit", c.sha),
        "url": f"{api}/git/commits/{c.sha}",
        "html_url": f"{u.web}/{full}/commit/{c.sha}",
        "author": person,
        "committer": person,
        "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
        "message": c.message,
        "parents": [
            {"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{u.web}/{full}/commit/{p}"} for p in c.parents
        ],
        "verification": {
            "verified": signed,
            "reason": "valid" if signed else "unsigned",
            "signature": "-----BEGIN PGP SIGNATURE-----\n(emulated)\n-----END PGP SIGNATURE-----" if signed else None,
            "payload": c.message if signed else None,
            "verified_at": _utc(c.date) if signed else None,
        },
    }


def commit(u: Urls, full: str, c: Commit) -> Json:
    """A REST "Commit" (commits list, compare); authors are not mapped to accounts here."""
    api = u.repo(full)
    git = git_commit(u, full, c)
    return {
        "sha": c.sha,
        "node_id": git["node_id"],
        "url": f"{api}/commits/{c.sha}",
        "html_url": git["html_url"],
        "comments_url": f"{api}/commits/{c.sha}/comments",
        "commit": {
            "url": git["url"],
            "author": git["author"],
            "committer": git["committer"],
            "message": c.message,
            "tree": git["tree"],
            "comment_count": 0,
            "verification": git["verification"],
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{u.web}/{full}/commit/{p}"} for p in c.parents
        ],
    }


def ref(u: Urls, full: str, branch: str, sha: str) -> Json:
    api = u.repo(full)
    return {
        "ref": f"refs/heads/{branch}",
        "node_id": node("Ref", f"{full}:{branch}"),
        "url": f"{api}/git/refs/heads/{branch}",
        "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
    }


def tree(u: Urls, full: str, sha: str, entries: list[TreeEntry], truncated: bool = False) -> Json:
    api = u.repo(full)

    def entry(e: TreeEntry) -> Json:
        kind = "trees" if e.type == "tree" else "blobs"
        extra = {"size": e.size} if e.size is not None else {}
        return {
            "path": e.path,
            "mode": e.mode,
            "type": e.type,
            "sha": e.sha,
            **extra,
            "url": f"{api}/git/{kind}/{e.sha}",
        }

    return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": [entry(e) for e in entries], "truncated": truncated}


def blob(u: Urls, full: str, sha: str, data: bytes) -> Json:
    encoded = base64.encodebytes(data).decode()  # GitHub wraps base64 at 60-76 columns too
    return {
        "sha": sha,
        "node_id": node("Blob", sha),
        "url": f"{u.repo(full)}/git/blobs/{sha}",
        "size": len(data),
        "content": encoded,
        "encoding": "base64",
    }


def label(u: Urls, full: str, name: str, label_id: int) -> Json:
    return {
        "id": label_id,
        "node_id": node("Label", label_id),
        "url": f"{u.repo(full)}/labels/{name}",
        "name": name,
        "description": "",
        "color": "ededed",
        "default": False,
    }


def _utc(date: str) -> str:
    return date[:-6] + "Z" if date.endswith("+00:00") else date
