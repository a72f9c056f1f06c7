"""Base images for the builds: busybox-static, and Debian made with debootstrap.

Each is an OCI layout cached outside the repository (``cache_root()``), keyed by what it
is made from, so that a warm run only pushes it to the session's registry. The Debian
image gets what the official ``debian`` image adds to a minbase bootstrap (the
``docker-*`` apt settings of debuerreotype) and the host's mirror in ``sources.list``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.equivalence.mirror import SUITE, Mirror

RECIPE = "1"  # bump when a rootfs recipe changes: the cache key changes with it
TAG = "base"
BUSYBOX = Path("/bin/busybox")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("buildah", "debootstrap", "skopeo", "umoci", "docker-registry")
PACKAGES = "buildah runc debootstrap skopeo umoci docker-registry busybox-static"  # Debian packages
# What debuerreotype writes into the official debian images (see its scripts/debuerreotype-minimizing-config).
APT_SETTINGS = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
        ' /var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
        ' /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
    ),
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
}


def cache_root() -> Path:
    """``$DOCKMEND_EQUIVALENCE_CACHE``, else ``$XDG_CACHE_HOME/dockmend-equivalence``, else /var/tmp."""
    if folder := os.environ.get("DOCKMEND_EQUIVALENCE_CACHE"):
        return Path(folder)
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg) / "dockmend-equivalence"
    return Path("/var/tmp/dockmend-equivalence")


def missing_tools() -> list[str]:
    """What this machine lacks to make the bases and build: tools, or root (debootstrap, chroot)."""
    found = [t for t in TOOLS if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]
    found += [] if BUSYBOX.is_file() else ["busybox-static"]
    return found + ([] if os.geteuid() == 0 else ["root"])


def _run(*argv: str | Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, argv[:3]))} … failed ({done.returncode}):\n{done.stderr[-3000:]}")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process makes a cached image; another waits for it instead of racing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def layout(cache: Path, name: str, make: Callable[[Path], None], cmd: Iterable[str]) -> Path:
    """The cached OCI layout ``cache/name`` (image tag ``base``), made by ``make(rootfs)`` if absent."""
    target = cache / name
    if (target / "index.json").is_file():
        return target
    with _locked(cache / f"{name}.lock"):
        if (target / "index.json").is_file():
            return target
        work = cache / f"{name}.partial"
        shutil.rmtree(work, ignore_errors=True)
        oci, bundle = work / "oci", work / "bundle"
        _run("umoci", "init", "--layout", oci)
        _run("umoci", "new", "--image", f"{oci}:{TAG}")
        _run("umoci", "unpack", "--image", f"{oci}:{TAG}", bundle)
        make(bundle / "rootfs")
        _run("umoci", "repack", "--no-history", "--image", f"{oci}:{TAG}", bundle)
        config = ["--config.env", f"PATH={PATH}", *(f"--config.cmd={word}" for word in cmd)]
        _run("umoci", "config", "--no-history", "--image", f"{oci}:{TAG}", *config)
        _run("umoci", "gc", "--layout", oci)
        oci.rename(target)
        shutil.rmtree(work)
    return target


def debian(cache: Path, mirror: Mirror) -> Path:
    return layout(cache, f"debian-{SUITE}-{RECIPE}-{mirror.key()}", lambda root: _debian_rootfs(root, mirror), ["bash"])


def busybox(cache: Path) -> Path:
    key = hashlib.sha256(BUSYBOX.read_bytes()).hexdigest()[:12]
    return layout(cache, f"busybox-{RECIPE}-{key}", _busybox_rootfs, ["sh"])


def _debian_rootfs(root: Path, mirror: Mirror) -> None:
    env = dict(os.environ, **({"http_proxy": mirror.proxy} if mirror.proxy else {}))
    _run("debootstrap", "--variant=minbase", SUITE, root, mirror.uri, env=env)
    (root / "etc/apt/sources.list").write_text(mirror.sources_list())
    settings = dict(APT_SETTINGS)
    if mirror.proxy:
        settings["proxy"] = f'Acquire::http::Proxy "{mirror.proxy}";\n'
    for name, text in settings.items():
        (root / "etc/apt/apt.conf.d" / name).write_text(text)
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*", "dev/*"):
        for path in root.glob(pattern):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    for name in ("etc/hostname", "etc/resolv.conf"):  # the host's, copied by debootstrap
        (root / name).unlink(missing_ok=True)
        (root / name).write_text("")


def _busybox_rootfs(root: Path) -> None:
    for folder in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "proc", "sys", "dev", "var", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    shutil.copy2(BUSYBOX, root / "bin/busybox")
    applets = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True, check=True).stdout
    for applet in applets.split():
        if applet != "bin/busybox" and not (root / applet).exists():
            (root / applet).symlink_to("/bin/busybox")
    (root / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    )
    (root / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")


def push(oci: Path, registry: str, repository: str, tags: Iterable[str], policy: Path) -> None:
    """Copy the layout's image to ``registry`` (host:port, plain HTTP) under every tag."""
    for tag in sorted(set(tags)):
        _run(
            "skopeo", "copy", "--quiet", "--policy", policy, "--dest-tls-verify=false",
            f"oci:{oci}:{TAG}", f"docker://{registry}/{repository}:{tag}",
        )  # fmt: skip
