"""Repositories, commits and the Git Data API (blobs, trees, commits, refs)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.emulators import github_json as J
from tests.emulators.github_http import Call, HttpError, Reply, invalid, not_found, paginate
from tests.emulators.gitstore import GitError

MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}


def repo_json(call: Call, meta: J.RepoMeta) -> J.Json:
    size, spdx = call.em.derived(meta.full_name)
    return J.repo(call.urls, meta, call.em.accounts[meta.owner], size, spdx)


def _owned(call: Call, login: str, kinds: tuple[str, ...]) -> list[J.RepoMeta]:
    account = call.em.accounts.get(login)
    if account is None or account.type not in kinds:
        raise not_found()
    scope = call.credential.owner if call.credential else None
    visible = [m for m in call.em.repos.values() if m.owner == login and scope in (None, login)]
    return sorted(visible, key=lambda m: m.name.lower())


def org_repos(call: Call) -> Reply:
    return paginate(call, _owned(call, call.params["org"], ("Organization",)), lambda m: repo_json(call, m))


def user_repos(call: Call) -> Reply:
    # "Lists public repositories for the specified user" (docs.github.com, List repositories
    # for a user): a token's own private repositories need GET /user/repos, outside the subset
    repos = [m for m in _owned(call, call.params["username"], ("User", "Organization")) if not m.private]
    return paginate(call, repos, lambda m: repo_json(call, m))


def installation_repos(call: Call) -> Reply:
    if call.credential is None or call.credential.owner is None:
        raise HttpError(403, "This endpoint requires an installation token")
    # https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-app-installation
    repos = _owned(call, call.credential.owner, ("User", "Organization"))
    chosen = call.credential.selected
    repos = [m for m in repos if chosen is None or m.name in chosen]
    page = paginate(call, repos, lambda m: repo_json(call, m))
    return Reply({"total_count": len(repos), "repositories": page.body}, headers=page.headers)


def get_repo(call: Call) -> Reply:
    return Reply(repo_json(call, call.repo()))


def topics(call: Call) -> Reply:
    return Reply({"names": list(call.repo().topics)})


def license_content(call: Call) -> Reply:
    meta = call.repo()
    full, (_, spdx) = meta.full_name, call.em.derived(meta.full_name)
    head = call.em.store.head(full, meta.default_branch)
    entries = call.em.store.tree(full, head, recursive=False) if head else []
    found = [e for e in entries if e.type == "blob" and e.path.lower().startswith(("license", "licence", "copying"))]
    if not spdx or not found:
        raise not_found()
    blob = J.blob(call.urls, full, found[0].sha, call.em.store.blob(full, found[0].sha))
    self_url = f"{call.urls.repo(full)}/contents/{found[0].path}"
    return Reply(
        {
            "name": found[0].path,
            "path": found[0].path,
            "sha": found[0].sha,
            "size": blob["size"],
            "url": self_url,
            "html_url": f"{call.urls.web}/{full}/blob/{meta.default_branch}/{found[0].path}",
            "git_url": blob["url"],
            "download_url": f"{call.urls.web}/{full}/raw/{meta.default_branch}/{found[0].path}",
            "type": "file",
            "content": blob["content"],
            "encoding": "base64",
            "_links": {"self": self_url, "git": blob["url"], "html": f"{call.urls.web}/{full}"},
            "license": J.license_simple(call.urls, spdx),
        }
    )


def resolve(call: Call, full: str, name: str, kind: str = "commit") -> str:
    """A branch name or sha as the sha of a ``kind`` object; 409 for an empty repository."""
    if not call.em.store.branches(full):
        raise HttpError(409, "Git Repository is empty.")
    try:
        return call.em.store.git(full, "rev-parse", "--verify", "--quiet", f"{name}^{{{kind}}}").strip()
    except GitError:
        raise not_found() from None


def commits(call: Call) -> Reply:
    meta = call.repo()
    head = resolve(call, meta.full_name, call.query.get("sha", meta.default_branch))
    log = call.em.store.log(meta.full_name, head)
    return paginate(call, log, lambda c: J.commit(call.urls, meta.full_name, c))


def get_branch(call: Call) -> Reply:
    """A branch with its head commit (and that commit's tree); protection is not emulated."""
    full = call.repo().full_name
    name = call.params["branch"]
    sha = call.em.store.head(full, name)
    if sha is None:
        raise not_found()
    api = f"{call.urls.repo(full)}/branches/{name}"
    return Reply(
        {
            "name": name,
            "commit": J.commit(call.urls, full, call.em.store.commit_info(full, sha)),
            "_links": {"self": api, "html": f"{call.urls.web}/{full}/tree/{name}"},
            "protected": False,
            "protection": {
                "enabled": False,
                "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
            },
            "protection_url": f"{api}/protection",
        }
    )


def compare(call: Call) -> Reply:
    full = call.repo().full_name
    base_name, sep, head_name = call.params["basehead"].partition("...")
    if not sep:
        raise not_found()
    base, head = resolve(call, full, base_name), resolve(call, full, head_name)
    try:
        merge_base = call.em.store.git(full, "merge-base", base, head).strip()
    except GitError:
        raise not_found() from None
    ahead = list(reversed(call.em.store.log(full, head, exclude=base)))
    behind = len(call.em.store.log(full, base, exclude=head))
    status = {(0, 0): "identical", (1, 0): "ahead", (0, 1): "behind"}.get(
        (min(len(ahead), 1), min(behind, 1)), "diverged"
    )
    page = paginate(call, ahead, lambda c: J.commit(call.urls, full, c), default=250)
    info = call.em.store.commit_info
    api = f"{call.urls.repo(full)}/compare/{base_name}...{head_name}"
    html = f"{call.urls.web}/{full}/compare/{base_name}...{head_name}"
    return Reply(
        {
            "url": api,
            "html_url": html,
            "permalink_url": f"{call.urls.web}/{full}/compare/{base}...{head}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": J.commit(call.urls, full, info(full, base)),
            "merge_base_commit": J.commit(call.urls, full, info(full, merge_base)),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": behind,
            "total_commits": len(ahead),
            "commits": page.body,
            "files": [],
        },
        headers=page.headers,
    )


def get_tree(call: Call) -> Reply:
    full = call.repo().full_name
    sha = resolve(call, full, call.params["tree_sha"], "tree")
    recursive = call.query.get("recursive", "") not in ("", "0", "false")
    entries = call.em.store.tree(full, sha, recursive=recursive)
    limit = call.em.tree_limit  # GitHub's limit (100,000 entries or 7 MB), lowered by a test
    if recursive and limit is not None and len(entries) > limit:
        return Reply(J.tree(call.urls, full, sha, entries[:limit], truncated=True))
    return Reply(J.tree(call.urls, full, sha, entries))


def get_blob(call: Call) -> Reply:
    full, sha = call.repo().full_name, call.params["file_sha"]
    try:
        return Reply(J.blob(call.urls, full, sha, call.em.store.blob(full, sha)))
    except GitError:
        raise not_found() from None


def create_blob(call: Call) -> Reply:
    full = call.writable().full_name
    content, encoding = call.field("content"), call.body.get("encoding", "utf-8")
    try:
        data = base64.b64decode(content, validate=False) if encoding == "base64" else content.encode()
    except binascii.Error:
        raise invalid("Invalid base64 content", field="content", code="invalid") from None
    sha = call.em.store.write_blob(full, data)
    return Reply({"sha": sha, "url": f"{call.urls.repo(full)}/git/blobs/{sha}"}, 201)


def _tree_change(call: Call, full: str, item: Any) -> tuple[str, tuple[str, bytes] | None]:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str) or item.get("mode") not in MODES:
        raise invalid("Invalid tree entry", resource="Tree", field="tree", code="invalid")
    if "content" in item and isinstance(item["content"], str):
        return item["path"], (item["mode"], item["content"].encode())
    if item.get("sha") is None:
        return item["path"], None  # GitHub deletes a path given with "sha": null
    try:
        return item["path"], (item["mode"], call.em.store.blob(full, item["sha"]))
    except GitError:
        raise invalid(f"tree.sha {item['sha']} is not a valid blob", field="tree", code="invalid") from None


