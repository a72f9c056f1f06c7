"""Groups, projects and users of the GitLab emulator: bodies and endpoints."""

from __future__ import annotations

from typing import Any

from bot.platforms.licenses import identify
from tests.emulators import gitlab_bodies as bodies
from tests.emulators.gitlab_api import Reply, Req, Route, paginate
from tests.emulators.gitlab_model import Group, Project
from tests.emulators.gitlab_world import World

Json = dict[str, Any]


def namespace(g: Group, base: str) -> Json:
    return {
        "id": g.id,
        "name": g.name,
        "path": g.path,
        "kind": "group",
        "full_path": g.full_path,
        "parent_id": g.parent_id,
        "avatar_url": None,
        "web_url": f"{base}/groups/{g.full_path}",
    }


def group_body(w: World, g: Group, base: str, with_projects: bool = True) -> Json:
    body: Json = {
        "id": g.id,
        "name": g.name,
        "path": g.path,
        "description": g.description,
        "visibility": "private",
        "avatar_url": None,
        "web_url": f"{base}/groups/{g.full_path}",
        "request_access_enabled": False,
        "repository_storage": "default",
        "full_name": " / ".join(a.name for a in w.ancestry(g)),
        "full_path": g.full_path,
        "runners_token": "",
        "file_template_project_id": None,
        "parent_id": g.parent_id,
        "enabled_git_access_protocol": "all",
        "created_at": g.created_at,
        "shared_with_groups": [],
        "prevent_sharing_groups_outside_hierarchy": False,
        "ip_restriction_ranges": None,
        "math_rendering_limits_enabled": True,
        "lock_math_rendering_limits_enabled": False,
    }
    if with_projects:  # deprecated in the API, at most 100, direct projects only
        direct = [p for p in w.projects.values() if p.group.id == g.id][:100]
        body |= {"projects": [project_body(w, p, base) for p in direct], "shared_projects": []}
    return body


