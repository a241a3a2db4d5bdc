"""Finite-probe XAS map ΔXAS(ω, delay) of the pumped 2×2×2 cube: first implementation against the current one.

Model and pulse of ``runs/babio3_pump.toml`` (t = 0.33, U = −1.2, V = 0.15, breathing 0.1 eV; x
open, y and z periodic; ħω = 1.96 eV, 30 fs intensity FWHM, 8 mJ/cm² along x, centre 94.7 fs),
core hole U_c = −1 eV, Γ = 0.2 eV, 150 Lanczos steps (cap), ω = main peak of the ground-state XAS
+ [−3, 6] eV on 901 points. ψ(t) from one pump evolution (CFM4, tol 1e-8) on the probe windows
(FWHM ``--fwhm``, step ``--dt``) at the delays after the pulse centre; the no-pump reference is
e^{−iE0 t/ħ}ψ0 probed the same way. Both sides get the same states:

- ``old``: the first implementation, ``fft_padding="window", convergence_tol=None`` (FFT length
  = whole window + ħ ln(1/tol)/Γ rounded to a power of two, every chain 150 steps);
- ``new``: the defaults (FFT length from the envelope-weighted periodization bound, each chain
  stopped when its spectrum has converged to 1e-8 of the channel's peak bound).

The sides alternate per delay (old, new, old, new, ...) so that a change of load hits both. Printed:
per delay and side the kept components, matrix–vector products (load independent) and seconds;
the totals, their ratio, the evolution time, the whole map (evolution + XAS) per side; the largest
difference new − old relative to the peak of the XAS and to max|ΔXAS|; ``uptime`` before and after.

    python benchmarks/bench_finite_probe.py [--delays 0 30 100] [--fwhm 10] [--dt 0.2] [--states FILE]

``--states`` caches the evolved windows (an .npz; reused when its delays, FWHM and step match).
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
SIDES = {"old": {"fft_padding": "window", "convergence_tol": None}, "new": {}}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 30.0, 100.0], help="probe delays after the pulse centre (fs)")
    parser.add_argument("--fwhm", type=float, default=10.0, help="probe intensity FWHM (fs)")
    parser.add_argument("--dt", type=float, default=0.2, help="time step of the probe grid (fs)")
    parser.add_argument("--states", type=Path, default=None, help="cache file (.npz) for the evolved probe windows")
    return parser.parse_args()


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _windows(model, sec, cache, args) -> tuple[dict, float]:
    """Ground state, pulse centre and ψ(t) on every probe window (from the cache file if it matches); evolution seconds."""
    key = np.array([args.fwhm, args.dt, *args.delays])
    if args.states is not None and args.states.exists():
        data = dict(np.load(args.states))
        if data["key"].shape == key.shape and np.allclose(data["key"], key):
            return data, float(data["evolution_seconds"])
    e0, v0 = sla.eigsh(cache.matrix(sec), k=1, which="SA")
    pulse = gaussian_pulse(photon_energy=1.96, duration=30.0, fluence=8.0, polarization=(1.0, 0.0, 0.0))
    grids = [probe_grid(pulse.center + d, args.fwhm, dt=args.dt) for d in args.delays]
    times = np.unique(np.round(np.concatenate([[0.0], *grids]), 9))
    start = time.perf_counter()
    res = evolve(DrivenOperator(drive(model, pulse=pulse), cache.basis(sec)), v0[:, 0].astype(complex), times, options=EvolutionOptions(tol=1e-8))
    seconds = time.perf_counter() - start
    rows = {round(float(t), 9): res.states[:, k] for k, t in enumerate(times)}
    data = {"key": key, "E0": e0[0], "psi0": v0[:, 0], "centre": pulse.center, "evolution_seconds": seconds}
    for i, grid in enumerate(grids):
        data[f"t{i}"], data[f"s{i}"] = grid, np.array([rows[round(float(t), 9)] for t in grid])
    if args.states is not None:
        np.savez(args.states, **data)
    return data, seconds


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
    curves: dict[str, list[np.ndarray]] = {side: [] for side in SIDES}
    seconds = dict.fromkeys(SIDES, 0.0)
    print(f"2x2x2 cube, probe FWHM {args.fwhm:g} fs, step {args.dt:g} fs, {len(omega)} ω; evolution {evolution:.1f} s", flush=True)
    print(f"{'delay':>8s}  {'side':4s}{'components':>11s}{'matvecs':>10s}{'seconds':>9s}", flush=True)
    for label, times, states, t_probe in cases:
        for side, options in SIDES.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SpectraWarning)  # the Nyquist warning (h = 0.2 fs) is the same for both sides
                ds = finite_probe_xas(model, sec, states, times, omega, t_probe=t_probe, fwhm=args.fwhm, U_c=U_C, Gamma=GAMMA,
                                      n_steps=N_STEPS, cache=cache, **options)
            curves[side].append(ds["total"].values)
            seconds[side] += ds.attrs["seconds"]
            print(f"{label:>8s}  {side:4s}{ds.attrs['n_components']:>11d}{ds.attrs['matvecs']:>10d}{ds.attrs['seconds']:>9.1f}", flush=True)
    old, new = np.array(curves["old"]), np.array(curves["new"])
    d_old, d_new = old[1:] - old[0], new[1:] - new[0]
    print(f"XAS seconds: old {seconds['old']:.1f}, new {seconds['new']:.1f}, ratio old/new {seconds['old'] / seconds['new']:.2f}")
    print(f"whole map (evolution + XAS): old {evolution + seconds['old']:.1f} s, new {evolution + seconds['new']:.1f} s")
    print(f"max |new − old| / peak XAS: {np.abs(new - old).max() / np.abs(old).max():.2e} (peak {np.abs(old).max():.3f} 1/eV)")
    print(f"max |ΔXAS new − ΔXAS old| / max |ΔXAS old|: {np.abs(d_new - d_old).max() / np.abs(d_old).max():.2e} (max |ΔXAS| {np.abs(d_old).max():.3f} 1/eV)")
    print(f"uptime before: {load_before}\nuptime after:  {_uptime()}")


if __name__ == "__main__":
    main()
