"""The Debian mirror this machine's apt uses, read from its sources at run time.

debootstrap fetches the base image from it and the images' own ``sources.list`` points
at it, so that ``apt-get`` in a build reaches exactly what the host's apt reaches. No
host name is written down anywhere in the tests.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

SUITE = "bookworm"
_COMPONENTS = ("main", "contrib", "non-free", "non-free-firmware")


@dataclass(frozen=True)
class Source:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


@dataclass(frozen=True)
class Mirror:
    """The host's Debian sources for one release; ``uri`` is the main archive's."""

    uri: str
    sources: tuple[Source, ...]
    proxy: str | None = None

    def sources_list(self) -> str:
        """The one-line ``sources.list`` for images: the same archives, Debian components only."""
        lines = []
        for source in self.sources:
            parts = [c for c in source.components if c in _COMPONENTS]
            lines += [f"deb {source.uri} {suite} {' '.join(parts)}" for suite in source.suites]
        return "\n".join(lines) + "\n"

    def key(self) -> str:
        return hashlib.sha256(f"{self.sources_list()}{self.proxy}".encode()).hexdigest()[:12]

    def stamp(self) -> str:
        """The archives' Release files as they are now: a change means the mirror moved."""
        digest = hashlib.sha256()
        for source in self.sources:
            for suite in source.suites:
                try:
                    reply = httpx.get(f"{source.uri}/dists/{suite}/InRelease", timeout=30, proxy=self.proxy)
                    digest.update(reply.content)
                except httpx.HTTPError as exc:
                    digest.update(type(exc).__name__.encode())
        return digest.hexdigest()


def one_line(text: str) -> list[Source]:
    """``deb [options] URI SUITE COMPONENT…`` lines (``deb-src`` and comments ignored)."""
    found = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        rest = words[1:]
        if rest[0].startswith("["):  # [arch=amd64 signed-by=…]
            while rest and not rest[0].endswith("]"):
                rest.pop(0)
            rest = rest[1:]
        if len(rest) >= 3:
            found.append(Source(rest[0].rstrip("/"), (rest[1],), tuple(rest[2:])))
    return found


def deb822(text: str) -> list[Source]:
    """``*.sources`` stanzas: Types/URIs/Suites/Components, ``Enabled: no`` honoured."""
    found = []
    for stanza in _stanzas(text):
        if "deb" not in stanza.get("types", "").split() or stanza.get("enabled", "yes").lower() == "no":
            continue
        suites, components = tuple(stanza.get("suites", "").split()), tuple(stanza.get("components", "").split())
        found += [Source(uri.rstrip("/"), suites, components) for uri in stanza.get("uris", "").split()]
    return found


def _stanzas(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = [{}]
    key = ""
    for line in text.splitlines():
        if not line.strip():
            stanzas.append({})
        elif line.startswith("#"):
            continue
        elif line[0] in " \t" and key:
            stanzas[-1][key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            stanzas[-1][key] = value.strip()
    return [s for s in stanzas if s]


def host_sources(etc: Path = Path("/etc/apt")) -> list[Source]:
    """Every source apt reads: ``sources.list``, ``sources.list.d/*.list`` and ``*.sources``."""
    found = one_line(_read(etc / "sources.list"))
    parts = sorted((etc / "sources.list.d").glob("*")) if (etc / "sources.list.d").is_dir() else []
    for path in parts:
        if path.suffix == ".list":
            found += one_line(_read(path))
        elif path.suffix == ".sources":
            found += deb822(_read(path))
    return found


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def debian_mirror(sources: list[Source], suite: str = SUITE, proxy: str | None = None) -> Mirror | None:
    """The sources for ``suite`` and its -updates/-security suites; None without a main archive."""
    kept = []
    for source in sources:
        suites = tuple(s for s in source.suites if s == suite or s.startswith(f"{suite}-"))
        if suites and "main" in source.components:
            kept.append(Source(source.uri, suites, source.components))
    main = next((s.uri for s in kept if suite in s.suites), None)
    return Mirror(main, tuple(kept), proxy) if main else None


def host_proxy() -> str | None:
    """apt's ``Acquire::http::Proxy``, if the host's apt goes through one."""
    try:
        out = subprocess.run(
            ["apt-config", "shell", "P", "Acquire::http::Proxy"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return None
    value = out.partition("=")[2].strip().strip("'\"")
    return value or None


def host_mirror() -> Mirror | None:
    return debian_mirror(host_sources(), proxy=host_proxy())