def project_body(w: World, p: Project, base: str, license_info: Json | None = None) -> Json:
    web = f"{base}/{p.full_path}"
    empty = w.empty(p)
    host = base.split("://", 1)[-1].split("/", 1)[0]
    creator = w.users[p.creator_id]
    body: Json = {
        "id": p.id,
        "description": p.description or "",
        "description_html": f"<p>{p.description}</p>" if p.description else "",
        "default_branch": p.default_branch,
        "visibility": "private",
        "ssh_url_to_repo": f"git@{host}:{p.full_path}.git",
        "http_url_to_repo": f"{web}.git",
        "web_url": web,
        "readme_url": None,
        "tag_list": list(p.topics),
        "topics": list(p.topics),
        "owner": {"id": creator.id, "name": creator.name, "created_at": "2024-01-01T00:00:00.000Z"},
        "name": p.name,
        "name_with_namespace": f"{p.group.name} / {p.name}",
        "path": p.path,
        "path_with_namespace": p.full_path,
        "issues_enabled": True,
        "open_issues_count": 0,
        "merge_requests_enabled": True,
        "jobs_enabled": True,
        "wiki_enabled": False,
        "snippets_enabled": False,
        "can_create_merge_request_in": True,
        "resolve_outdated_diff_discussions": False,
        "container_registry_enabled": False,
        "container_registry_access_level": "disabled",
        "security_and_compliance_access_level": "private",
        "container_expiration_policy": {
            "cadence": "1d",
            "enabled": False,
            "keep_n": None,
            "older_than": None,
            "name_regex": None,
            "name_regex_delete": None,
            "name_regex_keep": None,
            "next_run_at": p.created_at,
        },
        "created_at": p.created_at,
        "updated_at": p.last_activity_at,
        "last_activity_at": p.last_activity_at,
        "creator_id": creator.id,
        "namespace": namespace(p.group, base),
        "import_url": None,
        "import_type": None,
        "import_status": "none",
        "import_error": None,
        "permissions": {
            "project_access": {"access_level": 50, "notification_level": 3},
            "group_access": {"access_level": 50, "notification_level": 3},
        },
        "archived": p.archived,
        "avatar_url": None,
        "empty_repo": empty,
        "license_url": None,
        "license": None,
        "shared_runners_enabled": True,
        "group_runners_enabled": True,
        "forks_count": sum(1 for q in w.projects.values() if q.forked_from_id == p.id),
        "star_count": 0,
        "runners_token": "",
        "ci_default_git_depth": 20,
        "ci_forward_deployment_enabled": True,
        "ci_forward_deployment_rollback_allowed": True,
        "ci_allow_fork_pipelines_to_run_in_parent_project": True,
        "ci_separated_caches": True,
        "ci_restrict_pipeline_cancellation_role": "developer",
        "ci_pipeline_variables_minimum_override_role": "developer",
        "ci_push_repository_for_job_token_allowed": False,
        "public_jobs": True,
        "shared_with_groups": [],
        "repository_storage": "default",
        "only_allow_merge_if_pipeline_succeeds": False,
        "allow_merge_on_skipped_pipeline": False,
        "allow_pipeline_trigger_approve_deployment": False,
        "restrict_user_defined_variables": False,
        "only_allow_merge_if_all_discussions_are_resolved": False,
        "remove_source_branch_after_merge": True,
        "printing_merge_requests_link_enabled": True,
        "request_access_enabled": True,
        "merge_method": "merge",
        "squash_option": "default_off",
        "auto_devops_enabled": False,
        "auto_devops_deploy_strategy": "continuous",
        "approvals_before_merge": 0,
        "mirror": False,
        "mirror_user_id": None,
        "mirror_trigger_builds": False,
        "only_mirror_protected_branches": False,
        "mirror_overwrites_diverged_branches": False,
        "external_authorization_classification_label": None,
        "packages_enabled": False,
        "service_desk_enabled": False,
        "service_desk_address": None,
        "autoclose_referenced_issues": True,
        "suggestion_commit_message": None,
        "enforce_auth_checks_on_uploads": True,
        "merge_commit_template": None,
        "squash_commit_template": None,
        "issue_branch_template": None,
        "marked_for_deletion_at": None,
        "marked_for_deletion_on": None,
        "compliance_frameworks": [],
        "warn_about_potentially_unwanted_characters": True,
        "pre_receive_secret_detection_enabled": False,
        "statistics": {
            "commit_count": 0 if empty else int(w.git(p, "rev-list", "--count", p.default_branch)),
            "storage_size": 0,
            "repository_size": 0,
            "wiki_size": 0,
            "lfs_objects_size": 0,
            "job_artifacts_size": 0,
            "pipeline_artifacts_size": 0,
            "packages_size": 0,
            "snippets_size": 0,
            "uploads_size": 0,
            "container_registry_size": 0,
        },
        "container_registry_image_prefix": f"registry.{host}/{p.full_path}",
        "_links": project_links(p, base),
    }
    if license_info is not None:
        body |= {"license": license_info, "license_url": f"{web}/-/blob/{p.default_branch}/LICENSE"}
    # GitLab's lib/api/entities/project_details.rb: ``forked_from_project`` only "if
    # project.forked? && Ability.allowed?(current_user, :read_project, forked_from_project)";
    # lib/api/entities/project.rb: ``mr_default_target_self`` "if: ->(project) { project.forked? }"
    if p.forked_from_id is not None:
        body["mr_default_target_self"] = False
    if p.forked_from_id is not None and p.upstream_readable:
        origin = w.projects[p.forked_from_id]
        body["forked_from_project"] = {
            "id": origin.id,
            "name": origin.name,
            "path": origin.path,
            "path_with_namespace": origin.full_path,
            "web_url": f"{base}/{origin.full_path}",
        }
    return body


