"""Pump study: fluence calibration to a target α and the first-order (linear-response) comparison.

Both use :func:`~localpairs.solvers.dynamics.linear_response.linear_response`: the excited part
after the pulse to first order in the field, χ⁽¹⁾, one matrix function of H₀ applied to ∂H/∂A ψ₀
(no time stepping), α⁽¹⁾ = ‖χ⁽¹⁾‖² exactly ∝ fluence.

- Calibration (``pump.alpha_target``): α⁽¹⁾ of the nominal pulse fixes the fluence
  F = F_nominal × alpha_target/α⁽¹⁾ (:func:`localpairs.analysis.fluence_calibration.calibrated_fluence`,
  shared with the XFEL study's calibration).
- Comparison: α⁽¹⁾ of the pulse actually used, at the end of the pulse, against the evolved
  α = 1 − |⟨ψ0|ψ(t)⟩|² after the pulse; their ratio is the number that says whether first order
  holds (the regime verdict is in :mod:`.pump_summary`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from localpairs.analysis.fluence_calibration import calibrated_fluence
from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians.pulse import DEFAULT_CENTER_SIGMAS, Pulse
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.linear_response import linear_response

logger = logging.getLogger(__name__)

#: Most Lanczos steps of the linear response (its vectors are kept); lowered to what fits into a
#: quarter of the memory budget. 1,500 resolve a 30 fs pulse (window ħ/σ ≈ 0.04 eV) over a
#: ~10 eV Ritz range (π W σ/(2ħ) ≈ 430 steps before the first convergence check).
LR_MAX_STEPS = 1500


def _steps(dim: int, budget_gb: float | None) -> int:
    budget = 4.0 if budget_gb is None else float(budget_gb)
    return int(max(50, min(LR_MAX_STEPS, dim, 0.25 * budget * 1e9 / (16.0 * dim))))


def first_order(prep: DrivenOperator, psi0: np.ndarray, e0: float, pulse: Pulse, *, t_start: float, budget_gb: float | None) -> dict[str, Any]:
    """Compute α⁽¹⁾, the first-order absorbed energy and the validity numbers of a pulse.

    Evaluated at the end of the pulse, ``t = centre + DEFAULT_CENTER_SIGMAS σ`` (where the envelope
    is 1e-6 of its peak).

    Parameters
    ----------
    prep : DrivenOperator
        The driven Hamiltonian H₀ and ∂H/∂A of the pump.
    psi0 : numpy.ndarray
        The initial eigenstate.
    e0 : float
        Its energy in eV.
    pulse : Pulse
        The pump pulse (fluence in mJ/cm²).
    t_start : float
        Start of the evolution in fs.
    budget_gb : float or None
        Memory budget in GB for the Lanczos vectors (None: the default budget).

    Returns
    -------
    dict
        The first-order numbers, or ``{"available": 0, "reason": ...}`` when they cannot be
        computed (no one-photon coupling, a pulse already on at ``t_start``).
    """
    t = pulse.center + DEFAULT_CENTER_SIGMAS * pulse.sigma
    try:
        lr = linear_response(prep, np.asarray(psi0, dtype=np.complex128), e0, t=t, pulse=pulse, t_start=t_start,
                             lanczos_steps=_steps(prep.dim, budget_gb))
    except (InputError, LocalPairsError) as err:
        logger.warning("linear response not computed: %s", err)
        return {"available": 0, "reason": str(err)}
    logger.info("linear response: α⁽¹⁾ = %.4g, absorbed %.4g eV, %d Lanczos steps (converged: %s)", lr.alpha, lr.absorbed_energy,
                lr.lanczos_steps, lr.converged)
    return {"available": 1, "t_fs": float(t), "alpha": lr.alpha, "absorbed_energy_eV": lr.absorbed_energy,
            "mean_excitation_energy_eV": lr.mean_excitation_energy, "two_photon_ratio": lr.two_photon_ratio,
            "lanczos_steps": lr.lanczos_steps, "lanczos_converged": int(lr.converged), "lanczos_change": float(lr.change),
            "fluence_mJ_per_cm2": float(pulse.fluence)}


def calibration(prep: DrivenOperator, psi0: np.ndarray, e0: float, nominal: Pulse, alpha_target: float, *, t_start: float,
                budget_gb: float | None) -> dict[str, Any]:
    """Find the fluence scale that brings α⁽¹⁾ of the ``nominal`` pulse to ``alpha_target`` (module docstring).

    Parameters
    ----------
    prep : DrivenOperator
        The driven Hamiltonian H₀ and ∂H/∂A of the pump.
    psi0 : numpy.ndarray
        The initial eigenstate.
    e0 : float
        Its energy in eV.
    nominal : Pulse
        The pulse of the spec (fluence in mJ/cm²).
    alpha_target : float
        The excited fraction wanted at first order.
    t_start : float
        Start of the evolution in fs.
    budget_gb : float or None
        Memory budget in GB for the Lanczos vectors (None: the default budget).

    Returns
    -------
    dict
        The calibrated fluence in mJ/cm² with α⁽¹⁾ of the nominal pulse.

    Raises
    ------
    InputError
        Naming ``pump.alpha_target``: the nominal pulse does not excite the cluster at first order.
    """
    lr = first_order(prep, psi0, e0, nominal, t_start=t_start, budget_gb=budget_gb)
    if not lr["available"]:
        raise InputError("pump.alpha_target", alpha_target, f"a pulse whose linear response can be computed ({lr['reason']})")
    fluence = calibrated_fluence(float(nominal.fluence), lr["alpha"], alpha_target, field="pump.fluence")
    scale = fluence / float(nominal.fluence)
    logger.info("fluence calibrated to α = %g: %.4g mJ/cm² (nominal %.4g mJ/cm² gives α⁽¹⁾ = %.4g)", alpha_target, fluence,
                nominal.fluence, lr["alpha"])
    return {"alpha_target": float(alpha_target), "nominal_fluence_mJ_per_cm2": float(nominal.fluence), "nominal_alpha_first_order": lr["alpha"],
            "fluence_mJ_per_cm2": fluence, "scale": scale, "lanczos_converged": lr["lanczos_converged"]}
