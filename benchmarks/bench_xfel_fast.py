"""XFEL study (issue 12 speed): the pieces made cheaper, old and new side by side in one run, with the ratio.

1. One fit evaluation (E(N−2 … N+2) and σ(ω) at one U, V, Δ of runs/babio3_xfel.toml's 8-site cube):
   ``charge_ladder`` + ``optical_conductivity`` building every matrix (old) against
   :class:`~localpairs.studies.xfel_fit_ed.FitMatrices` (hopping built once per sector, diagonal from
   occupations; new), at ``--points`` parameter points after one warm-up point; the largest
   difference of the model numbers is printed (it must be round-off).
2. ``--pumped``: the pumped state of the paired fit at α = 0.05 — the full evolution through the
   pulse (old probe step) against linear response (new), with α and the overlap of the two excited
   parts at the same time.

Usage::

    python benchmarks/bench_xfel_fast.py [--points 4] [--pumped]

Times are wall seconds on a shared machine: read the ratio, and record ``uptime`` with any absolute figure.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from localpairs.solvers import charge_ladder
from localpairs.solvers.spectra.conductivity import optical_conductivity
from localpairs.spec import load_spec
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import SIGMA_ETA, SIGMA_OMEGA, Context, model_numbers

logger = logging.getLogger("bench_xfel_fast")
SPEC = "runs/babio3_xfel.toml"
#: (U, V, Δ) points: the paired fit, its start and two unpaired ones (eV).
POINTS = [(-4.1398629905, 0.05, 0.1646669894), (-1.5, 0.05, 0.1), (0.5, 0.05, 0.5), (1.6607802836, 0.05, 1.224344599)]


def _old(ctx: Context, point: tuple[float, float, float]) -> dict[str, float]:
    m = ctx.model(*point)
    cond = optical_conductivity(m, ctx.system.sector, SIGMA_OMEGA, eta=SIGMA_ETA, polarization=(1.0, 0.0, 0.0))
    return model_numbers(charge_ladder(m, ctx.n, spread=2), ctx.n, cond, optical_gap_fraction=ctx.cfg.fit.optical_gap_fraction)


def bench_evaluation(n_points: int) -> None:
    """Old and new fit evaluations at the same points; ratio of the summed times and the largest difference."""
    spec = load_spec(SPEC)
    ctx = Context(spec, build_system(spec))
    t0 = time.perf_counter()
    ctx.evaluate(*POINTS[0])
    logger.info("new: first evaluation (builds the hopping matrices of 5 sectors) %.2f s", time.perf_counter() - t0)
    old_s = new_s = worst = 0.0
    for point in (POINTS * n_points)[:n_points]:
        t0 = time.perf_counter()
        old = _old(ctx, point)
        t1 = time.perf_counter()
        new = ctx.evaluate(*point)
        t2 = time.perf_counter()
        old_s, new_s = old_s + t1 - t0, new_s + t2 - t1
        worst = max(worst, max(abs(new[k] - old[k]) for k in old))
    logger.info("fit evaluation: old %.2f s, new %.2f s per point: ratio %.1f; largest difference of a model number %.2g eV",
                old_s / n_points, new_s / n_points, old_s / new_s, worst)


def bench_pumped() -> None:
    """The paired fit's pumped state at α = 0.05: full evolution against linear response, with α and their overlap."""
    from localpairs.studies.xfel_points import pumped_scenario
    from localpairs.studies.xfel_probe import pump_states
    from localpairs.studies.xfel_pumped import free_states

    spec = load_spec(SPEC)
    ctx = Context(spec, build_system(spec))
    fit = {"U": POINTS[0][0], "V": POINTS[0][1], "breathing": POINTS[0][2], "E_G": 1.96}
    t0 = time.perf_counter()
    sc = pumped_scenario(spec, fit, alpha=0.05)
    t1 = time.perf_counter()
    run = pump_states(ctx, fit, sc.fluence)
    t2 = time.perf_counter()
    psi0, psi = run["states"][:, 0], run["states"][:, -1]
    lr = free_states(sc, np.array([run["times"][-1]]))[:, 0]
    a, b = lr - np.vdot(psi0, lr) * psi0, psi - np.vdot(psi0, psi) * psi0
    overlap = abs(np.vdot(a, b)) / np.sqrt(np.vdot(a, a).real * np.vdot(b, b).real)
    logger.info("pumped state: evolution %.1f s, linear response %.1f s: ratio %.1f; α %.4g (evolved) vs %.4g (LR), overlap %.4f, "
                "LR linear regime %s (two-photon ratio %.3g)", t2 - t1, t1 - t0, (t2 - t1) / (t1 - t0), float(np.vdot(b, b).real), sc.alpha, overlap,
                sc.validity["linear_regime"], sc.validity["two_photon_ratio"])


def main() -> None:
    """Run the benchmarks named on the command line."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=4, help="parameter points of the evaluation benchmark")
    ap.add_argument("--pumped", action="store_true", help="also the pumped state: evolution against linear response (minutes)")
    args = ap.parse_args()
    bench_evaluation(args.points)
    if args.pumped:
        bench_pumped()


if __name__ == "__main__":
    main()
