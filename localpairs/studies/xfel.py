"""XFEL study: the model of local pairs in BaBiO3 against the EuXFEL tr-XAS experiment.

Steps (each piece is checkpointed in ``outdir/checkpoints`` and reused when the spec is unchanged):

1. scenario fits (:mod:`.xfel_fit`): *paired* (U < 0, V, breathing Δ fitted to the measured
   E_G, E_a and E_b) and *unpaired* (U ≥ 0 and V fixed, Δ fitted to E_G alone);
2. pump at ħω = the scenario's E_G (x-polarized; refused along a periodic axis of length 2, where
   the current vanishes), at a fluence calibrated to the measured excited fraction; ΔXAS(ω, t)
   for the unrelaxed lattice and the excited clusters' relaxed breathing Δ* (Born–Oppenheimer),
   with the probe model of ``[xfel.probe]``, peaks A and B (:mod:`.xfel_probe`); the scan's point
   function is :func:`.xfel_points.dxas_point`;
3. kinetics, excited fraction vs fluence, T_c(x), percolation, pair tunnelling;
4. every verdict and table of the report (:mod:`.xfel_summary`), stored in the ``summary`` group;
   ``STUDY`` (:mod:`localpairs.studies.framework`) writes ``results.nc``, the figures and
   ``report.md`` from ``templates/xfel.md.j2``.

:func:`validate` refuses, before any work (the framework has checked that ``[xfel]`` is there),
a model other than the extended Hubbard model, a pump polarization along a periodic axis of length 2 and an unreadable
``xfel.kinetics.csv``. The probe-run bounds of the fluence calibration (α below
``xfel.pump.max_probe_excitation`` and above zero) depend on a computed α and are refused during
:func:`compute`.
"""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis import xfel_figures as figs
from localpairs.analysis.bec import fermi_bose_lattice_tc, fermi_bose_tc
from localpairs.analysis.excited_fraction import fit_excited_fraction
from localpairs.analysis.experiment import Reference, load_reference
from localpairs.analysis.figures import save_figure
from localpairs.analysis.kinetics import fit_three_exponential, read_delay_trace
from localpairs.analysis.percolation import percolation_threshold, wrapping_curve
from localpairs.analysis.tunnelling_fit import fit_exponential_decay
from localpairs.analysis.verdicts import Row
from localpairs.errors import InputError, LocalPairsError
from localpairs.solvers.ed.pair_tunnelling import pair_tunnelling_splittings
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.framework import Results, RunContext, Study, render
from localpairs.studies.xfel_fit import Context, fit_scenario, reachability
from localpairs.studies.xfel_probe import calibrate, check_pump_axis, scenario_xas
from localpairs.studies.xfel_spec import XfelSpec, xfel_section
from localpairs.studies.xfel_summary import SCENARIOS, summarize

logger = logging.getLogger(__name__)


def _dataset(fits: dict, spectra: dict) -> xr.Dataset:
    """Labelled arrays: ΔXAS maps, peak energies (NaN where ``found_*`` is False: no peak above threshold)."""
    ds = xr.Dataset()
    for s in SCENARIOS:
        sp = spectra[s]
        om, dl = f"omega_{s}", f"delay_{s}"
        coords = {om: (om, np.asarray(sp["omega"]), {"units": "eV"}),
                  dl: (dl, np.asarray(sp["delays"]), {"units": "fs", "long_name": "delay after pulse end"})}
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


def _kinetics(cfg: XfelSpec, ref: Reference, spectra: dict) -> tuple[list[Row], dict[str, Any]]:
    """Kinetics rows and the trace of the kinetics figure (measured and fitted, or the simulated ΔXAS at A)."""
    tau = {k: ref[k].number for k in ("tau1", "tau2", "tau3")}
    if cfg.kinetics.csv is not None:
        trace = read_delay_trace(cfg.kinetics.csv)
        kf = fit_three_exponential(trace.delay, trace.value, sigma=trace.sigma)
        rows = [Row(k, float(kf.values[k]), tau[k], 0.3 * tau[k], "ps", f"fit of {cfg.kinetics.csv} (measured trace)") for k in tau]
        return rows, {"kinetics_delay": trace.delay, "kinetics_value": trace.value,
                      "kinetics_figure": {"title": "measured trace and three-exponential fit"}}
    sp = spectra["paired"]
    span = sp["times"][-1]
    rows = [Row(k, None, tau[k], None, "ps", f"not comparable (cluster dynamics covers {span:.0f} fs, τ are ps)") for k in tau]
    found = [p for p in sp["unrelaxed"]["peaks"] if p["found"]]
    a0 = found[0]["A"] if found else float(np.asarray(sp["omega"])[np.argmax(np.asarray(sp["unrelaxed"]["dxas"][0]))])
    om = np.asarray(sp["omega"])
    simulated = [float(np.interp(a0, om, np.asarray(d))) for d in sp["unrelaxed"]["dxas"]]
    figure = {"xlabel": "delay after pulse end (fs)", "title": f"simulated ΔXAS at A = {a0:.2f} eV (paired, unrelaxed); {len(simulated)} delays: no fit"}
    return rows, {"kinetics_delay": np.asarray(sp["delays"]), "kinetics_value": np.asarray(simulated), "kinetics_figure": figure}


