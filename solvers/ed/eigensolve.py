"""Exact diagonalization: lowest eigenpairs of a model in a sector. :func:`solve` is the one entry point.

Basis and matrix: in a symmetry block of a spinful-fermion model the compiled block builder
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

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians import Model
from localpairs.solvers.ed.blas_threads import single_threaded_blas
from localpairs.solvers.hilbert.basis import build_basis, hamiltonian_matrix, hermiticity_residual, sector_dtype
from localpairs.solvers.hilbert.block_matrix import BlockBasis, Representatives, block_matrix, supported
from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD, MemoryEstimate, check_memory, estimate_memory
from localpairs.solvers.hilbert.real_form import RealForm, real_matrix, reflection_for, standing_wave_form
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import PARALLEL_MATVEC_MIN_DIM

#: Largest accepted relative hermiticity residual of a built matrix (round-off is ~1e-16).
HERMITICITY_TOL = 1e-10
#: How :func:`solve` builds basis and matrix: ``"auto"`` (compiled where it applies), or forced.
BUILDERS = ("auto", "compiled", "quspin")


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


def compiled_applies(model: Model, sec: Sector) -> bool:
    """Tell whether the compiled block builder handles ``sec``.

    Parameters
    ----------
    model : Model
        The model.
    sec : Sector
        The sector.

    Returns
    -------
    bool
        True for a spinful-fermion model in a symmetry block.
    """
    return bool(sec.blocks) and supported(model)


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
    return built.result(energies, states, method)


@dataclass
class SectorMatrix:
    """A sector's Hamiltonian matrix as the eigensolver sees it, with its basis and how it was built.

    Parameters
    ----------
    model : Model
        The model.
    sector : Sector
        The sector.
    matrix : scipy.sparse.csr_matrix
        The matrix in eV (the real standing-wave form of a complex block when ``form`` is set).
    basis : Any
        The basis of the block (QuSpin's, or a compiled :class:`BlockBasis`).
    form : RealForm or None
        The standing-wave form ``matrix`` is in (None: the block's own basis).
    estimate : MemoryEstimate
        The memory estimate made before building.
    hermiticity : float
        Relative hermiticity residual of the built matrix.
    builder : str
        ``"compiled"`` or ``"quspin"``.
    seconds : dict
        Wall time in s of basis and matrix build (the eigensolver adds ``solve``).
    """

    model: Model
    sector: Sector
    matrix: sp.csr_matrix
    basis: Any
    form: RealForm | None
    estimate: MemoryEstimate
    hermiticity: float
    builder: str
    seconds: dict

    @property
    def dimension(self) -> int:
        """Sector dimension."""
        return int(self.matrix.shape[0])

    def result(self, energies: np.ndarray, states: np.ndarray, method: str) -> EDResult:
        """The :class:`EDResult` of eigenpairs of :attr:`matrix`.

        Parameters
        ----------
        energies : numpy.ndarray
            (k,) eigenvalues in eV, ascending.
        states : numpy.ndarray
            (dim, k) eigenvectors of :attr:`matrix` (in the standing-wave form when :attr:`form` is set).
        method : str
            How they were found.

        Returns
        -------
        EDResult
            With the states in the block's basis.
        """
        if self.form is not None:
            states = self.form.to_block(states)
        return EDResult(model=self.model, sector=self.sector, energies=energies, states=states, matrix_basis=self.basis, method=method,
                        estimate=self.estimate, hermiticity=self.hermiticity, seconds=dict(self.seconds), builder=self.builder)


def build_sector_matrix(model: Model, sec: Sector, *, n_states: int = 1, dense_threshold: int = DENSE_THRESHOLD,
                        memory_budget_gb: float | None = None, builder: str = "auto", representatives: Representatives | None = None,
                        real_form: bool = True) -> SectorMatrix:
    """Check the memory estimate, then build the basis and the matrix of ``model`` in ``sec``.

    Parameters
    ----------
    model, sec : Model, Sector
        The Hamiltonian and the sector.
    n_states, dense_threshold : int, optional
        Eigenpairs to be found and the dense threshold (for the memory estimate).
    memory_budget_gb : float or None, optional
        As for :func:`solve` (GB).
    builder : str, optional
        As for :func:`solve`.
    representatives : Representatives or None, optional
        As for :func:`solve`.
    real_form : bool, optional
        As for :func:`solve`.

    Returns
    -------
    SectorMatrix
        The matrix, its basis and build times.

    Raises
    ------
    InputError
        For a bad ``n_states``, ``dense_threshold`` or ``builder``.
    LocalPairsError
        When the sector is empty or the built matrix is not Hermitian.
    """
    require(isinstance(n_states, int) and n_states >= 1, "n_states", n_states, "an integer ≥ 1")
    require(dense_threshold >= 0, "dense_threshold", dense_threshold, "a non-negative integer")
    require(builder in BUILDERS, "builder", builder, " or ".join(BUILDERS))
    compiled = builder == "compiled" or (builder == "auto" and compiled_applies(model, sec))
    require(not compiled or compiled_applies(model, sec), "builder", builder,
            "'auto' or 'quspin' here (the compiled builder needs a spinful-fermion model in a symmetry block)")
    estimate = estimate_memory(model, sec, n_states=n_states, dense_threshold=dense_threshold)
    if estimate.dimension == 0:
        raise LocalPairsError(f"sector {sec.label()} of {model.kind} on {model.cluster.describe()} has no states")
    check_memory(model, sec, estimate, memory_budget_gb)
    seconds = {}
    t0 = time.perf_counter()
    compiled_reps: Representatives | None = None  # set when the compiled block build is used
    if compiled:
        resolved = resolve_blocks(model, sec.blocks)
        if representatives is None or representatives.names != tuple(resolved):
            representatives = Representatives(resolved, n_sites=model.n_sites, n_up=sec.n_up, n_down=sec.n_down)
        compiled_reps = representatives
        basis = representatives.block({n: q for n, (_, _, q) in resolved.items()}, sector_dtype(model, sec))
    else:
        basis = build_basis(model, sec)
    seconds["basis"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if compiled_reps is not None:
        matrix, form = _compiled_matrix(model, sec, compiled_reps, basis, real_form=real_form)
    else:
        matrix, form = hamiltonian_matrix(model, basis), None
    seconds["matrix"] = time.perf_counter() - t0
    herm = hermiticity_residual(matrix) if matrix.shape[0] else 0.0
    if herm > HERMITICITY_TOL:
        raise LocalPairsError(f"Hamiltonian is not Hermitian: relative residual {herm:.2e}")
    return SectorMatrix(model=model, sector=sec, matrix=matrix, basis=basis, form=form, estimate=estimate, hermiticity=herm,
                        builder="compiled" if compiled else "quspin", seconds=seconds)


def _compiled_matrix(model: Model, sec: Sector, reps: Representatives, basis: BlockBasis, *,
                     real_form: bool) -> tuple[sp.csr_matrix, RealForm | None]:
    """The block's matrix by the compiled builder: in its real form (and that form) for a complex
    block where :func:`~localpairs.solvers.hilbert.real_form.reflection_for` finds one, else as built."""
    matrix = block_matrix(model, reps, basis)
    reflection = reflection_for(model, sec.blocks) if real_form and np.dtype(basis.localpairs_dtype).kind == "c" else None
    if reflection is None:
        return matrix, None
    form = standing_wave_form(reps, basis, reflection)
    return real_matrix(matrix, form), form


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
