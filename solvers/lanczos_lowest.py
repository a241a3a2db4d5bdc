"""The lowest eigenvalue of a Hermitian matrix by plain Lanczos: a run that stops, resumes and keeps its vectors.

The eigensolver of :mod:`~localpairs.solvers.ed.sub_block_levels`: on a 150,000-state sub-block
of the 16-site cluster, 65 products and 1.5 CPU s against ARPACK's 71 products and 3.6 CPU s for
the same level at the same tolerance (10.7 CPU s for four levels at tolerance 0). Further levels
one at a time: the lowest level of the operator deflated by the eigenvectors already found
(:func:`deflated`).

A :class:`LowestRun` is advanced to one of two stopping rules and can be advanced further later:

- *vector*: residual ``‖H y − θ y‖ ≤ tol·|θ|`` (``y`` the Ritz vector), for a level whose
  eigenvector is used (a ground state, or a vector other levels are deflated by);
- *energy*: Temple's bound ``r²/g ≤ energy_error`` with ``g`` an estimate of the distance to the
  next level from below (:attr:`LowestRun.gap`), for a level of which only the energy is used.
  Temple's inequality ``θ − r²/(λ₂ − θ) ≤ λ₁ ≤ θ`` holds for any ``g ≤ λ₂ − θ``;
- *certified above T*: a level that only has to be shown to lie above a threshold T (it cannot be
  among the levels wanted) stops once ``θ − T ≥ r`` and ``θ − T ≥`` :data:`CERTIFY_FACTOR` ``· r²/g``
  (:meth:`LowestRun.certified_above`); its energy is then an upper bound only.

Kept vectors (``keep=True``): every Lanczos vector is kept (:class:`~localpairs.solvers.krylov_rows.KrylovRows`, ``steps × dim``
numbers), so the eigenvector is one pass over them; otherwise three vectors are kept and the
eigenvector costs a second Lanczos pass of ``steps − 1`` products (:meth:`LowestRun.vector`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh_tridiagonal

from localpairs.errors import LocalPairsError
from localpairs.solvers.krylov_rows import KrylovRows
from localpairs.solvers.lanczos import PARALLEL_MATVEC_MIN_DIM, Matvec, Operator, _axpy_norm2, _residual_step, lanczos_recursion
from localpairs.solvers.matvec import serial_product

#: Relative residual to which :func:`lowest_level` converges when asked for tolerance 0: a few
#: hundred times the double-precision round-off of ``‖H‖ v``, below which the estimate stalls.
LOWEST_TOL_FLOOR = 1e-13
#: Certification above a threshold T (:meth:`LowestRun.certified_above`): at least this many steps,
#: and θ − T at least the residual and at least this factor times Temple's estimate r²/g. On the
#: 16-site sub-blocks the estimate θ − r²/g stayed below the converged level from step 6 on.
CERTIFY_MIN_STEPS = 8
CERTIFY_FACTOR = 10.0


class LowestRun:
    """A plain Lanczos run for the lowest eigenvalue of a Hermitian operator, advanced on request.

    Runs :func:`~localpairs.solvers.lanczos.lanczos_recursion` without reorthogonalization: the
    lowest Ritz value of the tridiagonal ``T_m`` converges to the lowest eigenvalue of ``H``
    reached from ``start`` whatever the loss of orthogonality (converged values only gain copies,
    Paige), and its residual ``r = β_m |s_m|`` (``s`` the Ritz vector of ``T_m``) is checked after
    every step; the eigenvalue's error is at most ``r`` and at most ``r²/(λ₂ − θ)`` (Temple). A
    degenerate lowest level is found once: its energy is right, its partners are not counted.
    Cost: one product and two vector passes per step, against ARPACK's restarts and Gram–Schmidt
    over ``ncv`` vectors.

    Parameters
    ----------
    operator : scipy.sparse.spmatrix or callable
        Hermitian sparse matrix (eV), or ``matvec(x, out)``.
    start : numpy.ndarray
        Start vector, not orthogonal to the lowest eigenvector (a random one); normalized here.
    m_max : int
        Largest number of steps.
    keep : bool
        Keep every Lanczos vector (:class:`~localpairs.solvers.krylov_rows.KrylovRows`, ``steps × dim`` numbers, within its
        process-wide limit) so that :meth:`vector` needs no second pass.

    Attributes
    ----------
    energy : float
        The lowest Ritz value (eV): an upper bound of the lowest eigenvalue reached.
    residual : float
        Its residual norm (eV).
    gap : float
        Estimated lower bound of the distance from ``energy`` to the next eigenvalue (eV):
        ``θ₂ − r₂ − θ₁`` with ``θ₂``, ``r₂`` the second Ritz value and its residual (an eigenvalue
        lies within ``r₂`` of ``θ₂``); NaN before two steps.
    steps : int
        Lanczos steps (matrix–vector products) taken.
    products : int
        Matrix–vector products spent, second passes for vectors included.
    certified : float or None
        The threshold the run was last stopped above by :meth:`advance` (None: not so stopped).
    """

    def __init__(self, operator: Operator, start: np.ndarray, *, m_max: int, keep: bool) -> None:
        self.operator, self.m_max = operator, m_max
        self.start = start / np.linalg.norm(start)
        self.rows = KrylovRows(self.start.size, self.start.dtype) if keep else None
        self._recursion = lanczos_recursion(operator, self.start, m_max=m_max, vectors=cast(Any, self.rows))
        self.energy, self.residual, self.gap = np.nan, np.inf, np.nan
        self.steps = self.products = 0
        self.exhausted = False
        self.certified: float | None = None
        self._alpha, self._beta, self._ritz = np.zeros(0), np.zeros(0), np.ones(1)

    def converged(self, *, tol: float, energy_error: float | None = None) -> bool:
        """Whether the run meets the vector rule at ``tol`` or the energy rule at ``energy_error`` (module docstring).

        Parameters
        ----------
        tol : float
            Relative residual (floored at :data:`LOWEST_TOL_FLOOR`).
        energy_error : float or None, optional
            Temple bound in eV; None: the vector rule only.

        Returns
        -------
        bool
            True when the Krylov space is exhausted or either rule holds.
        """
        if self.exhausted:
            return True
        if self.steps == 0:
            return False
        if self.residual <= max(tol, LOWEST_TOL_FLOOR) * abs(self.energy):
            return True
        return energy_error is not None and self.gap > 0 and self.residual**2 <= energy_error * self.gap

    def certified_above(self, threshold: float) -> bool:
        """Whether the lowest eigenvalue reached lies above ``threshold`` (module docstring's third rule).

        Parameters
        ----------
        threshold : float
            The threshold T in eV.

        Returns
        -------
        bool
            True after :data:`CERTIFY_MIN_STEPS` steps when the gap estimate is positive and
            ``θ − T`` is at least the residual and :data:`CERTIFY_FACTOR` times ``r²/g``.
        """
        margin = self.energy - threshold
        return (self.steps >= CERTIFY_MIN_STEPS and self.gap > 0 and margin >= self.residual
                and margin >= CERTIFY_FACTOR * self.residual**2 / self.gap)

    def advance(self, *, tol: float, energy_error: float | None = None, above: float = -np.inf) -> None:
        """Take Lanczos steps until :meth:`converged`, or until certified above ``above``.

        Parameters
        ----------
        tol : float
            Relative residual of the vector rule.
        energy_error : float or None, optional
            Temple bound of the energy rule in eV (None: vector rule only).
        above : float, optional
            Threshold T in eV: stop once :meth:`certified_above` it (recorded in
            :attr:`certified`); −∞: never.

        Raises
        ------
        LocalPairsError
            When the rule is not met within ``m_max`` steps.
        """
        self.certified = None
        while not self.converged(tol=tol, energy_error=energy_error):
            if above > -np.inf and self.certified_above(above):
                self.certified = above
                return
            step = next(self._recursion, None)
            if step is None:
                raise LocalPairsError(f"lowest eigenvalue not converged to a residual of {tol:g}·|E| in m_max = {self.m_max} Lanczos steps "
                                      f"(last {self.energy:.10f} eV, residual {self.residual:.2e} eV)")
            self._update(*step)

    def _update(self, j: int, alpha: np.ndarray, beta: np.ndarray, invariant: bool) -> None:
        """Ritz values, residuals and gap estimate after step j."""
        m = j + 1
        values, vecs = eigh_tridiagonal(alpha[:m], beta[: m - 1], select="i", select_range=(0, min(1, m - 1)))
        self._alpha, self._beta, self._ritz = alpha, beta, vecs[:, 0]
        self.energy, self.residual = float(values[0]), float(beta[j] * abs(vecs[-1, 0]))
        self.gap = float(values[1] - beta[j] * abs(vecs[-1, 1]) - values[0]) if m > 1 else np.nan
        self.steps, self.exhausted = m, bool(invariant)
        self.products += 1

    def vector(self) -> np.ndarray:
        """The Ritz vector ``Σ_j s_j v_j`` of :attr:`energy`, normalized.

        From the kept Lanczos vectors, or (``keep=False``) by a second pass that regenerates them
        from α and β (``steps − 1`` products with three vectors of memory, counted in
        :attr:`products`).

        Returns
        -------
        numpy.ndarray
            The unit eigenvector estimate.
        """
        m = self.steps
        if self.rows is not None and self.rows.kept:
            out = self.rows.combine(self._ritz[:m])
        else:
            out = self._regenerate()
            self.products += m - 1
        return out / np.linalg.norm(out)

    def _regenerate(self) -> np.ndarray:
        """``Σ_j s_j v_j`` by regenerating the Lanczos vectors (the recursion's operations, in order)."""
        step = _residual_step(self.operator, self.start, None)
        buffers = [self.start.copy(), self.start.copy(), np.empty_like(self.start)]  # v_{j−1}, v_j, w: never aliased
        out = self._ritz[0] * self.start
        for j in range(self.steps - 1):
            v_prev, v, w = buffers
            step(v, v_prev, self._beta[j - 1] if j else 0.0, w)
            _axpy_norm2(self._alpha[j], v, w)
            w *= 1.0 / self._beta[j]
            out += self._ritz[j + 1] * w
            buffers = [v, w, v_prev]
        return out

    def forget_vectors(self) -> None:
        """Free the kept Lanczos vectors; the run can still be advanced (its vector then needs a second pass)."""
        if self.rows is not None:
            self.rows.forget(self.steps)


def lowest_level(operator: Operator, start: np.ndarray, *, tol: float, m_max: int, keep: bool = False) -> LowestRun:
    """Lowest eigenvalue of a Hermitian ``H`` by plain Lanczos, to a relative residual ``tol``.

    Parameters
    ----------
    operator : scipy.sparse.spmatrix or callable
        Hermitian sparse matrix (eV), or ``matvec(x, out)``.
    start : numpy.ndarray
        Start vector, not orthogonal to the lowest eigenvector (a random one); normalized here.
    tol : float
        Stop when the residual is at most ``tol × |θ|`` (floored at :data:`LOWEST_TOL_FLOOR`).
    m_max : int
        Largest number of steps.
    keep : bool, optional
        Keep the Lanczos vectors (see :class:`LowestRun`).

    Returns
    -------
    LowestRun
        The run, converged (its energy, and its vector on request).

    Raises
    ------
    LocalPairsError
        When the residual is still above the tolerance after ``m_max`` steps.
    """
    run = LowestRun(operator, start, m_max=m_max, keep=keep)
    run.advance(tol=tol)
    return run


def deflated(matrix: sp.spmatrix, vectors: Sequence[np.ndarray]) -> Matvec:
    """``matvec(x, out)`` of ``P H P`` restricted to the complement of ``vectors`` (``P = 1 − Σ |v⟩⟨v|``).

    For ``x ⟂ vectors`` (every Lanczos vector from a start in the complement): ``out = H x −
    Σ v ⟨v|H x⟩``, the projection applied after every product so that round-off never brings the
    deflated directions back. With ``vectors`` the eigenvectors of the ``c`` lowest levels, the
    lowest level of the deflated operator is the (c + 1)-th of ``H`` (a degenerate partner of a
    known level included: it lies in the complement). Approximate vectors of residual r shift it
    by about r²/gap. Products: QuSpin's OpenMP kernel from
    :data:`~localpairs.solvers.lanczos.PARALLEL_MATVEC_MIN_DIM` states on, else the serial one.

    Parameters
    ----------
    matrix : scipy.sparse.spmatrix
        Hermitian CSR matrix (eV).
    vectors : sequence of numpy.ndarray
        Orthonormal vectors to project out.

    Returns
    -------
    callable
        ``matvec(x, out)``, writing into ``out`` and returning it.
    """
    basis = np.array(vectors)
    product: Matvec = serial_product(matrix, basis.dtype if basis.size else matrix.dtype)
    if matrix.shape[0] >= PARALLEL_MATVEC_MIN_DIM:
        from quspin.tools.misc import get_matvec_function

        kernel = get_matvec_function(matrix)

        def product(x: np.ndarray, out: np.ndarray) -> np.ndarray:
            kernel(matrix, x, out=out, overwrite_out=True)
            return out

    def matvec(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        product(x, out)
        for v in basis:
            out -= np.vdot(v, out) * v
        return out

    return matvec


def project_out(x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
    """``x`` with its components along the orthonormal ``vectors`` removed (twice, for round-off).

    Parameters
    ----------
    x : numpy.ndarray
        The vector.
    vectors : sequence of numpy.ndarray
        Orthonormal vectors.

    Returns
    -------
    numpy.ndarray
        A new vector orthogonal to ``vectors``.
    """
    x = x.copy()
    for _ in range(2):
        for v in vectors:
            x -= np.vdot(v, x) * v
    return x
