r"""``f(H)φ`` for one vector by Lanczos with its vectors kept, in real arithmetic when H and φ allow it.

``f(H)φ ≈ ‖φ‖ V_m f(T_m) e₁`` (``V_m`` the Lanczos vectors, ``T_m`` the tridiagonal matrix) for
functions that need many steps to resolve (a narrow spectral window such as the transform of a
pulse, :mod:`~localpairs.solvers.dynamics.linear_response`). No reorthogonalization: ghosts of
converged Ritz values share their weight and do not spoil matrix functions (Druskin, Greenbaum &
Knizhnerman, SIAM J. Sci. Comput. 19, 38 (1998)).

Real arithmetic
---------------
When every entry of the Hermitian ``H`` is real and ``φ = e^{iγ} r`` with ``r`` real (a real
ground state and a current operator that is ``i`` times a real antisymmetric matrix give exactly
that), the whole recursion from ``r`` is real: ``V_m`` and ``T_m`` are those of ``φ`` divided by
the phase, and ``f(H)φ = e^{iγ} ‖r‖ V_m f(T_m) e₁``. The vectors are then float64 (half the
memory of complex ones) and the products real-times-real (a real CSR copy of the matrix that shares
its index arrays: 8 bytes per non-zero). The phase and the test are those of :func:`~localpairs.solvers.real_arithmetic.real_form`. Otherwise the recursion runs
in complex arithmetic as before.

Memory: ``(steps + 1) × dim`` numbers (float64 or complex128), plus the real matrix copy; or,
with ``keep_vectors=False``, two passes (a stated trade of time for memory): the first runs the
recursion with three vectors to convergence, the second replays it from the start (the same
operations, hence the same vectors: checked on the coefficients, ``replay_change``) and adds
``c_k v_k`` as each ``v_k`` appears. Twice the products, ``3 + 2 × (1 + len(also))`` vectors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh_tridiagonal

from localpairs.solvers.dynamics.krylov import BREAKDOWN_TOL, vector_norm
from localpairs.solvers.lanczos import Matvec, lanczos_recursion
from localpairs.solvers.real_arithmetic import real_csr, real_form

#: Relative round-off level of the Lanczos coefficients (floor of the convergence test).
ROUNDOFF = 1e-13
#: Lanczos steps between two convergence checks of the coefficients.
CHECK_EVERY = 10


@dataclass(frozen=True, eq=False)
class KrylovFunction:
    """Result of :func:`lanczos_function`.

    Parameters
    ----------
    vectors : list of numpy.ndarray
        ``f(H)φ`` for the convergence function first, then each of ``also``.
    ritz_values, weights : numpy.ndarray
        Ritz values of ``T_m`` (eV) and ``‖φ‖²|U₀ₙ|²``, the weight of ``φ`` on each.
    steps : int
        Lanczos steps.
    converged : bool
        Whether the coefficients settled (or the Krylov space was exhausted).
    change : float
        Their last relative change.
    real_arithmetic : bool
        Whether the recursion ran in float64.
    replay_change : float
        Two passes: the largest change of a coefficient α, β in the second pass, relative to the
        largest |α|, β (0 for a bitwise replay; 0 with one pass).
    """

    vectors: list[np.ndarray]
    ritz_values: np.ndarray
    weights: np.ndarray
    steps: int
    converged: bool
    change: float
    real_arithmetic: bool
    replay_change: float = 0.0


class _Ring:
    """Three vectors indexed modulo 3: ``lanczos_recursion``'s kept-vector slots without keeping them (its step j
    reads slots j − 1, j, j + 1 only, so at its yield slot j still holds v_j)."""

    def __init__(self, dim: int, dtype: type) -> None:
        self.buf: np.ndarray = np.empty((3, dim), dtype=dtype)

    def __getitem__(self, j: int) -> np.ndarray:
        return self.buf[j % 3]

    def __setitem__(self, j: int, value: np.ndarray) -> None:
        self.buf[j % 3] = value


def _arithmetic(operator: sp.csr_matrix | Matvec, phi: np.ndarray, real_arithmetic: bool | None) -> tuple[complex, np.ndarray, Any, bool]:
    """``(phase, start, matrix, real)``: the real form of ``phi`` and ``operator`` when allowed and possible (module docstring)."""
    phase, start, matrix = 1.0 + 0j, np.asarray(phi), operator
    if real_arithmetic is not False and sp.issparse(operator):
        form, real = real_form(start), real_csr(operator)
        if form is not None and real is not None:
            (phase, start), matrix = form, real
    use_real = not np.iscomplexobj(start)
    if real_arithmetic and not use_real:
        raise ValueError("real_arithmetic=True needs a real-valued matrix and a start vector that is a phase times a real vector")
    return phase, start if use_real else np.ascontiguousarray(start, dtype=np.complex128), matrix, use_real


def lanczos_function(
    operator: sp.csr_matrix | Matvec,
    phi: np.ndarray,
    func: Callable[[np.ndarray], np.ndarray],
    *,
    steps: int,
    tol: float,
    g_max: float,
    resolved: Callable[[np.ndarray], bool],
    also: Sequence[Callable[[np.ndarray], np.ndarray]] = (),
    real_arithmetic: bool | None = None,
    keep_vectors: bool = True,
) -> KrylovFunction:
    """Evaluate ``‖φ‖ V_m f(T_m) e₁ ≈ f(H)φ`` for several functions from one Lanczos recursion.

    Parameters
    ----------
    operator : scipy.sparse.csr_matrix or callable
        Hermitian CSR matrix (eV) or ``matvec(x, out)``; only a matrix can run in real arithmetic.
    phi : numpy.ndarray
        Start vector (not normalized).
    func : callable
        The function whose coefficients decide convergence (of an array of Ritz values in eV).
    steps : int
        Most Lanczos steps (vectors kept).
    tol, g_max : float
        Stop when the coefficients of ``func`` change by at most ``max(tol·‖c‖, ROUNDOFF·g_max)``
        between checks (every :data:`CHECK_EVERY` steps; ``g_max = sup|func|``).
    resolved : callable
        ``resolved(ritz_values)``: whether the Ritz values resolve ``func`` enough to start comparing.
    also : sequence of callable, optional
        Further functions evaluated on the same Krylov space (no effect on convergence).
    real_arithmetic : bool or None, optional
        None: real when ``operator`` is a real-valued matrix and ``phi`` a phase times a real
        vector (module docstring); False: complex always; True: real (``ValueError`` if impossible).
    keep_vectors : bool, optional
        Keep the ``steps + 1`` Lanczos vectors (one pass), or hold three and replay the recursion
        (two passes: twice the products, memory independent of ``steps``; module docstring).

    Returns
    -------
    KrylovFunction
        ``f(H)φ`` for ``func`` and each of ``also``, with the Ritz values and convergence record.

    Raises
    ------
    ValueError
        ``real_arithmetic=True`` where the recursion cannot be real.
    """
    phase, start, matrix, use_real = _arithmetic(operator, phi, real_arithmetic)
    beta0 = float(np.linalg.norm(start)) if use_real else float(vector_norm(start))
    dim, dtype = start.size, np.float64 if use_real else np.complex128
    kept: Any = np.empty((steps + 1, dim), dtype=dtype) if keep_vectors else _Ring(dim, dtype)
    kept[0] = start / beta0
    previous, change, converged = None, math.inf, False
    m, theta, u = 1, np.zeros(1), np.ones((1, 1))
    for j, alpha, beta, invariant in lanczos_recursion(matrix, kept[0], m_max=steps, vectors=kept, breakdown_tol=BREAKDOWN_TOL):
        m = j + 1
        if not (invariant or m == steps or m % CHECK_EVERY == 0):
            continue
        theta, u = (alpha[:1].copy(), np.ones((1, 1))) if m == 1 else eigh_tridiagonal(alpha[:m], beta[: m - 1])
        coefs = u @ (func(theta) * u[0])
        if invariant:
            change, converged = 0.0, True
        elif previous is not None:
            diff = coefs.copy()
            diff[: previous.size] -= previous
            scale, moved = float(np.linalg.norm(coefs)), float(np.linalg.norm(diff))
            change = moved / scale if scale > 0 else 0.0
            converged = moved <= max(tol * scale, ROUNDOFF * g_max)
        if converged or m == steps:
            break
        if resolved(theta):
            previous = coefs
    coefs = [(phase * beta0) * (u @ (f(theta) * u[0])) for f in (func, *also)]
    if not keep_vectors:
        out, replay = _replay(matrix, kept, start / beta0, alpha[:m].copy(), beta[:m].copy(), coefs, use_real)
        return KrylovFunction(out, theta, beta0**2 * u[0] ** 2, m, converged, change, use_real, replay)
    out = [c.real @ kept[:m] + 1j * (c.imag @ kept[:m]) if use_real else c @ kept[:m] for c in coefs]
    return KrylovFunction(out, theta, beta0**2 * u[0] ** 2, m, converged, change, use_real)


def _replay(matrix: sp.csr_matrix | Matvec, ring: _Ring, start: np.ndarray, alpha: np.ndarray, beta: np.ndarray, coefs: list[np.ndarray],
            use_real: bool) -> tuple[list[np.ndarray], float]:
    """Second pass: the recursion again from ``v_0 = start`` in ``ring``, ``Σ_k c_k v_k`` for each ``c``; the largest coefficient change."""
    m, dim = alpha.size, start.size
    sums = [[np.zeros(dim), np.zeros(dim)] if use_real else [np.zeros(dim, dtype=np.complex128)] for _ in coefs]
    moved = 0.0
    for j, a, b, _invariant in lanczos_recursion(matrix, start, m_max=m, vectors=cast(Any, ring), breakdown_tol=BREAKDOWN_TOL):
        v = ring[j]
        for c, acc in zip(coefs, sums):
            if use_real:
                acc[0] += c[j].real * v
                acc[1] += c[j].imag * v
            else:
                acc[0] += c[j] * v
        moved = max(moved, abs(a[j] - alpha[j]), abs(b[j] - beta[j]) if j < m - 1 else 0.0)
    scale = max(float(np.abs(alpha).max()), float(np.abs(beta[: m - 1]).max()) if m > 1 else 0.0, np.finfo(float).tiny)
    return [acc[0] + 1j * acc[1] if use_real else acc[0] for acc in sums], moved / scale
