r"""The Lanczos recursion of the package (:func:`lanczos_recursion`) and continued fractions for spectra.

Continued-fraction spectra (:func:`lanczos_chain`), Krylov exponentials
(:mod:`~localpairs.solvers.dynamics.krylov`), optical transitions and the lowest levels of
momentum sub-blocks (:mod:`~localpairs.solvers.lanczos_lowest`) all run :func:`lanczos_recursion`.

For a start vector ``|φ⟩ = O|ψ⟩`` and a Hermitian matrix ``H`` the recursion builds the
tridiagonal matrix ``T`` (diagonal ``α``, off-diagonal ``β``) of ``H`` in the Krylov space of
``|φ⟩``, and

.. math::

    G(z) = \langle φ|(z - H)^{-1}|φ\rangle
         = \cfrac{\|φ\|^2}{z - α_0 - \cfrac{β_1^2}{z - α_1 - \cfrac{β_2^2}{z - α_2 - \dots}}}

is evaluated as a continued fraction. The poles and weights of the same ``G`` are the
eigenvalues of ``T`` and ``‖φ‖² |U_{0n}|²`` (Gauss quadrature): ``2m − 1`` spectral moments are
exact after ``m`` steps, so band edges and well separated peaks converge fastest.

Reorthogonalization
-------------------
In floating point the Lanczos vectors lose orthogonality once a Ritz value converges, and the
plain recursion then produces copies ("ghosts") of converged poles. The copies share the weight
of the pole they copy (Paige; Greenbaum), so broadened spectra and moments stay correct: the
plain three-term recursion is the standard Haydock method and costs one matrix–vector product
plus five vector passes per step. Full reorthogonalization (classical Gram–Schmidt, applied
twice) keeps every vector and costs ``4 k·dim`` operations at step k, against about ``15 dim``
for the matrix–vector product: at 150 steps it is 40× the cost of the recursion. It is the
default only where it is cheap in absolute terms: when ``m² × dim ≤`` :data:`FULL_REORTH_BUDGET`
with ``m = min(steps, dim)``. That covers sectors up to ~400 states run to exhaustion (the
Krylov space then ends cleanly and the continued fraction is exact, as the tests require).
Pass ``reorthogonalize`` to choose.

Vector operations are two fused single-threaded numba passes per step (``w −= β v_prev`` with
Re⟨v|w⟩; then ``w −= α v`` with ``‖w‖²``): on a machine shared with other jobs, threaded BLAS
calls (``numpy.vdot``, ``axpy``) next to QuSpin's OpenMP kernel cost 5–13 ms each at 4 × 10⁵
states, against 0.3 ms for a plain pass.

Matrix–vector products: from :data:`PARALLEL_MATVEC_MIN_DIM` states on, QuSpin's OpenMP kernel
(``quspin.tools.misc.get_matvec_function``) accumulates ``H v`` into the vector that already
holds ``−β v_prev`` (no temporaries); below it a single-threaded kernel (:mod:`~localpairs.solvers.matvec`) writes ``H v``
in place (on a machine shared with other jobs the OpenMP kernel was 80× slower than SciPy at
4,000 states; a real H with complex vectors is not upcast). A ``matvec(x, out)`` callable is used as given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeAlias, cast

import numba
import numpy as np
import scipy.sparse as sp

from localpairs.errors import require
from localpairs.solvers.lanczos_chain import FWHM_PER_SIGMA, LanczosChain, broadened_spectrum, lorentzian_spectrum, pole_spectrum  # noqa: F401 - re-exported
from localpairs.solvers.matvec import serial_product

#: β_k below this fraction of the largest |α|, β seen so far ends the recursion: the Krylov space
#: is exhausted. Dropping the rest of the fraction changes G by O(β²/η²) ≈ 1e-20 relative.
BREAKDOWN_TOL = 1e-10
#: Full reorthogonalization by default when ``min(steps, dim)² × dim`` is at most this (≲ 0.5 s).
FULL_REORTH_BUDGET = 70_000_000
#: Dimension from which QuSpin's OpenMP matrix–vector kernel is used (QUSPIN.md: threads help above ~1e5).
PARALLEL_MATVEC_MIN_DIM = 100_000


@numba.njit(cache=True)
def _real_dot(v, w):  # pragma: no cover - compiled
    """Re ⟨v|w⟩ in one single-threaded pass."""
    s = 0.0
    for i in range(v.size):
        s += (np.conj(v[i]) * w[i]).real
    return s


@numba.njit(cache=True)
def _residual_dot(w, v_prev, beta, v, diag):  # pragma: no cover - compiled
    """w ← (w − β v_prev) + diag·v (``diag`` empty: no diagonal) and return Re ⟨v|w⟩, in one pass."""
    s = 0.0
    if diag.size:
        for i in range(v.size):
            w[i] = (w[i] - beta * v_prev[i]) + diag[i] * v[i]
            s += (np.conj(v[i]) * w[i]).real
    else:
        for i in range(v.size):
            w[i] = w[i] - beta * v_prev[i]
            s += (np.conj(v[i]) * w[i]).real
    return s


@numba.njit(cache=True)
def _axpy_norm2(a, v, w):  # pragma: no cover - compiled
    """w ← w − a v and return ‖w‖², fused in one single-threaded pass."""
    s = 0.0
    for i in range(v.size):
        w[i] -= a * v[i]
        s += w[i].real ** 2 + w[i].imag ** 2
    return s


#: ``matvec(x, out)`` writes ``H x`` into ``out`` (and returns it).
Matvec = Callable[[np.ndarray, np.ndarray], np.ndarray]
Operator: TypeAlias = "sp.spmatrix | Matvec"


def _residual_step(operator: Operator, start: np.ndarray, diagonal: np.ndarray | None) -> Callable[[np.ndarray, np.ndarray, float, np.ndarray], float]:
    """``step(v, v_prev, β, w)``: leaves ``w = H v − β v_prev (+ diag v)`` and returns ``Re⟨v|w⟩``.

    A CSR matrix from :data:`PARALLEL_MATVEC_MIN_DIM` states on accumulates QuSpin's OpenMP
    product into ``w = −β v_prev`` (``w`` may be ``v_prev``'s buffer); otherwise ``H v`` is
    written into ``w`` (SciPy's serial CSR kernel, or the callable) and one fused pass subtracts
    ``β v_prev``, adds the diagonal and takes the product. ``w`` must not alias ``v_prev`` then.
    """
    diag = np.zeros(0) if diagonal is None else np.asarray(diagonal, dtype=float)
    if not sp.issparse(operator):
        matvec = cast(Matvec, operator)

        def step_matvec(v, v_prev, beta, w):
            matvec(v, w)
            return _residual_dot(w, v_prev, beta, v, diag)
        return step_matvec
    matrix, dim = cast("sp.spmatrix", operator).tocsr(), start.size
    if dim >= PARALLEL_MATVEC_MIN_DIM:
        from quspin.tools.misc import get_matvec_function

        kernel = get_matvec_function(matrix)

        def step_openmp(v, v_prev, beta, w):
            np.multiply(v_prev, -beta, out=w)
            kernel(matrix, v, out=w, overwrite_out=False)
            if diag.size:
                w += diag * v
            return _real_dot(v, w)
        return step_openmp

    product = serial_product(matrix, start.dtype)  # a real matrix with complex vectors: no complex copy of its values

    def step_serial(v, v_prev, beta, w):
        product(v, w)
        return _residual_dot(w, v_prev, beta, v, diag)
    return step_serial


def lanczos_recursion(
    operator: Operator,
    start: np.ndarray,
    *,
    m_max: int,
    vectors: np.ndarray | None = None,
    reorthogonalize: bool = False,
    breakdown_tol: float = BREAKDOWN_TOL,
    diagonal: np.ndarray | None = None,
) -> Iterator[tuple[int, np.ndarray, np.ndarray, bool]]:
    """Run the Lanczos recursion of a Hermitian ``H`` from a unit vector: the one every solver uses.

    Step j: ``w = H v_j − β_{j−1} v_{j−1}``, ``α_j = Re⟨v_j|w⟩``, ``w −= α_j v_j``,
    ``β_j = ‖w‖``, ``v_{j+1} = w/β_j``; at most ``m_max`` steps.

    Cost model: one matrix–vector product and two fused single-threaded vector passes per step
    (the module docstring says why not BLAS). Memory: three vectors of ``dim``, or
    ``vectors`` (``(m_max + 1, dim)``, caller-owned) when the Lanczos vectors are kept (Krylov
    exponentials; required for ``reorthogonalize``, which adds classical Gram–Schmidt against
    every kept vector, twice: ``4 j·dim`` operations at step j).

    Parameters
    ----------
    operator : scipy.sparse.spmatrix or callable
        A Hermitian sparse matrix (eV), or ``matvec(x, out)`` writing ``H x`` into ``out``.
    start : numpy.ndarray
        The normalized start vector; its dtype (or ``vectors``') is the vectors' dtype.
    m_max : int
        Largest number of steps.
    vectors : numpy.ndarray or None, optional
        Caller-owned ``(m_max + 1, dim)`` array that keeps the Lanczos vectors (row j is
        ``v_j``); None keeps three cycled vectors only.
    reorthogonalize : bool, optional
        Full reorthogonalization against every kept vector (needs ``vectors``).
    breakdown_tol : float, optional
        ``β_j ≤ breakdown_tol × max(|α|, β seen)`` ends the recursion (Krylov space exhausted).
    diagonal : numpy.ndarray or None, optional
        Optional real vector added to the diagonal of ``H`` in eV (e.g. a core-hole potential).

    Yields
    ------
    j : int
        The step just done.
    alpha, beta : numpy.ndarray
        The coefficient buffers (eV): ``alpha[:j+1]`` and ``beta[:j+1]`` are valid (``beta[j]``
        the residual norm); reused, not copied.
    invariant : bool
        True when the Krylov space is exhausted: ``v_{j+1}`` is then not formed and the caller
        must stop.

    Raises
    ------
    InputError
        When ``reorthogonalize`` is set without ``vectors``.
    """
    require(not reorthogonalize or vectors is not None, "vectors", None, "an (m_max + 1, dim) array when reorthogonalize is set")
    step = _residual_step(operator, start, diagonal)
    kept = vectors is not None
    if vectors is None:
        vectors = np.empty((3, start.size), dtype=start.dtype)  # v_{j−1}, v_j, v_{j+1}, cycled
    vectors[0] = start
    alpha, beta = np.zeros(m_max), np.zeros(m_max)
    scale = 0.0
    for j in range(m_max):
        v, w = vectors[j if kept else j % 3], vectors[j + 1 if kept else (j + 1) % 3]
        v_prev = vectors[j - 1 if kept else (j - 1) % 3] if j else v
        a = step(v, v_prev, beta[j - 1] if j else 0.0, w)
        b2 = _axpy_norm2(a, v, w)
        if reorthogonalize:
            done = vectors[: j + 1]
            for _ in range(2):  # classical Gram–Schmidt, twice; ⟨v_i|w⟩ = conj(v_i^T conj(w))
                w -= (done @ w.conj()).conj() @ done
            b2 = float(np.vdot(w, w).real)
        b = float(np.sqrt(b2))
        alpha[j], beta[j] = a, b
        scale = max(scale, abs(a), b)
        invariant = b <= breakdown_tol * scale
        if not invariant:
            w *= 1.0 / b
        yield j, alpha, beta, invariant


def lanczos_chain(
    operator: Operator,
    phi: np.ndarray,
    *,
    n_steps: int,
    diagonal: np.ndarray | None = None,
    reorthogonalize: bool | None = None,
    until: Callable[[np.ndarray, np.ndarray], bool] | None = None,
) -> LanczosChain:
    """Build the :class:`LanczosChain` of ``operator (+ diag(diagonal))`` from ``phi``.

    Runs :func:`lanczos_recursion`.

    Parameters
    ----------
    operator : scipy.sparse.spmatrix or callable
        Hermitian sparse matrix (CSR, eV), real or complex, or ``matvec(x, out)``.
    phi : numpy.ndarray
        Start vector (not necessarily normalized; a zero vector gives an empty chain).
    n_steps : int
        Largest number of steps; fewer when the Krylov space is exhausted.
    diagonal : numpy.ndarray or None, optional
        Optional real vector added to the diagonal in eV (e.g. a core-hole potential).
    reorthogonalize : bool or None, optional
        Full reorthogonalization; default: when ``min(n_steps, dim)² × dim ≤``
        :data:`FULL_REORTH_BUDGET` (see the module docstring).
    until : callable or None, optional
        Optional stopping rule ``until(alpha, beta) → bool`` called after each step with the
        coefficients so far (``alpha[:m]``, ``beta[:m − 1]``): True ends the chain there (e.g. a
        converged spectrum); ``n_steps`` stays the cap.

    Returns
    -------
    LanczosChain
        The chain, with ``norm2 = ‖phi‖²``.

    Raises
    ------
    InputError
        When ``n_steps`` is not an integer ≥ 1 or ``phi`` does not match the matrix.
    """
    require(isinstance(n_steps, (int, np.integer)) and n_steps >= 1, "n_steps", n_steps, "an integer ≥ 1")
    start = time.perf_counter()
    phi = np.asarray(phi)
    dim = phi.size
    if sp.issparse(operator):
        rows = cast("sp.spmatrix", operator).shape[0]
        require(phi.shape == (rows,), "phi", phi.shape, f"a vector of length {rows} (the sector dimension)")
    dtype = np.result_type(getattr(operator, "dtype", phi.dtype), phi.dtype, np.float64)
    norm = float(np.linalg.norm(phi))
    if norm == 0.0:
        return LanczosChain(np.zeros(0), np.zeros(0), 0.0, seconds=time.perf_counter() - start)
    m_max = int(min(n_steps, dim))
    full = m_max**2 * dim <= FULL_REORTH_BUDGET if reorthogonalize is None else bool(reorthogonalize)
    vectors = np.empty((m_max + 1, dim), dtype=dtype) if full else None
    m, exhausted = 0, False
    # alpha, beta are the recursion's coefficient buffers, read after the loop
    for j, alpha, beta, invariant in lanczos_recursion(operator, (phi / norm).astype(dtype), m_max=m_max, vectors=vectors,
                                                       reorthogonalize=full, diagonal=diagonal):
        m = j + 1
        if j == m_max - 1 or invariant:
            exhausted = invariant if j < m_max - 1 else (full and j == dim - 1)
            break
        if until is not None and until(alpha[:m], beta[: m - 1]):
            break
    return LanczosChain(alpha=alpha[:m].copy(), beta=beta[: m - 1].copy(), norm2=norm**2, reorthogonalized=full,
                        exhausted=exhausted, seconds=time.perf_counter() - start)
