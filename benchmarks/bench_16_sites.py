"""16 sites (issue 6, item 2): the periodic 2×2×4 cluster at half filling and at x = 0.375.

Each case runs in its own fresh process (its own peak memory) and prints one JSON line; the parent
prints a table of dimension, wall time, peak resident memory, E0, lowest excitations and pair
binding, with the machine's load average at the start of each case (the targets, 15 min and
12 GB per case, are for a 2-core machine that may be shared).

Cases (t = 0.33, U = −1.2, V = 0.15 eV, no breathing; mixture as in runs/fermi_bose_2x2x4.toml):

``half_filling``
    N = 16 (8↑8↓; 165,636,900 states without symmetry): the fully symmetric block
    k = 0, pz = 0, dxy = 0 (2.6 million states), its lowest levels. Excitations are those of that
    block only (other blocks, other k and S_z, are not solved).
``x0375``
    N = 10: every momentum block (9 distinct of 16), lowest levels per block; the global ground
    state's k, degeneracy and lowest excitations.
``pair_binding``
    N = 8, 9, 11 by momentum (lowest level only), with E(10) from ``x0375``:
    E(10) + E(8) − 2E(9) and E(11) + E(9) − 2E(10).
``fermi_bose``
    The mixture at x = 0.375, N = 10 (1,061,050 states, no translation symmetry): Lanczos.
``x0375_paths``
    The ``x0375`` scan block by block, a baseline path and the current one side by side in one
    process (issue 14, item 3). Current: each block as the sub-blocks of its little group (pz at
    kz = 0, 2; dxy at kx = ky) and the spin flip (:mod:`~localpairs.solvers.ed.little_group`),
    each sub-block's lowest level by plain Lanczos and more levels only of the sub-blocks whose
    next level can be among the block's n lowest (:mod:`~localpairs.solvers.ed.sub_block_levels`).
    Baselines (``--baseline``): ``split`` (default), the same sub-blocks each asked for n levels
    by ``eigsh``; ``whole``, each translation block whole (a complex one in its real standing-wave
    form), orbit maxima found by trying all 16 translations. Per block: seconds of basis (finding
    each group's representatives on first use included), matrix and eigensolver (summed over
    sub-blocks), matrix–vector products, CPU seconds of the process, peak resident memory while
    the block ran (sampled every 20 ms), the baseline/new wall and CPU ratios and the largest
    difference of the block's levels.

    OMP_NUM_THREADS=2 python benchmarks/bench_16_sites.py [--only CASE ...] [--n-states 4] [--blocks 000 001] [--baseline split]

``--baseline-source DIR`` runs every case also from another copy of the package (``DIR/localpairs``
with ``hamiltonians``, ``solvers`` and ``analysis`` moved into it, e.g. ``git -C /work/main archive
HEAD localpairs hamiltonians solvers analysis | tar -x -C DIR``), in its own subprocess before the
current code's, and prints both side by side with the ratios (wall, CPU seconds of the process,
peak memory); ``x0375_paths`` then runs only the current path (``--baseline none``) in each copy
and prints per block the phases (basis, matrix, eigensolver), products, CPU seconds and the
largest difference of the levels. The machine's ``uptime`` load is printed first.

Measured 2026-11-30 against main (c4f039a) as ``--baseline-source`` on the shared machine (the
eigensolver code is the same on both sides): ``--only x0375`` baseline 439.4 s wall, 430.3 CPU-s,
1.84 GB (load 2.5) against 182.9 s, 272.0 CPU-s, 1.63 GB (load 5.0), levels equal to 4.6e-14 eV;
``x0375_paths --blocks 000 001 012`` (load 8–10): CPU-s of the sub-block builds 14.6 → 9.5,
22.1 → 9.0 (complex), 13.5 → 6.7, same products. Single-threaded builds of whole blocks (all
sub-blocks): real k=000 13.0 → 8.9 CPU-s, complex k=001 20.9 → 8.6, k=011 21.7 → 8.0; the
representatives of the scan's four groups 8.2 → 2.1 CPU-s.

Measured 2026-11-30 on a quiet machine (nothing else running), ``OMP_NUM_THREADS=2 --only x0375``,
both builds and the eigensolver of :mod:`localpairs.solvers.lanczos_lowest` (kept Lanczos vectors,
Temple-bound energy rule, levels certified above the block's threshold): **118.8 s wall** (target
120 s), 184 CPU-s, peak 1.98 GB (load 0.42 at the start); main c4f039a, run alone the same way
1.5 h earlier (load 1.1): 198.8 s, 300 CPU-s, 1.84 GB. Side by side in one invocation
(``--only x0375 --baseline-source`` main c4f039a, quiet, 01:28 UTC): baseline 179.4 s wall, 315.8 CPU-s,
1.94 GB (load 0.8) against **94.6 s**, 172.0 CPU-s, 1.86 GB (load 2.2): 1.90× wall, 1.84× CPU. The 36
levels of the 9 blocks agree to 1.1e-11 eV.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

CASES = ("half_filling", "half_filling_Q", "x0375", "pair_binding", "fermi_bose", "x0375_paths")
PARAMS = dict(t=0.33, U=-1.2, V=0.15)
MIXTURE = dict(t_B=0.05, t_F=0.33, E_B=-0.5, g=0.2)


def _case(name: str, n_states: int, shape: str, blocks: list[str] | None = None, baseline: str = "split") -> dict:
    """Run one case in this process; return its numbers."""
    from localpairs.hamiltonians import doping_config, extended_hubbard, fermi_bose_mixture, make_cluster
    from localpairs.solvers import lowest_by_momentum, sector, solve
    from localpairs.solvers.ed.momentum import default_tol
    from localpairs.solvers.hilbert.lattice_symmetry import generators

    cl = make_cluster(shape, periodic=True)
    model = extended_hubbard(cl, **PARAMS)
    half, n0 = cl.n_sites, doping_config(cl, x=0.375).n_electrons
    mirrors = {m: 0 for m in ("pz", "dxy") if m in generators(cl)}  # 2×2×4: both
    if name == "half_filling":
        r = solve(model, sector(electrons=half, kx=0, ky=0, kz=0, **mirrors), n_states=n_states, tol=default_tol(n_states))
        return dict(what=f"N={half}, block k=0 {' '.join(f'{m}=0' for m in mirrors)}", dimension=r.dimension, e0=r.ground_energy,
                    excitations=[float(e - r.ground_energy) for e in r.energies[1:]], seconds=r.seconds)
    if name == "half_filling_Q":  # the LPDW ordering vector (π, π, π): both z parities, lowest level each
        q = dict(kx=1, ky=1, kz=cl.shape[2] // 2)
        parities = [dict(mirrors, pz=p) for p in (0, 1)] if "pz" in mirrors else [mirrors]
        rs = [solve(model, sector(electrons=half, **q, **m), n_states=1, tol=default_tol(1)) for m in parities]
        return dict(what=f"N={half}, k=(π,π,π), pz=0 and 1", dimension=sum(r.dimension for r in rs),
                    levels=[r.ground_energy for r in rs], e0=min(r.ground_energy for r in rs))
    if name == "x0375":
        scan = lowest_by_momentum(model, n_up=(n0 + 1) // 2, n_down=n0 // 2, n_states=n_states)
        return dict(what=f"N={n0}, {len(scan.blocks)} k-blocks", dimension=scan.dimension, e0=scan.ground_energy,
                    ground_k=list(scan.ground_k), degeneracy=scan.degeneracy,
                    excitations=[float(de) for de, _, m in scan.excitations(n_states) for _ in range(m)][:n_states],
                    blocks=[dict(k=list(b.k), star=b.multiplicity, dim=b.dimension, energies=list(b.energies)) for b in scan.blocks])
    if name == "pair_binding":
        energies = {n: lowest_by_momentum(model, n_up=(n + 1) // 2, n_down=n // 2, n_states=1).ground_energy for n in (n0 - 2, n0 - 1, n0 + 1)}
        return dict(what=f"N={n0 - 2}, {n0 - 1}, {n0 + 1} by momentum", energies=energies, n0=n0)
    if name == "fermi_bose":
        mix = fermi_bose_mixture(cl, doping_config(cl, x=0.375), **MIXTURE)
        r = solve(mix, sector(electrons=n0), n_states=n_states)
        return dict(what=f"Fermi–Bose N={n0}, no symmetry", dimension=r.dimension, e0=r.ground_energy,
                    excitations=[float(e - r.ground_energy) for e in r.energies[1:]], seconds=r.seconds)
    if name == "x0375_paths":
        return _paths(model, n0, n_states, blocks, baseline)
    raise SystemExit(f"unknown case {name!r}; choose from {CASES}")


class _PeakRSS:
    """Peak resident memory (GB) of this process since the last :meth:`reset`, sampled by a thread."""

    def __init__(self, every: float = 0.02) -> None:
        import threading

        self.peak, self._every = 0.0, every
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def now() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            time.sleep(self._every)

    def reset(self) -> None:
        self.peak = self.now()


def _whole_block(model, reps, labels: dict, n_states: int, tol: float, spins: tuple[int, int]) -> dict:
    """Main's path before the split: the whole translation block (real standing-wave form for a
    complex one), orbit maxima by trying every translation (``reps`` built with ``lookup=False``)."""
    from localpairs.solvers import sector, solve

    r = _counted(lambda: solve(model, sector(n_up=spins[0], n_down=spins[1], **labels), n_states=n_states, tol=tol, representatives=reps,
                               dense_threshold=0))
    return dict(r[0].seconds, levels=[float(e) for e in r[0].energies], products=r[1])


def _split_block(model, reps, labels: dict, n_states: int, tol: float, spins: tuple[int, int]) -> dict:
    """The previous split path: every sub-block of the little group and the spin flip asked for
    ``n_states`` levels by ``eigsh`` (representatives per group found on first use: ``basis``)."""
    from localpairs.solvers import solve
    from localpairs.solvers.ed.little_group import SplitSolver

    solver = _solvers.setdefault(("split", spins), SplitSolver(model, spins[0], spins[1], dict(n_states=n_states, tol=tol, dense_threshold=0)))
    seconds, levels, products = dict(basis=0.0, matrix=0.0, solve=0.0), [], 0
    for sec in solver.sub_sectors(labels, split=True):
        t0 = time.perf_counter()
        sub_reps = solver.representatives(sec.blocks)
        seconds["basis"] += time.perf_counter() - t0
        if sub_reps.block(sec.blocks, float).Ns == 0:
            continue
        r, count = _counted(lambda sec=sec, sub_reps=sub_reps: solve(model, sec, representatives=sub_reps, **solver.options))
        products += count
        levels += list(r.energies)
        for phase, value in r.seconds.items():
            seconds[phase] += value
    return dict(seconds, levels=sorted(float(e) for e in levels)[:n_states], products=products)


def _new_block(model, reps, labels: dict, n_states: int, tol: float, spins: tuple[int, int]) -> dict:
    """The current path, as ``lowest_by_momentum`` solves a block: each sub-block's lowest level by plain
    Lanczos, more levels only where they can be among the block's n lowest (:mod:`~localpairs.solvers.ed.sub_block_levels`)."""
    import localpairs.solvers.ed.little_group as little_group
    from localpairs.solvers.ed.little_group import SplitSolver

    solver = _solvers.setdefault(("new", spins), SplitSolver(model, spins[0], spins[1], dict(n_states=n_states, tol=tol, dense_threshold=0)))
    build, cpu = little_group.build_sector_matrix, [0.0]

    def timed_build(*args, **kwargs):  # CPU seconds of every sub-block's basis and matrix (load-independent)
        start = time.process_time()
        try:
            return build(*args, **kwargs)
        finally:
            cpu[0] += time.process_time() - start

    little_group.build_sector_matrix = timed_build
    start = time.process_time()
    try:
        energies, _, _, _ = solver.solve_block(labels, split=True)
    finally:
        little_group.build_sector_matrix = build
    reps_cpu = time.process_time() - start - cpu[0]  # representatives and eigensolver
    return dict(solver.seconds, levels=[float(e) for e in energies], products=sum(solver.products.values()), build_cpu=cpu[0], rest_cpu=reps_cpu)


