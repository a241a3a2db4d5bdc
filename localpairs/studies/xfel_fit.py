"""XFEL study, step 1: the scenario fits (ED in the loop, :func:`scipy.optimize.least_squares`).

Model numbers at one parameter point (:meth:`Context.evaluate`), per electron, from the ground
energies E(N−2 … N+2) of :func:`~localpairs.solvers.charge_ladder` and the optical conductivity:

- ``E_a := Δ2/2`` with ``Δ2 = [E(N+2) + E(N−2) − 2E(N)]/2`` (the review's 2E_a is the
  two-particle transport gap);
- ``E_b := Δ1 − Δ2`` with ``Δ1 = E(N+1) + E(N−1) − 2E(N)`` (mean binding of an added electron
  pair and hole pair), so that ``E_b + 2E_a = Δ1``;
- ``E_G``: lowest σ(ω) pole carrying at least ``optical_gap_fraction`` of ∫σ dω, x-polarized
  (:func:`~localpairs.analysis.spectral_edges.optical_gap`).

Scenarios:

- **paired**: U < 0, V ≥ 0 and Δ free within bounds, fitted to ``paired_targets`` (default
  E_G, E_a and E_b: with only E_G and E_a three parameters are under-determined, and the review's
  own relation E_G = E_b + 2E_a supplies E_b, which fixes |U|);
- **unpaired** control: U = ``U_unpaired`` ≥ 0 and V fixed, Δ (a static breathing/CDW
  potential) fitted to E_G alone.

Residuals are in eV with equal weights. A fit that stops on its evaluation budget is reported as
not converged (with scipy's message); targets it cannot reach show up as residuals and as
"inconsistent" rows of the gap table, never as silently accepted numbers.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from localpairs.analysis.spectral_edges import conductivity_gap, scales_from_energies
from localpairs.errors import InputError
from localpairs.hamiltonians import Model
from localpairs.solvers import charge_ladder
from localpairs.solvers.spectra.conductivity import optical_conductivity
from localpairs.spec import HubbardSpec, RunSpec
from localpairs.studies.common import System, build_model
from localpairs.studies.xfel_spec import xfel_section

logger = logging.getLogger(__name__)

#: Parameter order of the paired fit.
PAIRED_PARAMETERS = ("U", "V", "breathing")
#: Photon-energy grid for σ(ω) (only the pole list is used; the grid must merely be valid), eV.
SIGMA_OMEGA = np.linspace(0.0, 6.0, 61)
#: Lorentzian half width for σ(ω), eV (does not enter the pole energies).
SIGMA_ETA = 0.1


class Context:
    """The system, spec and helpers shared by the steps of the XFEL study."""

    def __init__(self, spec: RunSpec, system: System) -> None:
        self.spec, self.system, self.cfg = spec, system, xfel_section(spec)
        self.n = system.sector.n_up + system.sector.n_down

    def model(self, U: float, V: float, breathing: float) -> Model:
        """The extended Hubbard model of the spec with U, V, Δ replaced (eV)."""
        return build_model(self.spec, self.system.cluster, self.system.doping, U=float(U), V=float(V),
                           breathing=float(breathing), eps=None)

    def evaluate(self, U: float, V: float, breathing: float) -> dict[str, float]:
        """E(N−2 … N+2), Δ1, Δ2, E_a, E_b and the optical gap E_G at (U, V, Δ), all eV.

        Raises
        ------
        InputError
            If a number is not finite or σ(ω) has no pole (the x current annihilates the state).
        """
        m = self.model(U, V, breathing)
        ladder = charge_ladder(m, self.n, spread=2)
        cond = optical_conductivity(m, self.system.sector, SIGMA_OMEGA, eta=SIGMA_ETA, polarization=(1.0, 0.0, 0.0))
        out = {"U": float(U), "V": float(V), "breathing": float(breathing),
               **model_numbers(ladder, self.n, cond, optical_gap_fraction=self.cfg.fit.optical_gap_fraction)}
        bad = [k for k, v in out.items() if not np.isfinite(v)]
        if bad:
            raise InputError("fit point", {k: out[k] for k in ("U", "V", "breathing")}, f"finite model numbers; {bad} are not")
        return out


def model_numbers(ladder: dict[int, float], n: int, conductivity: xr.Dataset, *, optical_gap_fraction: float) -> dict[str, float]:
    """E_G (:func:`~localpairs.analysis.spectral_edges.conductivity_gap` of the σ(ω) Dataset), E_a, E_b,
    E_b + 2E_a, Δ1 and Δ2 (eV) from the ground energies ``ladder`` {N: E(N)} around ``n`` electrons."""
    optical = conductivity_gap(conductivity, fraction=optical_gap_fraction)
    scales = scales_from_energies(ladder, n, optical=optical)  # scales.optical_gap is ``optical``
    return {"E_G": float(optical), "E_a": scales.E_a, "E_b": scales.E_b, "E_b_plus_2E_a": scales.E_b_plus_2E_a,
            "delta1": scales.single_particle_gap, "delta2": scales.two_particle_gap}


def _setup(ctx: Context, name: str, paired_V: float | None) -> tuple[list[float], list[float], list[float], list[str], dict[str, Any]]:
    """Start, bounds, fitted parameter names and fixed parameters of one scenario (``t`` may be a per-bond list)."""
    cfg = ctx.cfg
    model = ctx.spec.model
    if not isinstance(model, HubbardSpec):
        raise InputError("model.kind", model.kind, "'extended_hubbard' (the xfel fits vary its U, V and breathing)")
    if name == "paired":
        return ([cfg.fit.U_guess, cfg.fit.V_guess, cfg.fit.breathing_guess], [cfg.fit.U_min, 0.0, 0.0], [-1e-3, cfg.fit.V_max, cfg.fit.breathing_max],
                list(PAIRED_PARAMETERS), {"t": model.t})
    V = cfg.fit.V_unpaired if cfg.fit.V_unpaired is not None else paired_V
    if V is None:
        raise InputError("xfel.fit.V_unpaired", None, "a value, or a paired fit whose V the unpaired control takes")
    return [cfg.fit.breathing_guess_unpaired], [0.0], [cfg.fit.breathing_max], ["breathing"], {"t": model.t, "U": cfg.fit.U_unpaired, "V": float(V)}


def fit_scenario(ctx: Context, name: str, targets: dict[str, float], *, paired_V: float | None = None) -> dict[str, Any]:
    """Least-squares fit of one scenario.

    Parameters
    ----------
    ctx
        The study context.
    name
        ``"paired"`` or ``"unpaired"``.
    targets
        Measured values (eV) of the quantities to fit, e.g. ``{"E_G": 1.96, "E_a": 0.24, "E_b": 1.5}``.
    paired_V
        V of the paired fit, used by the unpaired control unless ``[xfel] V_unpaired`` is set.

    Returns
    -------
    dict
        Parameters U, V, breathing; ``fitted``, ``fixed``, ``bounds``; ``targets``, achieved model
        numbers and ``residuals``; ``converged``, ``message``, ``at_bound``; ``nfev``; all
        ``evaluations``.
    """
    cfg = ctx.cfg
    x0, lo, hi, fitted, fixed = _setup(ctx, name, paired_V)
    keys = list(targets)
    evals: list[dict[str, float]] = []
    memo: dict[tuple[float, ...], dict[str, float]] = {}

    def params(x: np.ndarray) -> dict[str, float]:
        p: dict[str, float] = {k: fixed[k] for k in ("U", "V") if k in fixed}
        p.update({k: float(v) for k, v in zip(fitted, x)})
        return p

    def point(x: np.ndarray) -> dict[str, float]:
        p = params(x)
        key = tuple(round(p[k], 10) for k in PAIRED_PARAMETERS)
        if key not in memo:
            memo[key] = ctx.evaluate(*key)
            evals.append(memo[key])
        return memo[key]

    def residual(x: np.ndarray) -> np.ndarray:
        r = point(x)
        logger.info(f"fit {name}: U = {r['U']:.4f}, V = {r['V']:.4f}, Δ = {r['breathing']:.4f} → "
                 + ", ".join(f"{k} = {r[k]:.4f}" for k in ("E_G", "E_a", "E_b")) + " eV")
        return np.array([r[k] - targets[k] for k in keys])

    sol = least_squares(residual, x0, bounds=(lo, hi), xtol=cfg.fit.xtol, ftol=1e-3, gtol=1e-6,
                        max_nfev=max(1, cfg.fit.max_nfev // (len(x0) + 1)), diff_step=0.03)
    best = point(sol.x)
    p = params(sol.x)
    span = np.asarray(hi) - np.asarray(lo)
    at_bound = [f"{k} = {'lower' if abs(v - low) <= 1e-3 * s else 'upper'} bound {low if abs(v - low) <= 1e-3 * s else high:g}"
                for k, v, low, high, s in zip(fitted, sol.x, lo, hi, span) if min(abs(v - low), abs(high - v)) <= 1e-3 * s]
    converged = bool(sol.status > 0)
    if not converged:
        logger.warning(f"fit {name} did not converge within {cfg.fit.max_nfev} ED evaluations ({sol.message}); "
                 "its parameters are the best point found, see the report")
    return {"U": p["U"], "V": p["V"], "breathing": p["breathing"], "fitted": fitted, "fixed": fixed,
            "bounds": {k: [low, high] for k, low, high in zip(fitted, lo, hi)}, "targets": dict(targets),
            "achieved": {k: best[k] for k in ("E_G", "E_a", "E_b", "E_b_plus_2E_a", "delta1", "delta2")},
            "residuals": {k: best[k] - targets[k] for k in keys}, "E_G": best["E_G"], "converged": converged,
            "message": str(sol.message), "at_bound": at_bound, "nfev": len(evals), "evaluations": evals}


def reachability(fit: dict[str, Any], measured: dict[str, float], tolerance: float) -> dict[str, Any]:
    """How close the evaluated points came to E_a while matching E_G within ``tolerance`` (numbers for one sentence).

    Computed from the fit's evaluations (no number is assumed): among the points with
    |E_G − measured E_G| ≤ tolerance (``n_within`` of ``n_evaluations``), the one with E_a closest
    to the measured E_a (``best``: its E_a, U, V, breathing; None if there is none); the largest
    E_G/E_a seen and the measured ratio.
    """
    ok = [e for e in fit["evaluations"] if abs(e["E_G"] - measured["E_G"]) <= tolerance]
    ratios = [e["E_G"] / e["E_a"] for e in fit["evaluations"] if e["E_a"] > 0]
    best = min(ok, key=lambda e: abs(e["E_a"] - measured["E_a"])) if ok else None
    return {"n_evaluations": len(fit["evaluations"]), "n_within": len(ok), "E_G": measured["E_G"], "E_a": measured["E_a"], "tolerance": tolerance,
            "best": None if best is None else {k: best[k] for k in ("E_a", "U", "V", "breathing")},
            "max_ratio": max(ratios) if ratios else None, "measured_ratio": measured["E_G"] / measured["E_a"]}
