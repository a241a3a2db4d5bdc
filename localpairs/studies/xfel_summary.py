"""XFEL study, step 4: every number of ``report.md``, computed once into the ``summary`` group.

Every verdict here is computed by :mod:`localpairs.analysis.verdicts` from a model number, a
measured number (``analysis/data/xfel_babio3.toml``) and a tolerance from ``[xfel.tolerances]``;
a missing number (e.g. no peak above threshold) gives "not available" with the reason, never a
NaN. :func:`summarize` stores the tables as JSON attributes (rows of numbers and strings) and the
arrays the figures need as variables, so that ``templates/xfel.md.j2`` and the figures only read
stored values.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis.experiment import Reference
from localpairs.analysis.verdicts import Row
from localpairs.analysis.xas_peaks import strongest_extrema
from localpairs.studies.common import System
from localpairs.studies.xfel_pumped import linear_response_rows
from localpairs.studies.xfel_spec import XfelSpec
from localpairs.units import HBAR_EV_FS

SCENARIOS = ("paired", "unpaired")
#: Rows of the A−B table: (lattice, index into the delays): unrelaxed early, relaxed late.
AB_ROWS = (("unrelaxed", 0), ("relaxed", -1))
#: Measured numbers the report quotes (names in analysis/data/xfel_babio3.toml).
QUOTED_REFERENCE = ("alpha_at_8", "fluence_main", "pump_photon_energy", "shoulder_range", "ab_separation")


def row_record(row: Row) -> dict[str, Any]:
    """A verdict row as stored numbers and strings (difference and verdict included).

    Parameters
    ----------
    row
        The verdict row.

    Returns
    -------
    dict
        Name, model, experiment, tolerance, unit, note, difference and verdict.
    """
    num = lambda v: None if v is None else float(v)  # noqa: E731
    return {"name": row.name, "model": num(row.model), "experiment": num(row.experiment), "tolerance": num(row.tolerance),
            "unit": row.unit, "note": row.note, "difference": num(row.difference), "verdict": row.verdict}


def gap_rows(fits: dict[str, Any], measured: dict[str, float], tolerance: float) -> list[Row]:
    """Predicted E_G, E_a, E_b and E_b + 2E_a of each scenario against the measured values.

    A quantity the scenario was fitted to is an input, not a test: it gets no row here (its
    residual is in :func:`fit_rows`).

    Parameters
    ----------
    fits
        The two scenario fits by name (:mod:`.xfel_fit`).
    measured
        Measured E_G, E_a, E_b (eV).
    tolerance
        Tolerance of the verdicts (eV).

    Returns
    -------
    list of Row
        One row per predicted quantity and scenario.
    """
    rows = []
    for s in SCENARIOS:
        f = fits[s]
        fitted = set(f["targets"])
        for name, key, target in (("E_G", "E_G", "E_G"), ("E_a", "E_a", "E_a"), ("E_b", "E_b", "E_b"), ("E_b + 2E_a", "E_b_plus_2E_a", "E_G")):
            if key in fitted:
                continue
            note = "prediction"
            if key == "E_b" and {"E_G", "E_a"} <= fitted:
                note = "prediction; measured E_b is the review's E_G − 2E_a, so with E_G and E_a fitted this row tests Δ1 = E_G like the next"
            rows.append(Row(f"{name} ({s})", f["achieved"][key], measured[target], tolerance, "eV", note))
    return rows


def fit_rows(fits: dict[str, Any]) -> list[dict[str, Any]]:
    """The fitted targets of each scenario (inputs): target, achieved value and residual, eV.

    Parameters
    ----------
    fits
        The two scenario fits by name (:mod:`.xfel_fit`).

    Returns
    -------
    list of dict
        Scenario, quantity, target, achieved value and residual (eV).
    """
    return [{"scenario": s, "quantity": k, "target": v, "achieved": fits[s]["achieved"][k], "residual": fits[s]["residuals"][k]}
            for s in SCENARIOS for k, v in fits[s]["targets"].items()]


def ab_rows(ref: Reference, fits: dict[str, Any], spectra: dict[str, Any], cfg: XfelSpec) -> list[dict[str, Any]]:
    """The four A−B rows (two scenarios × unrelaxed early / relaxed late), in eV and in units of ħω.

    Each row: scenario, lattice, delay, A, B, separation (None without peaks) and its order note,
    ħω, separation / ħω, measured in eV and ħω, difference, both verdicts and the reason of a
    missing peak.

    Parameters
    ----------
    ref
        The measured numbers (``analysis/data/xfel_babio3.toml``).
    fits
        The two scenario fits by name (:mod:`.xfel_fit`).
    spectra
        The probe step's records per scenario (:func:`~.xfel_probe.scenario_xas`).
    cfg
        The ``[xfel]`` section.

    Returns
    -------
    list of dict
        The rows described above.
    """
    ab, hw_exp = ref["ab_separation"].number, ref["pump_photon_energy"].number
    tolerance = cfg.tolerances.ab
    rows = []
    for s in SCENARIOS:
        sp, hw = spectra[s], fits[s].get("photon_energy", fits[s]["E_G"])  # the pump's ħω
        for lat, k in AB_ROWS:
            p = sp[lat]["peaks"][k]
            sep = p["separation"] if p["found"] else None
            r_ev = Row("", sep, ab, tolerance, "eV")
            r_hw = Row("", None if sep is None else sep / hw, ab / hw_exp, tolerance / hw_exp)
            order = "" if not p["found"] else (" A below B" if p["signed"] < 0 else " **A above B**")
            other = p.get("A_anywhere")
            if p["found"] and other is not None and abs(other - p["A"]) > 1e-9:
                order += f"; largest positive peak anywhere: {other:.2f} eV"
            rows.append({"scenario": s, "lattice": lat, "delay": sp["delays"][k], "A": p["A"], "B": p["B"], "separation": sep, "order": order,
                         "hw": hw, "separation_hw": None if sep is None else sep / hw, "measured": ab, "measured_hw": ab / hw_exp,
                         "difference": r_ev.difference, "verdict": r_ev.verdict, "verdict_hw": r_hw.verdict, "reason": "" if p["found"] else p["reason"]})
    return rows


def shift_rows(ref: Reference, spectra: dict[str, Any], cfg: XfelSpec) -> list[Row]:
    """Shift of peak A, relaxed (last delay) − unrelaxed (first delay), against the measured +0.2 eV.

    Parameters
    ----------
    ref
        The measured numbers (``analysis/data/xfel_babio3.toml``).
    spectra
        The probe step's records per scenario (:func:`~.xfel_probe.scenario_xas`).
    cfg
        The ``[xfel]`` section.

    Returns
    -------
    list of Row
        One row per scenario.
    """
    rows, shift = [], ref["a_shift"].number
    for s in SCENARIOS:
        sp = spectra[s]
        un, re = sp["unrelaxed"]["peaks"][0], sp["relaxed"]["peaks"][-1]
        same = sp["unrelaxed"]["peaks"][-1]
        name = f"A shift, {s}: E_A(relaxed, {sp['delays'][-1]:g} fs) − E_A(unrelaxed, {sp['delays'][0]:g} fs)"
        if not (un["found"] and re["found"]):
            missing = "unrelaxed" if not un["found"] else "relaxed"
            rows.append(Row(name, None, shift, cfg.tolerances.a_shift, "eV", f"no peak A above threshold ({missing} lattice)"))
            continue
        note = f"lattice alone (both at {sp['delays'][-1]:g} fs): {re['A'] - same['A']:+.3f} eV" if same["found"] else ""
        rows.append(Row(name, re["A"] - un["A"], shift, cfg.tolerances.a_shift, "eV", note))
    return rows


def pump_rows(fits: dict[str, Any], spectra: dict[str, Any], calib: dict[str, Any]) -> list[dict[str, Any]]:
    """Fluence, excited fraction, absorbed energy and the one-photon checks of each scenario's ΔXAS run.

    Parameters
    ----------
    fits
        The two scenario fits by name (:mod:`.xfel_fit`).
    spectra
        The probe step's records per scenario (:func:`~.xfel_probe.scenario_xas`).
    calib
        The fluence calibrations per scenario (empty without calibration).

    Returns
    -------
    list of dict
        One row per scenario.
    """
    rows = []
    for s in SCENARIOS:
        sp, c, hw = spectra[s], calib.get(s), fits[s].get("photon_energy", fits[s]["E_G"])
        a, e = sp["population"][-1], sp["absorbed"][-1]
        F = sp["pulse"]["fluence"]
        exponent = None  # linear response makes it 1 by construction: then no test, the evolved α(F) is in the fluence section
        if c is not None and "linear response" not in c.get("method", "") and abs(math.log(F / c["probe_fluence"])) > 0.05:
            exponent = math.log(a / c["probe_population"]) / math.log(F / c["probe_fluence"])
        rows.append({"scenario": s, "hw": hw, "model_gap": fits[s]["E_G"], "detuning": hw - fits[s]["E_G"],
                     "probe_fluence": None if c is None else c["probe_fluence"],
                     "probe_population": None if c is None else c["probe_population"], "fluence": F, "population": a,
                     "exponent": exponent, "absorbed": e, "absorbed_per_photon": e / (a * hw), "excitation_energy": sp["excitation_energy"][-1]})
    return rows


def probe_rows(fits: dict[str, Any], spectra: dict[str, Any]) -> list[dict[str, Any]]:
    """Per scenario: the probe model and the numbers that say whether its approximations hold.

    Window width and halving change of the long probe (largest over delays and lattices; None for
    the other models), χ̂'s energy spread σ_χ against Γ (what the one-reference probe neglects),
    α, and the relaxed breathing Δ* against the fitted Δ with the displacement and energy gain.

    Parameters
    ----------
    fits
        The two scenario fits by name (:mod:`.xfel_fit`).
    spectra
        The probe step's records per scenario (:func:`~.xfel_probe.scenario_xas`).

    Returns
    -------
    list of dict
        One row per scenario.
    """
    rows = []
    for s in SCENARIOS:
        sp = spectra[s]
        info = [i for lat in ("unrelaxed", "relaxed") for i in sp.get("probe", {}).get(lat, [])]
        widths = [i["window_width"] for i in info if "window_width" in i]
        changes = [i["halving_change"] for i in info if "halving_change" in i]
        spreads = {lat: [i["excited_energy_spread"] for i in sp.get("probe", {}).get(lat, [])] for lat in ("unrelaxed", "relaxed")}
        spread = {lat: max(v) if v else None for lat, v in spreads.items()}
        rel = sp.get("relaxation") or {}
        settings = sp.get("probe_settings", {})
        rows.append({"scenario": s, "model": settings.get("model"), "core_hole": settings.get("core_hole"), "Gamma": settings.get("Gamma"),
                     "U_c": settings.get("U_c"), "probe_fwhm": settings.get("probe_fwhm"), "probe_bandwidth": settings.get("probe_bandwidth"),
                     "reorthogonalized": settings.get("reorthogonalized"), "window_width": max(widths) if widths else None,
                     "window_per_gamma": max(widths) / settings["Gamma"] if widths else None,
                     "halving_change": max(changes) if changes else None, "spread_unrelaxed": spread["unrelaxed"], "spread_relaxed": spread["relaxed"],
                     "alpha": sp["population"][-1], "breathing": fits[s]["breathing"], "relaxed_breathing": rel.get("relaxed_breathing"),
                     "u0": rel.get("u0_A"), "u": rel.get("u_A"), "well_minimum": rel.get("well_minimum_A"), "energy_gain": rel.get("energy_gain"),
                     "relax_seconds": rel.get("seconds")})
    return rows


def scan_rows(scan: dict[float, Any], alpha_fit: dict[float, float], hw: float) -> list[dict[str, float]]:
    """The paired fluence scan: α (population and XAS fit) and absorbed energy per factor.

    Parameters
    ----------
    scan
        The fluence scan's records by factor.
    alpha_fit
        α from the XAS fit per factor.
    hw
        The pump photon energy (eV).

    Returns
    -------
    list of dict
        One row per fluence factor.
    """
    rows = []
    for f in sorted(scan):
        sp = scan[f]
        a = sp["population"][-1]
        rows.append({"factor": f, "fluence": sp["pulse"]["fluence"], "population": a, "alpha_fit": alpha_fit[f],
                     "absorbed_per_photon": sp["absorbed"][-1] / (a * hw)})
    return rows


def _figure_arrays(spectra: dict[str, Any], plots: dict[str, Any]) -> dict[str, Any]:
    """Peak amplitudes per delay and the arrays of the kinetics and excited-fraction figures."""
    out: dict[str, Any] = {}
    for s in SCENARIOS:
        for lat in ("unrelaxed", "relaxed"):
            for key in ("A_amp", "B_amp"):
                vals = [np.nan if p[key] is None else p[key] for p in spectra[s][lat]["peaks"]]
                out[f"{key}_{s}_{lat}"] = (f"delay_{s}", np.asarray(vals, dtype=float), {"long_name": f"ΔXAS at peak {key[0]} (NaN: not found)"})
    out["kinetics_delay"] = ("kinetics_point", np.asarray(plots["kinetics_delay"], dtype=float))
    out["kinetics_value"] = ("kinetics_point", np.asarray(plots["kinetics_value"], dtype=float))
    out["kinetics_second"] = ("kinetics_point", np.asarray(plots["kinetics_second"], dtype=float))
    for key in ("factor", "alpha_fit", "population"):
        out[f"scan_{key}"] = ("scan_factor", np.asarray(plots[f"scan_{key}"], dtype=float))
    return out


def honest_peak_rows(spectra: dict[str, Any], cfg: XfelSpec) -> list[dict[str, Any]]:
    """The strongest positive and negative ΔXAS features of the study's spectra (no order imposed), per scenario and A−B row.

    Each row: scenario, lattice, delay, the two features (energy, uncertainty, amplitude; None if
    none exceeds the threshold), whether the experiment's pattern holds (positive below negative),
    the signed separation with its uncertainty, and how far the negative feature lies from the
    pre-edge peak the offset fixes (``b_from_pre_edge``: a B there is placed by the offset, not
    computed).

    Parameters
    ----------
    spectra
        The probe step's records per scenario (:func:`~.xfel_probe.scenario_xas`).
    cfg
        The ``[xfel]`` section.

    Returns
    -------
    list of dict
        The rows described above.
    """
    rows = []
    for s in SCENARIOS:
        sp = spectra[s]
        for lat, k in AB_ROWS:
            a, b = strongest_extrema(sp["omega"], sp[lat]["dxas"][k], window=tuple(sp["window"]), broadening_fwhm=2 * cfg.probe.Gamma,
                                     min_amplitude=cfg.peaks.min_amplitude)
            feat = lambda x: None if x is None else {"energy": x.energy, "error": x.energy_error, "amplitude": x.amplitude}  # noqa: E731
            both = a is not None and b is not None
            rows.append({"scenario": s, "lattice": lat, "delay": sp["delays"][k], "positive": feat(a), "negative": feat(b),
                         "pattern": bool(both and a.energy < b.energy), "separation": a.energy - b.energy if both else None,  # type: ignore[union-attr]
                         "separation_error": math.hypot(a.energy_error, b.energy_error) if both else None,  # type: ignore[union-attr]
                         "b_from_pre_edge": None if b is None else b.energy - cfg.probe.pre_edge_peak})
    return rows


def summarize(*, system: System, ref: Reference, measured: dict[str, float], fits: dict, spectra: dict, calib: dict, scan: dict, more: dict, cfg: XfelSpec,
              timings: dict[str, dict[str, float]], nuisance: dict[str, Any] | None = None) -> xr.Dataset:
    """The ``summary`` group: tables (JSON attributes) and figure arrays (variables) of the XFEL report.

    ``nuisance``: the nuisance scan's summary (:func:`~.xfel_verdict.scan_summary`), None when ``xfel.scan.enabled`` is false.

    Parameters
    ----------
    system
        The study's system (cluster, sector).
    ref
        The measured numbers (``analysis/data/xfel_babio3.toml``).
    measured
        Measured E_G, E_a, E_b (eV).
    fits
        The two scenario fits by name (:mod:`.xfel_fit`).
    spectra
        The probe step's records per scenario (:func:`~.xfel_probe.scenario_xas`).
    calib
        The fluence calibrations per scenario (empty without calibration).
    scan
        The fluence scan's records by factor.
    more
        The extras (:func:`~.xfel.extras`): rows, summary numbers, plots.
    cfg
        The ``[xfel]`` section.
    timings
        Wall seconds per stage of ``"this run"`` and of the ``"first complete run"`` in this output
        folder (a rerun reads its stages from checkpoints in seconds).
    nuisance
        The nuisance scan's summary (:func:`~.xfel_verdict.scan_summary`), None when ``xfel.scan.enabled`` is false.

    Returns
    -------
    xarray.Dataset
        The group.
    """
    rows = {k: [row_record(r) for r in v] for k, v in more["rows"].items()}
    rows["gaps"] = [row_record(r) for r in gap_rows(fits, measured, cfg.tolerances.gap)]
    rows["shift"] = [row_record(r) for r in shift_rows(ref, spectra, cfg)]
    quoted = {k: ref[k].value for k in QUOTED_REFERENCE}
    attrs = {
        "cluster": system.cluster.describe(), "sector": system.sector.label(), "measured": json.dumps(measured), "reference": json.dumps(quoted),
        "verdict_rows": json.dumps(rows), "fit_rows": json.dumps(fit_rows(fits)),
        "ab_rows": json.dumps(ab_rows(ref, fits, spectra, cfg)), "pump_rows": json.dumps(pump_rows(fits, spectra, calib)),
        "probe_rows": json.dumps(probe_rows(fits, spectra)), "linear_response": json.dumps(linear_response_rows(spectra, scan)),
        "scan_rows": json.dumps(scan_rows(scan, more["summary"]["alpha_fit"], fits["paired"].get("photon_energy", fits["paired"]["E_G"]))),
        "reachability": json.dumps(more["reachability"]), "tunnelling": json.dumps(more["summary"]["tunnelling"]), "timings": json.dumps(timings),
        "tc": json.dumps(more["summary"]["tc"]), "fluence_law": json.dumps(more["summary"]["fluence_law"]),
        "rise": json.dumps(more["summary"]["rise"]),
        "percolation": json.dumps(more["plots"]["percolation"]), "kinetics_figure": json.dumps(more["plots"]["kinetics_figure"]),
        "measured_alpha": json.dumps([[k, v] for k, v in more["plots"]["measured_alpha"].items()]),
        "peak_window": json.dumps(spectra["paired"]["window"]),
        "pump_bandwidth": 4.0 * math.log(2.0) * HBAR_EV_FS / cfg.pump.duration,  # spectral-intensity FWHM of a Gaussian pulse, eV
        "honest_peaks": json.dumps(honest_peak_rows(spectra, cfg)), "nuisance_scan": json.dumps(nuisance),
    }
    return xr.Dataset(_figure_arrays(spectra, more["plots"]), attrs=attrs)