_solvers: dict = {}
PATHS = {"whole": _whole_block, "split": _split_block, "new": _new_block}


def _counted(run) -> tuple:
    """``run()`` and the number of matrix–vector products ``eigsh`` made through ``matvec_operator``."""
    import scipy.sparse.linalg as spla

    import localpairs.solvers.ed.eigensolve as eigensolve

    count, original = [0], eigensolve.matvec_operator

    def counting(matrix):
        op = spla.aslinearoperator(original(matrix))

        def product(x):
            count[0] += 1
            return op.matvec(x)

        return spla.LinearOperator(op.shape, matvec=product, dtype=op.dtype)

    eigensolve.matvec_operator = counting
    try:
        return run(), count[0]
    finally:
        eigensolve.matvec_operator = original


def _paths(model, n0: int, n_states: int, only: list[str] | None, baseline: str) -> dict:
    """Every distinct block of N = n0 (or those labelled in ``only``, e.g. "001") by the ``baseline`` path and
    the new one, interleaved (same load): wall and CPU seconds, phases, products, peak memory."""
    from localpairs.solvers.ed.momentum import block_maps, default_tol, stars, translation_names
    from localpairs.solvers.hilbert.block_matrix import Representatives
    from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks

    names, periods = translation_names(model)
    rss = _PeakRSS()
    t0 = time.perf_counter()
    reps = None
    if baseline == "whole":
        reps = Representatives(resolve_blocks(model, {n: 0 for n in names}), n_sites=model.n_sites, n_up=(n0 + 1) // 2, n_down=n0 // 2,
                               lookup=False)
    out = dict(what=f"N={n0}, {baseline} vs new path per block", baseline=baseline, representatives=time.perf_counter() - t0, blocks=[])
    for star in stars(periods, block_maps(model, names, periods)):
        labels = dict(zip(names, star[0]))
        if only and "".join(map(str, star[0])) not in only:
            continue
        row = dict(k=list(star[0]), load=os.getloadavg()[0])
        for path in (baseline, "new") if baseline != "none" else ("new",):
            rss.reset()
            start, cpu = time.perf_counter(), time.process_time()
            row[path] = PATHS[path](model, reps, labels, n_states, default_tol(n_states), ((n0 + 1) // 2, n0 // 2))
            row[path].update(wall=time.perf_counter() - start, cpu=time.process_time() - cpu, peak_gb=rss.peak)
        print(f"# {row}", file=sys.stderr, flush=True)
        out["blocks"].append(row)
    for key in ("wall", "cpu"):
        for path in (baseline, "new") if baseline != "none" else ("new",):
            out[f"{path}_{key}"] = sum(b[path][key] for b in out["blocks"])
    return out


def _print_paths(r: dict) -> None:
    base = r["baseline"]
    print(f"representatives for the 'whole' path: {r['representatives']:.1f} s; CPU s = user + system of both OpenMP threads")
    print(f"{'k':<10} {'load':>5} | {base + ': basis':>12} {'matrix':>7} {'solve':>7} {'Hv':>5} {'CPU s':>6} {'peak GB':>7} | "
          f"{'new: basis':>10} {'matrix':>7} {'solve':>7} {'Hv':>5} {'CPU s':>6} {'peak GB':>7} | {'wall':>5} {'CPU':>5} {'max|ΔE| (eV)':>12}")
    for b in r["blocks"]:
        o, n = b[base], b["new"]
        print(f"{tuple(b['k'])!s:<10} {b['load']:>5.1f} | "
              f"{o['basis']:>12.1f} {o['matrix']:>7.1f} {o['solve']:>7.1f} {o['products']:>5} {o['cpu']:>6.1f} {o['peak_gb']:>7.2f} | "
              f"{n['basis']:>10.1f} {n['matrix']:>7.1f} {n['solve']:>7.1f} {n['products']:>5} {n['cpu']:>6.1f} {n['peak_gb']:>7.2f} | "
              f"{o['wall'] / n['wall']:>5.2f} {o['cpu'] / n['cpu']:>5.2f} {max(abs(x - y) for x, y in zip(o['levels'], n['levels'])):>10.1e}")
    print(f"total (blocks only): {base} {r[base + '_wall']:.1f} s wall, {r[base + '_cpu']:.1f} s CPU; new {r['new_wall']:.1f} s wall, "
          f"{r['new_cpu']:.1f} s CPU; ratio {base}/new {r[base + '_wall'] / r['new_wall']:.2f} (wall), {r[base + '_cpu'] / r['new_cpu']:.2f} (CPU)")


def _child(name: str, n_states: int, shape: str, blocks: list[str] | None, baseline: str) -> None:
    start = time.perf_counter()
    out = _case(name, n_states, shape, blocks, baseline)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.update(case=name, wall=time.perf_counter() - start, cpu=usage.ru_utime + usage.ru_stime, peak_gb=usage.ru_maxrss / 1e6)
    print(json.dumps(out), flush=True)


def _run_child(args: argparse.Namespace, name: str, baseline: str, source: str | None = None) -> dict:
    """Case ``name`` in a fresh process, from the package copy in ``source`` (None: the installed one)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", name, "--n-states", str(args.n_states),
                           *(["--quick"] if args.quick else []), *(["--blocks", *args.blocks] if args.blocks else []), "--baseline", baseline],
                          stdout=subprocess.PIPE, text=True, check=True, env=env, cwd=source)
    result = json.loads(done.stdout.strip().splitlines()[-1]) | {"load": load}
    print(f"# {name}{' from ' + source if source else ''}: {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def _levels(r: dict) -> list[float]:
    """Every level a case reports, in a fixed order (for the largest difference between two copies)."""
    if "blocks" in r:
        return [e for b in r["blocks"] for e in (b.get("energies") or b["new"]["levels"])]
    return [r[key] for key in ("e0",) if key in r] + list(r.get("energies", {}).values()) + list(r.get("levels", []))


def _print_sources(name: str, base: dict, new: dict) -> None:
    """One case run from the baseline copy and from the current code, side by side."""
    diff = max((abs(x - y) for x, y in zip(_levels(base), _levels(new))), default=float("nan"))
    print(f"\n{name}: baseline {base['wall']:.1f} s wall, {base['cpu']:.1f} CPU-s, {base['peak_gb']:.2f} GB (load {base['load']:.1f}); "
          f"current {new['wall']:.1f} s, {new['cpu']:.1f} CPU-s, {new['peak_gb']:.2f} GB (load {new['load']:.1f}); "
          f"ratio baseline/current {base['wall'] / new['wall']:.2f} wall, {base['cpu'] / new['cpu']:.2f} CPU; max |ΔE| {diff:.1e} eV")
    if name != "x0375_paths":
        return
    print(f"{'k':<10} | {'baseline: basis':>15} {'matrix':>7} {'solve':>7} {'Hv':>5} {'CPU s':>6} {'build':>6} | "
          f"{'current: basis':>14} {'matrix':>7} {'solve':>7} {'Hv':>5} {'CPU s':>6} {'build':>6} | {'matrix':>6} {'CPU':>5} {'build':>5} "
          f"{'max|ΔE| (eV)':>12}")
    for b, c in zip(base["blocks"], new["blocks"]):
        o, n = b["new"], c["new"]
        print(f"{tuple(b['k'])!s:<10} | {o['basis']:>15.1f} {o['matrix']:>7.1f} {o['solve']:>7.1f} {o['products']:>5} {o['cpu']:>6.1f} "
              f"{o['build_cpu']:>6.1f} | {n['basis']:>14.1f} {n['matrix']:>7.1f} {n['solve']:>7.1f} {n['products']:>5} {n['cpu']:>6.1f} "
              f"{n['build_cpu']:>6.1f} | {o['matrix'] / n['matrix']:>6.2f} {o['cpu'] / n['cpu']:>5.2f} {o['build_cpu'] / n['build_cpu']:>5.2f} "
              f"{max(abs(x - y) for x, y in zip(o['levels'], n['levels'])):>12.1e}")
    totals = {key: (sum(b["new"][key] for b in base["blocks"]), sum(b["new"][key] for b in new["blocks"]))
              for key in ("basis", "matrix", "solve", "products", "cpu", "build_cpu", "rest_cpu")}
    print("build_cpu: CPU-s of the sub-blocks' basis and matrix builds (memory check, hermiticity check included); "
          "rest_cpu: the block's other CPU-s (representatives on first use, eigensolver)")
    print("blocks summed: " + ", ".join(f"{key} {o:.1f} → {n:.1f} ({o / n:.2f}×)" for key, (o, n) in totals.items()))


def _fmt_exc(values: list) -> str:
    return ", ".join(f"{v:.4g}" for v in values[:3]) or "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--n-states", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="the 2×2×2 cube instead (seconds; checks the script)")
    parser.add_argument("--blocks", nargs="+", help="x0375_paths: only these k labels, e.g. 000 001 (default: all)")
    parser.add_argument("--baseline", choices=("split", "whole", "none"), default="split",
                        help="x0375_paths: the path compared with the new one in the same process (default: split; none: only the new)")
    parser.add_argument("--baseline-source", metavar="DIR",
                        help="also run every case from the package copy in DIR (see the module docstring) and print both side by side")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    shape = "2x2x2" if args.quick else "2x2x4"  # quick: no pz on the cube
    if args.child:
        return _child(args.child, args.n_states, shape, args.blocks, args.baseline)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    if args.baseline_source:
        source = os.path.abspath(args.baseline_source)
        for name in args.only:
            _print_sources(name, _run_child(args, name, "none", source), _run_child(args, name, "none"))
        return
    results = {name: _run_child(args, name, args.baseline) for name in args.only}
    if "pair_binding" in results and "x0375" in results:
        n = results["pair_binding"]["n0"]
        e = {int(k): v for k, v in results["pair_binding"]["energies"].items()} | {n: results["x0375"]["e0"]}
        results["pair_binding"]["pb"] = (f"E({n})+E({n - 2})−2E({n - 1}) = {e[n] + e[n - 2] - 2 * e[n - 1]:+.5f}; "
                                         f"E({n + 1})+E({n - 1})−2E({n}) = {e[n + 1] + e[n - 1] - 2 * e[n]:+.5f}")
    if "x0375_paths" in results:
        _print_paths(results.pop("x0375_paths"))
    if "half_filling_Q" in results and "half_filling" in results:
        r = results["half_filling_Q"]
        r["excitations"] = [r["e0"] - results["half_filling"]["e0"]]
    print(f"{'case':<15} {'what':<30} {'dimension':>12} {'wall (s)':>9} {'peak GB':>8} {'E0 (eV)':>13} {'lowest E−E0 (eV)':<26} {'load':>5}  pair binding (eV)")
    for name, r in results.items():
        dim = f"{r['dimension']:,}" if "dimension" in r else "—"
        e0 = f"{r['e0']:.6f}" if "e0" in r else "—"
        extra = f" k={tuple(r['ground_k'])} deg {r['degeneracy']}" if "ground_k" in r else ""
        print(f"{name:<15} {r['what']:<30} {dim:>12} {r['wall']:>9.1f} {r['peak_gb']:>8.2f} {e0:>13} {_fmt_exc(r.get('excitations', [])):<26} "
              f"{r['load']:>5.2f}  {r.get('pb', '')}{extra}")


if __name__ == "__main__":
    main()
