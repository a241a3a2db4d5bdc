"""12 sites (issue 11 item 7, issue 14 item 2): the 3×2×2 cluster with the pump axis open, phase by phase.

Cluster: x open (length 3, the pump axis), y and z periodic with length 2 and one oxygen per pair
(``bond_multiplicity = 1``, so every axis hops with t: isotropic), 20 oxygens; half filling
6↑6↓ = 853,776 states, N + 1 = 7↑6↓ = 731,808 (C(12, 6)² and C(12, 7)·C(12, 6)). Model as
runs/babio3_pump.toml (t = 0.33, U = −1.2, V = 0.15, breathing 0.1 eV); the study's pulse (30 fs
intensity FWHM, x polarization, 8 mJ/cm² unless ``--fluence``) at ħω = the cluster's optical gap
(the lowest pole with ≥ 10 % of ∫σ dω, as the pump study). The run spec is runs/babio3_pump_12.toml.

Phases, each in a fresh process (peak resident memory ``ru_maxrss`` of that process; CPU time
``ru_utime + ru_stime``; load average at its start), sharing vectors through ``--cache``:

``basis``        bases of N and N + 1 (dimensions checked against the binomials)
``matrix``       CSR Hamiltonians of N and N + 1, and the driven operator of the evolution
``ground_state`` :func:`localpairs.solvers.solve` at half filling
``optical_gap``  current–current Lanczos from the ground state → ħω
``chi``          linear-response χ⁽¹⁾ after the pulse (:mod:`localpairs.solvers.dynamics.linear_response`)
``xas``          exact long-probe XAS of χ over the inequivalent core-hole channels
                 (:mod:`localpairs.solvers.spectra.windowed_xas`); per-channel figures from its attrs
``evolution``    CFM4 pump evolution from 0 to ``--t-end`` fs (default 300), or, with ``--window W``
                 only, the first W fs
``quspin``       QuSpin ``hamiltonian.evolve`` (dop853) on the same matrices over the first
                 ``--window`` fs, and CFM4 over the same window: the ratio measured side by side;
                 the 0–t_end figure for QuSpin is an extrapolation (labelled so)
``profile``      CFM4 on the 6-site 3×2×1 cluster (same model, pulse and ħω) over 0–window and
                 0–t_end: the ratio of their matrix–vector products extrapolates the 12-site window
                 to 0–t_end (labelled so) when the long run is skipped (``--t-end`` run separately)

Budgets (2 cores): χ ≤ 2 min, XAS of χ ≤ 15 min, peak ≤ 8 GB (issue 11); evolution 0–300 fs
≤ 30 min, ≤ 4 GB (issue 14). On a shared machine wall times are inflated by the load: compare CPU
time and matrix–vector products, and read the load column.

Measured 2026-11-29 on 2 cores shared with seven other jobs (load 19–29, so wall ≈ 5–10× CPU; phase
wall / process CPU / peak): basis 16 s / 1.3 s / 0.24 GB; matrices of N and N + 1 (nnz 19.5 M and
16.5 M) and the driven operator 293 s / 29 s / 1.3 GB; ground state 166 s / 16 s / 0.76 GB
(E0 = −10.18762 eV); optical gap 1.597 eV (150 reorthogonalized real steps) 391 s / 36 s / 2.3 GB;
χ⁽¹⁾ 710 real Lanczos steps, 172 s (283 s with the operator) / 47 s / 6.1 GB (α = 53 at 8 mJ/cm²:
far outside linear response); XAS of χ: χ touches two levels (Krylov space exhausted after 2
steps, spread 4 meV), 3 components × 8 of 80 channels × 150 steps, 437 s / 121 s / 1.1 GB
(15.5 s per channel chain). Evolution 0–10 fs: CFM4 (tol 1e-6) 1,310 products, 474 s; QuSpin
evolve (rtol = atol = 1e-9) 923 s (1.95× slower; the final states differ by 1.6e-5, so the error
levels are not matched); CFM4 0–300 fs EXTRAPOLATED with the 3×2×1 product ratio 97.7: ≈ 128,000
products, ≈ 13 h at that load (0.36 s per product), ≈ 1–2 h on an idle machine (0.053 CPU-s per
product): the strong field (steps of 0.03–0.05 fs around the pulse peak) dominates.
χ⁽¹⁾ with the convergence-driven default (two passes, three vectors; ``chi`` phase): at the study's
calibrated α = 0.05 (0.0075189 mJ/cm²) 710 steps, 1,423 products, 61.5 s CPU (436 s wall at load 28;
the lead's one-pass run: 43 s wall at load 1.6), peak 1.38 GB against 6.06 GB with the vectors kept;
its XAS 128 s CPU (634 s wall at load 24), 1.07 GB; the XAS of χ̂ at 8 mJ/cm² (α = 53) differs from it by
1.05e-6 of the peak (χ⁽¹⁾ is linear in the field: only its norm changes).

    OMP_NUM_THREADS=2 python benchmarks/bench_12_sites.py [--phases ...] [--window 20] [--t-end 300]
        [--quick]   # the 3×2×1 cluster (seconds): checks the script
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from math import comb
from pathlib import Path

import numpy as np

PHASES = ("basis", "matrix", "ground_state", "optical_gap", "chi", "xas", "evolution", "quspin", "profile")
PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)
XAS = dict(U_c=-1.0, Gamma=0.2, n_steps=150)  # runs/babio3_pump.toml [pump.xas]
BUDGETS = {"chi": (120.0, 8.0), "xas": (900.0, 8.0), "evolution": (1800.0, 4.0)}
#: Lanczos steps of the current–current chain that locates the optical gap (the lowest strong pole converges first).
OPTICAL_STEPS = 150


def _setting(shape: str):
    from localpairs.hamiltonians import extended_hubbard
    from localpairs.hamiltonians.cluster import pump_cluster
    from localpairs.solvers import sector

    cluster = pump_cluster(shape)
    model = extended_hubbard(cluster, **PARAMS)
    n = cluster.n_sites
    return cluster, model, sector(n_up=n // 2, n_down=n // 2), sector(n_up=n // 2 + 1, n_down=n // 2)


def _pulse(cache: Path, fluence: float, photon: float | None = None):
    from localpairs.hamiltonians.driven_model import gaussian_pulse

    photon = float(json.loads((cache / "optical_gap.json").read_text())["gap_eV"]) if photon is None else photon
    return gaussian_pulse(photon_energy=photon, duration=30.0, fluence=fluence, polarization=(1.0, 0.0, 0.0))


def _operator(model, sec, pulse):
    from localpairs.hamiltonians.driven_model import drive
    from localpairs.solvers import build_basis
    from localpairs.solvers.dynamics.driven_operator import DrivenOperator

    return DrivenOperator(drive(model, pulse=pulse), build_basis(model, sec))


def _ground(cache: Path) -> tuple[np.ndarray, float]:
    return np.load(cache / "psi0.npy"), float(json.loads((cache / "ground_state.json").read_text())["e0_eV"])


def phase_basis(args, cache: Path) -> dict:
    from localpairs.solvers import build_basis

    cluster, model, half, plus = _setting(args.shape)
    out = {}
    for name, sec in (("N", half), ("N+1", plus)):
        t0 = time.perf_counter()
        basis = build_basis(model, sec)
        out[f"{name}: dimension"] = int(basis.Ns)
        out[f"{name}: binomial"] = comb(cluster.n_sites, sec.n_up) * comb(cluster.n_sites, sec.n_down)
        out[f"{name}: seconds"] = time.perf_counter() - t0
    return out | {"cluster": cluster.describe()}


def phase_matrix(args, cache: Path) -> dict:
    from localpairs.solvers import build_basis, hamiltonian_matrix

    _, model, half, plus = _setting(args.shape)
    out = {}
    for name, sec in (("N", half), ("N+1", plus)):
        basis = build_basis(model, sec)
        t0 = time.perf_counter()
        out[f"{name}: nnz"] = int(hamiltonian_matrix(model, basis).nnz)
        out[f"{name}: seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    op = _operator(model, half, _pulse(cache, args.fluence, photon=2.0))
    out["driven operator: seconds"], out["driven operator: GB"] = time.perf_counter() - t0, op.nbytes / 1e9
    return out


def phase_ground_state(args, cache: Path) -> dict:
    from localpairs.solvers import solve

    _, model, half, _ = _setting(args.shape)
    res = solve(model, half)
    np.save(cache / "psi0.npy", res.ground_state)
    out = {"e0_eV": res.ground_energy, "dimension": res.dimension, **{f"{k}: seconds": v for k, v in res.seconds.items()}}
    (cache / "ground_state.json").write_text(json.dumps(out))
    return out


def phase_optical_gap(args, cache: Path) -> dict:
    from localpairs.analysis.spectral_edges import optical_gap
    from localpairs.solvers.spectra.optical_transitions import optical_transitions

    _, model, half, _ = _setting(args.shape)
    psi0, _ = _ground(cache)
    op = _operator(model, half, _pulse(cache, args.fluence, photon=2.0))
    t0 = time.perf_counter()
    poles = optical_transitions(op, psi0, steps=min(OPTICAL_STEPS, op.dim))
    gap = optical_gap(poles.omega, poles.absorption, fraction=0.1)  # pump.optical_gap_fraction's default
    out = {"gap_eV": gap, "lanczos_steps": OPTICAL_STEPS, "seconds": time.perf_counter() - t0}
    (cache / "optical_gap.json").write_text(json.dumps(out))
    return out


def phase_chi(args, cache: Path) -> dict:
    from localpairs.solvers.dynamics.linear_response import linear_response

    _, model, half, _ = _setting(args.shape)
    psi0, e0 = _ground(cache)
    pulse = _pulse(cache, args.fluence)
    t0 = time.perf_counter()
    op = _operator(model, half, pulse)
    setup = time.perf_counter() - t0
    lr = linear_response(op, psi0, e0, t=2 * pulse.center, keep_centred=True)  # steps: until converged (default cap)
    np.save(cache / "chi_centred.npy", lr.chi_centred)
    return {"seconds": lr.seconds, "operator: seconds": setup, "fluence": args.fluence, "alpha": lr.alpha, "absorbed_eV": lr.absorbed_energy,
            "lanczos_steps": lr.lanczos_steps, "matvecs": lr.matvecs, "two passes": lr.matvecs > lr.lanczos_steps + 3, "converged": lr.converged,
            "change": lr.change, "real_arithmetic": lr.real_arithmetic, "linear_regime": lr.linear_regime}


def phase_xas(args, cache: Path) -> dict:
    """Long-probe XAS of χ̂ (windowed_xas normalizes χ), saved per fluence and compared with any other fluence's (linear: equal)."""
    from localpairs.solvers.spectra.windowed_xas import windowed_xas

    _, model, half, _ = _setting(args.shape)
    chi = np.load(cache / "chi_centred.npy")
    t0 = time.perf_counter()
    ds = windowed_xas(model, half, chi, np.linspace(-2.0, 8.0, 501), **XAS)
    seconds = time.perf_counter() - t0
    a = ds.attrs
    curve = ds["total"].values
    np.save(cache / f"xas_chi_hat_{args.fluence:g}.npy", curve)
    others = {f"vs {p.stem.rsplit('_', 1)[-1]} mJ/cm²: max diff / peak": float(np.abs(curve - np.load(p)).max() / np.abs(curve).max())
              for p in sorted(cache.glob("xas_chi_hat_*.npy")) if p.stem.rsplit("_", 1)[-1] != f"{args.fluence:g}"}
    probed, channels = int(a["n_components_probed"]), int(a.get("n_channels_computed", 0))
    chains = max(1, probed * max(channels, 1))
    return {"seconds": seconds, "fluence": args.fluence, "decomposition: seconds": a["seconds_decomposition"], "decomposition: steps": a["krylov_steps"],
            "symmetry: seconds": a["seconds_symmetry"], "probe: seconds": a["seconds_probe"], "components probed": probed,
            "windows": a["n_windows"], "window width eV": a["window_width_eV"], "halving change": a["halving_change"],
            "channels per component": a.get("n_channels_computed"), "channels (all)": a.get("n_channels_all"),
            "per channel: seconds": a["seconds_probe"] / chains, "probe matvecs": a["matvecs_probe"], "spread_eV": a["energy_spread_eV"],
            "real_arithmetic": a["real_arithmetic"], **others}