def _alpha(cfg: XfelSpec, ref: Reference, scan: dict) -> tuple[list[Row], dict[str, Any]]:
    """Excited fraction against fluence: rows, the XAS-fit α per factor and the figure's arrays."""
    factors = sorted(scan)
    excited = np.asarray(scan[factors[-1]]["excited_component_xas"])
    alpha = {f: fit_excited_fraction(np.asarray(scan[f]["last_xas"]), np.asarray(scan[f]["ground"]), excited).alpha for f in factors}
    pop = {f: scan[f]["population"][-1] for f in factors}
    f_main = ref["fluence_main"].number
    rows = []
    for key in ("alpha_at_8", "alpha_at_32"):
        f_exp = ref[{"alpha_at_8": "fluence_main", "alpha_at_32": "fluence_max"}[key]].number
        factor = f_exp / f_main
        name = f"α at {f_exp:g} mJ/cm² ↔ model F/F_ΔXAS = {factor:g}"
        if factor not in pop:
            rows.append(Row(name, None, ref[key].number, cfg.tolerances.alpha, "", f"factor {factor:g} not in xfel.pump.fluence_factors"))
            continue
        note = "calibrated to this number (not a test)" if (cfg.pump.calibrate_fluence and factor == 1.0) else "population 1 − |⟨ψ0|ψ⟩|²"
        rows.append(Row(name, pop[factor], ref[key].number, cfg.tolerances.alpha, "", note))
    measured = {1.0: ref["alpha_at_8"].number, ref["fluence_max"].number / f_main: ref["alpha_at_32"].number}
    plots = {"scan_factor": factors, "scan_alpha_fit": [alpha[f] for f in factors], "scan_population": [pop[f] for f in factors], "measured_alpha": measured}
    return rows, {"alpha_fit": alpha, "population": pop, "plots": plots}


def _tc(cfg: XfelSpec, ref: Reference) -> tuple[list[Row], dict[str, Any]]:
    """T_c(0.4) rows (continuum and lattice BEC) and the T_c(x) curves."""
    xs = np.linspace(0.37, 0.5, 27)
    tc04 = fermi_bose_tc(0.4)
    measured = ref["tc_measured_x04"].number
    rows = [Row("T_c(0.4) vs measured", tc04, measured, cfg.tolerances.tc_K, "K", "continuum BEC, review Eq. (8)"),
            Row("T_c(0.4) vs review estimate", tc04, ref["tc_estimate_x04"].number, cfg.tolerances.tc_K, "K", ""),
            Row("lattice T_c(0.4) vs measured", fermi_bose_lattice_tc(0.4), measured, cfg.tolerances.tc_K, "K", "lattice bosons")]
    curves = {"tc_x": xs, "tc_tc": [fermi_bose_tc(float(x)) for x in xs], "tc_tc_lattice": [fermi_bose_lattice_tc(float(x)) for x in xs]}
    return rows, {"tc_x04_K": tc04, "curves": curves}


def _percolation(cfg: XfelSpec, cp: Checkpoints) -> dict[str, Any]:
    """Wrapping thresholds and curves of the large octahedra, random and rock-salt placement (checkpointed)."""
    pc = cfg.percolation

    def compute() -> dict[str, Any]:
        out = {}
        for placement in ("random", "rocksalt"):
            th = percolation_threshold(tuple(pc.sizes), n_samples=pc.samples, placement=placement, species="large", seed=pc.seed)
            grid = np.linspace(0.0, 1.0, 41)
            curves = {str(L): wrapping_curve(grid, L=L, n_samples=pc.samples, placement=placement, species="large", seed=pc.seed).tolist() for L in pc.sizes}
            out[placement] = {"x": th.x, "x_error": th.x_error, "grid": grid.tolist(), "curves": curves}
        return out

    return cp.json("percolation_large", compute)


