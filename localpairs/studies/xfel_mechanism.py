"""XFEL study, review Sec. 7: T_c(x), percolation of the fermionic subsystem and pair tunnelling.

- **T_c(x)**: the review gives T_c only up to a constant (Eq. (8), T_c ∝ t_effB (n_B a³)^{2/3}) and a
  mass convention (Eq. (6), m ∝ 1/(t_effB a²)). Instead of one number the report shows T_c(x) under
  five conventions (:data:`~localpairs.analysis.bec.TC_CONVENTIONS`). The verdict tolerance is the
  review's own spread, |its estimate − the measured T_c| = |50 − 30| K, which the review calls a
  reasonable estimate (``xfel.tolerances.tc_K`` overrides it). The constant the review's 50 K
  implies (with the Eq. (6) mass) is reported too.
- **Percolation** with the review's criterion (Sec. 6): a connected cluster of small BiL²O₆
  octahedra (the fermionic subsystem), fraction (1+x)/2, nearest (corner-sharing) neighbours, for
  random and rock-salt-kept placements; threshold from ≥ 3 sizes extrapolated to L → ∞
  (:func:`~localpairs.analysis.percolation.extrapolated_threshold`), with the Monte Carlo error and
  the extrapolation-form error labelled separately.
- **Pair tunnelling**: the ED splittings Δ(N) of a pair crossing N fermionic sites; an exponential
  exp(−DN) is fitted only on the strictly falling tail (≥ 3 lengths), otherwise "no exponential
  regime" (:func:`~localpairs.analysis.tunnelling_fit.decay_regime`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from localpairs.analysis.bec import fermi_bose_tc, tc_conventions
from localpairs.analysis.experiment import Reference
from localpairs.analysis.percolation import NU_3D, extrapolated_threshold, wrapping_curve
from localpairs.analysis.tunnelling_fit import decay_regime
from localpairs.analysis.verdicts import Row
from localpairs.solvers.ed.pair_tunnelling import pair_tunnelling_splittings
from localpairs.studies.common import Checkpoints
from localpairs.studies.xfel_spec import XfelSpec

#: Doping of the measured T_c (Ba0.6K0.4BiO3).
X_MEASURED_TC = 0.4
#: Placements of the percolation rows.
PLACEMENTS = ("random", "rocksalt")


def tc_section(cfg: XfelSpec, ref: Reference) -> tuple[list[Row], dict[str, Any], dict[str, Any]]:
    """T_c(0.4) rows per convention, the T_c(x) table and the curves of the figure.

    Parameters
    ----------
    cfg
        The ``[xfel]`` section.
    ref
        The measured numbers.

    Returns
    -------
    tuple
        Rows, the T_c(x) table and the curves of the figure.
    """
    measured, estimate = ref["tc_measured_x04"].number, ref["tc_estimate_x04"].number
    spread = abs(estimate - measured)
    tol = cfg.tolerances.tc_K if cfg.tolerances.tc_K is not None else spread
    source = "xfel.tolerances.tc_K" if cfg.tolerances.tc_K is not None else f"the review's own spread |{estimate:g} − {measured:g}| K"
    xs = sorted({*cfg.tc.x, X_MEASURED_TC})
    table = tc_conventions(xs)
    i = xs.index(X_MEASURED_TC)
    rows = [Row(f"T_c(0.4): {r['formula']}, {r['mass']}", r["tc_K"][i], measured, tol, "K", "") for r in table]
    grid = np.linspace(0.37, 0.5, 14)
    curves = {f"{r['formula']}, {r['mass']}": r["tc_K"] for r in tc_conventions(grid.tolist())}
    values = [r["tc_K"][i] for r in table]
    summary = {"x": xs, "rows": table, "tolerance": tol, "tolerance_source": source, "spread": [min(values), max(values)],
               "C_review": estimate / fermi_bose_tc(X_MEASURED_TC, prefactor=1.0), "measured": measured, "estimate": estimate}
    return rows, summary, {"tc_x": grid.tolist(), "tc_curves": curves}


def _threshold_note(th: Any) -> str:
    """Errors of one extrapolated threshold, each labelled as what it is."""
    if th["x_c"] is None:
        return "the small octahedra never wrap on some size: no threshold"
    note = (f"± {th['x_stat_error']:.2g} (Monte Carlo, fit of q_½(L) = q_c + a L^−1/ν, ν = {NU_3D}, χ²/dof = {th['chi2']:.2g}/{th['dof']}); "
            f"± {th['x_extrapolation_error']:.2g} (extrapolation form: change when L = {th['sizes'][0]} is dropped)")
    if th["x_c"] < 0:
        note = f"connected at every x ≥ 0 (q = (1+x)/2 ≥ ½ > q_c = {th['q_c']:.4f}); " + note
    return note


def percolation_section(cfg: XfelSpec, cp: Checkpoints, ref: Reference) -> tuple[list[Row], dict[str, Any]]:
    """Threshold rows of the small-octahedra cluster (random, rock-salt kept) and the figure's curves (checkpointed).

    Parameters
    ----------
    cfg
        The ``[xfel]`` section.
    cp
        The study's checkpoints.
    ref
        The measured numbers.

    Returns
    -------
    tuple
        Rows and the thresholds with the figure's curves.
    """
    pc = cfg.percolation

    def compute() -> dict[str, Any]:
        out = {}
        grid = np.linspace(0.0, 1.0, 41)
        for placement in PLACEMENTS:
            th = extrapolated_threshold(tuple(pc.sizes), n_samples=pc.samples, placement=placement, species="small", seed=pc.seed)
            curves = {str(L): wrapping_curve(grid, L=L, n_samples=pc.samples, placement=placement, species="small", seed=pc.seed).tolist()
                      for L in pc.sizes}
            out[placement] = {**{k: getattr(th, k) for k in ("sizes", "q_half", "q_half_error", "q_c", "stat_error", "extrapolation_error",
                                                               "chi2", "dof", "x_c", "x_stat_error", "x_extrapolation_error")},
                              "grid": grid.tolist(), "curves": curves}
        return out

    data = cp.json("percolation_small", compute)
    x_exp = ref["x_percolation"].number
    rows = [Row(f"x_c (small octahedra connect, {p})", data[p]["x_c"], x_exp, cfg.tolerances.x, "", _threshold_note(data[p])) for p in PLACEMENTS]
    return rows, data


def tunnelling_section(cfg: XfelSpec, cp: Checkpoints) -> dict[str, Any]:
    """Splittings Δ(N) by ED (checkpointed) and the exponential fit on their falling tail, or the reason there is none.

    Parameters
    ----------
    cfg
        The ``[xfel]`` section.
    cp
        The study's checkpoints.

    Returns
    -------
    dict
        Splittings, the fit (or None) and the reason.
    """
    tn = cfg.tunnelling

    def compute() -> dict[str, list[float]]:
        splittings = pair_tunnelling_splittings(list(tn.sites), t_F=tn.t_F, g=tn.g, E_B=tn.E_B)
        return {k: np.asarray(v).tolist() for k, v in splittings.items()}

    tun = cp.json("tunnelling", compute)
    reg = decay_regime(np.asarray(tun["n"]), np.asarray(tun["splitting"]), ground_energy=float(tun["ground_energy"][-1]), t_f=tn.t_F)
    fit = reg.fit
    return {"n": tun["n"], "splitting_eV": tun["splitting"], "n_used": list(reg.n_used), "reason": reg.reason,
            "D": None if fit is None else fit.D, "D_error": None if fit is None else fit.D_error,
            "max_residual": None if fit is None else fit.max_residual, "continuum_edge": reg.continuum_edge,
            "below_continuum": reg.below_continuum, "reference_D": reg.reference_D, "pair_energy": float(tun["ground_energy"][-1])}
