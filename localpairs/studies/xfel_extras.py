"""XFEL study: the rows and figure data beside the ΔXAS — kinetics, excited fraction against fluence, T_c(x),
percolation, pair tunnelling and the fits' reach (:func:`extras`, called by :func:`~.xfel.compute`)."""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict
from typing import Any

import numpy as np

from localpairs.analysis.excited_fraction import fit_excited_fraction, fluence_law
from localpairs.analysis.experiment import Reference
from localpairs.analysis.kinetics import fit_three_exponential, read_delay_trace
from localpairs.analysis.kinetics_profile import correlated_parameters, profile_interval
from localpairs.analysis.verdicts import Row
from localpairs.spec import RunSpec
from localpairs.studies.common import Checkpoints
from localpairs.studies.xfel_fit import reachability
from localpairs.studies.xfel_kinetics import kinetics_rows
from localpairs.studies.xfel_mechanism import percolation_section, tc_section, tunnelling_section
from localpairs.studies.xfel_spec import XfelSpec, xfel_section


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
    """Kinetics, excited fraction, T_c(x), percolation, tunnelling and the fits' reach: rows, summary numbers and figure data.

    Parameters
    ----------
    spec
        The run spec.
    cp
        The study's checkpoints.
    ref
        The measured numbers.
    fits
        The two scenario fits by name.
    traces
        The rise traces per scenario (:func:`~.xfel_kinetics.rise_trace`).
    scan
        The fluence scan's records by factor.
    measured
        Measured E_G, E_a, E_b (eV).

    Returns
    -------
    dict
        ``rows``, ``summary``, ``plots`` and ``reachability``.
    """
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
