"""XFEL study, step 6: the nuisance scan's numbers for the report — A − B distributions, the discrimination
verdict over the whole box and over the part the doping constraint allows, the constraint itself, and
cluster-size convergence (:mod:`localpairs.analysis.discrimination`, :mod:`localpairs.analysis.doping_constraint`).

Input is :func:`~.xfel_scan.run_scan`'s raw data; output is JSON-able (the ``summary`` group's ``scan``
attribute) plus the table of points as a Dataset (the ``scan`` group of ``results.nc``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis.discrimination import (
    PARAMETER_TEXT,
    SCENARIOS,
    TOLERANCE_DERIVATION,
    Experiment,
    Feature,
    ScanPoint,
    ab_map,
    consistent,
    convergence_rows,
    discrimination_verdict,
    distribution,
    point_tolerance,
)
from localpairs.analysis.discrimination_figures import ab_distributions, ab_maps
from localpairs.analysis.doping_constraint import SHIFT_TOLERANCE_DERIVATION, allowed_core_hole
from localpairs.analysis.experiment import Reference
from localpairs.analysis.figures import save_figure
from localpairs.studies.xfel_spec import XfelSpec

FEATURE_KEYS = ("energy", "energy_error", "amplitude")


def _feature(f: dict[str, Any] | None) -> Feature | None:
    return None if f is None else Feature(f["energy"], f["energy_error"], f["amplitude"])


def scan_points(raw: dict[str, Any]) -> list[ScanPoint]:
    """The scan's points as :class:`ScanPoint` (one per model × U_c × lattice × probe × Γ).

    Parameters
    ----------
    raw
        The scan's raw output (:func:`~.xfel_scan.run_scan`).

    Returns
    -------
    list of ScanPoint
        One per model × U_c × lattice × probe × pumped state × Γ.
    """
    models = raw["models"]
    return [ScanPoint(models[r["model"]]["scenario"], r["U_c"], r["Gamma"], models[r["model"]]["U"], r["probe"], r["lattice"], raw["n_sites"],
                      models[r["model"]]["fit"]["E_G"], _feature(r["A"]), _feature(r["B"]), r["reason"], r.get("pumped_state", "linear_response"))
            for r in raw["points"]]


def experiment_of(ref: Reference, raw: dict[str, Any]) -> Experiment:
    """The measured signature: A 1 eV *below* B (signed −1 eV), ħω and the resolution FWHM of the scan.

    Parameters
    ----------
    ref
        The measured numbers.
    raw
        The scan's raw output (:func:`~.xfel_scan.run_scan`).

    Returns
    -------
    Experiment
        Measured A − B, ħω and resolution.
    """
    return Experiment(separation=-ref["ab_separation"].number, photon_energy=ref["pump_photon_energy"].number, resolution_fwhm=raw["resolution_fwhm"])


def doping_summary(raw: dict[str, Any], ref: Reference) -> dict[str, Any]:
    """Rows (model, U_c: shift over Γ, allowed) and the allowed U_c of each model (allowed at some Γ of the box).

    Parameters
    ----------
    raw
        The scan's raw output (:func:`~.xfel_scan.run_scan`).
    ref
        The measured numbers.

    Returns
    -------
    dict
        Rows per (model, U_c), the allowed U_c per model, the measured shift and the derivation of its tolerance.
    """
    measured = ref["pre_edge_doping_shift"].number
    by_model: dict[str, dict[float, list[dict[str, Any]]]] = {}
    for r in raw["doping"]:
        by_model.setdefault(r["model"], {}).setdefault(r["U_c"], []).append(r)
    rows, allowed = [], {}
    for mid, by_uc in by_model.items():
        ucs = sorted(by_uc)
        gammas = sorted({e["Gamma"] for es in by_uc.values() for e in es})
        ok = np.zeros(len(ucs), dtype=bool)
        for g in gammas:
            have = [(i, e) for i, u in enumerate(ucs) for e in by_uc[u] if e["Gamma"] == g]
            res = allowed_core_hole([ucs[i] for i, _ in have], [e["shift"] for _, e in have], [e["error"] for _, e in have], measured=measured)
            ok[[i for i, _ in have]] |= np.asarray(res["allowed"])
        for i, u in enumerate(ucs):
            shifts = [e["shift"] for e in by_uc[u]]
            rows.append({"model": mid, "U": raw["models"][mid]["U"], "U_c": u, "shift_min": min(shifts), "shift_max": max(shifts),
                         "parent": by_uc[u][0]["parent"], "doped": by_uc[u][0]["doped"], "allowed": bool(ok[i])})
        values = [u for u, k in zip(ucs, ok) if k]
        allowed[mid] = {"values": values, "range": [values[0], values[-1]] if values else None}
    return {"rows": rows, "allowed": allowed, "measured": measured, "derivation": SHIFT_TOLERANCE_DERIVATION,
            "electrons": [raw["electrons"], raw["doped_electrons"]], "large": [raw["large"], raw["doped_large"]], "x": raw["doping_x"]}


def verdict_block(points: list[ScanPoint], exp: Experiment) -> dict[str, Any]:
    """Distributions and discrimination verdict of a set of points (label, text, deciding parameter, margin, swings).

    Parameters
    ----------
    points
        Points of both scenarios.
    exp
        The measured signature.

    Returns
    -------
    dict
        ``distributions`` per scenario, ``label``, ``text``, ``deciding``, ``margin``, ``swings``.
    """
    dists = {s: distribution(points, s, exp).summary() for s in SCENARIOS}
    v = discrimination_verdict(points)
    return {"distributions": dists, "label": v.label, "text": v.text, "deciding": v.deciding, "margin": v.margin,
            "swings": [[PARAMETER_TEXT[k], x] for k, x in sorted(v.swings.items(), key=lambda kv: -kv[1])]}


def _constrained(points: list[ScanPoint], raw: dict[str, Any], doping: dict[str, Any]) -> tuple[list[ScanPoint] | None, str]:
    """The points whose (model, U_c) the doping constraint allows, or None with the reason."""
    allowed = {(raw["models"][m]["scenario"], raw["models"][m]["U"], u) for m, a in doping["allowed"].items() for u in a["values"]}
    kept = [p for p in points if (p.scenario, p.U, p.U_c) in allowed]
    empty = [s for s in SCENARIOS if not any(p.scenario == s for p in kept)]
    if empty:
        return None, f"no scanned U_c reproduces the doping shift for the {' and '.join(empty)} scenario: the constraint cannot be applied"
    return kept, ""


def headline_point(points: list[ScanPoint], cfg: XfelSpec, scenario: str, *, study_U: float | None = None,
                   pumped_state: str = "linear_response") -> ScanPoint | None:
    """The scan point closest to the study's own setting ([xfel.probe] U_c and Γ, unrelaxed, first probe, the pumped state
    ``pumped_state``; for the unpaired scenario the model of the study's own fit, at U = ``study_U``, if the box holds it).

    Parameters
    ----------
    points
        The scan's points.
    cfg
        The ``[xfel]`` section.
    scenario
        ``"paired"`` or ``"unpaired"``.
    study_U
        U of the study's own unpaired fit (eV), if the box holds it.
    pumped_state
        The pumped-state model (default: the study's own, linear response).

    Returns
    -------
    ScanPoint or None
        The point, None when the scenario has none.
    """
    mine = [p for p in points if p.scenario == scenario and p.lattice == "unrelaxed" and p.probe == cfg.scan.probes[0] and p.pumped_state == pumped_state]
    own = [p for p in mine if study_U is not None and p.U == study_U]
    if scenario == "unpaired" and own:
        mine = own
    return min(mine, key=lambda p: (abs(p.U_c - cfg.probe.U_c), abs(p.Gamma - cfg.probe.Gamma), p.U)) if mine else None


def scan_summary(raw: dict[str, Any], ref: Reference, cfg: XfelSpec, box: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the report says about the scan (module docstring); JSON-able.

    Parameters
    ----------
    raw
        The scan's raw output (:func:`~.xfel_scan.run_scan`).
    ref
        The measured numbers.
    cfg
        The ``[xfel]`` section.
    box
        The box rows (:func:`~.xfel_scan.box_rows`).

    Returns
    -------
    dict
        Box, experiment, distributions and verdicts (whole box and doping-constrained), doping constraint, headline,
        headline points and convergence rows.
    """
    points = scan_points(raw)
    exp = experiment_of(ref, raw)
    doping = doping_summary(raw, ref)
    out: dict[str, Any] = {"box": box, "experiment": {"separation": exp.separation, "photon_energy": exp.photon_energy, "resolution_fwhm": exp.resolution_fwhm,
                                                     "sigma": exp.sigma}, "tolerance_derivation": TOLERANCE_DERIVATION, "doping": doping,
                           "failed": raw["failed"], "n_points": {s: sum(p.scenario == s for p in points) for s in SCENARIOS},
                           "models": raw["models"], "seconds": raw["seconds"]}
    if not all(out["n_points"].values()):
        out["full"] = None
        out["full_reason"] = "a scenario has no finished point (see the failed tasks)"
    else:
        out["full"] = verdict_block(points, exp)
    kept, reason = _constrained(points, raw, doping) if out["full"] else (None, "no full box")
    out["constrained"], out["constrained_reason"] = (verdict_block(kept, exp) if kept else None), reason
    out["headline"] = headline(out)
    study_U = next((m["U"] for m in raw["models"].values() if m["scenario"] == "unpaired" and not m.get("fitted_here", True)), None)
    heads = {s: headline_point(points, cfg, s, study_U=study_U) for s in SCENARIOS}
    out["headline_points"] = {s: None if p is None else {"U_c": p.U_c, "Gamma": p.Gamma, "U": p.U, "separation": p.separation} for s, p in heads.items()}
    out["study_U"] = study_U
    tol = [point_tolerance(p, exp) for p in heads.values() if p is not None and p.found]
    out["convergence_tolerance"] = max([t for t in tol if t is not None], default=0.0)
    out["convergence"] = convergence_rows({s: {raw["n_sites"]: (None if p is None else p.separation)} for s, p in heads.items()},
                                          tolerance=out["convergence_tolerance"])
    return out


def _range(d: dict[str, Any]) -> str:
    return "no pair of features" if d["min_eV"] is None else f"{d['min_eV']:+.2f} to {d['max_eV']:+.2f} eV ({d['min_hw']:+.2f} to {d['max_hw']:+.2f} ħω)"


def headline(out: dict[str, Any]) -> str:
    """The verdict in plain words with numbers: whether A − B separates the scenarios in the box, over it all and where doping allows.

    Parameters
    ----------
    out
        The scan summary (:func:`scan_summary`).

    Returns
    -------
    str
        The sentence(s).
    """
    full, exp = out["full"], out["experiment"]
    if full is None:
        return f"No verdict: {out['full_reason']}."
    d = full["distributions"]
    verb = "separates" if full["label"] == "discriminating" else "does not separate"
    text = (f"Within the scanned box the ΔXAS A − B signature {verb} paired from unpaired carriers: A − B spans {_range(d['paired'])} "
            f"for the paired and {_range(d['unpaired'])} for the unpaired model, measured {exp['separation']:+.2f} eV "
            f"({exp['separation'] / exp['photon_energy']:+.2f} ħω); {full['text']}. Consistent with the measurement: "
            f"{d['paired']['fraction_consistent']:.0%} of the paired and {d['unpaired']['fraction_consistent']:.0%} of the unpaired box; "
            f"the measured pattern (positive A below negative B) appears at {d['paired']['fraction_pattern']:.0%} and "
            f"{d['unpaired']['fraction_pattern']:.0%} of their points.")
    con = out["constrained"]
    if con is None:
        return text + f" Doping constraint on U_c: {out['constrained_reason']}."
    c = con["distributions"]
    return text + (f" Restricted to the U_c that reproduce the static pre-edge shift against doping, A − B spans {_range(c['paired'])} (paired) "
                   f"and {_range(c['unpaired'])} (unpaired): {con['text']}.")


def scan_dataset(raw: dict[str, Any], ref: Reference) -> xr.Dataset:
    """The table of points (dimension ``point``): parameters, features (NaN where ``found_A``/``found_B`` is False), A − B, verdict flags.

    Parameters
    ----------
    raw
        The scan's raw output (:func:`~.xfel_scan.run_scan`).
    ref
        The measured numbers.

    Returns
    -------
    xarray.Dataset
        One row per point.
    """
    points, exp = scan_points(raw), experiment_of(ref, raw)
    col = lambda f: np.asarray([f(p) for p in points])  # noqa: E731
    nan = float("nan")
    data: dict[str, Any] = {
        "scenario": ("point", col(lambda p: p.scenario)), "U": ("point", col(lambda p: p.U), {"units": "eV"}),
        "U_c": ("point", col(lambda p: p.U_c), {"units": "eV"}), "Gamma": ("point", col(lambda p: p.Gamma), {"units": "eV", "long_name": "Lorentzian HWHM"}),
        "probe": ("point", col(lambda p: p.probe)), "lattice": ("point", col(lambda p: p.lattice)), "sites": ("point", col(lambda p: p.sites)),
        "pumped_state": ("point", col(lambda p: p.pumped_state)),
        "hw": ("point", col(lambda p: p.hw), {"units": "eV", "long_name": "pump photon energy (the model's E_G)"}),
        "found_A": ("point", col(lambda p: p.A is not None)), "found_B": ("point", col(lambda p: p.B is not None)),
        "separation": ("point", col(lambda p: nan if p.separation is None else p.separation), {"units": "eV", "long_name": "E_A − E_B (NaN: no pair)"}),
        "consistent": ("point", col(lambda p: consistent(p, exp))), "pattern": ("point", col(lambda p: p.pattern)),
        "reason": ("point", col(lambda p: p.reason)),
    }
    for name in ("A", "B"):
        for key in FEATURE_KEYS:
            data[f"{name}_{key}"] = ("point", col(lambda p, n=name, k=key: nan if getattr(p, n) is None else getattr(getattr(p, n), k)),
                                     {"units": "eV" if key != "amplitude" else "arb. units"})
    return xr.Dataset(data, attrs={"resolution_fwhm_eV": raw["resolution_fwhm"]})


def points_of_dataset(ds: xr.Dataset) -> list[ScanPoint]:
    """The points back from :func:`scan_dataset`'s table (for the figures).

    Parameters
    ----------
    ds
        The ``scan`` group of ``results.nc``.

    Returns
    -------
    list of ScanPoint
        The points.
    """
    def feat(name: str, i: int) -> Feature | None:
        return Feature(*(float(ds[f"{name}_{k}"].values[i]) for k in FEATURE_KEYS)) if bool(ds[f"found_{name}"].values[i]) else None
    return [ScanPoint(str(ds["scenario"].values[i]), float(ds["U_c"].values[i]), float(ds["Gamma"].values[i]), float(ds["U"].values[i]),
                      str(ds["probe"].values[i]), str(ds["lattice"].values[i]), int(ds["sites"].values[i]), float(ds["hw"].values[i]),
                      feat("A", i), feat("B", i), str(ds["reason"].values[i]),
                      str(ds["pumped_state"].values[i]) if "pumped_state" in ds else "linear_response") for i in range(ds.sizes["point"])]


def scan_figures(group: xr.Dataset, summary: dict[str, Any], outdir: Path) -> list[str]:
    """A − B maps over (U_c, Γ) per scenario (one panel per lattice × U × probe) and the A − B distributions; the file names.

    Parameters
    ----------
    group
        The ``scan`` group of ``results.nc``.
    summary
        The scan summary as stored.
    outdir
        Where the figures are written.

    Returns
    -------
    list of str
        The figure file names.
    """
    points = points_of_dataset(group)
    exp = summary["experiment"]
    names = []
    for s in SCENARIOS:
        mine = [p for p in points if p.scenario == s]
        settings = sorted({(p.lattice != "unrelaxed", p.lattice, p.U, p.probe, p.sites, p.pumped_state != "linear_response", p.pumped_state) for p in mine})
        panels = []
        for _, lat, U, probe, sites, _, state in settings:
            ucs, gs, grid = ab_map(points, s, select={"lattice": lat, "U": U, "probe": probe, "sites": sites, "pumped_state": state})
            panels.append({"title": f"{lat} lattice, {state.replace('_', ' ')} state\nU = {U:.2f} eV, {probe} probe, {sites} sites",
                           "U_c": ucs, "Gamma": gs, "grid": grid})
        if panels:
            save_figure(ab_maps(panels, title=f"A − B over (U_c, Γ): {s} scenario (measured {exp['separation']:g} eV)", measured=exp["separation"]),
                        outdir / f"ab_map_{s}.png")
            names.append(f"ab_map_{s}.png")
    found = [p for p in points if p.found]
    if found:
        tol = [t for t in (point_tolerance(p, experiment_of_summary(exp)) for p in found) if t is not None]
        values = {s: [p.separation for p in found if p.scenario == s] for s in SCENARIOS}
        values_hw = {s: [p.separation / p.hw for p in found if p.scenario == s] for s in SCENARIOS}  # type: ignore[operator]
        fig = ab_distributions(values, values_hw, measured=exp["separation"], measured_hw=exp["separation"] / exp["photon_energy"],  # type: ignore[arg-type]
                               tolerance=(min(tol), max(tol)))
        save_figure(fig, outdir / "ab_distribution.png")
        names.append("ab_distribution.png")
    return names


def experiment_of_summary(exp: dict[str, Any]) -> Experiment:
    """The :class:`Experiment` stored in the scan summary.

    Parameters
    ----------
    exp
        The stored experiment record (separation, photon energy, resolution, σ).

    Returns
    -------
    Experiment
        The experiment.
    """
    return Experiment(separation=exp["separation"], photon_energy=exp["photon_energy"], resolution_fwhm=exp["resolution_fwhm"])