#: Commutator-free scheme of the evolution phases: CF6 with step doubling (20–30 % fewer products than
#: CFM4 at equal final error on 2×2×2, benchmarks/bench_evolution.py).
EVOLUTION_SCHEME = "cf6"


def _evolve(args, cache: Path, t_end: float, backend: str) -> dict:
    from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve

    _, model, half, _ = _setting(args.shape)
    psi0, _ = _ground(cache)
    psi0 = psi0.astype(np.complex128) / np.linalg.norm(psi0)
    t0 = time.perf_counter()
    op = _operator(model, half, _pulse(cache, args.fluence))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    options = EvolutionOptions(tol=args.tol, scheme=EVOLUTION_SCHEME)
    res = evolve(op, psi0, [0.0, t_end], backend=backend, options=options, rtol=args.quspin_tol, atol=args.quspin_tol)
    seconds = time.perf_counter() - t0
    np.save(cache / f"psi_{backend}_{t_end:g}.npy", res.states[:, -1])
    return {"seconds": seconds, "operator: seconds": setup, "t_end_fs": t_end, **{k: int(v) for k, v in res.stats.items()}}


def phase_evolution(args, cache: Path) -> dict:
    return _evolve(args, cache, args.t_end, "cfm4")


def phase_profile(args, cache: Path) -> dict:
    from localpairs.solvers import solve
    from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve

    _, model, half, _ = _setting("3x2x1")
    psi0 = solve(model, half).ground_state.astype(np.complex128)
    op = _operator(model, half, _pulse(cache, args.fluence))  # the 12-site photon energy
    counts = {}
    for t_end in (args.window, args.t_end):
        res = evolve(op, psi0 / np.linalg.norm(psi0), [0.0, t_end], options=EvolutionOptions(tol=args.tol, scheme=EVOLUTION_SCHEME))
        counts[f"matvecs 0–{t_end:g}"] = int(res.stats["matvecs"])
    return counts | {"ratio": counts[f"matvecs 0–{args.t_end:g}"] / counts[f"matvecs 0–{args.window:g}"]}


