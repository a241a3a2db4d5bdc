r"""Optical transitions of a state: poles and weights of the current–current spectrum.

For the ground state ``|0⟩`` and the current ``j = −∂H/∂A`` along the polarization (at A = 0),
Lanczos on ``H`` from ``j|0⟩`` gives the poles ``ω_n = E_n − E_0`` and weights ``|⟨n|j|0⟩|²``
of ``⟨0|j (z − H)^{-1} j|0⟩`` (full reorthogonalization: meant for clusters of a few thousand
states, enough steps to resolve the low poles exactly; in real arithmetic when ``H`` is real and
``j|0⟩`` a phase times a real vector, as for a real ground state: half the memory). The optical absorption is
``Re σ(ω) ∝ Σ_n |⟨n|j|0⟩|²/ω_n δ(ω − ω_n)``. The optical gap a pump is tuned to is
:func:`localpairs.analysis.spectral_edges.optical_gap` of these poles (the one definition, shared
with σ(ω)). This is the small helper the pump study needs; full spectra belong to the spectra
modules.

:data:`ZERO_FREQUENCY` is the one zero-frequency cut-off of every optical pole list (here, in
:mod:`~localpairs.solvers.spectra.conductivity` and in the optical gap): an excitation energy
``ω_n = E_n − E_0`` at or below it is the ground state itself or a degenerate partner, weight at
ω = 0 rather than absorption. 1e-6 eV (≈ 0.01 K) lies far above the error of a Lanczos pole
energy and of E_0 (machine precision × ‖H‖ ≈ 1e-13 eV for ‖H‖ ≈ 10 eV, measured ≤ 1e-14 eV on
the 2×2×2 cube) and far below the charge excitations that carry optical weight (≳ 0.1 eV); it
equals the tolerance :data:`localpairs.analysis.spectral_edges.MERGE_TOL` within which two poles
count as one, so a pole that close to E_0 belongs to the ground-state multiplet. A genuine
quasi-degenerate partner split by more (e.g. tunnelling between LPDW patterns on a larger
cluster) counts as a pole and shows in the pole list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localpairs.errors import LocalPairsError
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.lanczos import lanczos_chain
from localpairs.solvers.real_arithmetic import real_csr, real_form

#: Excitation energies at or below this (eV) are zero-frequency weight: the ground state itself or a
#: degenerate partner, not absorption (see the module docstring for the value).
ZERO_FREQUENCY = 1e-6


@dataclass(frozen=True)
class OpticalTransitions:
    """Current–current poles of a state: energies and weights.

    :attr:`absorption` is weight/ω (arbitrary units, proportional to the integrated Re σ).

    Parameters
    ----------
    omega : numpy.ndarray
        Poles in eV, ascending, > 0.
    weight : numpy.ndarray
        Weights ``|⟨n|j|0⟩|²`` in (e·Å/fs)².
    """

    omega: np.ndarray
    weight: np.ndarray

    @property
    def absorption(self) -> np.ndarray:
        """Integrated Re σ of every pole, ∝ weight/ω."""
        return self.weight / self.omega


def optical_transitions(
    op: DrivenOperator, psi0: np.ndarray, *, t: float = 0.0, site_shifts: np.ndarray | None = None, steps: int = 300
) -> OpticalTransitions:
    """Find the current–current poles of ``psi0`` with ``H(t)`` at ``A = 0``.

    Parameters
    ----------
    op : DrivenOperator
        The driven operator (its current along the pump polarization).
    psi0 : numpy.ndarray
        The state.
    t : float, optional
        Time in fs that selects the quench segment of H.
    site_shifts : numpy.ndarray or None, optional
        Lattice site-energy shifts in eV added to H.
    steps : int, optional
        Lanczos steps (fully reorthogonalized).

    Returns
    -------
    OpticalTransitions
        Poles above :data:`ZERO_FREQUENCY` and their weights.

    Raises
    ------
    LocalPairsError
        When the current operator annihilates the state (no transition along the polarization).
    """
    driven = op.driven
    seg = driven.segment(t)
    psi0 = np.ascontiguousarray(psi0, dtype=np.complex128)
    op.assemble(driven.current_coefficients_at(0.0, seg))
    phi = op.matvec(psi0, np.empty_like(psi0))
    if float(np.vdot(phi, phi).real) < 1e-24:
        raise LocalPairsError("the current operator annihilates the state: no optical transition along this polarization "
                              "(e.g. every axis along it is periodic with length 2, where the two bonds cancel)")
    op.assemble(driven.coefficients_at(0.0, seg), op.shift_diagonal(site_shifts))
    e0 = float(np.vdot(psi0, op.matvec(psi0, np.empty_like(psi0))).real)
    form, real = real_form(phi), real_csr(op.matrix)  # real H and j|ψ0⟩ = phase × real: float64 vectors
    operator, start = (real, form[1]) if form is not None and real is not None else (op.matvec, phi)
    chain = lanczos_chain(operator, start, n_steps=steps, reorthogonalize=True)
    alpha, beta, norm2 = chain.alpha, chain.beta, chain.norm2
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    evals, evecs = np.linalg.eigh(T)
    weights = norm2 * np.abs(evecs[0]) ** 2
    omega = evals - e0
    keep = omega > ZERO_FREQUENCY
    return OpticalTransitions(omega[keep], weights[keep])

