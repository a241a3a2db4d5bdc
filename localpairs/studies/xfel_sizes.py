"""XFEL study: cluster-size convergence of the unrelaxed A − B (issue 12 item 5), 8 against 12 sites.

The 8-site value is the nuisance scan's headline point of each scenario (unrelaxed lattice, long
probe, the box's (U_c, Γ) nearest to ``[xfel.probe]``, the instrument's resolution convolved in).
The 12-site value is the same point on the 3×2×2 cluster with the pump axis x open and y, z
periodic with one oxygen per pair (``bond_multiplicity = 1``, :data:`TWELVE_SITES`; the 8-site
cube of the study keeps its own boundary): the scenario's fitted U, V, Δ (fitted on 8 sites, not
refitted), the same pump (ħω, duration) and the exact long-probe XAS (:func:`~.xfel_points.dxas_point`).

No fluence calibration on 12 sites. To first order in the field χ⁽¹⁾ ∝ A₀ and the pumped ΔXAS is
α (XAS[χ̂] − XAS[ψ₀]) with χ̂ = χ⁽¹⁾/‖χ⁽¹⁾‖ independent of the fluence, so the feature positions A, B
and A − B do not depend on α in the linear regime (tests/test_xfel_sizes.py checks it against the
evolved state at two fields). The 8-site rows use the same normalised χ̂ (the calibration there only
sets α). The 12-site χ⁽¹⁾ is computed at :data:`~.xfel_points.LR_PROBE_FLUENCE` (the 8-site calibration's
own evaluation) and the row records what the 12-site cluster absorbs at that ħω: α per mJ/cm², the
fluence and peak field the measured α would need, and ``resonance_fraction`` (‖χ⁽¹⁾‖ against all the
one-photon weight at ħω; far above the ≈ 1e-15 round-off means χ̂ is numerically meaningful). The paired
model's 3×2×2 cluster absorbs weakly at 1.96 eV (measured 2026-11-29: resonance fraction 2.7e-6, α = 1.6e-10
per mJ/cm², so α = 0.05 would need 3.2e8 mJ/cm² and 866 V/Å against the model's 0.607 V/Å validity), which is
why nothing is calibrated; its first-order state describes the pumped cluster only below 2e-11 mJ/cm² (estimated
two-photon ratio 2.1e3 at 0.01 mJ/cm²), and the row's note says so.

Cost on 2 cores (853,776 states, measured 2026-11-29 at load 3–7): 7 min wall, 4.6 min CPU and 1.45 GB peak
per scenario (ground state, χ⁽¹⁾ by the two-pass Lanczos function, long-probe XAS of ψ₀ and χ̂; the lead measured
χ⁽¹⁾ 43 s and the XAS of χ̂ 57 s on a quiet machine); hence opt-in (``xfel.scan.twelve_sites``). Each scenario's 12-site point is checkpointed
(``size12_<scenario>``). A row says "not converged" where |ΔA−B| exceeds the tolerance, "not computed" with
the switch that enables it when the 12-site point was not asked for.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

import numpy as np

from localpairs.analysis.discrimination import convergence_rows
from localpairs.hamiltonians.driven_model import gaussian_pulse
from localpairs.spec import RunSpec, parse_spec, spec_data
from localpairs.studies.common import Checkpoints
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import LR_PROBE_FLUENCE, POLARIZATION, dxas_point, pumped_scenario

logger = logging.getLogger(__name__)

#: The 12-site cluster of the convergence rows (runs/babio3_pump_12.toml, benchmarks/bench_12_sites.py).
TWELVE_SITES = {"shape": "3x2x2", "periodic": [False, True, True], "bond_multiplicity": 1}
#: What a row says when the 12-site point was not asked for.
NOT_COMPUTED = "not computed (enable with xfel.scan.twelve_sites = true: ≈ 7 min and 1.5 GB per scenario on 2 cores)"


def twelve_site_spec(spec: RunSpec) -> RunSpec:
    """The study's spec on the 12-site cluster :data:`TWELVE_SITES` (same model, doping rule and ``[xfel]``; sector from the doping).

    Parameters
    ----------
    spec
        The XFEL study's spec.

    Returns
    -------
    RunSpec
        The spec with ``[cluster]`` replaced (lattice constant kept).
    """
    data = spec_data(spec, exclude_none=True)
    data["cluster"] = {**data["cluster"], **TWELVE_SITES}
    data["sector"] = {k: v for k, v in data.get("sector", {}).items() if k not in ("electrons", "n_up", "n_down")}
    return parse_spec(data, source="xfel 12-site convergence")


def size_point(spec: RunSpec, fit: dict[str, Any], *, U_c: float, Gamma: float, core_hole: str, resolution_fwhm: float,
               alpha_target: float) -> dict[str, Any]:
    """A − B of one scenario model on the 12-site cluster from the normalised χ̂, unrelaxed lattice, long probe (module docstring).

    Parameters
    ----------
    spec
        The XFEL study's spec (its cluster is replaced by :func:`twelve_site_spec`).
    fit
        The model: ``U``, ``V``, ``breathing`` and ``E_G`` = the pump's photon energy (eV).
    U_c
        Core-hole potential (eV).
    Gamma
        Core-hole Lorentzian half width (eV).
    core_hole
        Placement of U_c.
    resolution_fwhm
        The instrument's Gaussian resolution FWHM (eV).
    alpha_target
        The measured excited fraction: only to report the fluence and field it would need on 12 sites.

    Returns
    -------
    dict
        ``separation`` (E_A − E_B, eV; None without both features, ``reason`` then says why), ``separation_error``,
        ``alpha`` at ``fluence`` (mJ/cm²), ``alpha_per_fluence`` (per mJ/cm²), ``chi_norm`` ‖χ⁽¹⁾‖, ``resonance_fraction``,
        ``fluence_for_alpha`` (mJ/cm²) and ``field_for_alpha`` (V/Å) for ``alpha_target``, ``window_width``, ``halving_change``,
        ``dimension``, ``linear_regime`` and ``two_photon_ratio`` at ``fluence``, ``linear_fluence_max`` (mJ/cm², where the
        estimated two-photon ratio, ∝ √F, reaches its limit: below it the pumped state is χ⁽¹⁾), ``seconds``.
    """
    t0 = time.perf_counter()
    sc = pumped_scenario(twelve_site_spec(spec), fit, name="12 sites", fluence=LR_PROBE_FLUENCE)
    p = dxas_point(scenario=sc, U_c=U_c, Gamma=Gamma, core_hole=core_hole, probe_model="long", lattice="unrelaxed", resolution_fwhm=resolution_fwhm)
    found = bool(p["found"])
    per_fluence, ratio = sc.alpha / sc.fluence, float(sc.validity["two_photon_ratio"])
    f_alpha = float(alpha_target) / per_fluence
    field = gaussian_pulse(photon_energy=fit["E_G"], duration=spec.xfel.pump.duration, fluence=f_alpha,  # type: ignore[union-attr]
                           polarization=list(POLARIZATION)).peak_field
    out = {"reason": "" if found else "no pair of features above threshold", "separation": float(p["separation"]) if found else None,
           "separation_error": float(p["separation_error"]) if found else None, "alpha": sc.alpha, "fluence": sc.fluence,
           "alpha_per_fluence": per_fluence, "chi_norm": float(np.sqrt(sc.alpha)), "resonance_fraction": float(sc.validity["resonance_fraction"]),
           "fluence_for_alpha": f_alpha, "field_for_alpha": float(field), "window_width": p["window_width"], "halving_change": p["halving_change"],
           "dimension": int(sc.psi0.size), "linear_regime": bool(sc.validity["linear_regime"]), "two_photon_ratio": ratio,
           "linear_fluence_max": sc.fluence * (float(sc.validity["two_photon_ratio_max"]) / ratio) ** 2, "seconds": time.perf_counter() - t0}
    logger.info("12 sites: A − B = %s eV, α = %.3g per mJ/cm², ‖χ‖ = %.3g, resonance fraction %.3g (%.0f s)", out["separation"], per_fluence,
                out["chi_norm"], out["resonance_fraction"], out["seconds"])
    return out


def size_convergence(ctx: Context, cp: Checkpoints, raw: dict[str, Any], summary: dict[str, Any], *, resolution_fwhm: float,
                     alpha_target: float, photon_energy: float) -> list[dict[str, Any]]:
    """The convergence rows: each scenario's headline A − B on the study's cluster and, if enabled, on 12 sites.

    Parameters
    ----------
    ctx
        The study context.
    cp
        The study's checkpoints.
    raw
        :func:`~.xfel_scan.run_scan`'s output (its ``models``: U, V, Δ and photon energy of each scenario model).
    summary
        :func:`~.xfel_verdict.scan_summary`'s output (``headline_points``, ``convergence_tolerance``).
    resolution_fwhm, alpha_target, photon_energy
        The instrument's resolution FWHM (eV), the measured α and ħω (eV, when a model does not record its own).

    Returns
    -------
    list of dict
        :func:`~localpairs.analysis.discrimination.convergence_rows` with ``points_12`` (the 12-site records) per row.
    """
    n = raw["n_sites"]
    values: dict[str, dict[int, float | None]] = {}
    extra: dict[str, Any] = {}
    for s, head in summary["headline_points"].items():
        values[s] = {n: None if head is None else head["separation"]}
        if not ctx.cfg.scan.twelve_sites or head is None or n == 12:
            continue
        model = next(m for m in raw["models"].values() if m["scenario"] == s and m["U"] == head["U"])
        fit = {**model["fit"], "E_G": model["fit"].get("photon_energy") or photon_energy}
        rec = cp.json(f"size12_{s}", partial(size_point, ctx.spec, fit, U_c=head["U_c"], Gamma=head["Gamma"], core_hole=ctx.cfg.scan.core_hole,
                                            resolution_fwhm=resolution_fwhm, alpha_target=alpha_target))
        values[s][12] = rec["separation"]
        extra[s] = rec
    return convergence_table(values, extra, tolerance=summary["convergence_tolerance"], enabled=ctx.cfg.scan.twelve_sites)


def convergence_table(values: dict[str, dict[int, float | None]], points_12: dict[str, dict[str, Any]], *, tolerance: float,
                      enabled: bool) -> list[dict[str, Any]]:
    """The convergence rows from A − B per scenario and size, with the 12-site records and what a missing one means.

    Parameters
    ----------
    values
        A − B (eV; None: none) per scenario and number of sites.
    points_12
        The 12-site records (:func:`size_point`) per scenario, where computed.
    tolerance
        Largest change called converged (eV).
    enabled
        Whether the 12-site points were asked for (``xfel.scan.twelve_sites``).

    Returns
    -------
    list of dict
        :func:`~localpairs.analysis.discrimination.convergence_rows` with ``points_12``; a 12-site point that could not be
        computed says why in the verdict; the note says where the 12-site first-order state holds when it is outside the
        linear regime at the fluence it was computed at.
    """
    rows = convergence_rows(values, tolerance=tolerance, missing=None if enabled else NOT_COMPUTED)
    for r in rows:
        rec = points_12.get(r["scenario"])
        r["points_12"] = rec
        if rec is not None and rec.get("separation") is None and rec.get("reason"):
            r["verdict"], r["note"] = "not computed on 12 sites", rec["reason"]
        if rec is not None and rec.get("linear_regime") is False:
            r["note"] += (f"; the 12-site χ̂ is the first-order state, which describes the pumped cluster only below {rec['linear_fluence_max']:.2g} mJ/cm² "
                          f"(estimated two-photon ratio {rec['two_photon_ratio']:.3g} at {rec['fluence']:g} mJ/cm², ∝ √F)")
    return rows
