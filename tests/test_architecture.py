"""The architecture as tests: layers import downwards only, modules and functions stay readable.

Layers, lowest first: ``localpairs.hamiltonians`` → ``localpairs.solvers`` →
``localpairs.analysis`` → ``localpairs.studies`` (and the command line). A module may import
its own layer and the layers below, never one above. The size limits (400 lines a module,
80 lines a function, docstring included) are the developers' guide's "one person can read it in
a sitting", made checkable.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"hamiltonians": 0, "solvers": 1, "analysis": 2, "localpairs": 3}
LAYER_OF_IMPORT = {
    "localpairs.hamiltonians": 0,
    "localpairs.solvers": 1,
    "localpairs.analysis": 2,
    "localpairs.studies": 3,
    "localpairs.sweep": 3,
    "localpairs.cli": 3,
    "localpairs.bench": 3,
    "localpairs.bench_cases": 3,
}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _package_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))


def _imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def _layer(module: str) -> int | None:
    for prefix, layer in sorted(LAYER_OF_IMPORT.items(), key=lambda kv: -len(kv[0])):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downwards_only(path):
    own = FOLDERS[path.relative_to(ROOT).parts[0]]
    if own == 3:  # the core: units/errors/io are layer-free; studies, cli, sweep, bench are the top
        return
    upward = [m for m in _imported_modules(ast.parse(path.read_text())) if (_layer(m) or -1) > own]
    assert not upward, f"{path.relative_to(ROOT)} imports a higher layer: {upward}"


def test_importing_hamiltonians_loads_no_higher_layer():
    code = (
        "import sys, localpairs.hamiltonians\n"
        "bad = [m for m in sys.modules if m.startswith(('localpairs.solvers', 'localpairs.analysis', 'localpairs.studies'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_are_readable_in_a_sitting(path):
    source = path.read_text()
    n_lines = len(source.splitlines())
    assert n_lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {n_lines} lines (limit {MAX_MODULE_LINES})"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines: {long}"