def project_links(p: Project, base: str) -> Json:
    api = f"{base}/api/v4/projects/{p.id}"
    return {
        "self": api,
        "issues": f"{api}/issues",
        "merge_requests": f"{api}/merge_requests",
        "repo_branches": f"{api}/repository/branches",
        "labels": f"{api}/labels",
        "events": f"{api}/events",
        "members": f"{api}/members",
        "cluster_agents": f"{api}/cluster_agents",
    }


def license_body(spdx: str) -> Json:
    key = spdx.lower()
    return {
        "key": key,
        "name": spdx,
        "nickname": None,
        "html_url": f"https://choosealicense.com/licenses/{key}/",
        "source_url": f"https://opensource.org/licenses/{spdx}",
    }


ORDER: dict[str, Any] = {
    "id": lambda p: p.id,
    "name": lambda p: p.name,
    "path": lambda p: p.path,
    "created_at": lambda p: p.created_at,
    "updated_at": lambda p: p.last_activity_at,
    "last_activity_at": lambda p: p.last_activity_at,
}


def group(w: World, req: Req) -> Reply:
    with_projects = req.flag("with_projects", True) is not False
    return Reply(200, group_body(w, w.group(req.args["id"]), req.base, with_projects))


def group_projects(w: World, req: Req) -> Reply:
    top = w.group(req.args["id"])
    groups = {g.id for g in (w.subgroups(top) if req.flag("include_subgroups", False) else [top])}
    found = [p for p in w.projects.values() if p.group.id in groups]
    archived = req.flag("archived")
    if archived is not None:
        found = [p for p in found if p.archived == archived]
    wanted = req.strings("topic") or []
    found = [p for p in found if all(t in p.topics for t in wanted)]
    search = (req.text("search") or "").lower()
    found = [p for p in found if search in p.path.lower() or search in p.name.lower()]
    order = ORDER.get(req.text("order_by") or "created_at", ORDER["created_at"])
    found.sort(key=lambda p: (order(p), p.id))
    if (req.text("sort") or "desc") == "desc":
        found.reverse()
    # "For performance reasons, if a query returns more than 10,000 records, GitLab doesn't
    # return the following headers: x-total, x-total-pages, rel="last" link." (docs.gitlab.com
    # api/rest, Pagination); keyset pagination is documented for GET /projects (order_by=id),
    # not for a group's projects, so ``pagination=keyset`` here is offset pagination still
    totals = len(found) <= w.totals_limit
    return paginate(req, found, lambda p: project_body(w, p, req.base), totals=totals, max_offset=w.max_offset)


def project(w: World, req: Req) -> Reply:
    p = w.project(req.args["id"])
    found = _license(w, p) if req.flag("license", False) else None
    return Reply(200, project_body(w, p, req.base, found))


def _license(w: World, p: Project) -> dict[str, Any] | None:
    head = w.branches(p).get(p.default_branch)
    for path, entry in w.files(p, head).items():
        if "/" not in path and path.lower().startswith(("license", "licence", "copying")):
            spdx = identify(w.blob(p, entry.sha).decode(errors="replace"))
            if spdx:
                return license_body(spdx)
    return None


def current_user(w: World, req: Req) -> Reply:
    return Reply(200, bodies.current_user(req.user, req.base))


def users(w: World, req: Req) -> Reply:
    name = req.text("username")
    found = [u for u in w.users.values() if name is None or u.username.lower() == name.lower()]
    return paginate(req, [bodies.user(u, req.base) for u in found])


def members(w: World, req: Req) -> Reply:
    w.project(req.args["id"])
    creator = w.users[1]
    return paginate(req, [bodies.member(u, req.base, creator) for u in w.users.values()])


ROUTES: list[Route] = [
    ("GET", "/groups/:id", group),
    ("GET", "/groups/:id/projects", group_projects),
    ("GET", "/projects/:id", project),
    ("GET", "/projects/:id/members/all", members),
    ("GET", "/user", current_user),
    ("GET", "/users", users),
]
