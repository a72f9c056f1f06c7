"""The session's build environment: base images pushed to a local registry, and buildah."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.equivalence import bases
from tests.equivalence.buildah import Builder
from tests.equivalence.cases import Case, repository, tag
from tests.equivalence.mirror import host_mirror
from tests.equivalence.pairs import Env
from tests.registry.servers import run_registry


class Unavailable(Exception):
    """This machine cannot build the pairs (a tool or the Debian mirror is missing)."""


def _images(cases: Iterable[Case]) -> dict[str, set[str]]:
    """Repository → tags the cases build FROM; only ``debian`` and ``busybox`` are served."""
    found: dict[str, set[str]] = {}
    for case in cases:
        for image in case.bases():
            found.setdefault(repository(image), set()).add(tag(image))
    unknown = sorted(set(found) - {"debian", "busybox"})
    if unknown:
        raise ValueError(f"cases build FROM images the session does not serve: {unknown}")
    return found


@contextmanager
def environment(work: Path, cases: Iterable[Case]) -> Iterator[Env]:
    """Registry, bases and builder for ``cases``; everything but the base cache is removed after."""
    missing = bases.missing_tools()
    if missing:
        raise Unavailable(f"missing {', '.join(missing)} (apt-get install {bases.PACKAGES})")
    images = _images(cases)
    mirror = host_mirror() if "debian" in images else None
    if "debian" in images and mirror is None:
        raise Unavailable("no Debian bookworm source with 'main' in this machine's apt sources")
    cache = bases.cache_root()
    layouts = {"busybox": bases.busybox(cache)} if "busybox" in images else {}
    if mirror is not None:
        layouts["debian"] = bases.debian(cache, mirror)
    with run_registry(work / "registry", "anonymous") as registry:
        host = registry.url.removeprefix("http://")
        builder = Builder(work / "buildah", host)
        try:
            for name, tags in images.items():
                bases.push(layouts[name], host, f"library/{name}", tags, builder.policy)
                for one in sorted(tags):
                    builder.pull(f"docker.io/library/{name}:{one}")
            yield Env(builder, mirror)
        finally:
            builder.close()
    shutil.rmtree(work / "registry", ignore_errors=True)  # the pushed bases: ~60 MB a session
