"""Exact diagonalization: lowest eigenpairs of a model in a sector.

Dense ``numpy.linalg.eigh`` at or below a dimension threshold, ``scipy.sparse.linalg.eigsh``
(implicitly restarted Lanczos, the same routine QuSpin's ``hamiltonian.eigsh`` calls) above it.
The memory estimate is checked before the basis is built.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse.linalg as spla

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians import Model

from localpairs.solvers.hilbert.basis import build_basis, hamiltonian_matrix, hermiticity_residual
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD, MemoryEstimate, check_memory, estimate_memory
from localpairs.solvers.hilbert.sector import Sector

#: Largest accepted relative hermiticity residual of a built matrix (round-off is ~1e-16).
HERMITICITY_TOL = 1e-10


@dataclass(frozen=True, eq=False)
class EDResult:
    """Lowest eigenpairs of a model in one sector.

    Attributes
    ----------
    model, sector
        What was solved.
    energies
        (k,) eigenvalues in eV, ascending.
    states
        (dim, k) eigenvectors in the basis's order.
    basis
        The QuSpin basis (for observables and spectra).
    method
        ``"dense"`` or ``"lanczos"``.
    estimate
        The memory estimate made before solving.
    hermiticity
        Relative hermiticity residual of the built matrix.
    seconds
        Wall time of basis build, matrix build and solve.
    """

    model: Model
    sector: Sector
    energies: np.ndarray
    states: np.ndarray
    basis: Any
    method: str
    estimate: MemoryEstimate
    hermiticity: float
    seconds: dict = field(default_factory=dict)

    @property
    def dimension(self) -> int:
        """Sector dimension."""
        return int(self.states.shape[0])

    @property
    def ground_energy(self) -> float:
        """Lowest energy in eV."""
        return float(self.energies[0])

    @property
    def ground_state(self) -> np.ndarray:
        """Lowest eigenvector."""
        return self.states[:, 0]


def solve(
    model: Model,
    sec: Sector,
    *,
    n_states: int = 1,
    dense_threshold: int = DENSE_THRESHOLD,
    memory_budget_gb: float | None = None,
    tol: float = 0.0,
) -> EDResult:
    """Lowest ``n_states`` eigenpairs of ``model`` in sector ``sec``.

    Parameters
    ----------
    model
        The Hamiltonian.
    sec
        The sector.
    n_states
        Number of eigenpairs.
    dense_threshold
        Dense diagonalization at or below this dimension, Lanczos above.
    memory_budget_gb
        Refuse (with :class:`~localpairs.errors.TooLargeError`) above this estimate; default from
        the available memory.
    tol
        Lanczos tolerance (0: machine precision).
    """
    require(isinstance(n_states, int) and n_states >= 1, "n_states", n_states, "an integer ≥ 1")
    require(dense_threshold >= 0, "dense_threshold", dense_threshold, "a non-negative integer")
    estimate = estimate_memory(model, sec, n_states=n_states, dense_threshold=dense_threshold)
    if estimate.dimension == 0:
        raise LocalPairsError(f"sector {sec.label()} of {model.kind} on {model.cluster.describe()} has no states")
    check_memory(model, sec, estimate, memory_budget_gb)
    seconds = {}
    t0 = time.perf_counter()
    basis = build_basis(model, sec)
    seconds["basis"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    matrix = hamiltonian_matrix(model, basis)
    seconds["matrix"] = time.perf_counter() - t0
    herm = hermiticity_residual(matrix)
    if herm > HERMITICITY_TOL:
        raise LocalPairsError(f"Hamiltonian is not Hermitian: relative residual {herm:.2e}")
    dim = matrix.shape[0]
    k = min(n_states, dim)
    t0 = time.perf_counter()
    if dim <= dense_threshold or k >= dim - 1:
        energies, states = np.linalg.eigh(matrix.toarray())
        energies, states = energies[:k], states[:, :k]
        method = "dense"
    else:
        rng = np.random.default_rng(12345)
        v0 = rng.standard_normal(dim).astype(matrix.dtype)
        energies, states = spla.eigsh(matrix, k=k, which="SA", v0=v0, tol=tol)
        order = np.argsort(energies)
        energies, states = energies[order], states[:, order]
        method = "lanczos"
    seconds["solve"] = time.perf_counter() - t0
    return EDResult(
        model=model,
        sector=sec,
        energies=np.asarray(energies, dtype=float),
        states=states,
        basis=basis,
        method=method,
        estimate=estimate,
        hermiticity=herm,
        seconds=seconds,
    )


def charge_ladder(
    model: Model,
    electrons: int,
    *,
    spread: int = 2,
    memory_budget_gb: float | None = None,
    dense_threshold: int = DENSE_THRESHOLD,
) -> dict[int, float]:
    """Ground energies E(N) for N = electrons − spread … electrons + spread (lowest-|S_z| sectors).

    Sectors that do not exist on the cluster (N < 0 or N > 2·sites, or no states) are skipped.
    Returns ``{N: E(N)}`` in eV.
    """
    out: dict[int, float] = {}
    for n in range(electrons - spread, electrons + spread + 1):
        if n < 0 or n > 2 * model.n_sites:
            continue
        sec = Sector(n_up=(n + 1) // 2, n_down=n // 2)
        if estimate_memory(model, sec, dense_threshold=dense_threshold).dimension == 0:
            continue
        out[n] = solve(model, sec, memory_budget_gb=memory_budget_gb, dense_threshold=dense_threshold).ground_energy
    return out
