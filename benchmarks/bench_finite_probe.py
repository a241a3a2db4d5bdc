"""Finite-probe XAS map ΔXAS(ω, delay) of the pumped 2×2×2 cube: first implementation against the current one.

Model and pulse of ``runs/babio3_pump.toml`` (t = 0.33, U = −1.2, V = 0.15, breathing 0.1 eV; x
open, y and z periodic; ħω = 1.96 eV, 30 fs intensity FWHM, 8 mJ/cm² along x, centre 94.7 fs),
core hole U_c = −1 eV, Γ = 0.2 eV, 150 Lanczos steps (cap), ω = main peak of the ground-state XAS
+ [−3, 6] eV on 901 points. ψ(t) from one pump evolution (CFM4, tol 1e-8) on the probe windows
(FWHM ``--fwhm``, step ``--dt``) at the delays after the pulse centre; the no-pump reference is
e^{−iE0 t/ħ}ψ0 probed the same way. Both sides get the same states:

- ``old``: the previous session's defaults with its chain loop, ``chain_block=1`` (FFT length from
  the envelope-weighted periodization bound, each chain stopped when its spectrum has converged to
  1e-8 of the channel's peak bound, one :func:`~localpairs.solvers.lanczos.lanczos_chain` after
  the other);
- ``new``: the defaults (the same chains advanced together, 64 per sparse product:
  :mod:`~localpairs.solvers.dynamics.parallel_chains`).

Both sides share the symmetry check of the sampled states (one basis map per symmetry, all states
at once; it was one map per state and symmetry: 8.5 s per delay at load 20, now ~1 s), so the
ratio understates the gain over the code before this change. (The first implementation,
``fft_padding="window", convergence_tol=None``, was 1.9× slower than the previous defaults.)

The sides alternate per delay (old, new, old, new, ...) so that a change of load hits both. Printed:
per delay and side the kept components, matrix–vector products (load independent), wall and CPU
seconds; the totals, their ratio, the evolution time, the whole map (evolution + XAS) per side; the largest
difference new − old relative to the peak of the XAS and to max|ΔXAS|; ``uptime`` before and after.

    python benchmarks/bench_finite_probe.py [--delays 0 30 100] [--fwhm 10] [--dt 0.2] [--states FILE]

``--states`` caches the evolved windows (an .npz; reused when its delays, FWHM and step match).

Measured 2026-11-29, delays 0, 30, 100 fs, evolution in the run (load 16 → 24 on 2 cores shared with
seven jobs): evolution 323 s wall / 69 s CPU; XAS old 397 s / 47 s CPU, new 393 s / 38 s CPU (CPU ratio
1.23); whole map new 716 s wall, 107 s CPU; max|new − old| 2.4e-7 of the XAS peak, 9.8e-7 of max|ΔXAS|
(chains stopped one check apart by round-off, within the convergence bound).
"""

from __future__ import annotations

import argparse
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse.linalg as sla

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import evolve
from localpairs.solvers.dynamics.finite_probe import finite_probe_xas, probe_grid
from localpairs.solvers.dynamics.integrator_settings import EvolutionOptions
from localpairs.solvers.spectra.spectral_functions import SectorCache, SpectraWarning
from localpairs.solvers.spectra.xas import xas
from localpairs.units import HBAR_EV_FS

U_C, GAMMA, N_STEPS = -1.0, 0.2, 150
SIDES = {"old": {"chain_block": 1}, "new": {}}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 30.0, 100.0], help="probe delays after the pulse centre (fs)")
    parser.add_argument("--fwhm", type=float, default=10.0, help="probe intensity FWHM (fs)")
    parser.add_argument("--dt", type=float, default=0.2, help="time step of the probe grid (fs)")
    parser.add_argument("--states", type=Path, default=None, help="cache file (.npz) for the evolved probe windows")
    return parser.parse_args()


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _windows(model, sec, cache, args) -> tuple[dict, tuple[float, float]]:
    """Ground state, pulse centre and ψ(t) on every probe window (from the cache file if it matches); evolution (wall, CPU) seconds."""
    key = np.array([args.fwhm, args.dt, *args.delays])
    if args.states is not None and args.states.exists():
        data = dict(np.load(args.states))
        if data["key"].shape == key.shape and np.allclose(data["key"], key):
            return data, tuple([*np.atleast_1d(data["evolution_seconds"]).tolist(), float("nan")])[:2]
    e0, v0 = sla.eigsh(cache.matrix(sec), k=1, which="SA")
    pulse = gaussian_pulse(photon_energy=1.96, duration=30.0, fluence=8.0, polarization=(1.0, 0.0, 0.0))
    grids = [probe_grid(pulse.center + d, args.fwhm, dt=args.dt) for d in args.delays]
    times = np.unique(np.round(np.concatenate([[0.0], *grids]), 9))
    start, cpu = time.perf_counter(), time.process_time()
    res = evolve(DrivenOperator(drive(model, pulse=pulse), cache.basis(sec)), v0[:, 0].astype(complex), times, options=EvolutionOptions(tol=1e-8))
    seconds = (time.perf_counter() - start, time.process_time() - cpu)
    rows = {round(float(t), 9): res.states[:, k] for k, t in enumerate(times)}
    data = {"key": key, "E0": e0[0], "psi0": v0[:, 0], "centre": pulse.center, "evolution_seconds": np.array(seconds)}
    for i, grid in enumerate(grids):
        data[f"t{i}"], data[f"s{i}"] = grid, np.array([rows[round(float(t), 9)] for t in grid])
    if args.states is not None:
        np.savez(args.states, **data)
    return data, seconds


