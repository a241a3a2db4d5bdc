"""XFEL study, nuisance scan: the pumped-state axis in numbers for the report.

The box scans the pumped state (``[xfel.scan] pumped_states``): the linear-response excited part χ⁽¹⁾ and the excited
part of the full evolution through the pulse at the same calibrated fluence (:func:`~.xfel_scan_points.evolve_model`).
:func:`pumped_state_summary` gathers, per scenario model, why both are plausible (the linear-response check: two-photon
ratio, α of both states, overlap |⟨χ̂⁽¹⁾|χ̂_ev⟩|, absorbed energy per photon), the swing of A − B along the axis and the
headline A − B at each state, and what the relaxed lattice drops of the evolved state (:data:`~.xfel_points.EVOLVED_CAPTURED_TOL`)
with its effect on A − B.
"""

from __future__ import annotations

from typing import Any

from localpairs.analysis.discrimination import SCENARIOS, swings
from localpairs.studies.xfel_points import EVOLVED_CAPTURED_TOL
from localpairs.studies.xfel_spec import XfelSpec
from localpairs.studies.xfel_verdict import headline_point, scan_points


def _cut_effect(rows: list[dict[str, Any]], model: str) -> dict[str, Any]:
    """The relaxed evolved points of ``model``: weight kept and the largest |A − B (cut to the kept levels) − A − B| on the unrelaxed lattice (eV)."""
    sep = lambda r: None if r["A"] is None or r["B"] is None else r["A"]["energy"] - r["B"]["energy"]  # noqa: E731
    full = {(r["U_c"], r["Gamma"]): sep(r) for r in rows if r["model"] == model and r.get("pumped_state") == "evolved" and r["lattice"] == "unrelaxed"}
    cut = [r for r in rows if r["model"] == model and r.get("pumped_state") == "evolved" and r["lattice"] == "relaxed"]
    changes = [abs(r["kept_separation"] - full[(r["U_c"], r["Gamma"])]) for r in cut
               if r.get("kept_separation") is not None and full.get((r["U_c"], r["Gamma"])) is not None]
    return {"kept_weight": cut[0].get("kept_weight") if cut else None, "cut_change_max": max(changes) if changes else None,
            "cut_compared": len(changes), "cut_points": len(cut)}


def pumped_state_summary(raw: dict[str, Any], summary: dict[str, Any], cfg: XfelSpec) -> dict[str, Any]:
    """The pumped-state axis: each model's linear-response check, the swing of A − B along the axis, the headline A − B per state.

    Parameters
    ----------
    raw
        The scan's raw output (:func:`~.xfel_scan.run_scan`; ``models[...]["evolved"]`` the check of the evolved state, None
        without it).
    summary
        :func:`~.xfel_verdict.scan_summary`'s output (``study_U``: U of the study's own unpaired fit, for the headline point).
    cfg
        The ``[xfel]`` section.

    Returns
    -------
    dict
        ``values`` (the axis), ``rows`` (per model: two-photon ratio, α of both states, overlap |⟨χ̂⁽¹⁾|χ̂_ev⟩|, absorbed energy per
        photon, seconds, and for the relaxed lattice the weight of χ̂_ev its relaxation keeps and the largest change of the
        unrelaxed A − B when χ̂_ev is cut to the kept levels, ``_cut_effect``), ``swing`` (per scenario: the largest change of
        A − B when only the pumped state changes, eV; None without both states at a setting), ``headline`` (per state and
        scenario: the headline point's A − B, eV, None without features) and ``captured_tol``.
    """
    points = scan_points(raw)
    rows = [{"model": mid, "scenario": m["scenario"], "U": m["U"], **m["evolved"], **_cut_effect(raw["points"], mid)}
            for mid, m in raw["models"].items() if m.get("evolved")]
    swing = {s: swings([p for p in points if p.scenario == s]).get("pumped_state") for s in SCENARIOS}
    heads = {st: {s: headline_point(points, cfg, s, study_U=summary.get("study_U"), pumped_state=st) for s in SCENARIOS} for st in cfg.scan.pumped_states}
    return {"values": list(cfg.scan.pumped_states), "rows": rows, "swing": swing, "captured_tol": EVOLVED_CAPTURED_TOL,
            "headline": {st: {s: None if p is None else p.separation for s, p in h.items()} for st, h in heads.items()}}




def pumped_state_sentence(ps: dict[str, Any]) -> str:
    """The pumped-state axis in one sentence for the headline: the headline A − B at each state and the swing along the axis.

    Parameters
    ----------
    ps
        :func:`pumped_state_summary`'s output.

    Returns
    -------
    str
        The sentence ("" when the box has one pumped state).
    """
    if len(ps["values"]) < 2:
        return ""
    num = lambda v: "no pair of features" if v is None else f"{v:+.2f} eV"  # noqa: E731
    heads = "; ".join(f"{s} " + " → ".join(num(ps["headline"][st][s]) for st in ps["values"]) for s in SCENARIOS)
    swing = ", ".join(f"{s} {num(v) if v is None else f'{v:.2f} eV'}" for s, v in ps["swing"].items())
    return (f" Pumped state ({' vs '.join(v.replace('_', ' ') for v in ps['values'])}, a nuisance axis of the box): at the headline point "
            f"A − B is {heads}; the largest swing along the axis is {swing}.")
