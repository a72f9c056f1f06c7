"""The import rules of docs/architecture.md, enforced on every module of bot/ and fixers/.

Every import counts, including those under ``TYPE_CHECKING`` and inside functions: a
rule broken only for type checkers is still a loop a reader has to untangle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = {"bot", "bot.errors", "bot.httpwait", "bot.runid"}  # small shared modules at bot/'s top

# part -> parts it may import (besides itself, BASE and fixers, which everyone may use)
ALLOWED: dict[str, set[str]] = {
    "fixers": set(),  # stands alone: nothing of bot
    "bot.settings": set(),
    "bot.registry": {"bot.settings"},
    "bot.platforms": {"bot.settings"},
    "bot.state": {"bot.settings"},
    "bot.engine": {"bot.settings", "bot.registry", "bot.platforms"},
    "bot.service": {"bot.settings", "bot.registry", "bot.platforms", "bot.state", "bot.engine"},
    "bot.cli": {"bot.settings", "bot.registry", "bot.platforms", "bot.state", "bot.engine", "bot.service"},
}
PACKAGES = ("bot.service.web", "bot.service.chat", *ALLOWED)  # for the cycle check, finest first


def part_of(module: str) -> str | None:
    """The part a dotted module belongs to, None outside bot/fixers, '' for BASE."""
    if module == "fixers" or module.startswith("fixers."):
        return "fixers"
    if module in BASE or module == "bot.__main__":
        return ""
    return next((p for p in ALLOWED if module == p or module.startswith(p + ".")), None)


def package_of(module: str) -> str | None:
    return next((p for p in PACKAGES if module == p or module.startswith(p + ".")), None)


def imports(source: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import; ``from a import b`` counts a.b when b is a module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (ROOT / (candidate.replace(".", "/") + ".py")).exists() or (
                    ROOT / candidate.replace(".", "/")
                ).is_dir():
                    yield node.lineno, candidate


def violations(module: str, source: str) -> list[str]:
    """The forbidden imports of one module's source, as 'module:line imports target'."""
    found = []
    here = part_of(module)
    for line, target in imports(source):
        there = part_of(target)
        if there is None or there == "" or here is None or there == here:
            continue
        if here == "" and module == "bot.__main__" and there == "bot.cli":
            continue
        allowed = ALLOWED.get(here, set()) | {"fixers"} if here else set(ALLOWED)
        if there not in allowed:
            found.append(f"{module}:{line} imports {target}")
    return found


def modules() -> Iterator[tuple[str, Path]]:
    for top in ("bot", "fixers"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def test_every_module_keeps_the_import_rules() -> None:
    found = [v for module, path in modules() for v in violations(module, path.read_text())]
    assert found == []


def test_the_rule_catches_a_forbidden_import() -> None:
    """Shown once: the engine may not import the service, fixers may not import bot."""
    assert violations("bot.engine.run", "from bot.service.record import recorded_run\n") == [
        "bot.engine.run:1 imports bot.service.record"
    ]
    assert violations("fixers.rules.pin_base_tag", "def f():\n    from bot.settings import config\n") == [
        "fixers.rules.pin_base_tag:2 imports bot.settings",
        "fixers.rules.pin_base_tag:2 imports bot.settings.config",
    ]
    assert violations("bot.settings.web", "from bot.service.web.auth import Session\n")
    assert violations("bot.engine.scan", "import bot.cli.fix\n")
    assert violations("bot.service.app", "from bot.engine.run import run\n") == []


def test_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules():
        here = package_of(module)
        for _, target in imports(path.read_text()):
            there = package_of(target)
            if here and there and there != here and not here.startswith(there + "."):
                graph[here].add(there)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, " -> ".join([*trail, node, nxt])
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_nothing_imports_the_command_line() -> None:
    users = [
        module
        for module, path in modules()
        if part_of(module) not in ("bot.cli", "")
        for _, target in imports(path.read_text())
        if target == "bot.cli" or target.startswith("bot.cli.")
    ]
    assert users == []


def test_long_modules_say_why_at_their_top() -> None:
    """A module over 300 lines gives its reason in its docstring ("Over 300 lines: …")."""
    unexplained = []
    for module, path in modules():
        text = path.read_text()
        if text.count("\n") > 300:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "over 300 lines" not in doc.lower():
                unexplained.append(module)
    assert unexplained == []
