"""What every spectrum solver shares: the :class:`SectorCache` of bases and matrices, and input checks.

Used by :mod:`~localpairs.solvers.spectra.spectral_functions` (which re-exports everything defined
here), the XAS solvers, σ(ω) and the transient probes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from localpairs.errors import require
from localpairs.hamiltonians import Model
from localpairs.solvers.ed.observables import occupations
from localpairs.solvers.hilbert.basis import build_basis, hamiltonian_matrix
from localpairs.solvers.hilbert.memory import check_memory, estimate_memory
from localpairs.solvers.hilbert.sector import Sector


class SectorCache:
    """Bases and Hamiltonian matrices of one model, built once per sector after a memory check.

    Parameters
    ----------
    model : Model
        The model.
    memory_budget_gb : float or None, optional
        Budget in GB for :func:`~localpairs.solvers.hilbert.memory.check_memory` (default from
        available memory).
    """

    def __init__(self, model: Model, *, memory_budget_gb: float | None = None) -> None:
        self.model = model
        self.memory_budget_gb = memory_budget_gb
        self._bases: dict[tuple, Any] = {}
        self._matrices: dict[tuple, sp.csr_matrix] = {}
        self._occupations: dict[tuple, np.ndarray] = {}

    @staticmethod
    def _key(sec: Sector) -> tuple:
        return (sec.n_up, sec.n_down, tuple(sorted(sec.blocks.items())))

    def add(self, sec: Sector, basis: Any = None, matrix: sp.spmatrix | None = None) -> None:
        """Register an already built basis and/or matrix of ``sec``.

        Parameters
        ----------
        sec : Sector
            The sector.
        basis : Any, optional
            Its basis (None: keep or build later).
        matrix : scipy.sparse.spmatrix or None, optional
            Its Hamiltonian matrix in eV (stored as CSR).
        """
        if basis is not None:
            self._bases[self._key(sec)] = basis
        if matrix is not None:
            self._matrices[self._key(sec)] = sp.csr_matrix(matrix)

    def basis(self, sec: Sector) -> Any:
        """Give the basis of ``sec`` (built on first use, after the memory check).

        Parameters
        ----------
        sec : Sector
            The sector.

        Returns
        -------
        Any
            The QuSpin basis.
        """
        key = self._key(sec)
        if key not in self._bases:
            check_memory(self.model, sec, estimate_memory(self.model, sec), self.memory_budget_gb)
            self._bases[key] = build_basis(self.model, sec)
        return self._bases[key]

    def matrix(self, sec: Sector) -> sp.csr_matrix:
        """Give the Hamiltonian matrix of ``sec`` (built on first use).

        Parameters
        ----------
        sec : Sector
            The sector.

        Returns
        -------
        scipy.sparse.csr_matrix
            The matrix in eV.
        """
        key = self._key(sec)
        if key not in self._matrices:
            self._matrices[key] = hamiltonian_matrix(self.model, self.basis(sec))
        return self._matrices[key]

    def occupation(self, sec: Sector) -> np.ndarray:
        """Give the electron number ``n_i = n_i↑ + n_i↓`` of every basis state of ``sec``.

        Parameters
        ----------
        sec : Sector
            The sector.

        Returns
        -------
        numpy.ndarray
            (dim, L) float64 occupations (built on first use).
        """
        key = self._key(sec)
        if key not in self._occupations:
            up, dn = occupations(self.basis(sec), self.model.n_sites)
            self._occupations[key] = (up + dn).astype(np.float64)
        return self._occupations[key]

    def drop(self, sec: Sector) -> None:
        """Free the matrix of ``sec``.

        Parameters
        ----------
        sec : Sector
            The sector.
        """
        self._matrices.pop(self._key(sec), None)


def check_broadening(value: float, field: str, *, allow_zero: bool = False) -> float:
    """Check a broadening: finite, > 0 (or ≥ 0 with ``allow_zero``).

    Parameters
    ----------
    value : float
        The broadening in eV.
    field : str
        The name given in an error message.
    allow_zero : bool, optional
        Accept 0.

    Returns
    -------
    float
        The broadening in eV.

    Raises
    ------
    InputError
        When ``value`` is not a finite number in range.
    """
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    require(ok, field, value, f"a finite number {'≥ 0' if allow_zero else '> 0'} in eV")
    return float(value)


def check_omega(omega: Any) -> np.ndarray:
    """Check an energy grid: a non-empty 1D array of finite energies.

    Parameters
    ----------
    omega : Any
        The energies in eV.

    Returns
    -------
    numpy.ndarray
        The energies as float64 in eV.

    Raises
    ------
    InputError
        When ``omega`` is not a non-empty 1D array of finite numbers.
    """
    arr = np.asarray(omega, dtype=float) if np.ndim(omega) == 1 else None
    require(arr is not None and arr.size >= 1 and bool(np.all(np.isfinite(arr))), "omega", type(omega).__name__,
            "a non-empty 1D array of finite energies in eV")
    return arr  # type: ignore[return-value]


def normalized_state(psi: Any, dim: int) -> np.ndarray:
    """Normalize a state, ``psi / ‖psi‖``, after checking length and finiteness.

    Parameters
    ----------
    psi : Any
        The state vector.
    dim : int
        The sector dimension.

    Returns
    -------
    numpy.ndarray
        The normalized state.

    Raises
    ------
    InputError
        When ``psi`` has the wrong length, non-finite entries or is zero.
    """
    psi = np.asarray(psi)
    require(psi.ndim == 1 and psi.shape[0] == dim, "psi", psi.shape, f"a vector of length {dim} (the sector dimension)")
    require(bool(np.all(np.isfinite(psi))), "psi", "non-finite entries", "finite amplitudes")
    norm = float(np.linalg.norm(psi))
    require(norm > 0, "psi", "zero vector", "a non-zero state")
    return psi / norm
