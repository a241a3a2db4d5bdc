"""``localpairs bench``: the spectra case runs quick and agrees with the per-frequency solves; the
evolution case finds the code it reuses from benchmarks/bench_evolution.py."""

import re

from localpairs import bench, bench_cases


def test_new_cases_are_registered():
    assert {"ground_state", "ground_state_k0", "spectra", "evolution"} <= set(bench.CASES)
    for key in ("spectra", "evolution"):
        case = bench.CASES[key]
        assert callable(getattr(bench_cases, case.ours)) and callable(getattr(bench_cases, case.baseline))


def test_evolution_case_reuses_bench_evolution_strings():
    be = bench_cases._bench_evolution()
    for name in ("PREPARE", "LOCALPAIRS", "PLAIN_QUSPIN", "PARAMS", "PULSE", "REFERENCE_TOL", "run"):
        assert hasattr(be, name)
    fmt = dict(size="2x2x2", cache="/tmp/x", params=be.PARAMS, pulse=be.PULSE, t_end=5.0, tol=1e-8)
    for code in (be.LOCALPAIRS, be.PLAIN_QUSPIN):
        compile(code.format(**fmt), "<bench_evolution>", "exec")  # the placeholders the case fills in


def test_spectra_case_quick_row():
    table = bench.run_bench(quick=True, only=["spectra"])  # raises if the two sides disagree
    row = next(line for line in table.splitlines() if line.startswith("spectrum"))
    numbers = [float(x) for x in re.findall(r"\d+\.\d+", row)]
    assert len(numbers) == 6 and all(x > 0 for x in numbers)  # wall, wall, ratio, GB, GB, ratio
    assert "extrapolated" in table and "info [0, 0, 0]" in table
