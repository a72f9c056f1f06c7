from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import fixers.rules
from fixers.base import Risk
from fixers.registry import FIXERS


def test_every_rule_module_is_registered_under_its_code() -> None:
    modules = {m.name for m in pkgutil.iter_modules(fixers.rules.__path__)}
    registered = {f.__name__.rsplit(".", 1)[-1] for f in FIXERS.values()}  # type: ignore[attr-defined]
    assert modules == registered
    for code, fixer in FIXERS.items():
        assert code == fixer.CODE


def test_codes_names_and_texts() -> None:
    names = [f.NAME for f in FIXERS.values()]
    assert len(set(names)) == len(names)
    for code, fixer in FIXERS.items():
        assert re.fullmatch(r"DM[12]\d\d", code)
        assert (fixer.RISK is Risk.REPORT) == code.startswith("DM2")
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", fixer.NAME)
        assert fixer.MESSAGE and len(fixer.EXPLANATION) > 80 and fixer.GUIDELINE


def test_readme_table_lists_every_fixer() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for code, fixer in FIXERS.items():
        assert f"| {code} | {fixer.NAME} | {fixer.RISK.value} |" in readme, code
