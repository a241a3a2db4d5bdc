r"""The Lanczos chains of an O K-edge XAS, kept so that the broadening can change without recomputing them.

:func:`~localpairs.solvers.spectra.xas.xas` is two steps: the Lanczos chain of each channel's
final-state Hamiltonian ``H_b = H + U_c Σ_s w_s n_s`` from ``c†|ψ⟩`` (the expensive part:
``n_channels × n_steps`` products in the (N + 1)-electron sectors), then the continued fraction of
every chain on the photon-energy grid. Only the second step depends on the lifetime half width Γ,
the Gaussian resolution and the offset:

.. math:: I(ω) = \sum_c w_c\, \mathrm{Re}\,G_c(ω − \mathrm{offset} + E_{\rm ref} + iΓ)\,(−1/π),

so a scan over Γ (or over the offset) reuses one :class:`XasChains`: :func:`xas_chains` builds
it (what ``xas`` computes before broadening), :meth:`XasChains.spectrum` evaluates the total at
any Γ in milliseconds, and :meth:`XasChains.dataset` returns exactly what ``xas`` returns (``xas``
is that call). What depends on U_c, the core-hole placement, the state and the model is fixed in
the chains.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from localpairs.errors import require
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import LanczosChain, broadened_spectrum
from localpairs.solvers.spectra.equivalent_channels import Symmetry
from localpairs.solvers.spectra.excitations import Excitation
from localpairs.solvers.spectra.spectral_functions import SectorCache, check_broadening, check_omega, normalized_state, spectra_dataset
from localpairs.solvers.spectra.xas import (
    COHERENCE,
    DEFAULT_XAS_STEPS,
    CoreHole,
    _channel_chains,
    _definition,
    _operator,
    _plan,
    check_core_hole,
    describe_core_hole,
)


@dataclass(frozen=True, eq=False)
class XasChains:
    """The channels' Lanczos chains of one XAS (everything but the broadening and the offset).

    Parameters
    ----------
    chains, excitations, expected, targets
        Per computed channel: chain, operator, ⟨ψ|O†O|ψ⟩ and target sector.
    weights
        Per channel: orbit size × oxygen multiplicity (× ½ per placement for ``"site"``).
    e_ref
        Reference energy of ψ in eV.
    oxygens
        Per channel: the oxygen's site pair.
    attrs
        Parameters and costs (U_c, placement, channel counts, seconds), as ``xas`` stores them.
    """

    chains: list[LanczosChain]
    excitations: list[Excitation]
    expected: list[float]
    targets: list[Sector]
    weights: list[float]
    e_ref: float
    oxygens: list[tuple[int, int]]
    attrs: dict[str, Any]

    @property
    def matvecs(self) -> int:
        """Products spent on the chains (one per Lanczos step)."""
        return int(sum(c.n_steps for c in self.chains))

    def spectrum(self, omega: Any, *, Gamma: float, gaussian_fwhm: float = 0.0, offset: float = 0.0) -> np.ndarray:
        """``total(ω)`` at half width ``Gamma``, Gaussian FWHM and offset: continued fractions only.

        Parameters
        ----------
        omega : array_like
            Photon energies (eV).
        Gamma, gaussian_fwhm, offset : float
            Lorentzian half width, Gaussian FWHM and offset (eV).

        Returns
        -------
        numpy.ndarray
            The XAS (1/eV).
        """
        Gamma = check_broadening(Gamma, "Gamma")
        gaussian_fwhm = check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)
        omega = check_omega(omega)
        e_ref = self.e_ref - float(offset)
        total = np.zeros(omega.size)
        for w, c in zip(self.weights, self.chains):
            total += w * broadened_spectrum(c, omega, e_ref=e_ref, eta=Gamma, gaussian_fwhm=gaussian_fwhm)
        return total

    def dataset(self, omega: Any, *, Gamma: float, gaussian_fwhm: float = 0.0, offset: float = 0.0) -> xr.Dataset:
        """The labelled XAS of :func:`~localpairs.solvers.spectra.xas.xas` at this broadening and offset.

        Parameters
        ----------
        omega : array_like
            Photon energies (eV).
        Gamma, gaussian_fwhm, offset : float
            Lorentzian half width, Gaussian FWHM and offset (eV).

        Returns
        -------
        xarray.Dataset
            As ``xas``.
        """
        Gamma = check_broadening(Gamma, "Gamma")
        gaussian_fwhm = check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)
        omega = check_omega(omega)
        require(isinstance(offset, (int, float, np.floating)) and not isinstance(offset, bool) and np.isfinite(offset), "offset", offset,
                "a finite number in eV")
        attrs = {**self.attrs, "Gamma_eV": Gamma, "offset_eV": float(offset)}
        # ω = offset + E_n − E_ref: the spectra machinery's reference energy is E_ref − offset
        ds = spectra_dataset(self.chains, self.excitations, self.expected, self.targets, omega, e_ref=self.e_ref - float(offset), eta=Gamma,
                             gaussian_fwhm=gaussian_fwhm, sign=1, weights=self.weights, attrs=attrs)
        return ds.assign_coords(oxygen_i=("channel", [o[0] for o in self.oxygens]), oxygen_j=("channel", [o[1] for o in self.oxygens]))


def xas_chains(
    model: Model,
    sec: Sector,
    psi: np.ndarray,
    *,
    U_c: float,
    coherence: str = "incoherent",
    core_hole: CoreHole = "both",
    use_symmetry: bool = True,
    state_symmetries: Sequence[Symmetry] | None = None,
    e_ref: float | None = None,
    n_steps: int = DEFAULT_XAS_STEPS,
    reorthogonalize: bool | None = None,
    cache: SectorCache | None = None,
    memory_budget_gb: float | None = None,
) -> XasChains:
    """The Lanczos chains of the XAS of ``psi``: :func:`~localpairs.solvers.spectra.xas.xas` before broadening.

    Parameters
    ----------
    model, sec, psi, U_c, coherence, core_hole, use_symmetry, e_ref, n_steps, reorthogonalize, cache, memory_budget_gb
        As for ``xas`` (without Γ, the Gaussian, the offset and ω, which enter
        :meth:`XasChains.spectrum` / :meth:`XasChains.dataset`).
    state_symmetries : sequence of Symmetry or None
        Symmetries of ``psi`` already known (as ``xas``).

    Returns
    -------
    XasChains
        The chains and their weights.

    Raises
    ------
    InputError
        Naming the first invalid option.
    """
    require(isinstance(U_c, (int, float, np.floating)) and not isinstance(U_c, bool) and np.isfinite(U_c), "U_c", U_c, "a finite number in eV")
    require(coherence in COHERENCE, "coherence", coherence, f"one of {COHERENCE}")
    core_hole = check_core_hole(core_hole, coherence=coherence)
    cache = cache or SectorCache(model, memory_budget_gb=memory_budget_gb)
    basis_in = cache.basis(sec)
    psi = normalized_state(psi, basis_in.Ns)
    if e_ref is None:
        e_ref = float(np.vdot(psi, cache.matrix(sec) @ psi).real)
    reps, weights, counts = _plan(model, basis_in, psi, sec, coherence=coherence, core_hole=core_hole, use_symmetry=use_symmetry,
                                  known=state_symmetries)
    t0 = time.perf_counter()
    excs = [_operator(model, k, label_hole=core_hole != "both") for k in reps]
    chains, expected, targets, t_matrix = _channel_chains(model, sec, psi, excs, [k.hole for k in reps], cache, U_c=U_c, n_steps=n_steps,
                                                          reorthogonalize=reorthogonalize)
    attrs = {
        "seconds_symmetry": counts.pop("seconds_symmetry"), "seconds_matrices": t_matrix, "seconds_channels": time.perf_counter() - t0 - t_matrix,
        "definition": _definition(core_hole), "U_c_eV": float(U_c), "e_ref_true_eV": float(e_ref), "coherence": coherence,
        "core_hole": core_hole if isinstance(core_hole, str) else f"weights (w_i, w_j) = ({core_hole[0]:g}, {core_hole[1]:g})",
        "core_hole_text": describe_core_hole(core_hole), "n_oxygens": model.cluster.n_bonds, **counts,
        "use_symmetry": int(use_symmetry), "model_kind": model.kind, "cluster": model.cluster.describe(), "sector": sec.label(), "n_steps_requested": n_steps,
    }
    return XasChains(chains, excs, expected, targets, list(weights), float(e_ref), [k.oxygen for k in reps], attrs)
