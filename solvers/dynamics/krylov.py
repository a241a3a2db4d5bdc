r"""Lanczos (Krylov) approximation of ``exp(−iτH) v`` for a Hermitian ``H``.

After ``m`` Lanczos steps ``H V_m = V_m T_m + β_m v_{m+1} e_m^T`` and

.. math:: e^{-iτH} v ≈ ‖v‖\, V_m\, e^{-iτT_m} e_1 .

Error estimate (Saad 1992; Hochbruck & Lubich 1997): the first neglected term,
``‖v‖ β_m |e_m^T e^{-iτT_m} e_1|``, checked after every step; the recursion stops when it is
below ``tol`` or when ``β_m`` vanishes (the Krylov space is invariant and the result exact). The
estimate is sharp once the approximation converges superlinearly, which is where it is used:
callers choose ``tol`` a decade below their error budget. ``exp(−iτT_m)e_1`` is a compiled Taylor
series on the shifted tridiagonal matrix where ``|τ|‖T_m‖`` is small (the driven steps: ~2–4 µs
against ~8 µs through LAPACK's ``dstev`` at m = 8, once per Lanczos step), LAPACK above.

The recursion is the shared :func:`~localpairs.solvers.lanczos.lanczos_recursion` (serial fused
numba passes, not BLAS: multithreaded OpenBLAS level-1/2 calls on vectors of a few thousand
entries were five times slower on a shared, oversubscribed machine, and serial loops keep results
bit-for-bit reproducible), keeping its vectors in a :class:`KrylovWorkspace`.

No reorthogonalization: for the short recursions used in time stepping (≲ 40 steps) the loss of
orthogonality does not spoil matrix-function approximations (Druskin, Greenbaum & Knizhnerman,
SIAM J. Sci. Comput. 19, 38 (1998)); norm conservation is checked by the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numba
import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.linalg.lapack import dstev

from localpairs.errors import LocalPairsError
from localpairs.solvers.lanczos import Operator, lanczos_recursion

#: β below this (relative to the largest |α|, β seen) ends the recursion: invariant subspace.
BREAKDOWN_TOL = 1e-13
#: Round-off level of the a-posteriori error estimate (relative to ‖v‖).
ROUNDOFF = 1e-14


@dataclass
class KrylovResult:
    """Outcome of :func:`expm_lanczos`.

    Parameters
    ----------
    vector : numpy.ndarray
        ≈ exp(−iτH)v.
    steps : int
        Matrix–vector products used.
    error : float
        A-posteriori error estimate (same norm as v).
    converged : bool
        False when ``m_max`` vectors were not enough for the tolerance.
    """

    vector: np.ndarray
    steps: int
    error: float
    converged: bool


class KrylovWorkspace:
    """Preallocated Lanczos vectors: ``(m_max + 1) × dim`` complex numbers, reused by every call.

    Parameters
    ----------
    dim : int
        Length of the vectors.
    m_max : int
        Most Lanczos vectors per recursion.
    """

    def __init__(self, dim: int, m_max: int) -> None:
        self.m_max = int(m_max)
        self.V = np.empty((self.m_max + 1, dim), dtype=np.complex128)
        #: Incremented whenever a recursion overwrites ``V`` (guards :class:`KrylovPropagator`).
        self.generation = 0


@numba.njit(cache=True)
def _combine(y, V, scale, out):  # pragma: no cover - compiled
    """out = scale · Σ_k y_k v_k."""
    n = out.size
    for r in range(n):
        out[r] = 0.0
    for k in range(y.size):
        c = scale * y[k]
        vk = V[k]
        for r in range(n):
            out[r] += c * vk[r]


@numba.njit(cache=True)
def vector_norm(x):  # pragma: no cover - compiled
    """‖x‖ of a complex vector (serial, reproducible)."""
    s = 0.0
    for r in range(x.size):
        s += x[r].real * x[r].real + x[r].imag * x[r].imag
    return np.sqrt(s)


#: Most Taylor substeps of :func:`_exp_tridiagonal_taylor` (each with ‖τT‖/substeps ≤ 1/2) before LAPACK is cheaper.
TAYLOR_MAX_SUBSTEPS = 8


@numba.njit(cache=True)
def _exp_tridiagonal_taylor(alpha, beta, tau, y):  # pragma: no cover - compiled
    """``y = exp(−iτT) e_1`` by Taylor series on substeps; False (y untouched) when more than TAYLOR_MAX_SUBSTEPS are needed.

    T is shifted by the centre μ of its Gershgorin interval [μ − ρ, μ + ρ], so that ``‖T − μ‖ ≤ ρ``;
    each of ``s = ⌈2|τ|ρ⌉`` substeps sums the series of ``exp(−iτ(T − μ)/s)`` (norm of the argument
    ≤ 1/2) until a term is below 1e-18 of ‖e_1‖ (about 15 terms), and the phase ``e^{−iτμ}`` is applied last.
    """
    m = alpha.size
    lo, hi = alpha[0], alpha[0]
    for i in range(m):
        r = (beta[i - 1] if i > 0 else 0.0) + (beta[i] if i < m - 1 else 0.0)
        lo, hi = min(lo, alpha[i] - r), max(hi, alpha[i] + r)
    mu, rho = 0.5 * (lo + hi), 0.5 * (hi - lo)
    subs = max(1, int(np.ceil(2.0 * abs(tau) * rho)))
    if subs > TAYLOR_MAX_SUBSTEPS:
        return False
    dt = tau / subs
    term, new = np.empty(m, dtype=np.complex128), np.empty(m, dtype=np.complex128)
    y[:m] = 0.0
    y[0] = 1.0
    for _ in range(subs):
        term[:] = y[:m]
        for k in range(1, 60):
            c = -1j * dt / k
            size = 0.0
            for i in range(m):
                acc = (alpha[i] - mu) * term[i]
                if i > 0:
                    acc += beta[i - 1] * term[i - 1]
                if i < m - 1:
                    acc += beta[i] * term[i + 1]
                new[i] = c * acc
                size += new[i].real * new[i].real + new[i].imag * new[i].imag
            for i in range(m):
                term[i] = new[i]
                y[i] += new[i]
            if size < 1e-36:
                break
    phase = np.exp(-1j * tau * mu)
    for i in range(m):
        y[i] *= phase
    return True


def _exp_tridiagonal(alpha: np.ndarray, beta: np.ndarray, tau: float) -> np.ndarray:
    """``exp(−iτT) e_1`` for the symmetric tridiagonal T (diagonal alpha, off-diagonal beta).

    A compiled Taylor series where ``|τ|‖T‖`` is small (:func:`_exp_tridiagonal_taylor`, ~2 µs for the
    8 × 8 matrices of a driven step against ~8 µs through LAPACK), otherwise LAPACK's ``dstev``.
    """
    if alpha.size == 1:
        return np.array([np.exp(-1j * tau * alpha[0])])
    y = np.empty(alpha.size, dtype=np.complex128)
    if _exp_tridiagonal_taylor(alpha, beta, tau, y):
        return y
    evals, evecs, info = dstev(alpha, beta, compute_v=1)  # LAPACK directly: scipy's wrapper costs ~0.1 ms
    if info != 0:  # pragma: no cover - LAPACK failure, fall back to the checked wrapper
        evals, evecs = eigh_tridiagonal(alpha, beta)
    return evecs @ (np.exp(-1j * tau * evals) * evecs[0])


def expm_lanczos(
    matvec: Operator,
    v: np.ndarray,
    tau: float,
    *,
    tol: float,
    work: KrylovWorkspace,
    m_min: int = 2,
    diagonal: np.ndarray | None = None,
) -> KrylovResult:
    """``exp(−iτH) v`` by Lanczos.

    Parameters
    ----------
    matvec
        ``matvec(x, out)`` writes ``H x`` into ``out``, or H as a CSR matrix (a real one is not
        upcast, :func:`~localpairs.solvers.lanczos.lanczos_recursion`).
    v
        Start vector (complex, any norm).
    tau
        Time step over ħ, in 1/eV (``h/ħ``).
    tol
        Absolute error target on the result (same norm as ``v``).
    work
        Lanczos vectors, see :class:`KrylovWorkspace`.
    m_min
        Fewest steps before the error estimate is trusted.
    diagonal
        Real vector (eV) added to the diagonal of H, or None.

    Returns
    -------
    KrylovResult
        The vector, the products used, the error estimate and whether it met ``tol``.
    """
    v = np.ascontiguousarray(v, dtype=np.complex128)
    out = np.empty_like(v)
    beta0 = float(vector_norm(v))
    if beta0 == 0.0:
        return KrylovResult(np.zeros_like(v), 0, 0.0, True)
    y = np.ones(1, dtype=np.complex128)
    err = np.inf
    for j, alpha, beta, invariant in _recursion(matvec, v, beta0, work, diagonal):
        y = _exp_tridiagonal(alpha[: j + 1], beta[:j], tau)
        err = beta0 * beta[j] * abs(y[j])
        if invariant or (j + 1 >= m_min and err <= tol):
            _combine(y, work.V, beta0, out)
            return KrylovResult(out, j + 1, err, True)
    _combine(y, work.V, beta0, out)
    return KrylovResult(out, work.m_max, err, False)


def _recursion(matvec: Operator, v: np.ndarray, beta0: float, work: KrylovWorkspace,
               diagonal: np.ndarray | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray, bool]]:
    """:func:`~localpairs.solvers.lanczos.lanczos_recursion` from ``v`` (norm ``beta0`` > 0) into ``work.V``."""
    work.generation += 1
    np.multiply(v, 1.0 / beta0, out=work.V[0])
    return lanczos_recursion(matvec, work.V[0], m_max=work.m_max, vectors=work.V, breakdown_tol=BREAKDOWN_TOL, diagonal=diagonal)


class KrylovPropagator:
    """``exp(−isH) v`` for every ``0 ≤ s ≤ tau`` from one Lanczos basis (see :func:`propagate_lanczos`).

    Valid only while the workspace's vectors are untouched: :meth:`vector` raises once another
    recursion has run on the same workspace.

    Parameters
    ----------
    work : KrylovWorkspace
        The workspace holding the Lanczos vectors.
    alpha, beta : numpy.ndarray
        Diagonal and off-diagonal of the Lanczos matrix T (``beta`` has at least ``alpha.size`` entries:
        its last one is the residual norm β_m).
    beta0 : float
        ‖v‖.
    tau : float
        Longest supported time over ħ (1/eV).
    exact : bool
        The Krylov space is invariant (no error).
    """

    def __init__(self, work: KrylovWorkspace, alpha: np.ndarray, beta: np.ndarray, beta0: float, tau: float, exact: bool) -> None:
        self.work, self.generation = work, work.generation
        self.m = alpha.size
        self.beta0, self.tau, self.exact = beta0, tau, exact
        self.last_beta = float(beta[self.m - 1])  # β_m: the residual norm after the last step
        if self.m == 1:
            self.evals, self.evecs = alpha.copy(), np.ones((1, 1))
        else:
            self.evals, self.evecs = eigh_tridiagonal(alpha, beta[: self.m - 1])

    def coefficients(self, s: float) -> np.ndarray:
        """``exp(−isT) e_1`` in the Lanczos basis.

        Parameters
        ----------
        s : float
            Time over ħ (1/eV).

        Returns
        -------
        numpy.ndarray
            The m coefficients.
        """
        return self.evecs @ (np.exp(-1j * s * self.evals) * self.evecs[0])

    def error(self, s: np.ndarray | float) -> np.ndarray:
        """Error estimate ``‖v‖ β_m |e_m^T exp(−isT) e_1|`` for each ``s`` (0 if the space is invariant).

        Parameters
        ----------
        s : float or numpy.ndarray
            Times over ħ (1/eV).

        Returns
        -------
        numpy.ndarray
            One estimate per time.
        """
        s = np.atleast_1d(np.asarray(s, dtype=float))
        if self.exact:
            return np.zeros(s.size)
        last = (np.exp(-1j * np.outer(s, self.evals)) * self.evecs[0]) @ self.evecs[-1]
        return self.beta0 * self.last_beta * np.abs(last)

    def vector(self, s: float) -> np.ndarray:
        """``exp(−isH) v`` for ``0 ≤ s ≤ tau``.

        Parameters
        ----------
        s : float
            Time over ħ (1/eV).

        Returns
        -------
        numpy.ndarray
            The propagated vector.

        Raises
        ------
        LocalPairsError
            When a later recursion has overwritten the workspace.
        """
        if self.work.generation != self.generation:
            raise LocalPairsError("the Lanczos basis of this propagator was overwritten by a later recursion")
        out = np.empty(self.work.V.shape[1], dtype=np.complex128)
        _combine(self.coefficients(s), self.work.V, self.beta0, out)
        return out


def propagate_lanczos(
    matvec: Operator,
    v: np.ndarray,
    tau_max: float,
    *,
    error_rate: float,
    work: KrylovWorkspace,
    m_min: int = 4,
) -> KrylovPropagator:
    """One Lanczos basis for ``exp(−isH) v`` and the longest step ``tau ≤ tau_max`` it supports.

    The recursion stops as soon as the error estimate at ``tau_max`` is below
    ``error_rate · tau_max`` (or the Krylov space is invariant); otherwise, after ``m_max``
    vectors, ``tau`` is the largest time such that the estimate stays below ``error_rate · s``
    (plus its round-off level :data:`ROUNDOFF`·‖v‖) for all ``s ≤ tau`` on a fine logarithmic
    grid refined by bisection. A constant Hamiltonian therefore costs one Lanczos basis per ``tau``, and states at any time inside the step come
    for free (:meth:`KrylovPropagator.vector`). ``tau = 0`` means no step was possible.

    Parameters
    ----------
    matvec : callable or scipy.sparse.csr_matrix
        ``matvec(x, out)`` writes ``H x`` into ``out``, or H as a CSR matrix (real or complex).
    v : numpy.ndarray
        Start vector (complex, non-zero).
    tau_max : float
        Longest time over ħ wanted (1/eV).
    error_rate : float
        Error allowed per unit τ (same norm as ``v``).
    work : KrylovWorkspace
        Lanczos vectors.
    m_min : int
        Fewest steps before the error estimate is trusted.

    Returns
    -------
    KrylovPropagator
        The basis, with ``tau`` the longest supported time.

    Raises
    ------
    LocalPairsError
        When ``v`` is zero.
    """
    v = np.ascontiguousarray(v, dtype=np.complex128)
    beta0 = float(vector_norm(v))
    if beta0 == 0.0:
        raise LocalPairsError("propagate_lanczos needs a non-zero start vector")
    for j, alpha, beta, invariant in _recursion(matvec, v, beta0, work):
        if invariant:
            return KrylovPropagator(work, alpha[: j + 1], beta[: j + 1], beta0, tau_max, True)
        if j + 1 >= m_min:
            y = _exp_tridiagonal(alpha[: j + 1], beta[:j], tau_max)
            if beta0 * beta[j] * abs(y[j]) <= error_rate * tau_max:
                return KrylovPropagator(work, alpha[: j + 1], beta[: j + 1], beta0, tau_max, False)
    prop = KrylovPropagator(work, alpha, beta, beta0, tau_max, False)
    floor = ROUNDOFF * beta0  # the estimate is a sum of O(1) terms: it cannot resolve less

    def fine(s: np.ndarray) -> np.ndarray:
        return prop.error(s) <= error_rate * s + floor

    grid = tau_max * np.logspace(-6, 0, 241)
    ok = fine(grid)
    if not ok[0]:
        prop.tau = 0.0
        return prop
    bad = np.flatnonzero(~ok)
    if bad.size == 0:
        return prop
    lo, hi = grid[bad[0] - 1], grid[bad[0]]
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if fine(np.array([mid]))[0] else (lo, mid)
    prop.tau = lo
    return prop
