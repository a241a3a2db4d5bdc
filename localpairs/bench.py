"""``localpairs bench``: localpairs against plain-QuSpin baselines, side by side in one run.

Every case has two sides, each a function in :mod:`localpairs.bench_cases` run in its own fresh
subprocess (``python -m localpairs.bench_cases CASE SIDE SIZE``, so its peak memory,
``ru_maxrss``, is its own) one after the other. The table prints
wall times, peak memory and the ratios localpairs/baseline, and checks that both sides computed
the same number. ``--quick`` uses small sizes (seconds; what CI could afford).

A side may report a wall time other than its run time (measured inside, e.g. set-up + evolve
only, or extrapolated from a few solved frequencies); it then says so in a note printed under
its row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from localpairs.errors import InputError, LocalPairsError


@dataclass(frozen=True)
class Case:
    """One benchmark: names of the two side functions and the sizes (quick, full).

    Attributes
    ----------
    name : str
        Title of the case in the table.
    ours, baseline : str
        Names of the two side functions in :mod:`localpairs.bench_cases`.
    baseline_label : str
        What the baseline is, in words.
    quick, full : str
        Cluster sizes of the quick and the full run (e.g. ``"cube"``, ``"2x2x3"``).
    agree_tol : float
        Relative tolerance within which the two sides' values must agree.
    """

    name: str
    ours: str
    baseline: str
    baseline_label: str
    quick: str
    full: str
    agree_tol: float


CASES: dict[str, Case] = {
    "ground_state": Case("ground state, no symmetry", "ours_ground_state", "quspin_ground_state", "QuSpin basis+hamiltonian+eigsh", "cube", "2x2x3", 1e-8),
    "ground_state_k0": Case("ground state, k = 0 block", "ours_ground_state_k0", "quspin_ground_state_k0", "QuSpin with k-blocks", "cube", "2x2x3", 1e-8),
}


def register(key: str, case: Case) -> None:
    """Add a benchmark case (:mod:`localpairs.bench_cases` registers ``spectra`` and ``evolution``).

    Parameters
    ----------
    key : str
        Key of the case (its name on the command line).
    case : Case
        The case.
    """
    CASES[key] = case


def _side(key: str, side: str, size: str) -> dict:
    """Run side ``ours`` or ``baseline`` of case ``key`` in a fresh process; its JSON report."""
    done = subprocess.run([sys.executable, "-m", "localpairs.bench_cases", key, side, size], capture_output=True, text=True)
    if done.returncode != 0:
        raise LocalPairsError(f"benchmark side {key} {side} ({size}) failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_bench(*, quick: bool = False, only: list[str] | None = None, repeat: int = 1) -> str:
    """Run the benchmark cases and return the table as text.

    Parameters
    ----------
    quick : bool
        Run the quick sizes.
    only : list of str, optional
        Keys of the cases to run (all when None).
    repeat : int
        Runs per side; the fastest counts.

    Returns
    -------
    str
        The table: seconds and GB of each side and their ratios.

    Raises
    ------
    InputError
        When ``repeat`` is not an integer ≥ 1.
    LocalPairsError
        When a case is unknown, a side fails, or the two sides disagree.
    """
    from localpairs import bench_cases  # noqa: F401  (registers optional cases)

    if not isinstance(repeat, int) or repeat < 1:
        raise InputError("bench --repeat", repeat, "an integer ≥ 1 (runs per side; the fastest counts)")
    keys = only or list(CASES)
    unknown = [k for k in keys if k not in CASES]
    if unknown:
        raise LocalPairsError(f"unknown benchmark case(s) {unknown}; available: {sorted(CASES)}")
    lines = [
        f"{'case':28s}{'size':>12s}{'ours (s)':>10s}{'base (s)':>10s}{'ratio':>7s}{'ours (GB)':>11s}{'base (GB)':>11s}{'ratio':>7s}  baseline",
    ]
    for key in keys:
        case = CASES[key]
        size = case.quick if quick else case.full
        ours, base = [], []
        for _ in range(repeat):  # alternate the sides so that load drifts hit both alike
            base.append(_side(key, "baseline", size))
            ours.append(_side(key, "ours", size))
        o = min(ours, key=lambda r: r["wall"])
        b = min(base, key=lambda r: r["wall"])
        if abs(o["value"] - b["value"]) > case.agree_tol * max(1.0, abs(b["value"])):
            raise LocalPairsError(f"{case.name}: the two sides disagree ({o['value']!r} vs {b['value']!r})")
        lines.append(
            f"{case.name:28s}{size:>12s}{o['wall']:10.2f}{b['wall']:10.2f}{o['wall'] / b['wall']:7.2f}"
            f"{o['peak_gb']:11.3f}{b['peak_gb']:11.3f}{o['peak_gb'] / b['peak_gb']:7.2f}  {case.baseline_label}"
        )
        lines += [f"{'':30s}{side}: {r['note']}" for side, r in (("ours", o), ("base", b)) if r.get("note")]
    lines.append("ratio = localpairs / baseline (wall time; peak resident memory of the whole process)")
    return "\n".join(lines)
