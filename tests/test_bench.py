"""``localpairs bench``: the spectra case runs quick and agrees with the per-frequency solves; the
evolution case's sides are importable functions shared with benchmarks/bench_evolution.py; no side
is a code string or a file loaded by path."""

import ast
import re
from pathlib import Path

import pytest

from localpairs import bench, bench_cases

REPO = Path(__file__).resolve().parents[1]


def test_new_cases_are_registered():
    assert {"ground_state", "ground_state_k0", "spectra", "evolution", "evolution_200", "matvec", "window_12", "scan_16"} <= set(bench.CASES)
    for key in ("spectra", "evolution", "evolution_200", "matvec", "window_12", "scan_16"):
        case = bench.CASES[key]
        assert callable(getattr(bench_cases, case.ours)) and callable(getattr(bench_cases, case.baseline))


def test_evolution_sides_are_importable_functions_shared_with_the_script():
    from localpairs import bench_evolution

    assert set(bench_evolution.SIDES) == {"prepare", "localpairs", "quspin", "quspin_length"}
    for side in bench_evolution.SIDES.values():
        assert callable(side) and side.__module__ == "localpairs.bench_evolution"
    script = ast.parse((REPO / "benchmarks" / "bench_evolution.py").read_text())
    imported = {a.name for n in ast.walk(script) if isinstance(n, ast.ImportFrom) and n.module == "localpairs.bench_evolution" for a in n.names}
    assert {"run_in_subprocess", "REFERENCE_TOL"} <= imported  # the script runs the same sides


def test_bench_runs_no_code_strings_and_loads_no_files_by_path():
    names = ("bench", "bench_cases", "bench_evolution", "bench_matvec", "bench_scaling")
    for path in [REPO / "localpairs" / f"{name}.py" for name in names] + sorted((REPO / "benchmarks").glob("*.py")):
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


def _rows(table: str) -> dict[str, list[float]]:
    """Case name → the six numbers of its row (wall, wall, ratio, GB, GB, ratio)."""
    out = {}
    for case in bench.CASES.values():
        row = next((line for line in table.splitlines() if line.startswith(case.name)), None)
        if row is not None:
            out[case.name] = [float(x) for x in re.findall(r"\d+\.\d+", row[len(case.name):])][-6:]
    return out


def test_matvec_case_quick_row():
    """Both sides report seconds per GB: the ratio is triad / product bandwidth, and the notes give the GB/s."""
    table = bench.run_bench(quick=True, only=["matvec"])
    (numbers,) = _rows(table).values()
    assert len(numbers) == 6 and all(x > 0 for x in numbers)
    assert re.search(r"= \d+\.\d GB/s \(\d thread", table) and "triad a = b + s c" in table


@pytest.mark.slow
def test_every_quick_case_runs_and_the_scan_agrees_with_quspin(tmp_path, monkeypatch):
    """``bench --quick`` stays functional (not timed): every case prints its row and ratio; the sides
    of each case agree (run_bench raises otherwise), e.g. the k = 0 block of the cube's scan equals
    QuSpin's k-block solve to 1e-8 (Case.agree_tol)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the evolution cases' cached states
    table = bench.run_bench(quick=True)
    rows = _rows(table)
    assert set(rows) == {c.name for c in bench.CASES.values()}
    assert all(len(v) == 6 and v[2] > 0 for v in rows.values()), table
    assert "extrapolated" in table