def create_tree(call: Call) -> Reply:
    full = call.writable().full_name
    base = call.field("base_tree", str, required=False)
    if base is not None:
        try:
            base = call.em.store.git(full, "rev-parse", "--verify", "--quiet", f"{base}^{{tree}}").strip()
        except GitError:
            raise invalid("base_tree is not a valid tree", field="base_tree", code="invalid") from None
    changes = dict(_tree_change(call, full, item) for item in call.field("tree", list))
    sha = call.em.store.write_tree(full, base, changes)
    return Reply(J.tree(call.urls, full, sha, call.em.store.tree(full, sha, recursive=False)), 201)


def _person(call: Call, value: Any, role: str) -> dict[str, str]:
    """GIT_AUTHOR_*/GIT_COMMITTER_* for ``value`` (the token's user when absent)."""
    if value is None:
        login = call.credential.login if call.credential else "ghost"
        value = {"name": login, "email": f"{call.em.account(login, 'User').id}+{login}@users.noreply.github.com"}
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not isinstance(value.get("email"), str):
        raise invalid(f"Invalid {role}", field=role, code="invalid")
    env = {f"GIT_{role.upper()}_NAME": value["name"], f"GIT_{role.upper()}_EMAIL": value["email"]}
    if isinstance(value.get("date"), str):  # a given date makes the commit sha reproducible
        env[f"GIT_{role.upper()}_DATE"] = value["date"]
    return env


