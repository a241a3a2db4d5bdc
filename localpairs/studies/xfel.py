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
   A − B of both scenarios over U_c × Γ × unpaired U × probe × lattice × pumped state (:mod:`.xfel_pumped_axis`), the static pre-edge shift against
   doping that narrows U_c, and the discrimination verdict (:mod:`.xfel_verdict`; table in the ``scan`` group);
5. every verdict and table of the report (:mod:`.xfel_summary`), stored in the ``summary`` group;
   ``STUDY`` (:mod:`localpairs.studies.framework`) writes ``results.nc``, the figures and
   ``report.md`` from ``templates/xfel.md.j2``.

:func:`validate` refuses, before any work (the framework has checked that ``[xfel]`` is there),
a model other than the extended Hubbard model, a pump polarization along a periodic axis of length 2, an unreadable
``xfel.kinetics.csv``, a scan probe model this build does not compute and a scan doping that removes no pair.
A calibration that needs a field beyond the one-band model's validity (``pump.peak_field``) is found during
:func:`compute`: that scenario is pumped at its own E_G instead, and the report says so.
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
from localpairs.analysis.experiment import Reference, load_reference
from localpairs.analysis.figures import save_figure
from localpairs.analysis.kinetics import read_delay_trace
from localpairs.errors import InputError, LocalPairsError
from localpairs.output_size import OutputEstimate
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.framework import Results, RunContext, Study, render
from localpairs.studies.xfel_extras import extras
from localpairs.studies.xfel_fit import Context, fit_scenario
from localpairs.studies.xfel_kinetics import rise_trace
from localpairs.studies.xfel_probe import check_pump_axis, scenario_xas
from localpairs.studies.xfel_pumped_axis import pumped_state_sentence, pumped_state_summary
from localpairs.studies.xfel_scan import box_rows, resolution_fwhm, run_scan, validate_scan
from localpairs.studies.xfel_size_verdict import cluster_size_axis, size_axis_figures
from localpairs.studies.xfel_spec import xfel_section
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


def validate(spec: RunSpec, system: System) -> None:
    """Every check of the XFEL study beyond the schema (module docstring); nothing heavy.

    Parameters
    ----------
    spec
        The run spec.
    system
        The study's system.
    """
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

    Parameters
    ----------
    fit
        A scenario's fit (U, V, breathing, E_G, photon_energy in eV).
    photon_energy
        The pump's ħω (eV).

    Returns
    -------
    dict
        The fit with ``E_G`` = ``photon_energy``.
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
    """Fits, pump–probe spectra, fluence scan and extras (module docstring): the root dataset and the ``summary`` group.

    Parameters
    ----------
    ctx
        The run context (spec, system, checkpoints).

    Returns
    -------
    Results
        The root dataset and the ``summary`` (and ``scan``) groups.
    """
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
        traces = {s: cp.json(f"rise_{s}", partial(rise_trace, context, fits[s], spectra[s]["pulse"]["fluence"], relaxation=spectra[s].get("relaxation")))
                  for s in SCENARIOS}
        _stage(timings, "rise through the pulse (full evolution) and the damped lattice after it, both scenarios", t0)
        t0 = time.perf_counter()
        more = extras(spec, cp, ref, fits, traces, scan, measured)
        _stage(timings, "kinetics, T_c, percolation, tunnelling", t0)
        nuisance = _nuisance_scan(context, cp, ref, fits, spectra, measured, timings) if cfg.scan.enabled else None
    except InputError as err:
        raise SpecError(f"[xfel]: {err}") from None
    first = cp.load("first_complete_run_seconds")
    if first is None:
        cp.save("first_complete_run_seconds", timings)
        first = timings
    ds = _dataset(fits, spectra)
    ds.attrs.update(title=spec.title, extras=json.dumps(more["summary"], default=str), calibration=json.dumps(calib))
    summary = summarize(system=ctx.system, ref=ref, measured=measured, fits=fits, spectra=spectra, calib=calib, scan=scan, more=more, cfg=cfg,
                        timings={"this run": timings, "first complete run": first},
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
    summary["pumped_states"] = pumped_state_summary(raw, summary, ctx.cfg)
    summary["headline"] += pumped_state_sentence(summary["pumped_states"])
    t0 = time.perf_counter()
    cluster_size_axis(ctx, cp, raw, summary, resolution_fwhm=resolution_fwhm(ref), alpha_target=ref["alpha_at_8"].number,
                      photon_energy=ref["pump_photon_energy"].number)
    if ctx.cfg.scan.twelve_sites:
        _stage(timings, "cluster-size axis: 12-site points (model × U_c, every Γ)", t0)
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
    """ΔXAS maps and peaks per scenario, kinetics, excited fraction, T_c(x) and percolation; their names.

    Parameters
    ----------
    results
        The study's results.
    outdir
        Where the figures are written.
    title
        The run's title.

    Returns
    -------
    list of str
        The figure file names.
    """
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
        names += size_axis_figures(json.loads(sm.attrs["nuisance_scan"]), outdir)
    return [*names, "kinetics.png", "excited_fraction.png", "tc_vs_x.png", "percolation.png"]


def report(results: Results) -> str:
    """The XFEL study's Markdown (templates/xfel.md.j2), rendered from the results alone.

    Parameters
    ----------
    results
        The study's results.

    Returns
    -------
    str
        The Markdown.
    """
    return render("xfel.md.j2", results, summary=results.groups["summary"])


def output(spec: RunSpec, system: System) -> OutputEstimate:
    """What the study writes: per scenario ΔXAS at every delay for both lattices (JSON checkpoint and
    results.nc), per further fluence scan point one XAS set (JSON checkpoint), fits, percolation
    curves, eight figures. JSON holds numbers as text (:data:`~localpairs.output_size.JSON_NUMBER_BYTES`).

    Parameters
    ----------
    spec
        The run spec.
    system
        The study's system.

    Returns
    -------
    OutputEstimate
        Bytes per kind of output.
    """
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