def _probe_all(model, sec, cache, cases, omega, args) -> tuple[dict, dict]:
    """Every case on both sides, alternating; curves and (wall, CPU) seconds per side."""
    curves: dict[str, list[np.ndarray]] = {side: [] for side in SIDES}
    seconds = {side: np.zeros(2) for side in SIDES}
    print(f"{'delay':>8s}  {'side':4s}{'components':>11s}{'matvecs':>10s}{'wall s':>9s}{'CPU s':>9s}", flush=True)
    for label, times, states, t_probe in cases:
        for side, options in SIDES.items():
            start, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SpectraWarning)  # the Nyquist warning (h = 0.2 fs) is the same for both sides
                ds = finite_probe_xas(model, sec, states, times, omega, t_probe=t_probe, fwhm=args.fwhm, U_c=U_C, Gamma=GAMMA,
                                      n_steps=N_STEPS, cache=cache, **options)
            used = np.array([time.perf_counter() - start, time.process_time() - cpu])
            curves[side].append(ds["total"].values)
            seconds[side] += used
            print(f"{label:>8s}  {side:4s}{ds.attrs['n_components']:>11d}{ds.attrs['matvecs']:>10d}{used[0]:>9.1f}{used[1]:>9.1f}", flush=True)
    return curves, seconds


def main() -> None:
    args = _arguments()
    load_before = _uptime()
    model = extended_hubbard(make_cluster("cube", periodic=[False, True, True]), t=0.33, U=-1.2, V=0.15, breathing=0.1)
    sec = sector(n_up=4, n_down=4)
    cache = SectorCache(model)
    data, evolution = _windows(model, sec, cache, args)
    static = xas(model, sec, data["psi0"], np.linspace(0.0, 12.0, 1201), U_c=U_C, Gamma=GAMMA, cache=cache)["total"]
    omega = float(static["omega"].values[int(np.argmax(static.values))]) + np.linspace(-3.0, 6.0, 901)
    cases = [("no pump", data["t0"], np.exp(-1j * data["E0"] * data["t0"] / HBAR_EV_FS)[:, None] * data["psi0"][None, :], data["centre"] + args.delays[0])]
    cases += [(f"{d:g} fs", data[f"t{i}"], data[f"s{i}"], data["centre"] + d) for i, d in enumerate(args.delays)]
    print(f"2x2x2 cube, probe FWHM {args.fwhm:g} fs, step {args.dt:g} fs, {len(omega)} ω; evolution {evolution[0]:.1f} s wall, {evolution[1]:.1f} s CPU"
          + (" (cached)" if args.states is not None and args.states.exists() else ""), flush=True)
    curves, seconds = _probe_all(model, sec, cache, cases, omega, args)
    old, new = np.array(curves["old"]), np.array(curves["new"])
    d_old, d_new = old[1:] - old[0], new[1:] - new[0]
    (wo, co), (wn, cn) = seconds["old"], seconds["new"]
    print(f"XAS wall s: old {wo:.1f}, new {wn:.1f}, ratio old/new {wo / wn:.2f}; CPU s: old {co:.1f}, new {cn:.1f}, ratio {co / cn:.2f}")
    print(f"whole map (evolution + XAS of the reference and {len(args.delays)} delays): old {evolution[0] + wo:.1f} s wall ({evolution[1] + co:.1f} s CPU), "
          f"new {evolution[0] + wn:.1f} s wall ({evolution[1] + cn:.1f} s CPU)")
    print(f"max |new − old| / peak XAS: {np.abs(new - old).max() / np.abs(old).max():.2e} (peak {np.abs(old).max():.3f} 1/eV)")
    print(f"max |ΔXAS new − ΔXAS old| / max |ΔXAS old|: {np.abs(d_new - d_old).max() / np.abs(d_old).max():.2e} (max |ΔXAS| {np.abs(d_old).max():.3f} 1/eV)")
    print(f"uptime before: {load_before}\nuptime after:  {_uptime()}")


if __name__ == "__main__":
    main()