def extras(spec: RunSpec, cp: Checkpoints, ref: Reference, fits: dict, spectra: dict, scan: dict, measured: dict[str, float]) -> dict[str, Any]:
    """Kinetics, excited fraction, T_c(x), percolation, tunnelling and the fits' reach: rows, summary numbers and figure data."""
    cfg = xfel_section(spec)
    rows: dict[str, list[Row]] = {}
    summary: dict[str, Any] = {}
    rows["kinetics"], plots = _kinetics(cfg, ref, spectra)
    rows["alpha"], alpha = _alpha(cfg, ref, scan)
    summary["alpha_fit"], summary["population"] = alpha["alpha_fit"], alpha["population"]
    plots.update(alpha["plots"])
    rows["tc"], tc = _tc(cfg, ref)
    summary["tc_x04_K"] = tc["tc_x04_K"]
    plots.update(tc["curves"])
    pc = _percolation(cfg, cp)
    rows["percolation"] = [Row(f"x_c (large octahedra stop wrapping, {p})", pc[p]["x"], ref["x_percolation"].number, cfg.tolerances.x, "",
                               "no wrapping" if pc[p]["x"] is None else f"± {pc[p]['x_error']:.2g} (stat + finite size)") for p in pc]
    plots["percolation"] = {"thresholds": pc, "measured": ref["x_percolation"].number, "tc_measured_x04": ref["tc_measured_x04"].number,
                            "fluence_main": ref["fluence_main"].number}
    tn = cfg.tunnelling

    def tunnelling() -> dict[str, list[float]]:
        splittings = pair_tunnelling_splittings(list(tn.sites), t_F=tn.t_F, g=tn.g, E_B=tn.E_B)
        return {k: np.asarray(v).tolist() for k, v in splittings.items()}

    tun = cp.json("tunnelling", tunnelling)
    dec = fit_exponential_decay(np.asarray(tun["n"]), np.asarray(tun["splitting"]))
    summary["tunnelling"] = {"n": tun["n"], "splitting_eV": tun["splitting"], "D": dec.D, "D_error": dec.D_error}
    return {"rows": rows, "summary": summary, "plots": plots, "reachability": reachability(fits["paired"], measured, cfg.tolerances.gap)}


def validate(spec: RunSpec, system: System) -> None:
    """Every check of the XFEL study beyond the schema (module docstring); nothing heavy."""
    if spec.model.kind != "extended_hubbard":
        raise SpecError(f"study = 'xfel' needs model.kind = 'extended_hubbard', not {spec.model.kind!r}")
    try:
        check_pump_axis(system.cluster)
    except InputError as err:
        raise SpecError(f"study = 'xfel': {err}") from None
    csv = xfel_section(spec).kinetics.csv
    if csv is not None:
        try:
            read_delay_trace(csv)
        except (OSError, LocalPairsError, ValueError) as err:
            raise SpecError(f"xfel.kinetics.csv = {csv!r} is not allowed: a readable delay trace (CSV) is needed: {err}") from None


