"""Dimension and memory estimates, and the guard that refuses too-large problems.

The estimate is made from counting alone, before any basis or matrix is allocated. It is
calibrated on the 2×2×3 half-filled Hubbard sector (853,776 states, 2.3e7 non-zeros), where
QuSpin's build of the CSR matrix plus ``eigsh`` peaks at about 0.8 GB: the build holds the
matrix elements of every term before they are summed, about :data:`BUILD_OVERHEAD` times the
final CSR.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from localpairs.errors import InputError, TooLargeError, require
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.sector import Sector

#: Peak of QuSpin's matrix build relative to the final CSR (measured, see module docstring).
BUILD_OVERHEAD = 2.2
#: Dimension at or below which dense diagonalization is used.
DENSE_THRESHOLD = 3000
#: Fraction of available memory used as the default budget.
DEFAULT_BUDGET_FRACTION = 0.8
#: Environment variable overriding the default memory budget (GB).
BUDGET_ENV = "LOCALPAIRS_MEMORY_GB"


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated footprint of one sector's exact diagonalization.

    The estimated peak in GB is :attr:`total_gb`.

    Parameters
    ----------
    dimension : int
        Number of basis states.
    nnz : int
        Estimated non-zeros of the Hamiltonian matrix.
    method : str
        ``"dense"`` or ``"lanczos"``.
    basis_bytes, matrix_bytes, solver_bytes : int
        Bytes of the basis, the CSR matrix and the eigensolver's vectors.
    """

    dimension: int
    nnz: int
    method: str
    basis_bytes: int
    matrix_bytes: int
    solver_bytes: int

    @property
    def total_gb(self) -> float:
        """Estimated peak memory in GB."""
        peak_build = self.basis_bytes + self.matrix_bytes * BUILD_OVERHEAD
        peak_solve = self.basis_bytes + self.matrix_bytes + self.solver_bytes
        return max(peak_build, peak_solve) / 1e9


def available_memory_gb() -> float:
    """Available memory in GB (``MemAvailable`` from /proc/meminfo, else total pages).

    Returns
    -------
    float
        GB.
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9


def default_budget_gb() -> float:
    """The memory budget: ``$LOCALPAIRS_MEMORY_GB`` if set, else 80 % of available memory.

    Returns
    -------
    float
        GB.

    Raises
    ------
    InputError
        When ``$LOCALPAIRS_MEMORY_GB`` is not a positive number.
    """
    env = os.environ.get(BUDGET_ENV)
    if env:
        try:
            value = float(env)
        except ValueError:
            raise InputError(BUDGET_ENV, env, "a positive number of GB") from None
        require(value > 0, BUDGET_ENV, env, "a positive number of GB")
        return value
    return DEFAULT_BUDGET_FRACTION * available_memory_gb()


def _bonded_pairs(model: Model) -> dict[tuple[int, int], frozenset[int]]:
    """Site pairs joined by non-zero charge-moving couplings → the charges moved across them, read
    from the terms' bond labels (independent of the order of the terms)."""
    charges: dict[tuple[int, int], set[int]] = {}
    for term in model.terms:
        for c, label in zip(term.couplings, term.bonds):
            if label is not None and label.charge and c[0] != 0:
                pair = (min(label.bond.i, label.bond.j), max(label.bond.i, label.bond.j))
                charges.setdefault(pair, set()).add(abs(label.charge))
    return {pair: frozenset(q) for pair, q in charges.items()}


def _nnz_per_row(model: Model, sec: Sector) -> float:
    """Mean non-zeros per row: diagonal plus hops that find an occupied→empty pair.

    A bonded pair contributes per charge moved across it: single-electron hops (q = 1) one
    occupied→empty chance per spin, pair hops (q = 2) one for a doubly occupied site next to an
    empty one. On the pair-constrained basis (bosonic sites) each bonded pair contributes the
    chance of a pair or electron to move, whatever the charge.
    """
    n = model.n_sites
    pairs = _bonded_pairs(model)
    if model.bosonic_sites:
        fill = sec.n_electrons / (2.0 * n)
        per_pair = 2.0 * fill * (1.0 - fill)
        return 1.0 + len(pairs) * 2.0 * per_pair
    d = min(sec.n_up, sec.n_down) / n
    rate = {1: sum(2.0 * (k / n) * (1.0 - k / n) for k in (sec.n_up, sec.n_down)), 2: 2.0 * d * (1.0 - d)}
    count: dict[frozenset[int], int] = {}
    for charges in pairs.values():
        count[charges] = count.get(charges, 0) + 1
    return 1.0 + sum(k * sum(rate[q] for q in sorted(charges)) for charges, k in sorted(count.items(), key=lambda kv: sorted(kv[0])))


def estimate_memory(model: Model, sec: Sector, *, n_states: int = 1, dense_threshold: int = DENSE_THRESHOLD) -> MemoryEstimate:
    """Estimate dimension, non-zeros and peak memory of diagonalizing ``sec`` (allocates nothing).

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    sec : Sector
        The sector.
    n_states : int
        Eigenpairs wanted.
    dense_threshold : int
        Dense diagonalization at or below this dimension.

    Returns
    -------
    MemoryEstimate
        The estimate.
    """
    from localpairs.solvers.hilbert.basis import sector_dimension, sector_dtype

    dim = sector_dimension(model, sec)
    item = 16 if sector_dtype(model, sec) == np.complex128 else 8
    nnz = int(dim * _nnz_per_row(model, sec))
    basis_bytes = dim * (8 + 2)
    matrix_bytes = nnz * (item + 4) + (dim + 1) * 8
    if dim <= dense_threshold:
        method = "dense"
        solver_bytes = 3 * dim * dim * item
    else:
        method = "lanczos"
        ncv = max(2 * n_states + 1, 20)
        solver_bytes = (ncv + n_states + 4) * dim * item
    return MemoryEstimate(dim, nnz, method, basis_bytes, matrix_bytes, solver_bytes)


def check_memory(model: Model, sec: Sector, estimate: MemoryEstimate, budget_gb: float | None) -> None:
    """Raise :class:`TooLargeError` when ``estimate`` exceeds the budget.

    Parameters
    ----------
    model : Model
        The Hamiltonian (named in the message).
    sec : Sector
        The sector (named in the message).
    estimate : MemoryEstimate
        From :func:`estimate_memory`.
    budget_gb : float or None
        Budget in GB; default :func:`default_budget_gb`.

    Raises
    ------
    TooLargeError
        When the estimate exceeds the budget.
    InputError
        When the budget is not positive.
    """
    budget = default_budget_gb() if budget_gb is None else float(budget_gb)
    require(budget > 0, "memory_budget_gb", budget_gb, "a positive number of GB")
    if estimate.total_gb > budget:
        raise TooLargeError(
            f"{model.kind} on {model.cluster.describe()}, sector {sec.label()}",
            estimate.dimension,
            estimate.total_gb,
            budget,
            "Reduce it with a smaller cluster, fewer electrons or a sector further from half "
            "filling, or raise the budget (memory_budget_gb / $LOCALPAIRS_MEMORY_GB).",
        )
