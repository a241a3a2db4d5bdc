"""Where one 12-site point of the XFEL cluster-size box spends its time, and how many Lanczos steps its Γ needs.

One scenario model (default: the paired fit of a finished study's ``scan_model_paired`` checkpoint) on the
study's 12-site cluster (:func:`localpairs.studies.xfel_sizes.twelve_site_spec`), then each ``--U-c`` in turn:

``setup``  the model's pumped 12-site scenario (:func:`~localpairs.studies.xfel_points.pumped_scenario`: bases,
           N matrix, ground state, driven operator and χ⁽¹⁾), once per model;
``U_c``    :func:`~localpairs.studies.xfel_points.dxas_points` at every Γ of the box: the ground chains, the long
           probe's chains (symmetries, Ritz decomposition of χ̂, window check, component chains) and the broadening;
           the N + 1 matrix is built at the first U_c and reused (the core hole enters as a diagonal).

Each phase: wall and process CPU seconds (``time.process_time``: all threads), the load average at its start and the
peak resident memory so far. Sub-phases are timed by wrapping the functions the study calls.

``--steps-check N``: at the first U_c the chains are run with N steps (the others with ``--steps``) and the ΔXAS of every truncation in
``--truncations`` (the first m coefficients of a chain are those an m-step chain computes, no reorthogonalization
at this size) is compared with the N-step one at the smallest Γ of the box: A − B, and max|ΔΔXAS| / max|ΔXAS|.

Measured 2026-11-29 on 2 cores shared with other jobs (phase wall / process CPU, load at start; checkpoints of the
study run /work/lead/xfel_run2):

- paired (U = −4.14, Δ = 0.165 eV): setup 256 s / 114 s (load 5; ground state 15 s, driven operator 9 s, χ⁽¹⁾ 90 s CPU),
  1.5 GB; U_c = −1 with 300 steps 929 s / 314 s (load 7.8): χ̂ in 1 window + a light remainder (2 components), 24 chains,
  278 s CPU in the chains (0.039 s per step), symmetries 7.6 s, Ritz decomposition 10.6 s; steps check at Γ = 0.075 eV
  against 300 steps: A − B moves 0.0002 (40 steps), 0.012 (60), 0.019 (80), 0.002 (100), 0.008 (120), 0.001 (150) eV.
- unpaired U = 0.5 eV: setup 250 s / 89 s (load 9.2); U_c = −1 with 150 steps 1146 s / 268 s (load 11.2; 4 components,
  40 chains, 236 s CPU in them); 100 steps against 150: A − B moves 0.0003 (80), 0.00005 (100), 0.000001 (120) eV;
  U_c = −3 with 100 steps 956 s / 175 s (load 11.8; chains 157 s, symmetries 7.5 s, decomposition 0.8 s).

    OMP_NUM_THREADS=2 python benchmarks/bench_xfel_size_box.py --checkpoints /path/to/study/checkpoints \
        --model paired --U-c -1 -3 [--steps N] [--steps-check 300]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("bench_xfel_size_box")
TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            t = TIMES[name]
            t[0] += time.perf_counter() - w
            t[1] += time.process_time() - c
            t[2] += 1
    return wrapper


def _instrument() -> None:
    """Wrap the functions a 12-site point calls (module attributes the callers look up at call time)."""
    from importlib import import_module

    wc, xas_mod, xc = (import_module(f"localpairs.solvers.spectra.{m}") for m in ("windowed_chains", "xas", "xas_chains"))
    xp, pm = import_module("localpairs.studies.xfel_points"), import_module("localpairs.studies.xfel_probe_models")

    for mod, name in ((xp, "build_system"), (xp, "solve"), (xp, "DrivenOperator"), (xp, "linear_response"), (pm, "ground_chains"),
                      (pm, "long_probe_chains"), (wc, "symmetries"), (wc, "_decompose"), (wc, "xas_chains"), (xc, "_channel_chains"),
                      (xas_mod, "chain_of"), (xp, "energy_spread"), (xp, "find_ab_peaks")):
        setattr(mod, name, _timed(f"{mod.__name__.rsplit('.', 1)[-1]}.{name}", getattr(mod, name)))
    xp.ground_chains = pm.ground_chains
    xp.excited_chains = _timed("xfel_probe_models.excited_chains", pm.excited_chains)
    pm.long_probe_chains = pm.long_probe_chains


def _phase(label: str, func: Callable[[], Any], report: dict[str, Any]) -> Any:
    load = os.getloadavg()[0]
    TIMES.clear()
    w, c = time.perf_counter(), time.process_time()
    value = func()
    report[label] = {"wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c, "load_at_start": load, "peak_gb": _peak_gb(),
                     "parts": {k: {"wall_s": v[0], "cpu_s": v[1], "calls": int(v[2])} for k, v in TIMES.items()}}
    logger.info("%s: %s", label, json.dumps(report[label], indent=1))
    return value


def _truncated(chains: Any, m: int) -> Any:
    """The same XAS chains cut after m steps (what m-step chains give without reorthogonalization)."""
    from dataclasses import replace

    from localpairs.solvers.lanczos import LanczosChain

    cut = [LanczosChain(c.alpha[:m], c.beta[:max(0, m - 1)], c.norm2) for c in chains.chains]
    return replace(chains, chains=cut)


def _steps_check(sc: Any, U_c: float, gammas: list[float], res: float, truncations: list[int]) -> dict[str, Any]:
    """ΔXAS and A − B of every truncation against the full chains (smallest Γ)."""
    from localpairs.analysis.xas_peaks import pre_edge_peak, voigt_fwhm
    from localpairs.studies.xfel_points import _features, _grids

    g = min(gammas)
    ground, excited = sc._cache[("ground", float(U_c), "both")], sc._cache[("excited", float(U_c), "both", "long", "unrelaxed")]
    rel, omega, window = _grids(sc)
    cfg = sc.spec.xfel

    def dxas(m: int | None) -> np.ndarray:
        gr = ground if m is None else _truncated(ground, m)
        groups = excited.groups()
        off = float(cfg.probe.pre_edge_peak - pre_edge_peak(rel, gr.spectrum(rel, Gamma=g, gaussian_fwhm=res)))
        ex = 0.0
        for grp in groups:
            norm2, ch = excited.probe.component(grp)
            if ch is not None:
                ch = ch if m is None else _truncated(ch, m)
                ex = ex + norm2 * ch.spectrum(omega, Gamma=g, gaussian_fwhm=res, offset=off)
        return sc.alpha * (ex - gr.spectrum(omega, Gamma=g, gaussian_fwhm=res, offset=off))

    ref = dxas(None)
    fwhm = voigt_fwhm(2 * g, res)
    f_ref = _features(omega, ref, window, fwhm, cfg.peaks.min_amplitude)
    out = {"Gamma": g, "reference_separation": f_ref["separation"], "truncations": {}}
    for m in truncations:
        d = dxas(m)
        f = _features(omega, d, window, fwhm, cfg.peaks.min_amplitude)
        out["truncations"][m] = {"separation": f["separation"], "A": f["A_energy"], "B": f["B_energy"],
                                 "max_change_rel": float(np.abs(d - ref).max() / np.abs(ref).max())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoints", type=Path, required=True)
    ap.add_argument("--spec", type=Path, default=Path(__file__).resolve().parents[1] / "runs" / "babio3_xfel.toml")
    ap.add_argument("--model", default="paired")
    ap.add_argument("--U-c", type=float, nargs="+", default=[-1.0, -3.0])
    ap.add_argument("--steps", type=int, default=None, help="Lanczos steps per chain (default: the study's 12-site setting)")
    ap.add_argument("--steps-check", type=int, default=0)
    ap.add_argument("--truncations", type=int, nargs="+", default=[40, 60, 80, 100, 120, 150, 200])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from localpairs.spec import load_spec, parse_spec, spec_data
    from localpairs.studies.xfel_points import LR_PROBE_FLUENCE, dxas_points, pumped_scenario
    from localpairs.studies.xfel_sizes import twelve_site_spec

    _instrument()
    spec = load_spec(args.spec)

    def with_steps(n: int | None) -> Any:
        """The study's 12-site spec (:func:`twelve_site_spec`), with ``n`` Lanczos steps per chain if given (past its cap)."""
        spec12 = twelve_site_spec(spec)
        if not n:
            return spec12
        data = spec_data(spec12, exclude_none=True)
        data["xfel"]["probe"]["lanczos_steps"] = n
        return parse_spec(data, source="bench")
    model = json.loads((args.checkpoints / f"scan_model_{args.model}.json").read_text())["value"]
    fit = {**model["fit"], "E_G": model["fit"].get("photon_energy") or 1.96}
    sc_cfg = spec.xfel.scan
    res = 2e-4 * 529.0
    report: dict[str, Any] = {"model": args.model, "fit": {k: fit[k] for k in ("U", "V", "breathing", "E_G")},
                              "steps": with_steps(args.steps).xfel.probe.lanczos_steps,
                              "steps_first_U_c": with_steps(args.steps_check or args.steps).xfel.probe.lanczos_steps,
                              "omp_threads": os.environ.get("OMP_NUM_THREADS")}
    sc = _phase("setup (pumped 12-site scenario)", lambda: pumped_scenario(with_steps(None), fit, name="12 sites", fluence=LR_PROBE_FLUENCE),
                report)
    first = sc
    for k, uc in enumerate(args.U_c):
        sc = replace(first, spec=with_steps(args.steps_check if k == 0 and args.steps_check else args.steps))
        pts = _phase(f"U_c = {uc:g} (every Γ)", lambda uc=uc, sc=sc: dxas_points(scenario=sc, U_c=uc, Gammas=list(sc_cfg.Gamma), core_hole=sc_cfg.core_hole,
                                                                        resolution_fwhm=res), report)
        report[f"U_c = {uc:g} (every Γ)"]["separations"] = [p["separation"] for p in pts]
        report[f"U_c = {uc:g} (every Γ)"]["window_width"] = pts[0]["window_width"]
        report[f"U_c = {uc:g} (every Γ)"]["components"] = len(sc._cache[("excited", float(uc), "both", "long", "unrelaxed")].groups())
        if k == 0 and args.steps_check:
            report["steps_check"] = _steps_check(sc, uc, list(sc_cfg.Gamma), res, [m for m in args.truncations if m < args.steps_check])
            logger.info("steps check: %s", json.dumps(report["steps_check"], indent=1))
    text = json.dumps(report, indent=1, default=float)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
