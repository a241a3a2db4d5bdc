"""Exact diagonalization: lowest eigenpairs of a model in a sector. :func:`solve` is the one entry point.

Basis and matrix (:mod:`~localpairs.solvers.ed.sector_matrix`): in a symmetry block of a spinful-fermion model the compiled block builder
(:mod:`~localpairs.solvers.hilbert.block_matrix`, equal to QuSpin element by element and about 5×
faster on a 2×2×3 k-block, 20× on the 16-site blocks); QuSpin otherwise. A complex momentum block
of a real model is then solved as the real symmetric matrix of its standing waves
(:mod:`~localpairs.solvers.hilbert.real_form`) and its eigenvectors returned as the block's complex
vectors. Eigenpairs: dense
``numpy.linalg.eigh`` at or below a dimension threshold, ``scipy.sparse.linalg.eigsh``
(implicitly restarted Lanczos, the same routine QuSpin's ``hamiltonian.eigsh`` calls) above it.
The memory estimate is checked before the basis is built.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from localpairs.hamiltonians import Model
from localpairs.solvers.ed.blas_threads import single_threaded_blas
from localpairs.solvers.ed.sector_matrix import BUILDERS, HERMITICITY_TOL, SectorMatrix, build_sector_matrix, compiled_applies  # noqa: F401 - re-exported
from localpairs.solvers.hilbert.basis import build_basis
from localpairs.solvers.hilbert.block_matrix import Representatives
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD, MemoryEstimate, estimate_memory
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import PARALLEL_MATVEC_MIN_DIM


@dataclass(frozen=True, eq=False)
class EDResult:
    """Lowest eigenpairs of a model in one sector.

    Parameters
    ----------
    model : Model
        The model solved.
    sector : Sector
        The sector solved.
    energies : numpy.ndarray
        (k,) eigenvalues in eV, ascending.
    states : numpy.ndarray
        (dim, k) eigenvectors in the basis's order.
    matrix_basis : Any
        The basis the matrix was built in (its ``states`` are the basis states): the QuSpin
        basis, or for the compiled builder a
        :class:`~localpairs.solvers.hilbert.block_matrix.BlockBasis` (QuSpin's states, same order).
    method : str
        ``"dense"`` or ``"lanczos"``.
    estimate : MemoryEstimate
        The memory estimate made before solving.
    hermiticity : float
        Relative hermiticity residual of the built matrix.
    seconds : dict, optional
        Wall time in s of basis build, matrix build and solve.
    builder : str, optional
        ``"compiled"`` or ``"quspin"`` (default): who built basis and matrix.
    _quspin_basis : list, optional
        Internal cache of :attr:`basis`; leave it empty.
    """

    model: Model
    sector: Sector
    energies: np.ndarray
    states: np.ndarray
    matrix_basis: Any
    method: str
    estimate: MemoryEstimate
    hermiticity: float
    seconds: dict = field(default_factory=dict)
    builder: str = "quspin"
    _quspin_basis: list = field(default_factory=list, repr=False)

    @property
    def basis(self) -> Any:
        """The QuSpin basis of ``states`` (for operators and spectra).

        Built on first use for a compiled result (same states in the same order); prefer
        :attr:`matrix_basis` where only the basis states are needed.
        """
        if self.builder == "quspin":
            return self.matrix_basis
        if not self._quspin_basis:
            self._quspin_basis.append(build_basis(self.model, self.sector))
        return self._quspin_basis[0]

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
    builder: str = "auto",
    representatives: Representatives | None = None,
    real_form: bool = True,
) -> EDResult:
    """Find the lowest ``n_states`` eigenpairs of ``model`` in sector ``sec``.

    Parameters
    ----------
    model, sec : Model, Sector
        The Hamiltonian and the sector.
    n_states, dense_threshold : int, optional
        Number of eigenpairs; dense diagonalization at or below ``dense_threshold``, Lanczos above.
    memory_budget_gb : float or None, optional
        Refuse (with :class:`~localpairs.errors.TooLargeError`) above this estimate in GB; default
        from the available memory.
    tol : float, optional
        Lanczos tolerance (0: machine precision).
    builder : str, optional
        ``"auto"``: the compiled block builder when :func:`compiled_applies`, QuSpin otherwise;
        ``"compiled"`` or ``"quspin"`` force one (the former only where it applies).
    representatives : Representatives or None, optional
        Orbit representatives of the particle sector under the block's generators, reused across
        the blocks of one sector (compiled builder only; built when None or of other generators).
    real_form : bool, optional
        Solve a complex block of a real model as the real symmetric matrix of its standing waves
        (:mod:`~localpairs.solvers.hilbert.real_form`; compiled builder only, where the reflections
        it needs commute with the model). The returned states are the block's complex vectors
        either way.

    Returns
    -------
    EDResult
        The eigenpairs, with the basis, the method, the memory estimate and the timings.
    """
    built = build_sector_matrix(model, sec, n_states=n_states, dense_threshold=dense_threshold, memory_budget_gb=memory_budget_gb,
                                builder=builder, representatives=representatives, real_form=real_form)
    t0 = time.perf_counter()
    energies, states, method = lowest_eigenpairs(built.matrix, n_states, dense_threshold=dense_threshold, tol=tol)
    built.seconds["solve"] = time.perf_counter() - t0
    return ed_result(built, energies, states, method)


def ed_result(built: SectorMatrix, energies: np.ndarray, states: np.ndarray, method: str) -> EDResult:
    """The :class:`EDResult` of eigenpairs of a built sector matrix.

    Parameters
    ----------
    built : SectorMatrix
        The matrix and its basis.
    energies : numpy.ndarray
        (k,) eigenvalues in eV, ascending.
    states : numpy.ndarray
        (dim, k) eigenvectors of ``built.matrix`` (in its standing-wave form when ``built.form`` is set).
    method : str
        How they were found.

    Returns
    -------
    EDResult
        With the states in the block's basis.
    """
    if built.form is not None:
        states = built.form.to_block(states)
    return EDResult(model=built.model, sector=built.sector, energies=energies, states=states, matrix_basis=built.basis, method=method,
                    estimate=built.estimate, hermiticity=built.hermiticity, seconds=dict(built.seconds), builder=built.builder)


def lowest_eigenpairs(matrix: sp.spmatrix, n_states: int, *, dense_threshold: int, tol: float,
                      operator: spla.LinearOperator | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Find the lowest ``min(n_states, dim)`` eigenpairs of a Hermitian matrix.

    Dense ``eigh`` at or below ``dense_threshold`` (or when nearly all pairs are wanted), else
    ``eigsh`` (tolerance ``tol``) from a fixed random start vector (reproducible results), with
    the products of :func:`matvec_operator`. BLAS runs on one thread for both
    (:mod:`.blas_threads`; on a shared machine a 392-state ``eigh`` took seconds on two).

    Parameters
    ----------
    matrix : scipy.sparse.spmatrix
        The Hermitian matrix in eV.
    n_states : int
        Number of eigenpairs wanted.
    dense_threshold : int
        Dimension at or below which ``eigh`` is used.
    tol : float
        ``eigsh`` tolerance (0: machine precision).
    operator : scipy.sparse.linalg.LinearOperator or None, optional
        The products ``eigsh`` uses (e.g. counted); default :func:`matvec_operator` of ``matrix``.

    Returns
    -------
    energies : numpy.ndarray
        (k,) eigenvalues in eV, ascending.
    states : numpy.ndarray
        (dim, k) eigenvectors.
    method : str
        ``"dense"`` or ``"lanczos"``.
    """
    dim = matrix.shape[0]
    k = min(n_states, dim)
    if dim <= dense_threshold or k >= dim - 1:
        with single_threaded_blas():
            energies, states = np.linalg.eigh(matrix.toarray())
        return np.asarray(energies[:k], dtype=float), states[:, :k], "dense"
    v0 = np.random.default_rng(12345).standard_normal(dim).astype(matrix.dtype)
    with single_threaded_blas():
        energies, states = spla.eigsh(matvec_operator(matrix) if operator is None else operator, k=k, which="SA", v0=v0, tol=tol)
    order = np.argsort(energies)
    return np.asarray(energies[order], dtype=float), states[:, order], "lanczos"


def matvec_operator(matrix: sp.spmatrix) -> sp.spmatrix | spla.LinearOperator:
    """Wrap ``matrix`` for ``eigsh`` in QuSpin's OpenMP product where that pays.

    From :data:`PARALLEL_MATVEC_MIN_DIM` states on (SciPy's CSR product is single-threaded);
    below that, or for a matrix that is not CSR, the matrix is returned as it is.

    Parameters
    ----------
    matrix : scipy.sparse.spmatrix
        The matrix.

    Returns
    -------
    scipy.sparse.spmatrix or scipy.sparse.linalg.LinearOperator
        The matrix itself or a linear operator with the OpenMP product.
    """
    dim = matrix.shape[0]
    if dim < PARALLEL_MATVEC_MIN_DIM or not sp.isspmatrix_csr(matrix):
        return matrix
    from quspin.tools.misc import get_matvec_function

    kernel = get_matvec_function(matrix)

    def product(x: np.ndarray) -> np.ndarray:
        out = np.empty(dim, dtype=np.result_type(matrix.dtype, x.dtype))
        kernel(matrix, np.ascontiguousarray(x).reshape(-1), out=out, overwrite_out=True)
        return out

    return spla.LinearOperator(matrix.shape, matvec=product, dtype=matrix.dtype)


def charge_ladder(
    model: Model,
    electrons: int,
    *,
    spread: int = 2,
    memory_budget_gb: float | None = None,
    dense_threshold: int = DENSE_THRESHOLD,
) -> dict[int, float]:
    """Solve the ground energies E(N) for N = electrons − spread … electrons + spread.

    Each N in its lowest-|S_z| sector. Sectors that do not exist on the cluster (N < 0 or
    N > 2·sites, or no states) are skipped.

    Parameters
    ----------
    model : Model
        The model.
    electrons : int
        Central electron number N₀.
    spread : int, optional
        Largest offset |N − N₀|.
    memory_budget_gb : float or None, optional
        As for :func:`solve` (GB).
    dense_threshold : int, optional
        As for :func:`solve`.

    Returns
    -------
    dict of int to float
        ``{N: E(N)}`` in eV.
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
