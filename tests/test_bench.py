"""``localpairs bench``: the spectra case runs quick and agrees with the per-frequency solves; the
evolution case's sides are importable functions shared with benchmarks/bench_evolution.py; no side
is a code string or a file loaded by path."""

import ast
import re
from pathlib import Path

from localpairs import bench, bench_cases

REPO = Path(__file__).resolve().parents[1]


def test_new_cases_are_registered():
    assert {"ground_state", "ground_state_k0", "spectra", "evolution"} <= set(bench.CASES)
    for key in ("spectra", "evolution"):
        case = bench.CASES[key]
        assert callable(getattr(bench_cases, case.ours)) and callable(getattr(bench_cases, case.baseline))


def test_evolution_sides_are_importable_functions_shared_with_the_script():
    from localpairs import bench_evolution

    assert set(bench_evolution.SIDES) == {"prepare", "localpairs", "quspin"}
    for side in bench_evolution.SIDES.values():
        assert callable(side) and side.__module__ == "localpairs.bench_evolution"
    script = ast.parse((REPO / "benchmarks" / "bench_evolution.py").read_text())
    imported = {a.name for n in ast.walk(script) if isinstance(n, ast.ImportFrom) and n.module == "localpairs.bench_evolution" for a in n.names}
    assert {"run_in_subprocess", "REFERENCE_TOL"} <= imported  # the script runs the same sides


def test_bench_runs_no_code_strings_and_loads_no_files_by_path():
    for path in [REPO / "localpairs" / f"{name}.py" for name in ("bench", "bench_cases", "bench_evolution")] + sorted((REPO / "benchmarks").glob("*.py")):
        tree = ast.parse(path.read_text())
        calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "") for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert not calls & {"exec", "eval", "spec_from_file_location", "exec_module"}, path
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert "-c" not in strings, path  # no `python -c CODE` subprocesses


def test_spectra_case_quick_row():
    table = bench.run_bench(quick=True, only=["spectra"])  # raises if the two sides disagree
    row = next(line for line in table.splitlines() if line.startswith("spectrum"))
    numbers = [float(x) for x in re.findall(r"\d+\.\d+", row)]
    assert len(numbers) == 6 and all(x > 0 for x in numbers)  # wall, wall, ratio, GB, GB, ratio
    assert "extrapolated" in table and "info [0, 0, 0]" in table
