"""16 sites, eigensolver side by side: a baseline source tree against this one, block by block (issue 14, item 3).

Two persistent child processes, one importing ``localpairs`` from ``--baseline-source DIR`` (made by
``git -C /work/main archive HEAD localpairs hamiltonians solvers analysis | tar -x -C DIR`` with the
three folders moved into ``DIR/localpairs``), one from this tree; each is asked in turn to solve the
same momentum block of the periodic 2×2×4 cluster (t = 0.33, U = −1.2, V = 0.15 eV) as
``lowest_by_momentum`` does (``SplitSolver.solve_block``), so both see the same load. Each child
keeps its representatives between blocks (as a scan does) and first solves two 2×2×2 blocks
(numba compilation outside the timings). Per block and side: seconds of basis,
matrix and eigensolver, matrix–vector products, CPU seconds of the child, peak resident memory while
the block ran (sampled every 20 ms); the baseline/new ratios of products and CPU seconds and the
largest difference of the block's levels. ``--no-state``: the current side forms no eigenvector
(the ladder's N ≠ N₀ scans; the baseline always forms one, as main did).

    OMP_NUM_THREADS=2 python benchmarks/bench_eigensolver_16.py --baseline-source DIR [--electrons 10] [--n-states 4]
        [--blocks 000 001] [--no-state]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PARAMS = dict(t=0.33, U=-1.2, V=0.15)


def _serve(electrons: int, n_states: int, state: bool) -> None:
    """Child: read k labels ("001") from stdin, solve each block, print one JSON line per block."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_16_sites import _PeakRSS

    from localpairs.hamiltonians import extended_hubbard, make_cluster
    from localpairs.solvers.ed.little_group import SplitSolver
    from localpairs.solvers.ed.momentum import default_tol, translation_names

    model = extended_hubbard(make_cluster("2x2x4", periodic=True), **PARAMS)
    names, _ = translation_names(model)
    solver = SplitSolver(model, (electrons + 1) // 2, electrons // 2, dict(n_states=n_states, tol=default_tol(n_states), dense_threshold=0))
    extra = {"state": state} if "state" in inspect.signature(solver.solve_block).parameters else {}
    warm = SplitSolver(extended_hubbard(make_cluster((2, 2, 2), periodic=True), **PARAMS), 2, 2, dict(n_states=n_states, tol=0.0, dense_threshold=0))
    for k in ((0, 0, 0), (0, 0, 1)):  # compile (or load) the numba kernels before timing
        warm.solve_block(dict(zip(names, k)), split=True, **extra)
    rss = _PeakRSS()
    for line in sys.stdin:
        labels = dict(zip(names, map(int, line.strip())))
        rss.reset()
        start, cpu = time.perf_counter(), time.process_time()
        levels, dim, _, _ = solver.solve_block(labels, split=True, **extra)
        out = dict(solver.seconds, wall=time.perf_counter() - start, cpu=time.process_time() - cpu, peak_gb=rss.peak, dim=dim,
                   products=sum(solver.products.values()), levels=[float(e) for e in levels], source=str(Path(inspect.getfile(SplitSolver))))
        print(json.dumps(out), flush=True)


def _child(source: str | None, args: argparse.Namespace, state: bool) -> subprocess.Popen:
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = os.pathsep.join([source, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, __file__, "--serve", "--electrons", str(args.electrons), "--n-states", str(args.n_states), *([] if state else ["--no-state"])]
    return subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/tmp")


def _ask(child: subprocess.Popen, label: str) -> dict:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(label + "\n")
    child.stdin.flush()
    return json.loads(child.stdout.readline())


def _blocks(electrons: int) -> list[str]:
    from localpairs.hamiltonians import extended_hubbard, make_cluster
    from localpairs.solvers.ed.momentum import block_maps, stars, translation_names

    model = extended_hubbard(make_cluster("2x2x4", periodic=True), **PARAMS)
    names, periods = translation_names(model)
    return ["".join(map(str, star[0])) for star in stars(periods, block_maps(model, names, periods))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-source", help="folder holding the baseline's localpairs package")
    parser.add_argument("--electrons", type=int, default=10)
    parser.add_argument("--n-states", type=int, default=4)
    parser.add_argument("--blocks", nargs="+", help="k labels, e.g. 000 001 (default: one block per star)")
    parser.add_argument("--no-state", action="store_true", help="the current side forms no eigenvector")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return _serve(args.electrons, args.n_states, not args.no_state)
    if not args.baseline_source:
        parser.error("--baseline-source is required")
    sides = {"base": _child(args.baseline_source, args, True), "new": _child(None, args, not args.no_state)}
    rows, load0 = [], os.getloadavg()
    print(f"N = {args.electrons}, {args.n_states} levels per block, state {'not ' if args.no_state else ''}formed by new; load at start {load0}")
    print(f"{'k':<5} {'load':>5} | {'base: basis':>11} {'matrix':>7} {'solve':>7} {'Hv':>5} {'CPU s':>6} {'GB':>5} | "
          f"{'new: basis':>10} {'matrix':>7} {'solve':>7} {'Hv':>5} {'CPU s':>6} {'GB':>5} | {'Hv':>5} {'CPU':>5} {'solve':>5} {'max|ΔE| eV':>10}")
    for label in args.blocks or _blocks(args.electrons):
        load = os.getloadavg()[0]
        row = {side: _ask(child, label) for side, child in sides.items()}
        rows.append(row)
        b, n = row["base"], row["new"]
        delta = max(abs(x - y) for x, y in zip(b["levels"], n["levels"]))
        print(f"{label:<5} {load:>5.1f} | {b['basis']:>11.1f} {b['matrix']:>7.1f} {b['solve']:>7.1f} {b['products']:>5} {b['cpu']:>6.1f} "
              f"{b['peak_gb']:>5.2f} | "
              f"{n['basis']:>10.1f} {n['matrix']:>7.1f} {n['solve']:>7.1f} {n['products']:>5} {n['cpu']:>6.1f} {n['peak_gb']:>5.2f} | "
              f"{b['products'] / n['products']:>5.2f} {b['cpu'] / n['cpu']:>5.2f} {b['solve'] / n['solve']:>5.2f} {delta:>10.1e}", flush=True)
    for child in sides.values():
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    total = {side: {k: sum(r[side][k] for r in rows) for k in ("products", "cpu", "solve", "wall")} for side in sides}
    b, n = total["base"], total["new"]
    print(f"total: products {b['products']} → {n['products']} ({b['products'] / n['products']:.2f}×), CPU s {b['cpu']:.1f} → {n['cpu']:.1f} "
          f"({b['cpu'] / n['cpu']:.2f}×), eigensolver s {b['solve']:.1f} → {n['solve']:.1f} ({b['solve'] / n['solve']:.2f}×), "
          f"wall {b['wall']:.1f} → {n['wall']:.1f} ({b['wall'] / n['wall']:.2f}×); "
          f"max |ΔE| {max(max(abs(x - y) for x, y in zip(r['base']['levels'], r['new']['levels'])) for r in rows):.1e} eV; "
          f"load at end {os.getloadavg()}; sources {rows[0]['base']['source']} | {rows[0]['new']['source']}")


if __name__ == "__main__":
    main()
