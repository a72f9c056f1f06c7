from __future__ import annotations

from pathlib import Path

import pytest

from bot.platforms.localrepo import repo_info
from fixers.base import RepoInfo

MIT = """\
Copyright (c) 2024 Acme Corp.

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
ORIGIN = '[remote "origin"]\n\turl = git@github.com:acme/demo.git\n'

CASES = [
    # (files relative to the checkout "demo", the Dockerfile's folder, expected)
    ({".git/config": ORIGIN, "LICENSE": MIT}, ".", RepoInfo("demo", "https://github.com/acme/demo", license="MIT")),
    (
        {".git/config": ORIGIN, "LICENSE": MIT},
        "deploy/app",
        RepoInfo("demo", "https://github.com/acme/demo", license="MIT"),
    ),
    ({".git/config": ORIGIN}, ".", RepoInfo("demo", "https://github.com/acme/demo")),
    ({".git/config": "", "LICENSE": "All rights reserved.\n"}, ".", RepoInfo("demo")),
    # a licence beside the Dockerfile is not the repository's licence
    ({".git/config": "", "deploy/LICENSE": MIT}, "deploy", RepoInfo("demo")),
]


@pytest.mark.parametrize(("files", "folder", "expected"), CASES)
def test_repo_info(tmp_path: Path, files: dict[str, str], folder: str, expected: RepoInfo) -> None:
    root = tmp_path / "demo"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / "Dockerfile").write_text("FROM alpine:3.20\n")
    assert repo_info(root / folder / "Dockerfile") == expected


def test_repo_info_outside_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_text(MIT)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    assert repo_info(tmp_path / "Dockerfile") == RepoInfo()
