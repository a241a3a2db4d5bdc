"""XFEL study: the model of local pairs in BaBiO3 against the EuXFEL tr-XAS experiment.

Steps (each piece is checkpointed in ``outdir/checkpoints`` and reused when the spec is unchanged):

1. scenario fits (:mod:`.xfel_fit`), alike: *paired* (U < 0) and *unpaired* (U ≥ 0), U and the
   breathing Δ fitted to the same measured targets (E_G, E_a) with the same fixed V;
2. pump at the measured ħω = 1.96 eV in both scenarios (x-polarized; refused along a periodic axis
   of length 2, where the current vanishes), at a fluence calibrated to the measured excited
   fraction at 8 mJ/cm² (an input, not a test); ΔXAS(ω, t)
   for the unrelaxed lattice and the excited clusters' relaxed breathing Δ* (Born–Oppenheimer),
   with the probe model of ``[xfel.probe]``, peaks A and B (:mod:`.xfel_probe`);
3. kinetics (:mod:`.xfel_kinetics`: the rise through the pulse), excited fraction vs fluence, and
   review Sec. 7 (:mod:`.xfel_mechanism`: T_c(x), percolation, pair tunnelling);
4. the nuisance scan (``[xfel.scan]``, :mod:`.xfel_scan` on Dask, per-point physics in :mod:`.xfel_scan_points`
   around :func:`.xfel_points.dxas_points`):
   A − B of both scenarios over U_c × Γ × unpaired U × probe × lattice, the static pre-edge shift against
   doping that narrows U_c, and the discrimination verdict (:mod:`.xfel_verdict`; table in the ``scan`` group);
5. every verdict and table of the report (:mod:`.xfel_summary`), stored in the ``summary`` group;
   ``STUDY`` (:mod:`localpairs.studies.framework`) writes ``results.nc``, the figures and
   ``report.md`` from ``templates/xfel.md.j2``.

:func:`validate` refuses, before any work (the framework has checked that ``[xfel]`` is there),
a model other than the extended Hubbard model, a pump polarization along a periodic axis of length 2, an unreadable
``xfel.kinetics.csv``, a scan probe model this build does not compute and a scan doping that removes no pair.
The probe-run bounds of the fluence calibration (α below ``xfel.pump.max_probe_excitation`` and above
zero) depend on a computed α and are refused during :func:`compute`.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis import xfel_figures as figs
from localpairs.analysis.excited_fraction import fit_excited_fraction, fluence_law
from localpairs.analysis.experiment import Reference, load_reference
from localpairs.analysis.figures import save_figure
from localpairs.analysis.kinetics import fit_three_exponential, read_delay_trace
from localpairs.analysis.kinetics_profile import correlated_parameters, profile_interval
from localpairs.analysis.verdicts import Row
from localpairs.errors import InputError, LocalPairsError
from localpairs.output_size import OutputEstimate
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.framework import Results, RunContext, Study, render
from localpairs.studies.xfel_fit import Context, fit_scenario, reachability
from localpairs.studies.xfel_kinetics import kinetics_rows, rise_trace
from localpairs.studies.xfel_mechanism import percolation_section, tc_section, tunnelling_section
from localpairs.studies.xfel_probe import check_pump_axis, scenario_xas
from localpairs.studies.xfel_scan import box_rows, resolution_fwhm, run_scan, validate_scan
from localpairs.studies.xfel_sizes import size_convergence
from localpairs.studies.xfel_spec import XfelSpec, xfel_section
from localpairs.studies.xfel_summary import SCENARIOS, summarize
from localpairs.studies.xfel_verdict import scan_dataset, scan_figures, scan_summary

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


def _kinetics(cfg: XfelSpec, ref: Reference, traces: dict[str, Any]) -> tuple[list[Row], dict[str, Any]]:
    """Kinetics rows (:mod:`.xfel_kinetics`; a measured trace's τ with profile-likelihood intervals) and the figure's trace."""
    tau = {k: ref[k].number for k in ("tau1", "tau2", "tau3")}
    if cfg.kinetics.csv is not None:
        trace = read_delay_trace(cfg.kinetics.csv)
        kf = fit_three_exponential(trace.delay, trace.value, sigma=trace.sigma)
        notes = {k: f"fit of {cfg.kinetics.csv}: {profile_interval(kf, k).describe('ps')}" for k in tau if k in kf.free}
        corr = "; ".join(f"{a}–{b} {c:+.3f}" for a, b, c in correlated_parameters(kf))
        rows = [Row(k, float(kf.values[k]), tau[k], 0.3 * tau[k], "ps", notes.get(k, "fixed") + (f"; correlated: {corr}" if corr else ""))
                for k in tau]
        return rows, {"kinetics_delay": trace.delay, "kinetics_value": trace.value, "kinetics_second": kf.model(trace.delay),
                      "kinetics_figure": {"title": "measured trace and three-exponential fit", "labels": ["data", "fit"], "ylabel": "ΔXAS at peak A"}}
    tr = traces["paired"]
    t = np.asarray(tr["times"])
    figure = {"xlabel": "time (fs)", "ylabel": "fraction of the value after the pulse", "marker": ".",
              "labels": ["excited weight α(t)", "broken pairs α[D(0) − ⟨χ̂|D|χ̂⟩]"],
              "title": f"paired scenario through the pulse (centre {tr['pulse_center_fs']:.0f} fs, over at {tr['pulse_end_fs']:.0f} fs: I < 10⁻³ I_max)"}
    scale = lambda v, f: np.asarray(v) / f if f > 0 else np.asarray(v)  # noqa: E731
    return kinetics_rows(traces, tau), {"kinetics_delay": t, "kinetics_value": scale(tr["alpha"], tr["alpha_final"]),
                                        "kinetics_second": scale(tr["broken_pairs"], tr["broken_final"]), "kinetics_figure": figure}


def _alpha(cfg: XfelSpec, ref: Reference, scan: dict) -> tuple[list[Row], dict[str, Any]]:
    """Excited fraction against fluence: rows, the XAS-fit α per factor, the fluence law and the figure's arrays.

    With ``calibrate_fluence`` α at 8 mJ/cm² is an input (the calibration), never a row; α at
    32 mJ/cm² and the exponent d ln α / d ln F between them are tests. The exponent's tolerance is
    ``xfel.tolerances.alpha`` propagated: tol / (α(32) ln 4).
    """
    factors = sorted(scan)
    excited = np.asarray(scan[factors[-1]]["excited_component_xas"])
    alpha = {f: fit_excited_fraction(np.asarray(scan[f]["last_xas"]), np.asarray(scan[f]["ground"]), excited).alpha for f in factors}
    pop = {f: scan[f]["population"][-1] for f in factors}
    f_main, f_max = ref["fluence_main"].number, ref["fluence_max"].number
    a_main, a_max = ref["alpha_at_8"].number, ref["alpha_at_32"].number
    law = fluence_law(f_main, a_main, f_max, a_max)
    k, tol = f_max / f_main, cfg.tolerances.alpha
    rows = []
    if not cfg.pump.calibrate_fluence:
        rows.append(Row(f"α at {f_main:g} mJ/cm² ↔ model F/F_ΔXAS = 1", pop.get(1.0), a_main, tol, "", "population 1 − |⟨ψ0|ψ⟩|²"))
    name = f"α at {f_max:g} mJ/cm² ↔ model F/F_ΔXAS = {k:g}"
    if k not in pop or 1.0 not in pop:
        rows.append(Row(name, None, a_max, tol, "", f"factors 1 and {k:g} are needed in xfel.pump.fluence_factors"))
        model_exponent = None
    else:
        model_exponent = math.log(pop[k] / pop[1.0]) / math.log(k)
        rows += [Row(name, pop[k], a_max, tol, "", "population 1 − |⟨ψ0|ψ⟩|²"),
                 Row(f"d ln α / d ln F between {f_main:g} and {f_max:g} mJ/cm²", model_exponent, law.exponent, tol / (a_max * math.log(k)), "",
                     f"tolerance: xfel.tolerances.alpha / (α({f_max:g}) ln {k:g})")]
    steps = [{"from": f1, "to": f2, "exponent": math.log(pop[f2] / pop[f1]) / math.log(f2 / f1)} for f1, f2 in itertools.pairwise(factors)]
    measured = {1.0: a_main, k: a_max}
    plots = {"scan_factor": factors, "scan_alpha_fit": [alpha[f] for f in factors], "scan_population": [pop[f] for f in factors], "measured_alpha": measured}
    fluence = {"measured": {**asdict(law), "f1": f_main, "f2": f_max}, "model_exponent": model_exponent, "model_steps": steps,
               "input": {"alpha": a_main, "fluence": f_main} if cfg.pump.calibrate_fluence else None}
    return rows, {"alpha_fit": alpha, "population": pop, "plots": plots, "fluence_law": fluence}


def extras(spec: RunSpec, cp: Checkpoints, ref: Reference, fits: dict, traces: dict, scan: dict, measured: dict[str, float]) -> dict[str, Any]:
    """Kinetics, excited fraction, T_c(x), percolation, tunnelling and the fits' reach: rows, summary numbers and figure data."""
    cfg = xfel_section(spec)
    rows: dict[str, list[Row]] = {}
    summary: dict[str, Any] = {}
    rows["kinetics"], plots = _kinetics(cfg, ref, traces)
    summary["rise"] = {s: {k: v for k, v in tr.items() if k not in ("times", "alpha", "broken_pairs")} for s, tr in traces.items()}
    rows["alpha"], alpha = _alpha(cfg, ref, scan)
    summary["alpha_fit"], summary["population"], summary["fluence_law"] = alpha["alpha_fit"], alpha["population"], alpha["fluence_law"]
    plots.update(alpha["plots"])
    rows["tc"], tc, curves = tc_section(cfg, ref)
    summary["tc"] = {**tc, "curves_x": curves["tc_x"], "curves": curves["tc_curves"]}
    rows["percolation"], pc = percolation_section(cfg, cp, ref)
    plots["percolation"] = {"thresholds": pc, "measured": ref["x_percolation"].number, "tc_measured_x04": ref["tc_measured_x04"].number,
                            "fluence_main": ref["fluence_main"].number}
    summary["tunnelling"] = tunnelling_section(cfg, cp)
    return {"rows": rows, "summary": summary, "plots": plots, "reachability": reachability(fits["paired"], measured, cfg.tolerances.gap)}


def validate(spec: RunSpec, system: System) -> None:
    """Every check of the XFEL study beyond the schema (module docstring); nothing heavy."""
    if spec.model.kind != "extended_hubbard":
        raise SpecError(f"study = 'xfel' needs model.kind = 'extended_hubbard', not {spec.model.kind!r}")
    try:
        check_pump_axis(system.cluster)
    except InputError as err:
        raise SpecError(f"study = 'xfel': {err}") from None
    validate_scan(Context(spec, system))
    csv = xfel_section(spec).kinetics.csv
    if csv is not None:
        try:
            read_delay_trace(csv)
        except (OSError, LocalPairsError, ValueError) as err:
            raise SpecError(f"xfel.kinetics.csv = {csv!r} is not allowed: a readable delay trace (CSV) is needed: {err}") from None


def pump_view(fit: dict[str, Any], photon_energy: float) -> dict[str, Any]:
    """The fit as :mod:`.xfel_probe` reads it, with ``E_G`` replaced by the pump's photon energy.

    :func:`~localpairs.studies.xfel_probe.pump_states` pumps at ``fit["E_G"]``; both scenarios are
    pumped at the experiment's ħω instead of their own model gap (module docstring of
    :mod:`.xfel_fit`). Drop this view once the probe step reads ``fit["photon_energy"]``.
    """
    return {**fit, "E_G": photon_energy}


def _pump_and_probe(ctx: Context, cp: Checkpoints, name: str, fit: dict[str, Any], alpha: float, tag: str) -> tuple[dict | None, dict]:
    """Pumped states (linear response, the fluence calibrated to ``alpha`` if asked) and ΔXAS of one scenario pumped at
    ``fit["photon_energy"]``; checkpoint named with ``tag``. Returns the calibration record (None without calibration) and the spectra."""
    view = pump_view(fit, fit["photon_energy"])
    if ctx.cfg.pump.calibrate_fluence:
        out = cp.json(f"xas_{name}{tag}", partial(scenario_xas, ctx, view, alpha_target=alpha))
    else:
        out = cp.json(f"xas_{name}{tag}", partial(scenario_xas, ctx, view, ctx.cfg.pump.fluence))
    return out.get("calibration"), out


def _stage(timings: dict[str, float], name: str, t0: float) -> None:
    """Record and log the wall time of one stage since ``t0`` (``time.perf_counter``)."""
    timings[name] = time.perf_counter() - t0
    logger.info("stage %s: %.1f s", name, timings[name])


def _scenarios(ctx: Context, cp: Checkpoints, ref: Reference, measured: dict[str, float], timings: dict[str, float]) -> tuple[dict, dict, dict]:
    """Fits, fluence calibration and pump–probe spectra of both scenarios (checkpointed), pumped at the measured ħω.

    A scenario whose model absorbs so little at the measured ħω (its E_G misses it by more than
    the pump bandwidth) that α at 8 mJ/cm² needs a field beyond the one-band model's validity is
    pumped at its own E_G instead, and ``photon_energy_note`` says why (the report prints it).
    """
    cfg = ctx.cfg
    fits: dict[str, Any] = {}
    calib: dict[str, Any] = {}
    spectra: dict[str, Any] = {}
    targets: dict[str, float] = {str(k): measured[k] for k in cfg.fit.targets}
    hw, alpha = ref["pump_photon_energy"].number, ref["alpha_at_8"].number
    for s in SCENARIOS:
        t0 = time.perf_counter()
        fits[s] = {**cp.json(f"fit_{s}", partial(fit_scenario, ctx, s, targets)), "photon_energy": hw, "photon_energy_note": ""}
        _stage(timings, f"{s}: fit ({fits[s]['nfev']} ED evaluations)", t0)
        t0 = time.perf_counter()
        try:
            c, spectra[s] = _pump_and_probe(ctx, cp, s, fits[s], alpha, "")
        except InputError as err:
            if err.field != "pump.peak_field":
                raise
            fits[s].update(photon_energy=fits[s]["E_G"], photon_energy_note=(
                f"pumped at its own E_G = {fits[s]['E_G']:.3f} eV, not at the measured {hw:g} eV: there the calibration needs a field "
                f"beyond the model's validity ({err.allowed})"))
            logger.warning("%s scenario: %s", s, fits[s]["photon_energy_note"])
            c, spectra[s] = _pump_and_probe(ctx, cp, s, fits[s], alpha, "_own_gap")
        if c is not None:
            calib[s] = c
        _stage(timings, f"{s}: calibration, linear-response pumped state, relaxation and ΔXAS", t0)
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
        paired = pump_view(fits["paired"], fits["paired"]["photon_energy"])
        scan = {f: cp.json(f"scan_{f:g}", partial(scenario_xas, context, paired, f * base, full=False, compare=f == 1.0)) for f in cfg.pump.fluence_factors}
        _stage(timings, f"fluence scan (full evolution at {len(scan)} fluences, linear response checked at factor 1)", t0)
        t0 = time.perf_counter()
        traces = {s: cp.json(f"rise_{s}", partial(rise_trace, context, fits[s], spectra[s]["pulse"]["fluence"])) for s in SCENARIOS}
        _stage(timings, "rise through the pulse (full evolution, both scenarios)", t0)
        t0 = time.perf_counter()
        more = extras(spec, cp, ref, fits, traces, scan, measured)
        _stage(timings, "kinetics, T_c, percolation, tunnelling", t0)
        nuisance = _nuisance_scan(context, cp, ref, fits, spectra, measured, timings) if cfg.scan.enabled else None
    except InputError as err:
        raise SpecError(f"[xfel]: {err}") from None
    ds = _dataset(fits, spectra)
    ds.attrs.update(title=spec.title, extras=json.dumps(more["summary"], default=str), calibration=json.dumps(calib))
    summary = summarize(system=ctx.system, ref=ref, measured=measured, fits=fits, spectra=spectra, calib=calib, scan=scan, more=more, cfg=cfg, timings=timings,
                        nuisance=None if nuisance is None else nuisance[0])
    return Results(ds, {"summary": summary} if nuisance is None else {"summary": summary, "scan": nuisance[1]})


def _nuisance_scan(ctx: Context, cp: Checkpoints, ref: Reference, fits: dict, spectra: dict, measured: dict[str, float],
                   timings: dict[str, float]) -> tuple[dict[str, Any], xr.Dataset]:
    """The nuisance scan (:mod:`.xfel_scan`) and its report numbers (:mod:`.xfel_verdict`); its rounds' seconds go to ``timings``."""
    t0 = time.perf_counter()
    raw = run_scan(ctx, cp, fits=fits, ref=ref, measured=measured)
    for k, v in raw["seconds"].items():
        logger.info("stage %s: %.1f s", k, v)
    timings.update(raw["seconds"])
    _stage(timings, "scan total (Dask start included)", t0)
    summary = scan_summary(raw, ref, ctx.cfg, box_rows(ctx, ref))
    t0 = time.perf_counter()
    summary["convergence"] = size_convergence(ctx, cp, raw, summary, resolution_fwhm=resolution_fwhm(ref), alpha_target=ref["alpha_at_8"].number,
                                              photon_energy=ref["pump_photon_energy"].number)
    if ctx.cfg.scan.twelve_sites:
        _stage(timings, "cluster-size convergence: 12-site headline points", t0)
    return summary, scan_dataset(raw, ref)


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
        save_figure(figs.dxas_maps(sp, title=f"{s} scenario", hw=json.loads(ds.attrs[f"fit_{s}"])["photon_energy"]), outdir / f"dxas_{s}.png")
        save_figure(figs.peaks_vs_delay(sp, title=f"{s} scenario"), outdir / f"peaks_{s}.png")
        names += [f"dxas_{s}.png", f"peaks_{s}.png"]
    perc = json.loads(sm.attrs["percolation"])
    measured_alpha = {float(k): float(v) for k, v in json.loads(sm.attrs["measured_alpha"])}
    kfig = json.loads(sm.attrs["kinetics_figure"])
    save_figure(figs.kinetics(sm["kinetics_delay"].values, sm["kinetics_value"].values, sm["kinetics_second"].values,
                              **{**kfig, "labels": tuple(kfig["labels"])}), outdir / "kinetics.png")
    save_figure(figs.alpha_vs_fluence(sm["scan_factor"].values, sm["scan_alpha_fit"].values, sm["scan_population"].values, measured_alpha,
                                      perc["fluence_main"]), outdir / "excited_fraction.png")
    tc = json.loads(sm.attrs["tc"])
    save_figure(figs.tc_vs_x(np.asarray(tc["curves_x"]), tc["curves"], 0.4, tc["measured"], tc["tolerance"]), outdir / "tc_vs_x.png")
    save_figure(figs.percolation(perc["thresholds"], perc["measured"]), outdir / "percolation.png")
    if "scan" in results.groups:
        names += scan_figures(results.groups["scan"], json.loads(sm.attrs["nuisance_scan"]), outdir)
    return [*names, "kinetics.png", "excited_fraction.png", "tc_vs_x.png", "percolation.png"]


def report(results: Results) -> str:
    """The XFEL study's Markdown (templates/xfel.md.j2), rendered from the results alone."""
    return render("xfel.md.j2", results, summary=results.groups["summary"])


def output(spec: RunSpec, system: System) -> OutputEstimate:
    """What the study writes: per scenario ΔXAS at every delay for both lattices (JSON checkpoint and
    results.nc), per further fluence scan point one XAS set (JSON checkpoint), fits, percolation
    curves, eight figures. JSON holds numbers as text (:data:`~localpairs.output_size.JSON_NUMBER_BYTES`)."""
    from localpairs.output_size import FIGURE_BYTES, json_bytes, netcdf_bytes

    cfg = xfel_section(spec)
    n_omega = int(np.floor((cfg.probe.omega_span[1] - cfg.probe.omega_span[0]) / cfg.probe.omega_step + 1e-9)) + 1
    n_delays, n_scan = len(cfg.pump.delays), len([f for f in cfg.pump.fluence_factors if f != 1.0])
    n_curves = 2 * 41 * (len(cfg.percolation.sizes) + 1)
    per_scenario = (2 * n_delays + 4) * n_omega + 20 * n_delays
    checkpoints = (json_bytes(2 * per_scenario, files=2) + json_bytes(4 * n_omega * n_scan + 20, files=max(n_scan, 1))
                   + json_bytes(2 * 600, files=2) + json_bytes(n_curves) + json_bytes(100, files=3))
    results = netcdf_bytes(2 * (2 * n_delays + 1) * n_omega + 2000 + n_curves, groups=2)
    return OutputEstimate({"results.nc": results, "figures": 8 * FIGURE_BYTES, "checkpoints": checkpoints},
                          hint="fewer xfel.pump.delays or fluence_factors, or a larger xfel.probe.omega_step")


STUDY = Study(name="xfel", section="xfel", validate=validate, compute=compute, figures=figures, report=report, output=output)
