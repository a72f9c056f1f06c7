from __future__ import annotations

import re

from fixers.lazyre import LazyPattern


def test_compiles_on_first_use_only_once() -> None:
    pattern = LazyPattern(r"a(b+)", re.I)
    assert pattern._compiled is None
    assert pattern.compiled is pattern.compiled
    assert pattern.compiled.flags & re.I


def test_after_the_first_call_the_methods_are_the_compiled_patterns() -> None:
    pattern = LazyPattern(r"x+")
    assert pattern.search("axx") is not None and pattern._compiled is not None
    assert all(getattr(pattern, name) == getattr(pattern.compiled, name) for name in ("match", "sub", "finditer"))


def test_answers_as_the_compiled_pattern() -> None:
    lazy, eager = LazyPattern(r"(\w)(\d)?"), re.compile(r"(\w)(\d)?")
    text = "a1 b c2"
    for method in ("match", "fullmatch", "search"):
        for args in ((text,), (text, 3), (text, 3, 4), ("b",)):
            found, expected = getattr(lazy, method)(*args), getattr(eager, method)(*args)
            assert (found and found.span()) == (expected and expected.span())
    assert [m.span() for m in lazy.finditer(text, 2)] == [m.span() for m in eager.finditer(text, 2)]
    assert lazy.findall(text) == eager.findall(text)
    assert lazy.split(text, 2) == eager.split(text, 2)
    assert lazy.sub(r"<\1>", text, 1) == eager.sub(r"<\1>", text, 1)
    assert lazy.sub(lambda m: m[1].upper(), text) == eager.sub(lambda m: m[1].upper(), text)


def test_bytes_patterns() -> None:
    assert LazyPattern(rb"x+").search(b"axxb") is not None