def phase_quspin(args, cache: Path) -> dict:
    out = _evolve(args, cache, args.window, "quspin")
    other = cache / f"psi_cfm4_{args.window:g}.npy"
    if other.is_file():
        out["distance to CFM4"] = float(np.linalg.norm(np.load(other) - np.load(cache / f"psi_quspin_{args.window:g}.npy")))
    return out


def _child(args) -> None:
    cache = Path(args.cache)
    start, load = time.perf_counter(), os.getloadavg()[0]
    out = globals()[f"phase_{args.child}"](args, cache)
    use = resource.getrusage(resource.RUSAGE_SELF)
    out.update(phase=args.child, wall=time.perf_counter() - start, cpu=use.ru_utime + use.ru_stime, peak_gb=use.ru_maxrss / 1e6, load=load)
    print(json.dumps(out), flush=True)


def _run(args, phase: str, **override) -> dict:
    argv = [sys.executable, __file__, "--child", phase, "--cache", args.cache, "--shape", args.shape, "--fluence", str(args.fluence),
            "--tol", str(args.tol), "--quspin-tol", str(args.quspin_tol), "--window", str(override.get("window", args.window)),
            "--t-end", str(override.get("t_end", args.t_end))]
    done = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(results: dict[str, dict]) -> None:
    print(f"\n{'phase':<16}{'wall (s)':>10}{'CPU (s)':>10}{'peak GB':>9}{'load':>6}  budget (wall s, GB)   details")
    for name, r in results.items():
        budget = BUDGETS.get(name.split(" ")[0])
        text = "" if budget is None else f"{budget[0]:>6.0f}, {budget[1]:g}"
        details = {k: v for k, v in r.items() if k not in ("phase", "wall", "cpu", "peak_gb", "load")}
        shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in details.items())
        print(f"{name:<16}{r['wall']:>10.1f}{r['cpu']:>10.1f}{r['peak_gb']:>9.2f}{r['load']:>6.1f}  {text:<20} {shown}")