def create_commit(call: Call) -> Reply:
    full = call.writable().full_name
    message, tree, parents = call.field("message"), call.field("tree"), call.field("parents", list)
    store = call.em.store
    try:
        tree = store.git(full, "rev-parse", "--verify", "--quiet", f"{tree}^{{tree}}").strip()
        parents = [store.git(full, "rev-parse", "--verify", "--quiet", f"{p}^{{commit}}").strip() for p in parents]
    except GitError:
        raise invalid("Tree or parent SHA does not exist", field="tree", code="invalid") from None
    author = _person(call, call.body.get("author"), "author")
    committer = _person(call, call.body.get("committer") or call.body.get("author"), "committer")
    args = ["commit-tree", tree, *(arg for p in parents for arg in ("-p", p))]
    sha = store.git(full, *args, data=message.encode(), env={**author, **committer}).strip()
    app = call.credential is not None and call.credential.owner is not None  # an installation token
    if app and call.body.get("author") is None and call.body.get("committer") is None:
        call.em.signed.add(sha)  # GitHub signs an App's commit that names no one
    return Reply(J.git_commit(call.urls, full, store.commit_info(full, sha), sha in call.em.signed), 201)


def get_commit(call: Call) -> Reply:
    full = call.repo().full_name
    sha = resolve(call, full, call.params["commit_sha"])
    return Reply(J.git_commit(call.urls, full, call.em.store.commit_info(full, sha), sha in call.em.signed))


def _branch(ref: str) -> str:
    if not ref.startswith("heads/") or len(ref) <= len("heads/"):
        raise not_found()  # only branches are emulated
    return ref.removeprefix("heads/")


def get_ref(call: Call) -> Reply:
    full = call.repo().full_name
    branch = _branch(call.params["ref"])
    sha = call.em.store.head(full, branch)
    if sha is None:
        raise not_found()
    return Reply(J.ref(call.urls, full, branch, sha))


