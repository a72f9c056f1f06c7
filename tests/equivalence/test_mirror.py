"""Reading the Debian mirror from apt's sources (no network)."""

from __future__ import annotations

from pathlib import Path

from tests.equivalence.mirror import Source, deb822, debian_mirror, host_sources, one_line

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Enabled: no

Types: deb
URIs: https://deb.nodesource.example/node_20.x
Suites: nodistro
Components: main
"""


def test_deb822() -> None:
    assert deb822(DEB822) == [
        Source("http://mirror.example/debian", ("bookworm", "bookworm-updates"), ("main", "contrib")),
        Source("https://deb.nodesource.example/node_20.x", ("nodistro",), ("main",)),
    ]


def test_one_line() -> None:
    text = (
        "# deb http://old.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main non-free-firmware\n"
        "deb-src http://mirror.example/debian bookworm main\n"
        "deb http://security.example/debian-security bookworm-security main # security\n"
    )
    assert one_line(text) == [
        Source("http://mirror.example/debian", ("bookworm",), ("main", "non-free-firmware")),
        Source("http://security.example/debian-security", ("bookworm-security",), ("main",)),
    ]


def test_the_mirror_keeps_the_release_and_its_updates(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d/extra.list").write_text(
        "deb http://mirror.example/debian-security bookworm-security main\n"
    )
    (tmp_path / "sources.list.d/off.list.disabled").write_text("deb http://ignored.example/debian bookworm main\n")
    mirror = debian_mirror(host_sources(tmp_path))
    assert mirror is not None
    assert mirror.uri == "http://mirror.example/debian"
    assert mirror.sources_list() == (
        "deb http://mirror.example/debian bookworm main contrib\n"
        "deb http://mirror.example/debian bookworm-updates main contrib\n"
        "deb http://mirror.example/debian-security bookworm-security main\n"
    )


def test_no_mirror_without_the_release() -> None:
    assert debian_mirror([Source("http://mirror.example/debian", ("trixie",), ("main",))]) is None