def _extrapolate(results: dict[str, dict], t_end: float, window: float) -> None:
    """QuSpin's 0–t_end time extrapolated from its window (labelled), against the measured CFM4 figures."""
    q, w = results.get("quspin"), results.get(f"evolution 0–{window:g}")
    if q is None or w is None:
        return
    ratio = q["seconds"] / w["seconds"]
    print(f"\nside by side on 0–{window:g} fs: QuSpin evolve {q['seconds']:.1f} s, CFM4 {w['seconds']:.1f} s ({w.get('matvecs', 0)} products): "
          f"CFM4 is {ratio:.2f}× faster" + (f"; final states differ by {q['distance to CFM4']:.1e}" if "distance to CFM4" in q else ""))
    if t_end <= 0:
        return
    full, profile = results.get("evolution"), results.get("profile")
    scale = t_end / window
    print(f"EXTRAPOLATED (linear in time; a lower bound: the field grows after the window): QuSpin 0–{t_end:g} fs ≳ {q['seconds'] * scale:.0f} s")
    if full:
        print(f"CFM4 measured 0–{t_end:g} fs: {full['seconds']:.0f} s ({full.get('matvecs', 0)} products)")
    elif profile:
        per = w["seconds"] / max(w.get("matvecs", 1), 1)
        est = profile["ratio"] * w.get("matvecs", 0)
        print(f"EXTRAPOLATED from the 3×2×1 profile (0–{t_end:g} fs takes {profile['ratio']:.0f}× the products of 0–{window:g} fs): "
              f"CFM4 0–{t_end:g} fs ≈ {est:.3g} products × {per:.3f} s = {est * per / 60:.0f} min at this load")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--fluence", type=float, default=8.0, help="mJ/cm² (the study's 8)")
    parser.add_argument("--tol", type=float, default=1e-6, help="CFM4 tolerance (the study's pump.tolerance)")
    parser.add_argument("--quspin-tol", type=float, default=1e-9, help="QuSpin rtol = atol (dop853)")
    parser.add_argument("--window", type=float, default=20.0, help="fs evolved by both QuSpin and CFM4, side by side")
    parser.add_argument("--t-end", type=float, default=300.0, help="fs of the CFM4 evolution (0 skips the long run)")
    parser.add_argument("--cache", default=None, help="folder for the shared vectors (default: a temporary one)")
    parser.add_argument("--shape", default="3x2x2", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="the 3×2×1 cluster (checks the script in seconds)")
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.shape = "3x2x1"
    if args.child:
        return _child(args)
    holder = tempfile.TemporaryDirectory(prefix="bench12_") if args.cache is None else None
    args.cache = holder.name if holder is not None else args.cache
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    wanted = set(args.phases)
    results: dict[str, dict] = {}
    for phase in PHASES:
        if phase not in wanted:
            continue
        if phase == "evolution" and args.t_end > 0:
            results["evolution"] = _run(args, "evolution")
        elif phase == "quspin":
            results[f"evolution 0–{args.window:g}"] = _run(args, "evolution", t_end=args.window)
            results["quspin"] = _run(args, "quspin")
        elif phase == "profile" and args.t_end > 0:
            results["profile"] = _run(args, "profile")
        elif phase not in ("evolution", "profile"):
            results[phase] = _run(args, phase)
        print(f"# {phase}: {json.dumps(results.get(phase, results.get('quspin')))}", file=sys.stderr, flush=True)
    _table(results)
    _extrapolate(results, args.t_end, args.window)


if __name__ == "__main__":
    main()
