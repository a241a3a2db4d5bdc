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

The 12-site values come from the 12-site box (:mod:`.xfel_size_box`: every model at the U_c of
``xfel.scan.twelve_sites_U_c`` and every Γ, checkpointed per (model, U_c)); the headline rows read
theirs from it. A row says "not converged" where |ΔA−B| exceeds the tolerance, "not computed" with
the switch that enables it when the 12-site points were not asked for.
"""

from __future__ import annotations

import logging
from typing import Any

from localpairs.analysis.discrimination import convergence_rows
from localpairs.spec import RunSpec, parse_spec, spec_data

logger = logging.getLogger(__name__)

#: The 12-site cluster of the convergence rows (runs/babio3_pump_12.toml, benchmarks/bench_12_sites.py).
TWELVE_SITES = {"shape": "3x2x2", "periodic": [False, True, True], "bond_multiplicity": 1}
#: Lanczos steps per XAS chain on 12 sites (at most; the spec's ``[xfel.probe] lanczos_steps`` when smaller), measured against
#: longer chains (:data:`TWELVE_SITE_STEPS_CHECK`). No full reorthogonalization at this size (100² × 731,808 > REORTH_BUDGET).
TWELVE_SITE_LANCZOS_STEPS = 100
#: The evidence for :data:`TWELVE_SITE_LANCZOS_STEPS`, as the report prints it.
TWELVE_SITE_STEPS_CHECK = ("at the box's smallest Γ = 0.075 eV with the 0.106 eV resolution, U_c = −1 eV (benchmarks/bench_xfel_size_box.py, "
                           "2026-11-29), against 0.1 × the resolution FWHM = 0.011 eV on E_A, E_B and A − B: paired model against 300 steps, "
                           "E_A moves 0.003 eV, E_B 0.001 eV, A − B 0.002 eV (80 steps: A − B 0.019 eV, refused); unpaired U = 0.5 eV against "
                           "150 steps, E_B 0.0003 eV, A − B 0.00005 eV")
#: What a row says when the 12-site point was not asked for.
NOT_COMPUTED = "not computed (enable with xfel.scan.twelve_sites = true)"


def twelve_site_spec(spec: RunSpec) -> RunSpec:
    """The study's spec on the 12-site cluster :data:`TWELVE_SITES` (same model, doping rule and ``[xfel]``; sector from the doping).

    Parameters
    ----------
    spec
        The XFEL study's spec.

    Returns
    -------
    RunSpec
        The spec with ``[cluster]`` replaced (lattice constant kept) and at most :data:`TWELVE_SITE_LANCZOS_STEPS` per XAS chain.
    """
    data = spec_data(spec, exclude_none=True)
    data["cluster"] = {**data["cluster"], **TWELVE_SITES}
    data["xfel"]["probe"]["lanczos_steps"] = min(spec.xfel.probe.lanczos_steps, TWELVE_SITE_LANCZOS_STEPS)  # type: ignore[union-attr]
    data["sector"] = {k: v for k, v in data.get("sector", {}).items() if k not in ("electrons", "n_up", "n_down")}
    return parse_spec(data, source="xfel 12-site convergence")


def size_convergence(summary: dict[str, Any], box12: dict[str, Any] | None, *, n_sites: int, enabled: bool) -> list[dict[str, Any]]:
    """The convergence rows: each scenario's headline A − B on the study's cluster and, if computed, on 12 sites (read from the 12-site box).

    Parameters
    ----------
    summary
        :func:`~.xfel_verdict.scan_summary`'s output (``headline_points``, ``convergence_tolerance``).
    box12
        :func:`~.xfel_size_box.run_size_box`'s output (None: not computed).
    n_sites
        Sites of the study's cluster.
    enabled
        Whether the 12-site points were asked for (``xfel.scan.twelve_sites``).

    Returns
    -------
    list of dict
        :func:`convergence_table`'s rows; ``points_12`` is the 12-site model record with the headline Γ's point.
    """
    values: dict[str, dict[int, float | None]] = {}
    extra: dict[str, Any] = {}
    for s, head in summary["headline_points"].items():
        values[s] = {n_sites: None if head is None else head["separation"]}
        if head is None or not box12 or n_sites == 12:
            continue
        model = next(m for m in box12["models"].values() if m["scenario"] == s and m["U"] == head["U"])
        point = model["points"][float(head["U_c"])]
        at_gamma = next(p for p in point["points"] if p["Gamma"] == head["Gamma"])
        values[s][12] = at_gamma["separation"]
        extra[s] = {**model["record"], **at_gamma, "seconds": model["record"]["seconds"] + point["seconds"]}
    return convergence_table(values, extra, tolerance=summary["convergence_tolerance"], enabled=enabled)


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
