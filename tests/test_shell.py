from __future__ import annotations

import pytest

from fixers.shell import parse


def _shape(text: str) -> list[tuple[int, str, list[str], str]]:
    return [(c.depth, c.op_before, c.argv, c.op_after) for c in parse(text).commands]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apt-get update && apt-get install -y curl",
            [(0, "", ["apt-get", "update"], "&&"), (0, "&&", ["apt-get", "install", "-y", "curl"], "")],
        ),
        ("a &&\n  b", [(0, "", ["a"], "&&"), (0, "&&", ["b"], "")]),
        ("a\nb", [(0, "", ["a"], "\n"), (0, "\n", ["b"], "")]),
        ("echo \"a $b\" 'c d' e\\ f", [(0, "", ["echo", "a $b", "c d", "e f"], "")]),
        (
            "if [ -f x ]; then run; fi; last",
            [
                (1, "", ["if", "[", "-f", "x", "]"], ";"),
                (1, ";", ["then", "run"], ";"),
                (0, ";", ["fi"], ";"),
                (0, ";", ["last"], ""),
            ],
        ),
        (
            'case "$1" in\n  web) serve ;;\nesac\nnode app.js',
            [
                (1, "", ["case", "$1", "in"], "\n"),
                (1, "\n", ["web"], ")"),
                (1, ")", ["serve"], ";;"),
                (0, "\n", ["esac"], "\n"),
                (0, "\n", ["node", "app.js"], ""),
            ],
        ),
        ("(cd /tmp && make)", [(1, "(", ["cd", "/tmp"], "&&"), (1, "&&", ["make"], ")")]),
        ("java -jar app.jar &", [(0, "", ["java", "-jar", "app.jar"], "&")]),
    ],
)
def test_commands_depths_and_operators(text: str, expected: list[tuple[int, str, list[str], str]]) -> None:
    assert _shape(text) == expected


def test_redirects_are_not_words() -> None:
    [cmd] = parse("make >/dev/null 2>&1 &>log").commands
    assert cmd.argv == ["make"] and cmd.redirects == [">/dev/null", "2>&1", "&>log"]


@pytest.mark.parametrize(
    ("text", "features"),
    [
        ("echo $HOME", {"expansion"}),
        ("echo $(date)", {"expansion", "substitution"}),
        ("ls *.txt", {"glob"}),
        ("a | b", {"|"}),
        ("a; b", {";"}),
        ("cd ~", {"tilde"}),
    ],
)
def test_features(text: str, features: set[str]) -> None:
    assert features <= parse(text).features


@pytest.mark.parametrize("text", ["echo 'unterminated", 'echo "x', "if true; then x", "fi", "a )", "f() { x; }"])
def test_unsure_when_it_cannot_follow(text: str) -> None:
    assert parse(text).unsure


def test_assignments_before_the_program() -> None:
    [cmd] = parse('A=1 B="2 3" exec app').commands
    assert cmd.program_index() == 2 and cmd.program == "exec"
