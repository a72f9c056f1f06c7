"""buildah with a storage, registry configuration and signature policy of its own.

Every call gets the session's ``CONTAINERS_*`` variables through ``env``; the process
environment is never changed. Builds use chroot isolation and the vfs driver (the only
combination that works on these machines, see TESTING.md), ``--no-cache`` and
``--timestamp 0``, and the Docker format so that HEALTHCHECK survives.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BUILD_TIMEOUT = 900
POLICY = {"default": [{"type": "insecureAcceptAnything"}]}


class BuildError(RuntimeError):
    """A build failed; the message ends with the tail of its log."""


class Builder:
    def __init__(self, root: Path, registry: str) -> None:
        """``registry`` (host:port, plain HTTP) stands in for docker.io."""
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.policy = root / "policy.json"
        self.policy.write_text(json.dumps(POLICY))
        (root / "registries.conf").write_text(
            'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "disabled"\n'
            f'[[registry]]\nprefix = "docker.io"\nlocation = "{registry}"\ninsecure = true\n'
        )
        (root / "storage.conf").write_text(
            f'[storage]\ndriver = "vfs"\ngraphroot = "{root / "graph"}"\nrunroot = "{root / "run"}"\n'
        )
        self.env = dict(
            os.environ,
            CONTAINERS_REGISTRIES_CONF=str(root / "registries.conf"),
            CONTAINERS_STORAGE_CONF=str(root / "storage.conf"),
            BUILDAH_ISOLATION="chroot",
        )

    def _buildah(self, *args: str | Path, timeout: float = 300) -> str:
        argv = ["buildah", "--storage-driver", "vfs", *map(str, args)]
        done = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=timeout, check=False)
        if done.returncode:
            raise BuildError(f"buildah {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def pull(self, image: str) -> None:
        self._buildah("pull", "--quiet", "--signature-policy", self.policy, image)

    def build(self, context: Path, tag: str, log: Path) -> None:
        """Build ``context/Dockerfile`` as ``tag``; the build's output goes to ``log``."""
        argv = [
            "buildah", "--storage-driver", "vfs", "bud", "--isolation", "chroot", "--no-cache", "--timestamp", "0",
            "--format", "docker", "--pull=never", "--signature-policy", str(self.policy), "-t", tag, str(context),
        ]  # fmt: skip
        with log.open("wb") as out:
            done = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, timeout=BUILD_TIMEOUT, check=False
            )
        if done.returncode:
            tail = log.read_bytes()[-2500:].decode(errors="replace")
            raise BuildError(f"build of {context.name} failed ({done.returncode}):\n{tail}")

    def config(self, image: str) -> dict[str, Any]:
        """The image's Docker ``config`` object (Env, Cmd, Entrypoint, Labels, …), with the
        image's ``author`` (what MAINTAINER sets) as ``Author``."""
        data = json.loads(self._buildah("inspect", "--type", "image", image))
        docker = data.get("Docker") or {}
        config: dict[str, Any] = dict(docker.get("config") or {})
        config["Author"] = docker.get("author")
        return config

    @contextmanager
    def container(self, image: str) -> Iterator[tuple[str, Path]]:
        """A working container of ``image`` and its mounted root file system."""
        name = self._buildah("from", "--pull=never", "--quiet", image).strip()
        try:
            yield name, Path(self._buildah("mount", name).strip())
        finally:
            self._buildah("rm", name)

    def run(self, container: str, argv: list[str]) -> bytes:
        """Run ``argv`` in ``container`` (its image's Env, WorkingDir and User apply)."""
        done = subprocess.run(
            ["buildah", "--storage-driver", "vfs", "run", "--isolation", "chroot", container, "--", *argv],
            capture_output=True, env=self.env, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode:
            raise BuildError(f"{argv[0]} failed in the image: {done.stderr[-500:].decode(errors='replace')}")
        return done.stdout

    def remove(self, *images: str) -> None:
        for image in images:
            subprocess.run(
                ["buildah", "--storage-driver", "vfs", "rmi", "--force", image],
                capture_output=True, env=self.env, check=False,
            )  # fmt: skip

    def close(self) -> None:
        """Remove every container and image, then the storage itself (vfs copies are large)."""
        for args in (["rm", "--all"], ["rmi", "--all", "--force"]):
            subprocess.run(
                ["buildah", "--storage-driver", "vfs", *args], capture_output=True, env=self.env, check=False
            )
        shutil.rmtree(self.root, ignore_errors=True)
