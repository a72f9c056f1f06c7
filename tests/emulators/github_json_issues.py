"""JSON bodies of pulls, issues, comments, teams and the GitHub App endpoints."""

from __future__ import annotations

from collections.abc import Callable

from tests.emulators.github_json import EPOCH, Account, Comment, Issue, Json, Pull, Urls, label, node, user

UserOf = Callable[[str], Json]  # login -> Simple User


def team(u: Urls, org: str, slug: str, team_id: int) -> Json:
    api = f"{u.api}/orgs/{org}/teams/{slug}"
    return {
        "id": team_id,
        "node_id": node("Team", team_id),
        "url": api,
        "html_url": f"{u.web}/orgs/{org}/teams/{slug}",
        "name": slug,
        "slug": slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{api}/members{{/member}}",
        "repositories_url": f"{api}/repos",
        "type": "organization",
        "parent": None,
    }


def _links(u: Urls, full: str, number: int, head_sha: str) -> Json:
    api = u.repo(full)
    hrefs = {
        "self": f"{api}/pulls/{number}",
        "html": f"{u.web}/{full}/pull/{number}",
        "issue": f"{api}/issues/{number}",
        "comments": f"{api}/issues/{number}/comments",
        "review_comments": f"{api}/pulls/{number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{number}/commits",
        "statuses": f"{api}/statuses/{head_sha}",
    }
    return {key: {"href": href} for key, href in hrefs.items()}


