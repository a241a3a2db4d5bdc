"""Expectation values and site occupations of a driven model's matrices: the observables half of
:class:`~localpairs.solvers.dynamics.driven_operator.DrivenOperator` (a mixin over its assembly and product)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from localpairs.solvers.ed.observables import occupations

if TYPE_CHECKING:  # pragma: no cover - typing only
    import scipy.sparse as sp

    from localpairs.hamiltonians.driven_model import DrivenModel


class OperatorObservables:
    """⟨H⟩, ⟨j⟩ and site charges from a driven operator's assembly (a mixin of ``DrivenOperator``)."""

    driven: DrivenModel
    basis: Any
    dim: int
    _occupations: np.ndarray | None

    def assemble(self, coefs: np.ndarray, diag: np.ndarray | None = None) -> sp.csr_matrix:  # pragma: no cover - provided by DrivenOperator
        """Fill the shared matrix (see ``DrivenOperator.assemble``).

        Parameters
        ----------
        coefs : numpy.ndarray
            One complex coefficient per piece.
        diag : numpy.ndarray, optional
            Real diagonal added (eV).

        Returns
        -------
        scipy.sparse.csr_matrix
            The shared matrix.
        """
        raise NotImplementedError

    def matvec(self, v: np.ndarray, out: np.ndarray) -> np.ndarray:  # pragma: no cover - provided by DrivenOperator
        """``out = M v`` with the last assembled matrix (see ``DrivenOperator.matvec``).

        Parameters
        ----------
        v : numpy.ndarray
            Complex vector.
        out : numpy.ndarray
            Output vector (overwritten).

        Returns
        -------
        numpy.ndarray
            ``out``.
        """
        raise NotImplementedError

    def expectation(self, coefs: np.ndarray, psi: np.ndarray, diag: np.ndarray | None = None) -> complex:
        """⟨ψ|Σ_k coefs[k] P_k + diag|ψ⟩ / ⟨ψ|ψ⟩.

        Parameters
        ----------
        coefs : numpy.ndarray
            One coefficient per piece.
        psi : numpy.ndarray
            The state.
        diag : numpy.ndarray, optional
            Real diagonal added (eV).

        Returns
        -------
        complex
            The expectation value.
        """
        self.assemble(coefs, diag)
        psi = np.ascontiguousarray(psi, dtype=np.complex128)
        out = np.empty(self.dim, dtype=np.complex128)
        self.matvec(psi, out)
        return complex(np.vdot(psi, out) / np.vdot(psi, psi))

    @property
    def site_occupations(self) -> np.ndarray:
        """(dim, L) electron number of every site in every basis state (float64)."""
        if self._occupations is None:
            up, dn = occupations(self.basis, self.driven.model.n_sites)
            self._occupations = up.astype(np.float64) + dn
        return self._occupations

    def site_charge(self, psi: np.ndarray) -> np.ndarray:
        """⟨n_i⟩ of a normalised state.

        Parameters
        ----------
        psi : numpy.ndarray
            The state.

        Returns
        -------
        numpy.ndarray
            Electrons per site.
        """
        return (np.abs(psi) ** 2) @ self.site_occupations

    def shift_diagonal(self, site_shifts: np.ndarray | None) -> np.ndarray | None:
        """Diagonal of ``Σ_i δε_i n_i`` for site-energy shifts ``δε``.

        Parameters
        ----------
        site_shifts : numpy.ndarray or None
            ``δε_i`` in eV.

        Returns
        -------
        numpy.ndarray or None
            The diagonal (eV), None without shifts.
        """
        return None if site_shifts is None else self.site_occupations @ np.asarray(site_shifts, dtype=float)

    def energy(self, t: float, psi: np.ndarray, site_shifts: np.ndarray | None = None) -> float:
        """⟨H(t)⟩ in eV (with the site shifts of a lattice, if given).

        Parameters
        ----------
        t : float
            Time in fs.
        psi : numpy.ndarray
            The state.
        site_shifts : numpy.ndarray, optional
            Site-energy shifts in eV.

        Returns
        -------
        float
            The energy in eV.
        """
        return self.expectation(self.driven.coefficients(t), psi, self.shift_diagonal(site_shifts)).real

    def current(self, t: float, psi: np.ndarray) -> float:
        """⟨j⟩ = −⟨∂H/∂A⟩ along the polarization at time t.

        Parameters
        ----------
        t : float
            Time in fs.
        psi : numpy.ndarray
            The state.

        Returns
        -------
        float
            The current in e·Å/fs.
        """
        return self.expectation(self.driven.current_coefficients(t), psi).real