def _scenarios(ctx: Context, cp: Checkpoints, ref: Reference, measured: dict[str, float], timings: dict[str, float]) -> tuple[dict, dict, dict]:
    """Fits, fluence calibration and pump–probe spectra of both scenarios (checkpointed)."""
    cfg = ctx.cfg
    fits: dict[str, Any] = {}
    calib: dict[str, Any] = {}
    spectra: dict[str, Any] = {}
    targets: dict[str, dict[str, float]] = {"paired": {k: measured[k] for k in cfg.fit.paired_targets}, "unpaired": {"E_G": measured["E_G"]}}
    for s in SCENARIOS:
        t0 = time.perf_counter()
        fits[s] = cp.json(f"fit_{s}", partial(fit_scenario, ctx, s, targets[s], paired_V=fits.get("paired", {}).get("V")))
        timings[f"{s}: fit"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        fluence = cfg.pump.fluence
        if cfg.pump.calibrate_fluence:
            calib[s] = cp.json(f"calibration_{s}", partial(calibrate, ctx, fits[s], ref["alpha_at_8"].number))
            fluence = calib[s]["fluence"]
        spectra[s] = cp.json(f"xas_{s}", partial(scenario_xas, ctx, fits[s], fluence))
        timings[f"{s}: pump and ΔXAS"] = time.perf_counter() - t0
    return fits, calib, spectra


def compute(ctx: RunContext) -> Results:
    """Fits, pump–probe spectra, fluence scan and extras (module docstring): the root dataset and the ``summary`` group."""
    spec, cp = ctx.spec, ctx.checkpoints
    cfg = xfel_section(spec)
    context = Context(spec, ctx.system)
    ref = load_reference()
    measured = {"E_G": ref["optical_gap"].number, "E_a": ref["activation_energy"].number, "E_b": ref["pair_binding_energy"].number}
    logger.info("measured %s", ", ".join(f"{k} = {v:g} eV" for k, v in measured.items()))
    timings: dict[str, float] = {}
    try:
        fits, calib, spectra = _scenarios(context, cp, ref, measured, timings)
        t0 = time.perf_counter()
        base = spectra["paired"]["pulse"]["fluence"]
        scan = {f: spectra["paired"] if f == 1.0 else cp.json(f"scan_{f:g}", partial(scenario_xas, context, fits["paired"], f * base, full=False))
                for f in cfg.pump.fluence_factors}
        timings["fluence scan"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        more = extras(spec, cp, ref, fits, spectra, scan, measured)
        timings["kinetics, T_c, percolation, tunnelling"] = time.perf_counter() - t0
    except InputError as err:
        raise SpecError(f"[xfel]: {err}") from None
    ds = _dataset(fits, spectra)
    ds.attrs.update(title=spec.title, extras=json.dumps(more["summary"], default=str), calibration=json.dumps(calib))
    summary = summarize(system=ctx.system, ref=ref, measured=measured, fits=fits, spectra=spectra, calib=calib, scan=scan, more=more, cfg=cfg, timings=timings)
    return Results(ds, {"summary": summary})


def _spectrum_view(ds: xr.Dataset, summary: xr.Dataset, s: str) -> dict[str, Any]:
    """The figures' view of one scenario's spectra, read back from the results."""
    out: dict[str, Any] = {"omega": ds[f"omega_{s}"].values, "ground": ds[f"xas_ground_{s}"].values, "delays": ds[f"delay_{s}"].values.tolist(),
                           "window": json.loads(summary.attrs["peak_window"])}
    for lat in ("unrelaxed", "relaxed"):
        keys = {"found": ds[f"found_{s}_{lat}"].values, "A": ds[f"A_{s}_{lat}"].values, "B": ds[f"B_{s}_{lat}"].values,
                "A_amp": summary[f"A_amp_{s}_{lat}"].values, "B_amp": summary[f"B_amp_{s}_{lat}"].values}
        peaks = [{k: (bool(v[i]) if k == "found" else float(v[i])) for k, v in keys.items()} for i in range(len(out["delays"]))]
        out[lat] = {"dxas": ds[f"dxas_{s}_{lat}"].values, "peaks": peaks}
    return out


def figures(results: Results, outdir: Path, title: str) -> list[str]:
    """ΔXAS maps and peaks per scenario, kinetics, excited fraction, T_c(x) and percolation; their names."""
    ds, sm = results.root, results.groups["summary"]
    names = []
    for s in SCENARIOS:
        sp = _spectrum_view(ds, sm, s)
        save_figure(figs.dxas_maps(sp, title=f"{s} scenario", hw=json.loads(ds.attrs[f"fit_{s}"])["E_G"]), outdir / f"dxas_{s}.png")
        save_figure(figs.peaks_vs_delay(sp, title=f"{s} scenario"), outdir / f"peaks_{s}.png")
        names += [f"dxas_{s}.png", f"peaks_{s}.png"]
    perc = json.loads(sm.attrs["percolation"])
    measured_alpha = {float(k): float(v) for k, v in json.loads(sm.attrs["measured_alpha"])}
    save_figure(figs.kinetics(sm["kinetics_delay"].values, sm["kinetics_value"].values, None, **json.loads(sm.attrs["kinetics_figure"])),
                outdir / "kinetics.png")
    save_figure(figs.alpha_vs_fluence(sm["scan_factor"].values, sm["scan_alpha_fit"].values, sm["scan_population"].values, measured_alpha,
                                      perc["fluence_main"]), outdir / "excited_fraction.png")
    save_figure(figs.tc_vs_x(sm["tc_curve_x"].values, sm["tc_curve_tc"].values, sm["tc_curve_tc_lattice"].values, 0.4, perc["tc_measured_x04"]),
                outdir / "tc_vs_x.png")
    save_figure(figs.percolation(perc["thresholds"], perc["measured"]), outdir / "percolation.png")
    return [*names, "kinetics.png", "excited_fraction.png", "tc_vs_x.png", "percolation.png"]


def report(results: Results) -> str:
    """The XFEL study's Markdown (templates/xfel.md.j2), rendered from the results alone."""
    return render("xfel.md.j2", results, summary=results.groups["summary"])


STUDY = Study(name="xfel", section="xfel", validate=validate, compute=compute, figures=figures, report=report)
