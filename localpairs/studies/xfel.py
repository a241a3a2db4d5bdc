"""XFEL study: the model of local pairs in BaBiO3 against the EuXFEL tr-XAS experiment.

Steps (each piece is checkpointed in ``outdir/checkpoints`` and reused when the spec is unchanged):

1. scenario fits (:mod:`.xfel_fit`): *paired* (U < 0, V, breathing Δ fitted to the measured
   E_G, E_a and E_b) and *unpaired* (U ≥ 0 and V fixed, Δ fitted to E_G alone);
2. pump at ħω = the scenario's E_G (x-polarized; refused along a periodic axis of length 2, where
   the current vanishes), at a fluence calibrated to the measured excited fraction; ΔXAS(ω, t)
   for the unrelaxed and the relaxed (Δ = 0) lattice, peaks A and B (:mod:`.xfel_probe`);
3. kinetics, excited fraction vs fluence, T_c(x), percolation, pair tunnelling;
4. ``results.nc``, figures and ``report.md`` with verdicts (:mod:`.xfel_report`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import xarray as xr

from localpairs.analysis import xfel_figures as figs
from localpairs.analysis.bec import fermi_bose_lattice_tc, fermi_bose_tc
from localpairs.analysis.excited_fraction import fit_excited_fraction
from localpairs.analysis.experiment import load_reference
from localpairs.analysis.figures import save_figure
from localpairs.analysis.kinetics import fit_three_exponential, read_delay_trace
from localpairs.analysis.percolation import percolation_threshold, wrapping_curve
from localpairs.analysis.tunnelling_fit import fit_exponential_decay
from localpairs.analysis.verdicts import Row
from localpairs.errors import InputError
from localpairs.io import write_text_atomic, write_with
from localpairs.spec import RunSpec, SpecError

from localpairs.studies.common import Checkpoints, System, build_system, progress, provenance, spec_hash
from localpairs.solvers.ed.pair_tunnelling import pair_tunnelling_splittings
from localpairs.studies.xfel_fit import Context, fit_scenario
from localpairs.studies.xfel_probe import calibrate, check_pump_axis, scenario_xas
from localpairs.studies.xfel_report import SCENARIOS, report_text


def _cached(cp: Checkpoints, name: str, compute: Callable[[], Any]) -> Any:
    value = cp.load(name)
    if value is None:
        value = compute()
        cp.save(name, value)
    return value


def _dataset(fits: dict, spectra: dict) -> xr.Dataset:
    """Labelled arrays: ΔXAS maps, peak energies (NaN where ``found_*`` is False: no peak above threshold)."""
    ds = xr.Dataset()
    for s in SCENARIOS:
        sp = spectra[s]
        om, dl = f"omega_{s}", f"delay_{s}"
        coords = {om: (om, np.asarray(sp["omega"]), {"units": "eV"}), dl: (dl, np.asarray(sp["delays"]), {"units": "fs", "long_name": "delay after pulse end"})}
        for lat in ("unrelaxed", "relaxed"):
            ds[f"dxas_{s}_{lat}"] = xr.DataArray(np.asarray(sp[lat]["dxas"]), dims=(dl, om), coords=coords,
                                                 attrs={"long_name": f"ΔXAS {s} scenario, {lat} lattice", "units": "arb. units"})
            found = [bool(p["found"]) for p in sp[lat]["peaks"]]
            ds[f"found_{s}_{lat}"] = xr.DataArray(found, dims=(dl,), coords={dl: coords[dl]},
                                                  attrs={"long_name": "peaks A and B found above the threshold"})
            for key in ("A", "B", "separation"):
                vals = [np.nan if p[key] is None else p[key] for p in sp[lat]["peaks"]]
                ds[f"{key}_{s}_{lat}"] = xr.DataArray(vals, dims=(dl,), coords={dl: coords[dl]},
                                                      attrs={"units": "eV", "missing": f"NaN only where found_{s}_{lat} is False"})
        for key, unit in (("population", ""), ("absorbed", "eV")):
            ds[f"{key}_{s}"] = xr.DataArray(sp[key], dims=(dl,), coords={dl: coords[dl]}, attrs={"units": unit})
        ds[f"xas_ground_{s}"] = xr.DataArray(np.asarray(sp["ground"]), dims=(om,), coords={om: coords[om]}, attrs={"units": "arb. units"})
        ds.attrs[f"fit_{s}"] = json.dumps({k: v for k, v in fits[s].items() if k != "evaluations"})
    return ds


def extras(spec: RunSpec, cp: Checkpoints, ref, fits: dict, spectra: dict, scan: dict) -> dict[str, Any]:  # noqa: ANN001
    """Kinetics, excited fraction, T_c(x), percolation and tunnelling: rows, summary and figures."""
    cfg, rows, summary, figures = spec.xfel, {}, {}, {}
    tau = {k: float(ref[k].value) for k in ("tau1", "tau2", "tau3")}
    if cfg.kinetics.csv is not None:
        trace = read_delay_trace(cfg.kinetics.csv)
        kf = fit_three_exponential(trace.delay, trace.value, sigma=trace.sigma)
        rows["kinetics"] = [Row(k, float(kf.values[k]), tau[k], 0.3 * tau[k], "ps", f"fit of {cfg.kinetics.csv} (measured trace)") for k in tau]
        figures["kinetics.png"] = figs.kinetics(trace.delay, trace.value, None, title="measured trace and three-exponential fit")
    else:
        sp = spectra["paired"]
        span = sp["times"][-1]
        rows["kinetics"] = [Row(k, None, tau[k], None, "ps", f"not comparable (cluster dynamics covers {span:.0f} fs, τ are ps)") for k in tau]
        found = [p for p in sp["unrelaxed"]["peaks"] if p["found"]]
        a0 = found[0]["A"] if found else float(np.asarray(sp["omega"])[np.argmax(np.asarray(sp["unrelaxed"]["dxas"][0]))])
        om = np.asarray(sp["omega"])
        trace = [float(np.interp(a0, om, np.asarray(d))) for d in sp["unrelaxed"]["dxas"]]
        figures["kinetics.png"] = figs.kinetics(np.asarray(sp["delays"]), np.asarray(trace), None, xlabel="delay after pulse end (fs)",
                                                title=f"simulated ΔXAS at A = {a0:.2f} eV (paired, unrelaxed); {len(trace)} delays: no fit")
    factors = sorted(scan)
    excited = np.asarray(scan[factors[-1]]["excited_component_xas"])
    alpha = {f: fit_excited_fraction(np.asarray(scan[f]["last_xas"]), np.asarray(scan[f]["ground"]), excited).alpha for f in factors}
    pop = {f: scan[f]["population"][-1] for f in factors}
    summary["alpha_fit"], summary["population"] = alpha, pop
    f_main = float(ref["fluence_main"].value)
    rows["alpha"] = []
    for key in ("alpha_at_8", "alpha_at_32"):
        f_exp = float(ref[{"alpha_at_8": "fluence_main", "alpha_at_32": "fluence_max"}[key]].value)
        factor = f_exp / f_main
        name = f"α at {f_exp:g} mJ/cm² ↔ model F/F_ΔXAS = {factor:g}"
        if factor not in pop:
            rows["alpha"].append(Row(name, None, float(ref[key].value), cfg.tolerances.alpha, "", f"factor {factor:g} not in xfel.pump.fluence_factors"))
            continue
        note = "calibrated to this number (not a test)" if (cfg.pump.calibrate_fluence and factor == 1.0) else "population 1 − |⟨ψ0|ψ⟩|²"
        rows["alpha"].append(Row(name, pop[factor], float(ref[key].value), cfg.tolerances.alpha, "", note))
    measured = {1.0: float(ref["alpha_at_8"].value), float(ref["fluence_max"].value) / f_main: float(ref["alpha_at_32"].value)}
    figures["excited_fraction.png"] = figs.alpha_vs_fluence(np.asarray(factors), np.array([alpha[f] for f in factors]),
                                                            np.array([pop[f] for f in factors]), measured, f_main)
    xs = np.linspace(0.37, 0.5, 27)
    tc = np.array([fermi_bose_tc(float(x)) for x in xs])
    tcl = np.array([fermi_bose_lattice_tc(float(x)) for x in xs])
    tc04 = fermi_bose_tc(0.4)
    summary["tc_x04_K"] = tc04
    rows["tc"] = [Row("T_c(0.4) vs measured", tc04, float(ref["tc_measured_x04"].value), cfg.tolerances.tc_K, "K", "continuum BEC, review Eq. (8)"),
                  Row("T_c(0.4) vs review estimate", tc04, float(ref["tc_estimate_x04"].value), cfg.tolerances.tc_K, "K", ""),
                  Row("lattice T_c(0.4) vs measured", fermi_bose_lattice_tc(0.4), float(ref["tc_measured_x04"].value), cfg.tolerances.tc_K, "K", "lattice bosons")]
    figures["tc_vs_x.png"] = figs.tc_vs_x(xs, tc, tcl, 0.4, float(ref["tc_measured_x04"].value))

    def perc() -> dict[str, Any]:
        out = {}
        for placement in ("random", "rocksalt"):
            th = percolation_threshold(tuple(cfg.percolation.sizes), n_samples=cfg.percolation.samples, placement=placement, species="large", seed=cfg.percolation.seed)
            grid = np.linspace(0.0, 1.0, 41)
            curves = {str(L): wrapping_curve(grid, L=L, n_samples=cfg.percolation.samples, placement=placement, species="large", seed=cfg.percolation.seed).tolist() for L in cfg.percolation.sizes}
            out[placement] = {"x": th.x, "x_error": th.x_error, "grid": grid.tolist(), "curves": curves}
        return out
    pc = _cached(cp, "percolation_large", perc)
    rows["percolation"] = [Row(f"x_c (large octahedra stop wrapping, {p})", pc[p]["x"], float(ref["x_percolation"].value), cfg.tolerances.x, "",
                               "no wrapping" if pc[p]["x"] is None else f"± {pc[p]['x_error']:.2g} (stat + finite size)") for p in pc]
    figures["percolation.png"] = figs.percolation(pc, float(ref["x_percolation"].value))
    tun = _cached(cp, "tunnelling", lambda: {k: np.asarray(v).tolist() for k, v in pair_tunnelling_splittings(
        list(cfg.tunnelling.sites), t_F=cfg.tunnelling.t_F, g=cfg.tunnelling.g, E_B=cfg.tunnelling.E_B).items()})
    dec = fit_exponential_decay(np.asarray(tun["n"]), np.asarray(tun["splitting"]))
    summary["tunnelling"] = {"n": tun["n"], "splitting_eV": tun["splitting"], "D": dec.D, "D_error": dec.D_error}
    return {"rows": rows, "summary": summary, "figures": figures}


def run(spec: RunSpec, outdir: Path, *, resume: bool = True) -> Path:
    """Run the XFEL comparison study into ``outdir``; return the path of report.md."""
    start = time.perf_counter()
    if spec.xfel is None:
        raise SpecError("study = 'xfel' needs an [xfel] section")
    if spec.model.kind != "extended_hubbard":
        raise SpecError(f"study = 'xfel' needs model.kind = 'extended_hubbard', not {spec.model.kind!r}")
    system = build_system(spec)
    try:
        check_pump_axis(system.cluster)
    except InputError as err:
        raise SpecError(f"study = 'xfel': {err}") from None
    ctx = Context(spec, system)
    cp = Checkpoints(outdir, spec_hash(spec), enabled=resume)
    ref = load_reference()
    measured = {"E_G": float(ref["optical_gap"].value), "E_a": float(ref["activation_energy"].value),
                "E_b": float(ref["pair_binding_energy"].value)}
    progress(f"{system.cluster.describe()}; sector {system.sector.label()}; measured "
             + ", ".join(f"{k} = {v:g} eV" for k, v in measured.items()))
    try:
        return _run(spec, outdir, system, ctx, cp, ref, measured, start)
    except InputError as err:
        raise SpecError(f"[xfel]: {err}") from None


def _run(spec: RunSpec, outdir: Path, system: System, ctx: Context, cp: Checkpoints, ref, measured: dict[str, float],  # noqa: ANN001
         start: float) -> Path:
    """The steps of :func:`run` (see the module docstring)."""
    cfg = spec.xfel
    timings: dict[str, float] = {}
    fits: dict[str, Any] = {}
    calib: dict[str, Any] = {}
    spectra: dict[str, Any] = {}
    targets = {"paired": {k: measured[k] for k in cfg.fit.paired_targets}, "unpaired": {"E_G": measured["E_G"]}}
    for s in SCENARIOS:
        t0 = time.perf_counter()
        fits[s] = _cached(cp, f"fit_{s}", lambda s=s: fit_scenario(ctx, s, targets[s], paired_V=fits.get("paired", {}).get("V")))
        timings[f"{s}: fit"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        fluence = cfg.pump.fluence
        if cfg.pump.calibrate_fluence:
            calib[s] = _cached(cp, f"calibration_{s}", lambda s=s: calibrate(ctx, fits[s], float(ref["alpha_at_8"].value)))
            fluence = calib[s]["fluence"]
        spectra[s] = _cached(cp, f"xas_{s}", lambda s=s, F=fluence: scenario_xas(ctx, fits[s], F))
        timings[f"{s}: pump and ΔXAS"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = spectra["paired"]["pulse"]["fluence"]
    scan = {f: spectra["paired"] if f == 1.0 else _cached(cp, f"scan_{f:g}", lambda f=f: scenario_xas(ctx, fits["paired"], f * base, full=False))
            for f in cfg.pump.fluence_factors}
    timings["fluence scan"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    more = extras(spec, cp, ref, fits, spectra, scan)
    timings["kinetics, T_c, percolation, tunnelling"] = time.perf_counter() - t0
    outdir.mkdir(parents=True, exist_ok=True)
    ds = _dataset(fits, spectra)
    ds.attrs.update(title=spec.title, provenance=json.dumps(provenance(spec, system)), extras=json.dumps(more["summary"], default=str),
                    calibration=json.dumps(calib))
    write_with(outdir / "results.nc", lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    for s in SCENARIOS:
        save_figure(figs.dxas_maps(spectra[s], title=f"{s} scenario", hw=fits[s]["E_G"]), outdir / f"dxas_{s}.png")
        save_figure(figs.peaks_vs_delay(spectra[s], title=f"{s} scenario"), outdir / f"peaks_{s}.png")
    for name, fig in more["figures"].items():
        save_figure(fig, outdir / name)
    timings["total"] = time.perf_counter() - start
    report = outdir / "report.md"
    write_text_atomic(report, report_text(spec, system, ref, measured, fits, spectra, calib, scan, more, timings))
    progress(f"wrote {report} ({timings['total']:.1f} s)")
    return report