def create_ref(call: Call) -> Reply:
    full = call.writable().full_name
    ref, sha = call.field("ref"), call.field("sha")
    if not ref.startswith("refs/heads/") or ref.count("/") < 2:
        raise invalid("Reference name must start with 'refs/' and have at least two slashes.")
    branch = ref.removeprefix("refs/heads/")
    if call.em.store.head(full, branch) is not None:
        raise invalid("Reference already exists")
    _commit_exists(call, full, sha)
    _rules(call, call.repo(), "creation", sha)
    call.em.store.set_ref(full, branch, sha)
    call.em.pushed(full, branch)
    return Reply(J.ref(call.urls, full, branch, sha), 201)


# what each rule of ``RepoMeta.rules`` says when broken (the ruleset's rule descriptions)
RULE_TEXTS = {
    "creation": "Cannot create ref due to creations being restricted.",
    "update": "Cannot update this protected ref.",
    "deletion": "Cannot delete this branch",
    "required_signatures": "Commits must have verified signatures.",
}


def _rules(call: Call, meta: J.RepoMeta, action: str, sha: str | None = None) -> None:
    """422 "Repository rule violations found" when the write to a ref breaks a rule of the
    repository's ruleset (``RepoMeta.rules``; the body: see there)."""
    broken = [rule for rule in meta.rules if rule == action]
    if sha is not None and "required_signatures" in meta.rules:
        base = call.em.store.head(meta.full_name, meta.default_branch)
        new = call.em.store.log(meta.full_name, sha, exclude=base) if base else []
        if any(c.sha not in call.em.signed for c in new):
            broken.append("required_signatures")
    if broken:
        text = "".join(f"{RULE_TEXTS[rule]}\n\n" for rule in broken)
        raise HttpError(422, f"Repository rule violations found\n\n{text}")


def _commit_exists(call: Call, full: str, sha: str) -> None:
    try:
        call.em.store.git(full, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}")
    except GitError:
        raise invalid("Object does not exist") from None


def update_ref(call: Call) -> Reply:
    full = call.writable().full_name
    branch, sha = _branch(call.params["ref"]), call.field("sha")
    old = call.em.store.head(full, branch)
    if old is None:
        raise invalid("Reference does not exist")
    _commit_exists(call, full, sha)
    if not call.body.get("force"):
        try:
            call.em.store.git(full, "merge-base", "--is-ancestor", old, sha)
        except GitError:
            raise invalid("Update is not a fast forward") from None
    _rules(call, call.repo(), "update", sha)
    call.em.store.set_ref(full, branch, sha)
    call.em.pushed(full, branch)
    return Reply(J.ref(call.urls, full, branch, sha))


def delete_ref(call: Call) -> Reply:
    full = call.writable().full_name
    branch = _branch(call.params["ref"])
    if call.em.store.head(full, branch) is None:
        raise invalid("Reference does not exist")
    _rules(call, call.repo(), "deletion")
    call.em.store.delete_ref(full, branch)
    call.em.pushed(full, branch)
    return Reply(None, 204)


ROUTES = [
    ("GET", "/orgs/{org}/repos", org_repos),
    ("GET", "/users/{username}/repos", user_repos),
    ("GET", "/installation/repositories", installation_repos),
    ("GET", "/repos/{owner}/{repo}", get_repo),
    ("GET", "/repos/{owner}/{repo}/topics", topics),
    ("GET", "/repos/{owner}/{repo}/license", license_content),
    ("GET", "/repos/{owner}/{repo}/commits", commits),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}", get_branch),
    ("GET", "/repos/{owner}/{repo}/compare/{basehead}", compare),
    ("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", get_tree),
    ("POST", "/repos/{owner}/{repo}/git/trees", create_tree),
    ("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}", get_blob),
    ("POST", "/repos/{owner}/{repo}/git/blobs", create_blob),
    ("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}", get_commit),
    ("POST", "/repos/{owner}/{repo}/git/commits", create_commit),
    ("GET", "/repos/{owner}/{repo}/git/ref/{ref}", get_ref),
    ("POST", "/repos/{owner}/{repo}/git/refs", create_ref),
    ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", update_ref),
    ("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", delete_ref),
]
