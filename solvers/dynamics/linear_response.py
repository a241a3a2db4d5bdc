r"""The pumped state to first order in the pulse: one matrix function of ``H₀`` on one vector.

First order
-----------
With ``H(A) = H₀ + A ∂H/∂A + O(A²)`` (``∂H/∂A = −j`` at ``A = 0``, the current along the
polarization of :mod:`~localpairs.hamiltonians.driven_model`), a state that is the eigenstate
``ψ₀`` (energy ``E₀``) of ``H₀`` at ``t_start`` before the pulse is, at a time ``t`` after it,

.. math::

    ψ(t) = e^{-iE_0 (t - t_s)/ħ}\,ψ_0 + χ^{(1)}(t) + O(A^2),\qquad
    χ^{(1)}(t) = -\frac{i}{ħ}\, e^{-iE_0 (t - t_s)/ħ}\, e^{-i(H_0 - E_0)t/ħ}\,
                 \tilde A(H_0 - E_0)\,\frac{\partial H}{\partial A}\,ψ_0

(Schrödinger picture; the interaction-picture state is ``e^{iH₀(t − t_s)/ħ}χ``), with
``Ã(ε) = ∫A(t')e^{iεt'/ħ}dt'`` the transform of the pulse (closed form, units and the condition that
the pulse is over at ``t`` and not yet begun at ``t_s``: :mod:`~localpairs.solvers.dynamics.pulse_spectrum`).

The excited weight is ``α = ‖χ⁽¹⁾‖²`` and the absorbed energy ``⟨χ⁽¹⁾|H₀ − E₀|χ⁽¹⁾⟩`` (exact
to O(A²): the cross term ``⟨ψ₀|H₀ − E₀|χ⁽²⁾⟩`` vanishes). On the Lanczos poles ``E_n`` of
``∂H/∂A ψ₀`` (weights ``w_n = |⟨n|∂H/∂A|0⟩|²``) the weight sits at ``ε_n = E_n − E₀`` with
``α_n = w_n |Ã(ε_n)|²/ħ²`` (:attr:`LinearResponseState.alpha_spectrum`).

Second order
------------
Only the depletion of the ground state is given: unitarity fixes ``Re c₀⁽²⁾ = −α/2``, so ``|⟨ψ₀|ψ(t)⟩| = 1 − α/2 + O(A⁴)``. Neither the
phase of ``c₀`` at second order (the AC-Stark and diamagnetic shifts) nor the two-photon part ``χ⁽²⁾`` of the excited state is computed: it
depends on the intermediate and the final energy (not one function of ``H₀``).

Lanczos
-------
``χ⁽¹⁾ = ‖φ‖ V_m g(T_m) e₁`` with ``φ = ∂H/∂A ψ₀`` and ``g(E) = −(i/ħ) e^{−iE₀(t − t_s)/ħ} e^{−iεt/ħ} Ã(ε)``, ``ε = E − E₀`` (evaluated as
``e^{−iε(t − t₀)/ħ}`` times the real transform of the pulse centred at 0), by
:func:`~localpairs.solvers.dynamics.krylov_function.lanczos_function` (vectors kept, no reorthogonalization; in real arithmetic when ``H₀``
is real and ``φ`` a phase times a real vector, as for a real ground state: half the memory and faster products). ``g`` is a window of width
``ħ/σ`` around ``ħω``: it is resolved once Ritz values are that dense there, i.e. after ``m ≳ π W σ/(2ħ)`` steps (``W`` the Ritz range;
nodes of Gauss quadrature are spaced ``≈ πW/(2m)`` mid-spectrum). From then on the coefficients are compared every
:data:`~localpairs.solvers.dynamics.krylov_function.CHECK_EVERY` steps and the recursion stops when they change by less than ``tol``
relative (or :data:`~localpairs.solvers.dynamics.krylov_function.ROUNDOFF` times ``sup|g|``, for a result that vanishes far off resonance),
or when the Krylov space is exhausted.

Steps and memory: by default the recursion runs until that criterion holds, capped at :data:`CAP_WINDOWS` × ``πWσ/(2ħ)`` (``W`` the
Gershgorin range of ``H₀``; ≥ :data:`MIN_CAP`; reached unconverged it raises). 12 sites (853,776 states, 30 fs at 1.6 eV) need 710 steps.
The ``(m + 1) × dim`` vectors (4.8 GB there) are kept when the cap's fit :data:`KEEP_VECTORS_BYTES`, else the recursion runs twice holding
three (twice the products).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from localpairs.errors import InputError, LocalPairsError, require
from localpairs.hamiltonians.driven_model import DrivenModel, Pulse, drive
from localpairs.hamiltonians.model import Model
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.krylov import vector_norm
from localpairs.solvers.dynamics.krylov_function import KrylovFunction, lanczos_function
from localpairs.solvers.dynamics.pulse_spectrum import centered_pulse_transform, check_pulse_times, pulse_transform, window_steps
from localpairs.units import HBAR_EV_FS

logger = logging.getLogger(__name__)

#: Largest excited weight α called linear (see the module docstring and the tests).
ALPHA_LINEAR_MAX = 0.1
#: ``‖χ⁽²⁾‖/(w ωσ)`` measured on the 2×2×2 cube (``w`` = :attr:`LinearResponseState.virtual_weight`):
#: 2.3 and 2.8 for resonant pulses (ħω = 2.0 eV at the 2.009 eV line; 5 and 10 fs), 1.0 and 0.9
#: below resonance (ħω = 1.0 eV; 5 and 10 fs). The estimate of the two-photon part uses 4 (margin 1.4).
TWO_PHOTON_CONSTANT = 4.0
#: Largest estimated ‖χ⁽²⁾‖/‖χ⁽¹⁾‖ called linear.
TWO_PHOTON_RATIO_MAX = 0.1
#: Largest ‖(H₀ − E₀)ψ₀‖ accepted for an eigenstate, relative to max(1, |E₀|) (eV).
EIGEN_RESIDUAL_MAX = 1e-6
#: Default cap in windows πWσ/(2ħ) (12 sites: 1.03 of them), least cap, most bytes of kept vectors (else two passes).
CAP_WINDOWS, MIN_CAP = 3.0, 200
KEEP_VECTORS_BYTES = 1_000_000_000


@dataclass(frozen=True, eq=False)
class LinearResponseState:
    """First-order excited part of a pumped eigenstate after the pulse (module docstring).

    Parameters
    ----------
    chi : numpy.ndarray
        ``χ⁽¹⁾(t)`` in the Schrödinger picture: ``ψ(t) ≈ e^{−iE₀(t − t_s)/ħ}ψ₀ + chi``.
    t : float
        Time of ``chi`` (fs).
    t_start : float
        Time at which the state was ``ψ₀`` (fs).
    e0 : float
        ``E₀`` in eV.
    alpha : float
        ``‖χ⁽¹⁾‖²``.
    absorbed_energy : float
        ``⟨χ⁽¹⁾|H₀ − E₀|χ⁽¹⁾⟩`` in eV.
    excitation_energies : numpy.ndarray
        Ritz values minus ``E₀`` (eV) of the Krylov space of ``∂H/∂A ψ₀``.
    transition_weights : numpy.ndarray
        ``|⟨n|∂H/∂A|0⟩|²`` at each of them, in (e·Å/fs)².
    pulse_spectrum : numpy.ndarray
        ``Ã(ε_n)`` at each of them (V·fs²/Å).
    pulse : Pulse
        The pulse.
    order : int
        1, or 2 when the ground-state depletion is wanted (:attr:`ground_amplitude`).
    lanczos_steps : int
        Lanczos steps used.
    matvecs : int
        Matrix–vector products in total.
    converged : bool
        Whether the coefficients settled below the tolerance (or the Krylov space was exhausted).
    change : float
        The coefficients' last relative change.
    seconds : float
        Wall time (s).
    chi_centred : numpy.ndarray or None
        ``e^{i(H₀ − E₀)(t − t₀)/ħ} χ⁽¹⁾(t)``: χ⁽¹⁾ evolved back with ``H₀ − E₀`` to the pulse centre ``t₀`` (same weights on the eigenstates
        of ``H₀``; a phase times a real vector when ``real_arithmetic``). None unless asked for (``keep_centred=True``).
    real_arithmetic : bool
        Whether the Lanczos recursion ran in float64 (module docstring).
    """

    chi: np.ndarray
    t: float
    t_start: float
    e0: float
    alpha: float
    absorbed_energy: float
    excitation_energies: np.ndarray
    transition_weights: np.ndarray
    pulse_spectrum: np.ndarray
    pulse: Pulse
    order: int
    lanczos_steps: int
    matvecs: int
    converged: bool
    change: float
    seconds: float
    chi_centred: np.ndarray | None = None
    real_arithmetic: bool = False

    @property
    def alpha_spectrum(self) -> np.ndarray:
        """``α_n = w_n |Ã(ε_n)|²/ħ²`` on :attr:`excitation_energies` (sums to α)."""
        return self.transition_weights * np.abs(self.pulse_spectrum) ** 2 / HBAR_EV_FS**2

    @property
    def mean_excitation_energy(self) -> float:
        """``absorbed_energy/α`` in eV (0 when nothing is excited)."""
        return self.absorbed_energy / self.alpha if self.alpha > 0 else 0.0

    @property
    def ground_amplitude(self) -> float:
        """``|⟨ψ₀|ψ(t)⟩|``: 1 at first order, ``1 − α/2`` at second (unitarity; phase not computed)."""
        return 1.0 - 0.5 * self.alpha if self.order == 2 else 1.0

    @property
    def virtual_weight(self) -> float:
        """``A₀² Σ_n w_n/max(ε_n, ħ/σ)²``: the peak virtual (adiabatic) excited weight during the pulse.

        The expansion parameter of the higher orders; ``ħ/σ`` caps the adiabatic estimate for
        poles the envelope does not follow adiabatically.
        """
        floor = HBAR_EV_FS / self.pulse.sigma
        return float(self.pulse.amplitude**2 * np.sum(self.transition_weights / np.maximum(np.abs(self.excitation_energies), floor) ** 2))

    @property
    def two_photon_estimate(self) -> float:
        """Estimate of ``‖χ⁽²⁾‖``: ``K w ωσ`` (``K`` = :data:`TWO_PHOTON_CONSTANT`; the second order is
        the virtual amplitude squared, accumulated over the ``ωσ`` radians of the pulse)."""
        return TWO_PHOTON_CONSTANT * self.virtual_weight * self.pulse.omega * self.pulse.sigma

    @property
    def two_photon_ratio(self) -> float:
        """Estimate of ``‖χ⁽²⁾‖/‖χ⁽¹⁾‖`` (:attr:`two_photon_estimate` over ``√α``)."""
        return self.two_photon_estimate / math.sqrt(self.alpha) if self.alpha > 0 else math.inf

    @property
    def linear_regime(self) -> bool:
        """``α ≤`` :data:`ALPHA_LINEAR_MAX` and two-photon ratio ``≤`` :data:`TWO_PHOTON_RATIO_MAX`;
        otherwise the full evolution is needed."""
        return self.alpha <= ALPHA_LINEAR_MAX and self.two_photon_ratio <= TWO_PHOTON_RATIO_MAX

    def state(self, psi0: np.ndarray) -> np.ndarray:
        """``ψ(t) ≈ c₀ e^{−iE₀(t − t_s)/ħ} ψ₀ + χ⁽¹⁾`` with ``c₀ =`` :attr:`ground_amplitude`.

        Parameters
        ----------
        psi0 : numpy.ndarray
            The eigenstate ``ψ₀`` the response was computed for (length dim).

        Returns
        -------
        numpy.ndarray
            ``ψ(t)`` at :attr:`t` (complex, length dim).
        """
        phase = np.exp(-1j * self.e0 * (self.t - self.t_start) / HBAR_EV_FS)
        return self.ground_amplitude * phase * np.asarray(psi0, dtype=np.complex128) + self.chi

    def validity(self) -> dict:
        """Give α, the two-photon estimate, their thresholds and the verdict, for the record.

        Returns
        -------
        dict
            ``alpha``, ``alpha_linear_max``, ``virtual_weight``, ``two_photon_estimate``, ``two_photon_ratio``,
            ``two_photon_ratio_max``, ``linear_regime``, ``order``, ``lanczos_converged`` and ``lanczos_change``.
        """
        return {"alpha": self.alpha, "alpha_linear_max": ALPHA_LINEAR_MAX, "virtual_weight": self.virtual_weight,
                "two_photon_estimate": self.two_photon_estimate, "two_photon_ratio": self.two_photon_ratio,
                "two_photon_ratio_max": TWO_PHOTON_RATIO_MAX, "linear_regime": self.linear_regime,
                "order": self.order, "lanczos_converged": self.converged, "lanczos_change": self.change}


def _default_cap(matrix: Any, pulse: Pulse) -> int:
    """:data:`CAP_WINDOWS` windows of the Gershgorin range of ``H₀`` (≥ the Ritz range), ≥ :data:`MIN_CAP` (may exceed dim: no reorthogonalization)."""
    diag = matrix.diagonal().real
    radius = np.asarray(abs(matrix).sum(axis=1)).ravel() - np.abs(diag)
    width = float((diag + radius).max() - (diag - radius).min())
    return int(max(MIN_CAP, math.ceil(CAP_WINDOWS * window_steps(width, pulse))))


def _checked_pulse(driven: DrivenModel, pulse: Pulse | None, order: Any, lanczos_steps: Any) -> Pulse:
    """The pulse of :func:`linear_response` (``driven``'s by default) after checking it and the options."""
    pulse = driven.pulse if pulse is None else pulse
    if pulse is None:
        raise InputError("pulse", None, "a Pulse (the driven model has none)")
    require(bool(np.allclose(pulse.polarization, driven.polarization)), "pulse.polarization", list(pulse.polarization),
            f"the operator's polarization {list(driven.polarization)} (∂H/∂A is built along it)")
    require(driven.quench is None, "driven.quench", driven.quench, "None: linear response is about a pulse on a fixed H₀")
    require(order in (1, 2), "order", order, "1 (χ⁽¹⁾) or 2 (χ⁽¹⁾ and the ground-state depletion)")
    require(lanczos_steps is None or (isinstance(lanczos_steps, (int, np.integer)) and lanczos_steps >= 1), "lanczos_steps", lanczos_steps,
            "None (until converged) or an integer ≥ 1")
    return pulse


def _krylov(op: DrivenOperator, phi: np.ndarray, functions: tuple, pulse: Pulse, *, g_max: float, tol: float,
            lanczos_steps: int | None) -> tuple[KrylovFunction, bool]:
    """``functions`` of ``H₀`` on ``phi`` to convergence (the cap and passes of the module docstring); the result and whether one pass."""
    cap = _default_cap(op.matrix, pulse) if lanczos_steps is None else int(lanczos_steps)
    keep = (cap + 1) * op.dim * 16 <= KEEP_VECTORS_BYTES  # complex size: the real path needs half
    res = lanczos_function(op.matrix, phi, functions[0], steps=cap, tol=tol, g_max=g_max, also=functions[1:],
                           resolved=lambda theta: len(theta) >= window_steps(theta[-1] - theta[0], pulse), keep_vectors=keep)
    if not res.converged and lanczos_steps is None:
        raise LocalPairsError(f"linear response: the Lanczos coefficients still change by {res.change:.3g} (> tol = {tol:g}) after the default cap "
                              f"of {cap} steps ({CAP_WINDOWS:g} × the π W σ/2ħ steps that resolve the pulse's window); pass lanczos_steps "
                              "to accept an unconverged result, or a larger tol")
    if not res.converged:
        logger.warning("linear response: Lanczos coefficients still change by %.3g (> %.3g) after %d steps", res.change, tol, res.steps)
    return res, keep


def _perturbation_vector(op: DrivenOperator, psi0: np.ndarray, e0: float, segment: int) -> np.ndarray:
    """``∂H/∂A ψ₀ = −j ψ₀`` (after checking that ψ₀ is an eigenstate of ``H₀`` with energy e0);
    leaves ``H₀`` assembled in ``op``."""
    driven = op.driven
    out = np.empty_like(psi0)
    op.assemble(driven.coefficients_at(0.0, segment))
    residual = float(vector_norm(op.matvec(psi0, out) - e0 * psi0))
    require(residual <= EIGEN_RESIDUAL_MAX * max(1.0, abs(e0)), "psi0", f"‖(H₀ − E₀)ψ₀‖ = {residual:.3g} eV",
            f"an eigenstate of H₀ with energy e0 = {e0:.10g} eV (residual ≤ {EIGEN_RESIDUAL_MAX:g}·max(1, |E₀|))")
    op.assemble(driven.current_coefficients_at(0.0, segment))
    phi = -op.matvec(psi0, out)
    op.assemble(driven.coefficients_at(0.0, segment))
    return phi


def linear_response(
    op: DrivenOperator,
    psi0: np.ndarray,
    e0: float,
    *,
    t: float,
    pulse: Pulse | None = None,
    t_start: float = 0.0,
    lanczos_steps: int | None = None,
    tol: float = 1e-10,
    order: int = 1,
    keep_centred: bool = False,
) -> LinearResponseState:
    """``χ⁽¹⁾(t)`` of the eigenstate ``psi0`` of ``H₀ = H(A = 0)`` under ``pulse`` (module docstring).

    Parameters
    ----------
    op
        Matrices of the driven model (its pulse's polarization defines ``∂H/∂A``).
    psi0, e0
        Normalized eigenstate of ``H₀`` and its energy (eV).
    t, t_start
        Time after the pulse, and the time before it at which the state is ``psi0`` (fs).
    pulse
        The pulse (default ``op.driven.pulse``); only its amplitude, duration, centre and photon
        energy may differ from the operator's: ``∂H/∂A`` is along the operator's polarization.
    lanczos_steps, tol
        Most Lanczos steps (None, the default: until converged, capped as the module docstring says;
        an explicit cap only warns when reached unconverged); relative change at which to stop.
    order
        1, or 2 for the ground-state depletion ``1 − α/2`` as well.
    keep_centred
        Also return :attr:`LinearResponseState.chi_centred` (one more vector).

    Returns
    -------
    LinearResponseState
        χ⁽¹⁾(t), α, the absorbed energy, the Krylov poles and the recursion's record.

    Raises
    ------
    InputError, LocalPairsError
        Invalid pulse, order, cap, times or ψ₀; ``∂H/∂A ψ₀ = 0`` or the default cap reached unconverged.
    """
    start = time.perf_counter()
    driven = op.driven
    pulse = _checked_pulse(driven, pulse, order, lanczos_steps)
    check_pulse_times(pulse, float(t), float(t_start))
    psi0 = np.ascontiguousarray(psi0, dtype=np.complex128)
    require(psi0.shape == (op.dim,) and abs(float(vector_norm(psi0)) - 1.0) < 1e-8, "psi0", f"shape {psi0.shape}",
            f"a normalized vector of length {op.dim}")
    phi = _perturbation_vector(op, psi0, float(e0), driven.segment(t_start))
    if float(vector_norm(phi)) == 0.0:
        raise LocalPairsError("∂H/∂A annihilates psi0: no one-photon coupling along this polarization "
                              "(e.g. every axis along it is periodic with length 2)")
    ground_phase = np.exp(-1j * e0 * (t - t_start) / HBAR_EV_FS)

    def amplitude(energies: np.ndarray) -> np.ndarray:
        eps = energies - e0  # e^{−iεt/ħ}Ã(ε) = e^{−iε(t − t₀)/ħ} × (real centred transform)
        return (-1j / HBAR_EV_FS) * ground_phase * np.exp(-1j * eps * (t - pulse.center) / HBAR_EV_FS) * centered_pulse_transform(pulse, eps)

    g_max = 2.0 * abs(pulse.amplitude) * pulse.sigma * math.sqrt(0.5 * math.pi) / HBAR_EV_FS  # sup |Ã|/ħ

    def centred(energies: np.ndarray) -> np.ndarray:  # the same without the free evolution from t₀ to t
        return (-1j / HBAR_EV_FS) * ground_phase * centered_pulse_transform(pulse, energies - e0)

    res, keep = _krylov(op, phi, (amplitude, centred) if keep_centred else (amplitude,), pulse, g_max=g_max, tol=tol, lanczos_steps=lanczos_steps)
    chi = res.vectors[0]
    h_chi = op.matvec(chi, np.empty_like(chi))
    alpha = float(np.vdot(chi, chi).real)
    absorbed = float(np.vdot(chi, h_chi).real) - e0 * alpha
    eps = res.ritz_values - e0
    return LinearResponseState(chi, float(t), float(t_start), float(e0), alpha, absorbed, eps, res.weights, pulse_transform(pulse, eps),
                               pulse, order, res.steps, res.steps * (1 if keep else 2) + 3, res.converged, res.change, time.perf_counter() - start,
                               res.vectors[1] if keep_centred else None, res.real_arithmetic)


def linear_response_state(
    system: Model | DrivenModel,
    basis: Any,
    psi0: np.ndarray,
    e0: float,
    pulse: Pulse,
    *,
    t: float,
    t_start: float = 0.0,
    lanczos_steps: int | None = None,
    tol: float = 1e-10,
    order: int = 1,
) -> LinearResponseState:
    """:func:`linear_response` for a model (or driven model, whose pulse is replaced) on ``basis``.

    Builds the :class:`~localpairs.solvers.dynamics.driven_operator.DrivenOperator` of
    ``drive(model, pulse=pulse)``; pass an existing operator to :func:`linear_response` to reuse it.

    Parameters
    ----------
    system : Model or DrivenModel
        The model ``H₀`` (a driven model's pulse is replaced by ``pulse``; it must have no quench).
    basis
        The QuSpin basis of the sector of ``psi0``.
    psi0, e0
        Normalized eigenstate of ``H₀`` and its energy (eV).
    pulse : Pulse
        The pump pulse.
    t, t_start
        Time after the pulse, and the time before it at which the state is ``psi0`` (fs).
    lanczos_steps, tol, order
        As in :func:`linear_response`.

    Returns
    -------
    LinearResponseState
        χ⁽¹⁾(t), α, the absorbed energy, the Krylov poles and the recursion's record.

    Raises
    ------
    InputError, LocalPairsError
        If ``system`` is neither a Model nor a DrivenModel, or has a quench; otherwise as :func:`linear_response`.
    """
    if isinstance(system, DrivenModel):
        require(system.quench is None, "system.quench", system.quench, "None: linear response is about a pulse on a fixed H₀")
        system = system.model
    if not isinstance(system, Model):
        raise InputError("system", type(system).__name__, "a Model or a DrivenModel")
    op = DrivenOperator(drive(system, pulse=pulse), basis)
    return linear_response(op, psi0, e0, t=t, pulse=pulse, t_start=t_start, lanczos_steps=lanczos_steps, tol=tol, order=order)
