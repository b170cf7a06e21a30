"""The layout of the code itself: no module grows past 600 lines, and the port is named only
in the reference configuration (``lugang/reference.toml``), never in a string of the code:
another inland port needs another reference file, not an edit of the code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 600
CODE = ("lugang", "producers", "streams", "dashboards", "entrypoints", "bench", "tests")
PORT_NEUTRAL = ("lugang", "producers", "streams", "dashboards", "entrypoints")
PORT_NAMES = ("Huaihua", "怀化")
SKIPPED = {".venv", "node_modules", "__pycache__"}


def modules(*packages: str) -> Iterator[Path]:
    """The Python modules under the given top-level folders, outside installed packages."""
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not SKIPPED.intersection(path.relative_to(ROOT).parts):
                yield path


def docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes: a string as the first statement of the module, a
    class or a function."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0] if node.body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            found.add(id(first.value))
    return found


def port_names(source: str) -> list[tuple[int, str]]:
    """Line and text of each string literal, docstrings aside, that names the port
    (comments are not in the syntax tree)."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and any(name in node.value for name in PORT_NAMES)
    ]


def test_modules_stay_under_600_lines() -> None:
    """A module past 600 lines is split along a seam of its subject."""
    long = {
        str(path.relative_to(ROOT)): lines
        for path in modules(*CODE)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_port_is_named_only_in_the_reference() -> None:
    """Strings in the code take the port's names from ``reference.home``."""
    named = {
        f"{path.relative_to(ROOT)}:{line}": text
        for path in modules(*PORT_NEUTRAL)
        for line, text in port_names(path.read_text(encoding="utf-8"))
    }
    assert not named, f"string literals naming the port: {named}"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('"""Trains leave Huaihua."""\nX = 1\n', []),
        (
            'class A:\n    """From 怀化."""\n\n    def f(self) -> None:\n        """Huaihua."""\n',
            [],
        ),
        ("# Huaihua, in a comment\nX = 1\n", []),
        ('X = 1\nNAME = "Huaihua"\n', [(2, "Huaihua")]),
        (
            'def f() -> str:\n    x = 1\n    "怀化"\n    return f"to {x} 怀化"\n',
            [(3, "怀化"), (4, " 怀化")],
        ),
    ],
    ids=["module-docstring", "class-and-function-docstrings", "comment", "constant", "f-string"],
)
def test_port_names_sees_literals_but_not_docstrings(
    source: str, found: list[tuple[int, str]]
) -> None:
    assert sorted(port_names(source)) == found
