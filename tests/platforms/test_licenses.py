from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.platforms.licenses import MAX_LICENSE_FILE, identify, license_of, read_limited
from tests.emulators.github import MIT_LICENSE

MIT = MIT_LICENSE  # the emulators' copy: one text of the licence in the tests
MIT_NOTICE = """\
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
"""
ISC_GRANT = """\
Copyright (c) 2024 Acme Corp.

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted{}.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
"""
ISC = ISC_GRANT.format(", provided that the above\ncopyright notice and this permission notice appear in all copies")
ZERO_BSD = ISC_GRANT.format("")
BSD_CLAUSES = """\
Copyright (c) 2024, Acme Corp.
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.
{}
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
THIRD = """
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.
"""
ADVERTISING = """
3. All advertising materials mentioning features or use of this software must
   display the following acknowledgement: This product includes software
   developed by Acme Corp.
"""
BSD2 = BSD_CLAUSES.format("")
BSD3 = BSD_CLAUSES.format(THIRD)
UNLICENSE = """\
This is free and unencumbered software released into the public domain.

Anyone is free to copy, modify, publish, use, compile, sell, or
distribute this software, either in source code form or as a compiled
binary, for any purpose, commercial or non-commercial, and by any
means.

In jurisdictions that recognize copyright laws, the author or authors
of this software dedicate any and all copyright interest in the
software to the public domain. We make this dedication for the benefit
of the public at large and to the detriment of our heirs and
successors. We intend this dedication to be an overt act of
relinquishment in perpetuity of all present and future rights to this
software under copyright law.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
IN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR
OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE,
ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR
OTHER DEALINGS IN THE SOFTWARE.

For more information, please refer to <https://unlicense.org>
"""
BOOST = """\
Boost Software License - Version 1.0 - August 17th, 2003

Permission is hereby granted, free of charge, to any person or organization
obtaining a copy of the software and accompanying documentation covered by
this license (the "Software") to use, reproduce, display, distribute,
execute, and transmit the Software, and to prepare derivative works of the
Software, and to permit third-parties to whom the Software is furnished to
do so, all subject to the following:

The copyright notices in the Software and this entire statement, including
the above license grant, this restriction and the following disclaimer,
must be included in all copies of the Software, in whole or in part, and
all derivative works of the Software, unless such copies or derivative
works are solely in the form of machine-executable object code generated by
a source language processor.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE, TITLE AND NON-INFRINGEMENT. IN NO EVENT
SHALL THE COPYRIGHT HOLDERS OR ANYONE DISTRIBUTING THE SOFTWARE BE LIABLE
FOR ANY DAMAGES OR OTHER LIABILITY, WHETHER IN CONTRACT, TORT OR OTHERWISE,
ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
"""
AGPL_HEADER = "GNU AFFERO GENERAL PUBLIC LICENSE\n   Version 3, 19 November 2007\n\n"
GPL3_HEADER = "GNU GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007\n\n"
LGPL3_HEADER = "GNU LESSER GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007\n\n"
GPL2_HEADER = "GNU GENERAL PUBLIC LICENSE\n   Version 2, June 1991\n\n"
EPL2 = "Eclipse Public License - v 2.0\n\n1. DEFINITIONS\n" + "word " * 2150 + "\nnotices of copyright ownership.\n"

SHORT_TEXTS = [
    ("MIT", MIT, "MIT"),
    ("MIT, CRLF", MIT.replace("\n", "\r\n"), "MIT"),
    ("MIT, Markdown", "# The MIT License (MIT)\n\n**" + MIT.replace("\n\n", "\n\n> "), "MIT"),
    ("MIT, several copyright lines", MIT.replace("Acme Corp.", "Acme Corp.\nCopyright (c) 2020 J. Doe\n"), "MIT"),
    ("ISC", ISC, "ISC"),
    ("0BSD", ZERO_BSD, "0BSD"),
    ("BSD-2-Clause", BSD2, "BSD-2-Clause"),
    ("BSD-3-Clause", BSD3, "BSD-3-Clause"),
    ("Unlicense", UNLICENSE, "Unlicense"),
    ("BSL-1.0", BOOST, "BSL-1.0"),
    ("AGPL-3.0 header", AGPL_HEADER + "Preamble\n", "AGPL-3.0"),
    ("GPL-2.0 header", GPL2_HEADER + "Preamble\n", "GPL-2.0"),
    ("LGPL-3.0 with the GPL-3.0 it builds on", LGPL3_HEADER + "text\n" + GPL3_HEADER + "text\n", "LGPL-3.0"),
    ("EPL-2.0", EPL2, "EPL-2.0"),
    # variants and mixtures: never guessed
    ("MIT No Attribution", MIT.replace(MIT_NOTICE, ""), None),
    ("X11 (advertising clause)", MIT + "\nThe name of Acme shall not be used in advertising.\n", None),
    ("JSON licence", MIT.replace(MIT_NOTICE, MIT_NOTICE + "\nThe Software shall be used for Good, not Evil.\n"), None),
    ("MIT with Commons Clause", '"Commons Clause" License Condition v1.0\n\n' + MIT, None),
    ("MIT twice (two components)", MIT + "\n" + MIT, None),
    ("MIT, then more terms", MIT + "\nThird-party code:\n" + "some other terms apply " * 10, None),
    ("MIT and BSD-3-Clause", MIT + BSD3, None),
    ("BSD-4-Clause", BSD_CLAUSES.format(ADVERTISING + THIRD.replace("3.", "4.")), None),
    ("BSD with a patent clause", BSD2 + "\nNo patent rights are granted.\n", None),
    ("GPL-2.0 and GPL-3.0", GPL2_HEADER + GPL3_HEADER, None),
    ("GPL-3.0 with the classpath exception", GPL3_HEADER + "CLASSPATH EXCEPTION\n", None),
    ("a sentence", "This project is licensed under the MIT License.\n", None),
    ("empty", "", None),
]


@pytest.mark.parametrize(("text", "spdx"), [c[1:] for c in SHORT_TEXTS], ids=[c[0] for c in SHORT_TEXTS])
def test_identify(text: str, spdx: str | None) -> None:
    assert identify(text) == spdx


COMMON = Path("/usr/share/common-licenses")  # Debian's base-files: the canonical long texts
LONG_TEXTS = [
    ("Apache-2.0", "Apache-2.0"),
    ("GPL-1", "GPL-1.0"),
    ("GPL-2", "GPL-2.0"),
    ("GPL-3", "GPL-3.0"),
    ("LGPL-2", "LGPL-2.0"),
    ("LGPL-2.1", "LGPL-2.1"),
    ("LGPL-3", "LGPL-3.0"),
    ("MPL-2.0", "MPL-2.0"),
    ("CC0-1.0", "CC0-1.0"),
    ("BSD", "BSD-3-Clause"),
    ("MPL-1.1", None),
    ("Artistic", None),
    ("GFDL-1.3", None),
]


@pytest.mark.parametrize(("name", "spdx"), LONG_TEXTS)
def test_identify_canonical_texts(name: str, spdx: str | None) -> None:
    if not (COMMON / name).is_file():
        pytest.skip(f"{COMMON / name} not installed")
    assert identify((COMMON / name).read_text()) == spdx


def test_apache_with_appended_terms_is_not_recognised() -> None:
    if not (COMMON / "Apache-2.0").is_file():
        pytest.skip("no Apache-2.0 text installed")
    apache = (COMMON / "Apache-2.0").read_text()
    assert identify(apache + "\nThis product bundles foo, under its own terms. " * 30) is None
    assert identify(apache + MIT) is None


FILES = [
    ({"LICENSE": MIT}, "MIT"),
    ({"LICENSE.md": MIT}, "MIT"),
    ({"LICENCE.txt": BSD3}, "BSD-3-Clause"),
    ({"COPYING": GPL2_HEADER}, "GPL-2.0"),
    ({"UNLICENSE": UNLICENSE}, "Unlicense"),
    ({"LICENSE": MIT, "LICENSE.txt": MIT}, "MIT"),
    ({"COPYING": GPL3_HEADER, "COPYING.LESSER": LGPL3_HEADER}, "LGPL-3.0"),
    ({"LICENSE": MIT, "README.md": "Licensed under GPL-3.0\n" + GPL3_HEADER}, "MIT"),
    ({}, None),
    ({"LICENSE": MIT, "COPYING": GPL2_HEADER}, None),
    ({"LICENSE": MIT, "LICENSE.md": "All rights reserved.\n"}, None),
    ({"LICENSE-MIT": MIT, "LICENSE-APACHE": "Apache License Version 2.0\n"}, None),  # dual: AND or OR?
    ({"LICENSE": "Proprietary. All rights reserved.\n"}, None),
]


@pytest.mark.parametrize(("files", "spdx"), FILES)
def test_license_of(tmp_path: Path, files: dict[str, str], spdx: str | None) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert license_of(tmp_path) == spdx


def test_license_of_ignores_a_directory_named_license(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").mkdir()
    (tmp_path / "COPYING").write_text(MIT)
    assert license_of(tmp_path) == "MIT"


def test_license_of_missing_root(tmp_path: Path) -> None:
    assert license_of(tmp_path / "nope") is None


def test_read_limited_follows_links_only_inside(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside.txt"
    repo.mkdir()
    outside.write_text(MIT)
    (repo / "docs.txt").write_text(MIT)
    os.symlink(outside, repo / "LICENSE")
    os.symlink(repo / "docs.txt", repo / "COPYING")
    assert read_limited(repo, "LICENSE") is None
    assert read_limited(repo, "COPYING") == MIT
    assert license_of(repo) is None  # LICENSE is unreadable, so the answer is not certain


def test_read_limited_size_and_encoding(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * (MAX_LICENSE_FILE + 1))
    (tmp_path / "latin1").write_bytes(MIT.replace("Acme", "Acm\xe9").encode("latin-1"))
    assert read_limited(tmp_path, "big") is None
    assert read_limited(tmp_path, "missing") is None
    assert identify(read_limited(tmp_path, "latin1") or "") == "MIT"
