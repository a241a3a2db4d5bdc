"""XFEL study, step 1: the scenario fits (ED in the loop, :func:`scipy.optimize.least_squares`).

Model numbers at one parameter point (:meth:`Context.evaluate`), per electron, from the ground
energies E(N−2 … N+2) of :func:`~localpairs.solvers.charge_ladder` and the optical conductivity:

- ``E_a := Δ2/2`` with ``Δ2 = [E(N+2) + E(N−2) − 2E(N)]/2`` (the review's 2E_a is the
  two-particle transport gap); defined from ground energies, hence for either sign of U;
- ``E_b := Δ1 − Δ2`` with ``Δ1 = E(N+1) + E(N−1) − 2E(N)`` (mean binding of an added electron
  pair and hole pair), so that ``E_b + 2E_a = Δ1``;
- ``E_G``: lowest σ(ω) pole carrying at least ``optical_gap_fraction`` of ∫σ dω, x-polarized
  (:func:`~localpairs.analysis.spectral_edges.optical_gap`, the one definition of the package).

Fair scenarios (why both fit U and Δ to E_G and E_a, with one fixed V)
----------------------------------------------------------------------
The two scenarios are fitted alike: the same two free parameters (U and the breathing Δ), the
same fixed t and V, the same targets (default the measured E_G = 1.96 eV and E_a = 0.24 eV); they
differ only in the sign of U (paired U < 0, unpaired U ≥ 0). Reasons:

- two observed numbers determine at most two parameters. Fitting U, V and Δ to E_G and E_a leaves
  a line of exact solutions, and the point reported would be set by the start, not the data;
- E_b = 1.5 eV is not a third observation: the review obtains it as E_G − 2E_a, i.e. it assumes
  E_G = Δ1 (no excitonic binding) on the paired picture's terms. Fitting it would give the paired
  scenario a target built for it, so it is a prediction (a row of the report), not a target;
- fixing U in the control (as before) gave it one parameter against three for the paired model:
  a worse fit of the control would then say nothing about pairing. With U fitted in both, a control
  that cannot reach the targets runs into its bound U = 0 and says what it would need beyond it.

Two equations in two unknowns may have more than one solution (on the U > 0 dimer two (U, Δ) give
the same E_G and E_a): the fit reports the one it reaches from the spec's start, and the report
gives the start.

A parameter at a bound is reported as such, with the value the unconstrained fit would need,
estimated by one Gauss–Newton step from the bound point (linearised; the residual it would leave
is given too). The targets are inputs of the study, never tests: their rows say "fitted (input)".

Residuals are in eV with equal weights. A fit that stops on its evaluation budget is reported as
not converged (with scipy's message); targets it cannot reach show up as residuals, never as
silently accepted numbers.
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
from localpairs.spec import HubbardSpec, RunSpec
from localpairs.studies.common import System, build_model
from localpairs.studies.xfel_fit_ed import FitMatrices
from localpairs.studies.xfel_spec import xfel_section

logger = logging.getLogger(__name__)

#: Parameters of a model point, in the order of :meth:`Context.evaluate`.
PAIRED_PARAMETERS = ("U", "V", "breathing")
#: The fitted parameters, the same in both scenarios.
FITTED = ("U", "breathing")
#: Photon-energy grid for σ(ω) (only the pole list is used; the grid must merely be valid), eV.
SIGMA_OMEGA = np.linspace(0.0, 6.0, 61)
#: Lorentzian half width for σ(ω), eV (does not enter the pole energies).
SIGMA_ETA = 0.1


class Context:
    """The system, spec and helpers shared by the steps of the XFEL study.

    Parameters
    ----------
    spec
        The run spec (with ``[xfel]``).
    system
        Its system (cluster, doping, sector).
    """

    def __init__(self, spec: RunSpec, system: System) -> None:
        self.spec, self.system, self.cfg = spec, system, xfel_section(spec)
        self.n = system.sector.n_up + system.sector.n_down
        self._matrices: FitMatrices | None = None

    @property
    def matrices(self) -> FitMatrices:
        """Bases and hopping matrices of every sector the fits use, built once (:mod:`.xfel_fit_ed`)."""
        if self._matrices is None:
            self._matrices = FitMatrices(self.model(self.spec.model.U, self.spec.model.V, 0.0))  # type: ignore[union-attr]
        return self._matrices

    def model(self, U: float, V: float, breathing: float) -> Model:
        """The extended Hubbard model of the spec with U, V, Δ replaced.

        Parameters
        ----------
        U, V, breathing
            On-site U, nearest-neighbour V and breathing Δ (eV).

        Returns
        -------
        Model
            The model on the study's cluster and doping.
        """
        return build_model(self.spec, self.system.cluster, self.system.doping, U=float(U), V=float(V),
                           breathing=float(breathing), eps=None)

    def evaluate(self, U: float, V: float, breathing: float) -> dict[str, float]:
        """E(N−2 … N+2), Δ1, Δ2, E_a, E_b and the optical gap E_G at (U, V, Δ), all eV.

        Parameters
        ----------
        U
            On-site U (eV).
        V
            Nearest-neighbour V (eV).
        breathing
            Breathing Δ (eV).

        Returns
        -------
        dict of float
            The parameters and the model numbers.

        Raises
        ------
        InputError
            If a number is not finite or σ(ω) has no pole (the x current annihilates the state).
        """
        m = self.model(U, V, breathing)
        ladder = self.matrices.ladder(m, self.n, spread=2)
        cond = self.matrices.conductivity(m, self.system.sector, SIGMA_OMEGA, eta=SIGMA_ETA, polarization=(1.0, 0.0, 0.0))
        out = {"U": float(U), "V": float(V), "breathing": float(breathing),
               **model_numbers(ladder, self.n, cond, optical_gap_fraction=self.cfg.fit.optical_gap_fraction)}
        bad = [k for k, v in out.items() if not np.isfinite(v)]
        if bad:
            raise InputError("fit point", {k: out[k] for k in ("U", "V", "breathing")}, f"finite model numbers; {bad} are not")
        return out


def model_numbers(ladder: dict[int, float], n: int, conductivity: xr.Dataset, *, optical_gap_fraction: float) -> dict[str, float]:
    """E_G (:func:`~localpairs.analysis.spectral_edges.conductivity_gap` of the σ(ω) Dataset), E_a, E_b,
    E_b + 2E_a, Δ1 and Δ2 (eV) from the ground energies ``ladder`` {N: E(N)} around ``n`` electrons.

    Parameters
    ----------
    ladder
        Ground energies {N: E(N)} (eV).
    n
        The electron number N.
    conductivity
        σ(ω) of :func:`~localpairs.solvers.spectra.conductivity.optical_conductivity`.
    optical_gap_fraction
        Smallest fraction of ∫σ dω of the optical-gap pole.

    Returns
    -------
    dict of float
        E_G, E_a, E_b, E_b_plus_2E_a, delta1, delta2 (eV).
    """
    optical = conductivity_gap(conductivity, fraction=optical_gap_fraction)
    scales = scales_from_energies(ladder, n, optical=optical)  # scales.optical_gap is ``optical``
    return {"E_G": float(optical), "E_a": scales.E_a, "E_b": scales.E_b, "E_b_plus_2E_a": scales.E_b_plus_2E_a,
            "delta1": scales.single_particle_gap, "delta2": scales.two_particle_gap}


def _setup(ctx: Context, name: str) -> tuple[list[float], list[float], list[float], dict[str, Any]]:
    """Start, lower and upper bounds of (U, Δ) and the fixed parameters (t, V) of one scenario."""
    cfg = ctx.cfg.fit
    model = ctx.spec.model
    if not isinstance(model, HubbardSpec):
        raise InputError("model.kind", model.kind, "'extended_hubbard' (the xfel fits vary its U and breathing)")
    fixed = {"t": model.t, "V": float(cfg.V if cfg.V is not None else model.V)}
    if name == "paired":
        return [cfg.U_guess, cfg.breathing_guess], [cfg.U_min, 0.0], [-1e-3, cfg.breathing_max], fixed
    if name == "unpaired":
        return [cfg.U_guess_unpaired, cfg.breathing_guess_unpaired], [0.0, 0.0], [cfg.U_max, cfg.breathing_max], fixed
    raise InputError("scenario", name, "'paired' or 'unpaired'")


def beyond_bounds(x: np.ndarray, jac: np.ndarray, residual: np.ndarray, lo: list[float], hi: list[float],
                  names: list[str]) -> list[dict[str, Any]]:
    """The parameters at a bound and what the fit would need beyond it (one Gauss–Newton step, linearised).

    A parameter counts as at its bound within 10⁻³ of its range. The unconstrained step
    δ = −J⁺r from the bound point is reported only when it points out of the allowed range;
    ``needs`` is the parameter value it points to and ``residual_norm`` the linearised ‖r + Jδ‖ (eV).

    Parameters
    ----------
    x
        Parameter values at the bound point.
    jac
        Jacobian of the residuals there (eV per parameter unit).
    residual
        Residuals (eV).
    lo
        Lower bounds.
    hi
        Upper bounds.
    names
        Parameter names.

    Returns
    -------
    list of dict
        Per parameter at a bound: ``parameter``, ``side``, ``bound``, ``needs`` and ``residual_norm``.
    """
    step = -np.linalg.pinv(jac) @ residual
    left = float(np.linalg.norm(residual + jac @ step))
    out = []
    for k, (v, low, high) in enumerate(zip(x, lo, hi)):
        span = high - low
        side = "lower" if abs(v - low) <= 1e-3 * span else ("upper" if abs(high - v) <= 1e-3 * span else None)
        if side is None:
            continue
        outward = step[k] < 0 if side == "lower" else step[k] > 0
        out.append({"parameter": names[k], "side": side, "bound": float(low if side == "lower" else high),
                    "needs": float(v + step[k]) if outward else None, "residual_norm": left if outward else None})
    return out


def _describe_bound(b: dict[str, Any]) -> str:
    text = f"{b['parameter']} = {b['side']} bound {b['bound']:g}"
    if b["needs"] is not None:
        text += f" (the fit would need {b['parameter']} ≈ {b['needs']:.3g}, leaving ‖residual‖ ≈ {b['residual_norm']:.2g} eV; linearised)"
    return text


def fit_scenario(ctx: Context, name: str, targets: dict[str, float], *, U: float | None = None) -> dict[str, Any]:
    """Least-squares fit of (U, Δ) of one scenario to ``targets`` (module docstring: the scenarios are alike).

    With ``U`` given, U is fixed there and Δ alone is fitted to the same targets (one free
    parameter: the nuisance scan's models of the unpaired hypothesis at each scanned U, which
    in general miss the targets; the residuals say by how much).

    Parameters
    ----------
    ctx
        The study context.
    name
        ``"paired"`` (U < 0) or ``"unpaired"`` (U ≥ 0).
    targets
        Measured values (eV) of the quantities to fit, e.g. ``{"E_G": 1.96, "E_a": 0.24}``.
    U
        If given (eV, within the scenario's U bounds), U is held fixed and only Δ is fitted.

    Returns
    -------
    dict
        Parameters U, V, breathing; ``fitted``, ``fixed``, ``bounds``; ``targets``, achieved model
        numbers and ``residuals``; ``converged``, ``message``; ``at_bound`` (sentences) and
        ``bounds_needed`` (numbers, :func:`beyond_bounds`); ``nfev``; all ``evaluations``.
    """
    cfg = ctx.cfg
    x0, lo, hi, fixed = _setup(ctx, name)
    names = list(FITTED)
    if U is not None:
        if not lo[0] <= U <= hi[0]:
            raise InputError(f"U of the {name} scenario", U, f"a value in [{lo[0]:g}, {hi[0]:g}] eV")
        fixed = {**fixed, "U": float(U)}
        x0, lo, hi, names = x0[1:], lo[1:], hi[1:], names[1:]
    keys = list(targets)
    evals: list[dict[str, float]] = []
    memo: dict[tuple[float, ...], dict[str, float]] = {}

    def point(x: np.ndarray) -> dict[str, float]:
        u, d = (fixed["U"], x[0]) if U is not None else (x[0], x[1])
        key = (round(float(u), 10), round(fixed["V"], 10), round(float(d), 10))
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
    bounds_needed = beyond_bounds(sol.x, np.atleast_2d(sol.jac), np.asarray(sol.fun), lo, hi, names)
    converged = bool(sol.status > 0)
    if not converged:
        logger.warning(f"fit {name} did not converge within {cfg.fit.max_nfev} ED evaluations ({sol.message}); "
                       "its parameters are the best point found, see the report")
    return {"U": best["U"], "V": best["V"], "breathing": best["breathing"], "fitted": names, "fixed": fixed,
            "bounds": {k: [low, high] for k, low, high in zip(names, lo, hi)}, "targets": dict(targets),
            "achieved": {k: best[k] for k in ("E_G", "E_a", "E_b", "E_b_plus_2E_a", "delta1", "delta2")},
            "residuals": {k: best[k] - targets[k] for k in keys}, "E_G": best["E_G"], "converged": converged,
            "message": str(sol.message), "at_bound": [_describe_bound(b) for b in bounds_needed], "bounds_needed": bounds_needed,
            "nfev": len(evals), "evaluations": evals}


def reachability(fit: dict[str, Any], measured: dict[str, float], tolerance: float) -> dict[str, Any]:
    """How close the evaluated points came to E_a while matching E_G within ``tolerance`` (numbers for one sentence).

    Computed from the fit's evaluations (no number is assumed): among the points with
    |E_G − measured E_G| ≤ tolerance (``n_within`` of ``n_evaluations``), the one with E_a closest
    to the measured E_a (``best``: its E_a, U, V, breathing; None if there is none); the largest
    E_G/E_a seen and the measured ratio.

    Parameters
    ----------
    fit
        A scenario's fit (U, V, breathing, E_G, photon_energy in eV).
    measured
        Measured E_G and E_a (eV).
    tolerance
        E_G tolerance (eV).

    Returns
    -------
    dict
        The numbers described above.
    """
    ok = [e for e in fit["evaluations"] if abs(e["E_G"] - measured["E_G"]) <= tolerance]
    ratios = [e["E_G"] / e["E_a"] for e in fit["evaluations"] if e["E_a"] > 0]
    best = min(ok, key=lambda e: abs(e["E_a"] - measured["E_a"])) if ok else None
    return {"n_evaluations": len(fit["evaluations"]), "n_within": len(ok), "E_G": measured["E_G"], "E_a": measured["E_a"], "tolerance": tolerance,
            "best": None if best is None else {k: best[k] for k in ("E_a", "U", "V", "breathing")},
            "max_ratio": max(ratios) if ratios else None, "measured_ratio": measured["E_G"] / measured["E_a"]}
