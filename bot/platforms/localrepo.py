"""What a local checkout tells about its repository, and read-only build-context files.

Repository content is untrusted: files are read with size limits, never through a
link that leaves the folder, and never executed.
"""

from __future__ import annotations

from pathlib import Path

from bot.platforms.licenses import license_of
from fixers.base import RepoInfo
from fixers.lazyre import LazyPattern

MAX_CONTEXT_FILE = 1024 * 1024
_SCP_URL = LazyPattern(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


class LocalFiles:
    """The build context on disk, read-only."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def read(self, path: str) -> bytes | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        if candidate.stat().st_size > MAX_CONTEXT_FILE:
            return None
        return candidate.read_bytes()


def git_root(path: Path) -> Path | None:
    for folder in [path.resolve(), *path.resolve().parents]:
        if (folder / ".git").exists():
            return folder
    return None


def public_url(remote: str) -> str | None:
    """An https URL for a git remote, with any credentials removed."""
    remote = remote.strip()
    if remote.startswith(("http://", "https://", "ssh://", "git://")):
        scheme, _, rest = remote.partition("://")
        host_path = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
        host, _, repo_path = host_path.partition("/")
        host = host.split(":", 1)[0] if scheme in ("ssh", "git") else host
    else:
        match = _SCP_URL.match(remote)
        if not match:
            return None
        host, repo_path = match.group(1), match.group(2)
    repo_path = repo_path.removesuffix("/").removesuffix(".git")
    if not host or not repo_path:
        return None
    return f"https://{host}/{repo_path}"


def origin_url(root: Path) -> str | None:
    config = root / ".git" / "config"
    if not config.is_file():
        return None
    import configparser  # only inside a git checkout

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(config.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return None
    section = 'remote "origin"'
    if not parser.has_option(section, "url"):
        return None
    return public_url(parser.get(section, "url"))


def repo_info(dockerfile: Path) -> RepoInfo:
    root = git_root(dockerfile.parent)
    if root is None:
        return RepoInfo()
    url = origin_url(root)
    # The remote names the repository; the folder may be any clone name (`main`, `src`).
    name = url.rstrip("/").rsplit("/", 1)[-1] if url else root.name
    return RepoInfo(name=name, url=url, license=license_of(root))
