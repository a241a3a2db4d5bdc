r"""The XFEL study's probe models of a pumped state's excited part, as XAS chains reusable for every Γ.

A pumped state after the pulse is ``ψ = c₀ψ₀ + χ`` (α = ‖χ‖²), and ΔXAS = α (I[χ̂] − I[ψ₀; E₀])
(:mod:`~localpairs.solvers.dynamics.transient_xas`). What I[χ̂] is depends on the probe:

- ``"instantaneous"``: the sudden probe from one reference, I[χ̂; Ē_χ] with Ē_χ = ⟨χ̂|H|χ̂⟩
  (:func:`~localpairs.solvers.spectra.xas.xas`); right only while χ̂'s energy spread σ_χ ≪ Γ
  (σ_χ is reported).
- ``"long"``: a probe long against χ̂'s level spacing, Σ_n |c_n|² I[n; E_n], each eigencomponent from
  its own energy (:mod:`~localpairs.solvers.spectra.windowed_xas`: energy windows converged in the
  width, exact in the limit of one level per window; the width used and the change when it is
  halved are reported).
- ``"finite"``: the two-time formula with a Gaussian probe of given intensity FWHM on ψ(t)
  (:mod:`~localpairs.solvers.dynamics.finite_probe`), the ground reference then being the static XAS
  convolved with the probe's bandwidth (what the formula gives for a stationary state).

The first two are kept as Lanczos chains (:class:`~localpairs.solvers.spectra.xas_chains.XasChains`,
:class:`~localpairs.solvers.spectra.windowed_chains.WindowedXasChains`): Γ and the offset enter only
the continued fractions. :func:`long_probe_chains` is the one place the long probe is built (the
shared ``split_xas`` of the pump study may later provide it).

Chains are fully reorthogonalized where ``n_steps² × dim ≤`` :data:`REORTH_BUDGET` (8-site
clusters): ghost poles then cannot move a ΔXAS peak by round-off (a difference of two nearly equal
spectra is the quantity most sensitive to it).
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np

from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.windowed_chains import PreparedState, WindowedXasChains, windowed_xas_chains
from localpairs.solvers.spectra.xas import CoreHole
from localpairs.solvers.spectra.xas_chains import XasChains, xas_chains

ProbeModel = Literal["instantaneous", "long", "finite"]
#: The probe models of ``[xfel.probe] probe_model``.
PROBE_MODELS: tuple[str, ...] = ("instantaneous", "long", "finite")
#: Full reorthogonalization of the XAS chains when ``n_steps² × dim`` is at most this (≈ 1 s of
#: Gram–Schmidt per channel; 8-site sectors with 150 steps: 9e7).
REORTH_BUDGET = 5e9
#: Halving tolerance of the long probe's window width, relative to the peak (the default of windowed_xas).
LONG_PROBE_HALVING_TOL = 1e-3


class SpectrumChains(Protocol):
    """Chains that give a spectrum at any broadening and offset."""

    def spectrum(self, omega: Any, *, Gamma: float, gaussian_fwhm: float = 0.0, offset: float = 0.0) -> np.ndarray:
        """The spectrum on ``omega``.

        Parameters
        ----------
        omega
            Photon energies (eV).
        Gamma
            Lorentzian half width (eV).
        gaussian_fwhm
            Gaussian FWHM convolved in (eV).
        offset
            Shift of the energy axis (eV).

        Returns
        -------
        numpy.ndarray
            The spectrum.
        """
        ...


def reorthogonalize_for(dim: int, n_steps: int) -> bool | None:
    """True (full reorthogonalization) where ``n_steps² × dim ≤`` :data:`REORTH_BUDGET`, else the solver's default.

    Parameters
    ----------
    dim
        Dimension of the sector.
    n_steps
        Lanczos steps per channel.

    Returns
    -------
    bool or None
        True, or None for the solver's default.
    """
    return True if float(n_steps) ** 2 * dim <= REORTH_BUDGET else None


def ground_chains(model: Model, sec: Sector, psi0: np.ndarray, *, e0: float, U_c: float, core_hole: CoreHole, n_steps: int,
                  cache: SectorCache) -> XasChains:
    """Chains of I[ψ₀; E₀] (ψ₀ an eigenstate: every probe model measures it from E₀).

    Parameters
    ----------
    model
        The model.
    sec
        The sector.
    psi0
        The normalized ground state.
    e0
        Its energy (eV).
    U_c
        Core-hole potential (eV).
    core_hole
        Placement of U_c.
    n_steps
        Lanczos steps per channel.
    cache
        Sector cache of the model (matrices built once).

    Returns
    -------
    XasChains
        The chains.
    """
    return xas_chains(model, sec, psi0, U_c=U_c, core_hole=core_hole, e_ref=e0, n_steps=n_steps, cache=cache,
                      reorthogonalize=reorthogonalize_for(psi0.size, n_steps))


def long_probe_chains(model: Model, sec: Sector, chi_hat: np.ndarray, *, U_c: float, core_hole: CoreHole, n_steps: int, Gamma_check: float,
                      check_grid: np.ndarray, cache: SectorCache, prepared: PreparedState | None = None) -> WindowedXasChains:
    """The long-probe chains of χ̂: energy windows converged in the width at ``Gamma_check`` on ``check_grid`` (offset 0).

    Parameters
    ----------
    model
        The final-state model.
    sec
        The sector.
    chi_hat
        The normalized excited part χ̂.
    U_c
        Core-hole potential (eV).
    core_hole
        Placement of U_c.
    n_steps
        Lanczos steps per channel.
    Gamma_check
        Γ (eV) at which the window width is converged.
    check_grid
        Relative photon energies (eV, offset 0) of the convergence check.
    cache
        Sector cache of the model (matrices built once).
    prepared
        χ̂'s symmetries and Ritz decomposition from the chains of another U_c (:attr:`WindowedXasChains.prepared`; U_c-independent).

    Returns
    -------
    WindowedXasChains
        The chains.
    """
    return windowed_xas_chains(model, sec, chi_hat, check_grid, U_c=U_c, Gamma=Gamma_check, core_hole=core_hole, n_steps=n_steps,
                               halving_tol=LONG_PROBE_HALVING_TOL, cache=cache, reorthogonalize=reorthogonalize_for(chi_hat.size, n_steps),
                               prepared=prepared)


def excited_chains(model: Model, sec: Sector, chi_hat: np.ndarray, *, probe_model: str, U_c: float, core_hole: CoreHole, n_steps: int,
                   Gamma_check: float, check_grid: np.ndarray, cache: SectorCache, prepared: PreparedState | None = None
                   ) -> XasChains | WindowedXasChains:
    """Chains of I[χ̂] for ``"instantaneous"`` (one reference ⟨χ̂|H|χ̂⟩) or ``"long"`` (windows); ``"finite"`` has none.

    Parameters
    ----------
    model
        The final-state model.
    sec
        The sector.
    chi_hat
        The normalized excited part χ̂.
    probe_model
        ``"instantaneous"`` or ``"long"``.
    U_c
        Core-hole potential (eV).
    core_hole
        Placement of U_c.
    n_steps
        Lanczos steps per channel.
    Gamma_check
        Γ (eV) at which the window width is converged.
    check_grid
        Relative photon energies (eV, offset 0) of the convergence check.
    cache
        Sector cache of the model (matrices built once).
    prepared
        For ``"long"``: χ̂'s U_c-independent part from another U_c (:func:`long_probe_chains`).

    Returns
    -------
    XasChains or WindowedXasChains
        The chains.
    """
    if probe_model == "instantaneous":
        return xas_chains(model, sec, chi_hat, U_c=U_c, core_hole=core_hole, n_steps=n_steps, cache=cache,
                          reorthogonalize=reorthogonalize_for(chi_hat.size, n_steps))
    if probe_model == "long":
        return long_probe_chains(model, sec, chi_hat, U_c=U_c, core_hole=core_hole, n_steps=n_steps, Gamma_check=Gamma_check,
                                 check_grid=check_grid, cache=cache, prepared=prepared)
    raise ValueError(f"probe_model = {probe_model!r} has no reusable chains (use 'instantaneous' or 'long'; 'finite' is computed per point)")


def energy_spread(cache: SectorCache, sec: Sector, phi: np.ndarray) -> tuple[float, float]:
    """⟨φ|H|φ⟩ and (⟨H²⟩ − ⟨H⟩²)^{1/2} (eV) of the normalized φ in the model of ``cache``.

    Parameters
    ----------
    cache
        Sector cache of the model (matrices built once).
    sec
        The sector.
    phi
        A normalized state.

    Returns
    -------
    tuple of float
        Mean and spread (eV).
    """
    h_phi = cache.matrix(sec) @ phi
    mean = float(np.vdot(phi, h_phi).real)
    return mean, float(np.sqrt(max(0.0, np.vdot(h_phi, h_phi).real - mean**2)))