def pull(
    u: Urls, full: str, p: Pull, repo_json: Json, owner: Account, user_of: UserOf, label_ids: dict[str, int]
) -> Json:
    """A full Pull Request (the list endpoint's items are a subset of it)."""
    api = u.repo(full)
    side = {"repo": repo_json, "user": user(u, owner)}
    org = full.split("/", 1)[0]
    return {
        "url": f"{api}/pulls/{p.number}",
        "id": p.id,
        "node_id": node("PullRequest", p.id),
        "html_url": f"{u.web}/{full}/pull/{p.number}",
        "diff_url": f"{u.web}/{full}/pull/{p.number}.diff",
        "patch_url": f"{u.web}/{full}/pull/{p.number}.patch",
        "issue_url": f"{api}/issues/{p.number}",
        "commits_url": f"{api}/pulls/{p.number}/commits",
        "review_comments_url": f"{api}/pulls/{p.number}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{p.number}/comments",
        "statuses_url": f"{api}/statuses/{p.head_sha}",
        "number": p.number,
        "state": p.state,
        "locked": False,
        "title": p.title,
        "user": user_of(p.user),
        "body": p.body,
        "labels": [label(u, full, name, label_ids[name]) for name in p.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "closed_at": p.closed_at,
        "merged_at": p.merged_at,
        "merge_commit_sha": p.merge_commit_sha,
        "assignee": user_of(p.assignees[0]) if p.assignees else None,
        "assignees": [user_of(a) for a in p.assignees],
        "requested_reviewers": [user_of(r) for r in p.reviewers],
        "requested_teams": [team(u, org, slug, _team_id(slug)) for slug in p.team_reviewers],
        "head": {"label": f"{owner.login}:{p.head}", "ref": p.head, "sha": p.head_sha, **side},
        "base": {"label": f"{owner.login}:{p.base}", "ref": p.base, "sha": p.base_sha, **side},
        "_links": _links(u, full, p.number, p.head_sha),
        "author_association": "NONE",
        "auto_merge": None,
        "draft": p.draft,
        "merged": p.merged_at is not None,
        "mergeable": None if p.state == "closed" else True,
        "rebaseable": None,
        "mergeable_state": "unknown" if p.state == "closed" else "clean",
        "merged_by": user_of(p.merged_by) if p.merged_by else None,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    }


def pull_simple(full_pull: Json) -> Json:
    """An item of ``GET /pulls`` (no counters, no merge state)."""
    dropped: tuple[str, ...] = ("merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments")
    dropped += ("review_comments", "maintainer_can_modify", "commits", "additions", "deletions", "changed_files")
    return {key: value for key, value in full_pull.items() if key not in dropped}


def issue(u: Urls, full: str, p: Pull, user_of: UserOf, label_ids: dict[str, int], comments: int) -> Json:
    api = u.repo(full)
    return {
        "id": p.id + 1_000_000,
        "node_id": node("Issue", p.id),
        "url": f"{api}/issues/{p.number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{p.number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{p.number}/comments",
        "events_url": f"{api}/issues/{p.number}/events",
        "html_url": f"{u.web}/{full}/pull/{p.number}",
        "number": p.number,
        "state": p.state,
        "title": p.title,
        "body": p.body,
        "user": user_of(p.user),
        "labels": [label(u, full, name, label_ids[name]) for name in p.labels],
        "assignee": user_of(p.assignees[0]) if p.assignees else None,
        "assignees": [user_of(a) for a in p.assignees],
        "milestone": None,
        "locked": False,
        "comments": comments,
        "pull_request": {
            "url": f"{api}/pulls/{p.number}",
            "html_url": f"{u.web}/{full}/pull/{p.number}",
            "diff_url": f"{u.web}/{full}/pull/{p.number}.diff",
            "patch_url": f"{u.web}/{full}/pull/{p.number}.patch",
            "merged_at": p.merged_at,
        },
        "closed_at": p.closed_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "author_association": "NONE",
    }


def plain_issue(u: Urls, full: str, i: Issue, user_of: UserOf, label_ids: dict[str, int]) -> Json:
    """A plain issue (``POST``/``PATCH``/``GET .../issues``): no ``pull_request`` key."""
    api = u.repo(full)
    return {
        "id": i.id,
        "node_id": node("Issue", i.id),
        "url": f"{api}/issues/{i.number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{i.number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{i.number}/comments",
        "events_url": f"{api}/issues/{i.number}/events",
        "html_url": f"{u.web}/{full}/issues/{i.number}",
        "number": i.number,
        "state": i.state,
        "state_reason": "completed" if i.state == "closed" else None,
        "title": i.title,
        "body": i.body,
        "user": user_of(i.user),
        "labels": [label(u, full, name, label_ids[name]) for name in i.labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": 0,
        "closed_at": i.closed_at,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
        "author_association": "NONE",
    }


def comment(u: Urls, full: str, c: Comment, user_of: UserOf) -> Json:
    api = u.repo(full)
    return {
        "id": c.id,
        "node_id": node("IssueComment", c.id),
        "url": f"{api}/issues/comments/{c.id}",
        "html_url": f"{u.web}/{full}/pull/{c.number}#issuecomment-{c.id}",
        "issue_url": f"{api}/issues/{c.number}",
        "body": c.body,
        "user": user_of(c.user),
        "created_at": c.created_at,
        "updated_at": c.created_at,
        "author_association": "NONE",
    }


PERMISSIONS = {"contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"}


def installation(u: Urls, installation_id: int, app_id: int, slug: str, account: Account) -> Json:
    return {
        "id": installation_id,
        # the official list schema is allOf(simple user, enterprise): carry both shapes
        "account": {**user(u, account), "name": account.login, "slug": account.login}
        | {"created_at": EPOCH, "updated_at": EPOCH},
        "app_id": app_id,
        "app_slug": slug,
        "client_id": f"Iv1.{app_id:08d}",
        "target_id": account.id,
        "target_type": account.type,
        "repository_selection": "all",
        "single_file_name": None,
        "access_tokens_url": f"{u.api}/app/installations/{installation_id}/access_tokens",
        "repositories_url": f"{u.api}/installation/repositories",
        "html_url": f"{u.web}/organizations/{account.login}/settings/installations/{installation_id}",
        "events": [],
        "permissions": dict(PERMISSIONS),
        "created_at": EPOCH,
        "updated_at": EPOCH,
        "suspended_by": None,
        "suspended_at": None,
    }


def access_token(token: str, expires_at: str) -> Json:
    return {"token": token, "expires_at": expires_at, "permissions": dict(PERMISSIONS), "repository_selection": "all"}


def rate_limit(limit: int, used: int, reset: int) -> Json:
    core = {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset}
    search = {"limit": 30, "used": 0, "remaining": 30, "reset": reset}
    return {"rate": core, "resources": {"core": core, "search": search}}


def _team_id(slug: str) -> int:
    return 100 + sum(ord(ch) for ch in slug)
