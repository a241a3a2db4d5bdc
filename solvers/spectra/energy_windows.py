r"""A state split into energy windows by a Lanczos (Ritz) decomposition of the state itself.

Lanczos on ``H`` from ``|ψ⟩`` (‖ψ‖ = 1) with full reorthogonalization gives ``m`` orthonormal
vectors ``Q = (q_1 … q_m)``, the tridiagonal ``T = Q†HQ = S diag(θ) Sᵀ`` and the Ritz pairs
``(θ_k, y_k = Q s_k)``. Since ``ψ = q_1 = Σ_k s_{1k} y_k`` exactly, for any ``m``,

.. math:: ψ = \sum_W φ_W,\qquad φ_W = Q\, S_W S_W^{T} e_1 = Q\, P_W(T)\, e_1,

where ``W`` runs over groups of Ritz values (windows) and ``P_W(T)`` is the spectral projector of
``T`` onto them. The window components sum to ψ exactly and are mutually orthogonal; their norms²
are the Gauss-quadrature weights ``w_k = s_{1k}²`` summed over the window, their mean energies
``Σ w_k θ_k / Σ w_k`` are exact (``Q†HQ = T``), and their energy spreads follow from the same data:

.. math:: σ_W^2 = \frac{\sum_{k∈W} w_k (θ_k − \bar E_W)^2
                 + β_m^2 \big(\sum_{k∈W} s_{1k} s_{mk}\big)^2}{\sum_{k∈W} w_k},

the second term being the part of ``Hφ_W`` outside the Krylov space (``β_m`` the last coupling;
zero once the Krylov space of ψ is exhausted). At exhaustion ``m`` equals the number of distinct
eigenvalues ψ touches, each ``y_k`` is the normalized projection of ψ onto one eigenspace of ``H``,
and a window holding one Ritz value *is* the exact eigencomponent ``P_{E_k} ψ``.

Windows are bins of a grid of width ``w`` anchored at the lowest Ritz value (bin ``j`` covers
``[θ_min + j w, θ_min + (j + 1) w)``); halving the width bisects every bin, so partitions at
widths ``w/2^n`` are nested. :func:`bisect_until_split` refines a window with more than one
(non-negligible) Ritz value by repeated bisection until it splits: the refinement a width
check must compare with, since a plain halving leaves a window unchanged when its values sit in
one half.

Cost: one matrix–vector product per step, Gram–Schmidt against all kept vectors twice
(``4 k · dim`` operations at step k, ``2 m² dim`` in all), and ``m`` vectors held
(``m · dim`` numbers). A window component costs one product ``Q c`` (``m · dim``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh_tridiagonal

from localpairs.errors import require
from localpairs.solvers.lanczos import lanczos_recursion

#: Ritz values closer than this (eV) are one level: windows are never bisected below it.
DEGENERACY_TOL = 1e-8
#: A Ritz value whose weight is at most this does not make its window "multi-level": its cross
#: terms with the others scale as √weight ≤ 1e-7 of theirs, below the 1e-6 accuracy aimed at.
NEGLIGIBLE_WEIGHT = 1e-14
#: Ritz indices of a component: a slice (one window) or an index array (several).
Members = slice | np.ndarray
#: First convergence check of the Ritz residuals; later checks every 8 steps or 25 % more steps,
#: whichever is more (each solves the tridiagonal eigenproblem: O(m²), a few checks in all).
FIRST_CHECK = 8


@dataclass(frozen=True, eq=False)
class Window:
    """Ritz values ``start:stop`` (ascending) in bin ``index`` of a grid of width ``width`` eV.

    Parameters
    ----------
    start, stop : int
        The Ritz-index range.
    width : float
        Bin width (eV).
    index : int
        Bin index.
    """

    start: int
    stop: int
    width: float
    index: int

    @property
    def key(self) -> tuple[int, int]:
        """The Ritz-index range: two windows with the same range have the same component."""
        return (self.start, self.stop)

    @property
    def members(self) -> slice:
        """The Ritz indices as a slice."""
        return slice(self.start, self.stop)


@dataclass(frozen=True, eq=False)
class RitzDecomposition:
    """Ritz pairs of ``H`` seen from a normalized ψ, with the Lanczos vectors to build components.

    Parameters
    ----------
    theta
        (m,) Ritz values in eV, ascending.
    amplitude
        (m,) ``s_{1k}`` = ⟨y_k|ψ⟩ (real); weights are its squares and sum to 1.
    last_row
        (m,) ``s_{mk}``, the last components of the eigenvectors of T.
    beta_last
        ``β_m``, the coupling out of the Krylov space in eV (0 when exhausted).
    vectors
        (m, dim) Lanczos vectors ``q_k`` as rows.
    exhausted
        The Krylov space of ψ ended: every Ritz pair is an eigenpair of H.
    seconds
        Wall time.
    """

    theta: np.ndarray
    amplitude: np.ndarray
    last_row: np.ndarray
    beta_last: float
    vectors: np.ndarray
    exhausted: bool
    seconds: float = 0.0

    @property
    def matvecs(self) -> int:
        """Matrix–vector products used (one per Lanczos step)."""
        return int(self.theta.size)

    @property
    def weights(self) -> np.ndarray:
        """``w_k = s_{1k}²``: the part of ‖ψ‖² on each Ritz value."""
        return self.amplitude**2

    def residual_rms(self) -> float:
        """``(Σ_k w_k r_k²)^{1/2}`` with ``r_k = β_m |s_{mk}|`` the energy spread of ``y_k``.

        Returns
        -------
        float
            The weighted residual (eV).
        """
        return float(self.beta_last * np.sqrt(np.sum(self.weights * self.last_row**2)))

    def energy_spread(self) -> float:
        """``(⟨H²⟩ − ⟨H⟩²)^{1/2}`` of ψ (exact: T reproduces the moments up to 2m − 1).

        Returns
        -------
        float
            The spread (eV).
        """
        return self.spread(slice(None))

    def norm2(self, members: Members) -> float:
        """‖φ‖² of the component on the Ritz values ``members``.

        Parameters
        ----------
        members : slice or numpy.ndarray
            Ritz indices.

        Returns
        -------
        float
            ‖φ‖².
        """
        return float(np.sum(self.weights[members]))

    def mean_energy(self, members: Members) -> float:
        """Mean energy of the component on ``members`` (exact; unweighted if its norm is 0).

        Parameters
        ----------
        members : slice or numpy.ndarray
            Ritz indices.

        Returns
        -------
        float
            The mean (eV).
        """
        w = self.weights[members]
        return float(np.average(self.theta[members], weights=w if np.sum(w) > 0 else None))

    def spread(self, members: Members) -> float:
        """Energy spread σ_W of the component on ``members`` (module docstring).

        Parameters
        ----------
        members : slice or numpy.ndarray
            Ritz indices.

        Returns
        -------
        float
            σ_W (eV).
        """
        a, w = self.amplitude[members], self.weights[members]
        if np.sum(w) <= 0:
            return 0.0
        inside = np.sum(w * (self.theta[members] - self.mean_energy(members)) ** 2)
        outside = (self.beta_last * np.sum(a * self.last_row[members])) ** 2
        return float(np.sqrt((inside + outside) / np.sum(w)))

    def component(self, members: Members, eigvecs: np.ndarray) -> np.ndarray:
        """``φ = Q S_W S_Wᵀ e_1`` on the Ritz values ``members``.

        Parameters
        ----------
        members : slice or numpy.ndarray
            Ritz indices.
        eigvecs : numpy.ndarray
            S, the eigenvectors of T (:func:`ritz_decomposition`).

        Returns
        -------
        numpy.ndarray
            φ.
        """
        coeff = eigvecs[:, members] @ self.amplitude[members]
        return coeff @ self.vectors


def ritz_decomposition(
    matrix: sp.spmatrix, psi: np.ndarray, *, max_steps: int, residual_tol: float
) -> tuple[RitzDecomposition, np.ndarray]:
    """Lanczos with full reorthogonalization from the normalized ``psi``; returns the decomposition and S.

    Stops when the Krylov space is exhausted (``β_k ≤`` :data:`~localpairs.solvers.lanczos.BREAKDOWN_TOL`
    × the largest |α|, β seen), when the weighted residual
    :meth:`RitzDecomposition.residual_rms` is at most ``residual_tol`` eV (checked from
    :data:`FIRST_CHECK` steps on, at growing intervals), or after ``max_steps`` steps.

    Parameters
    ----------
    matrix : scipy.sparse.spmatrix
        Hermitian H (eV).
    psi : numpy.ndarray
        The state (normalized here).
    max_steps : int
        Most Lanczos steps.
    residual_tol : float
        Weighted residual (eV) at which to stop.

    Returns
    -------
    tuple
        The :class:`RitzDecomposition` and S (eigenvectors of T as columns).

    Raises
    ------
    InputError
        For ``max_steps`` < 1 (named ``krylov_steps``).
    """
    require(isinstance(max_steps, (int, np.integer)) and max_steps >= 1, "krylov_steps", max_steps, "an integer ≥ 1")
    start = time.perf_counter()
    dim = matrix.shape[0]
    m_max = int(min(max_steps, dim))
    dtype = np.result_type(matrix.dtype, psi.dtype, np.float64)
    q = np.empty((m_max + 1, dim), dtype=dtype)  # the Lanczos vectors are kept: the windows are built from them
    unit = (psi / np.linalg.norm(psi)).astype(dtype)
    alpha, beta = np.zeros(1), np.zeros(1)
    m, b, exhausted, check = 0, 0.0, False, FIRST_CHECK
    for k, alpha, beta, invariant in lanczos_recursion(matrix, unit, m_max=m_max, vectors=q, reorthogonalize=True):
        m, b = k + 1, float(beta[k])
        if invariant:
            exhausted, b = True, 0.0
            break
        if m == m_max:
            break
        if m == check:
            check = max(check + FIRST_CHECK, int(1.25 * check))
            _, s = eigh_tridiagonal(alpha[:m], beta[: m - 1])
            if b * np.sqrt(np.sum(s[0] ** 2 * s[-1] ** 2)) <= residual_tol:
                break
    theta, s = eigh_tridiagonal(alpha[:m], beta[: m - 1])
    sign = np.where(s[0] < 0, -1.0, 1.0)  # amplitudes ≥ 0: a fixed convention, nothing depends on it
    s = s * sign
    dec = RitzDecomposition(theta, s[0].copy(), s[-1].copy(), b, q[:m], exhausted, time.perf_counter() - start)
    return dec, s


def check_width(width: float) -> float:
    """A window width in eV: > 0, ``inf`` for one window.

    Parameters
    ----------
    width : float
        The width (eV).

    Returns
    -------
    float
        The width.

    Raises
    ------
    InputError
        Unless ``width > 0``.
    """
    ok = isinstance(width, (int, float, np.floating)) and not isinstance(width, bool) and width > 0
    require(ok, "width", width, "a window width > 0 in eV (inf: one window)")
    return float(width)


def energy_windows(theta: np.ndarray, *, width: float) -> list[Window]:
    """Partition ascending Ritz values into bins of ``width`` eV anchored at ``theta[0]`` (empty bins dropped).

    Parameters
    ----------
    theta : numpy.ndarray
        Ascending Ritz values (eV).
    width : float
        Bin width (eV; inf: one window).

    Returns
    -------
    list of Window
        The windows, ascending.
    """
    width = check_width(width)
    if not np.isfinite(width):
        return [Window(0, theta.size, float(width), 0)]
    bins = np.floor((theta - theta[0]) / width).astype(np.int64)
    edges = np.flatnonzero(np.diff(bins)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [theta.size]])
    return [Window(int(a), int(b), float(width), int(bins[a])) for a, b in zip(starts, stops)]


def _levels(theta: np.ndarray, weights: np.ndarray, window: Window) -> int:
    """Distinct non-negligible Ritz values in ``window`` (closer than :data:`DEGENERACY_TOL` count once)."""
    t = theta[window.start : window.stop][weights[window.start : window.stop] > NEGLIGIBLE_WEIGHT]
    return 0 if t.size == 0 else 1 + int(np.count_nonzero(np.diff(t) > DEGENERACY_TOL))


def bisect_until_split(window: Window, theta: np.ndarray, weights: np.ndarray) -> list[Window]:
    """The window bisected (repeatedly) until its non-negligible Ritz values fall in more than one bin.

    A window with at most one level (see :data:`DEGENERACY_TOL`, :data:`NEGLIGIBLE_WEIGHT`) is
    returned unchanged: it is already an eigencomponent (at exhaustion) and no width changes it.
    A window of infinite width is first cut at the span of its values.

    Parameters
    ----------
    window : Window
        The window.
    theta, weights : numpy.ndarray
        Ritz values (eV) and their weights.

    Returns
    -------
    list of Window
        One window (unchanged) or its two halves.
    """
    if _levels(theta, weights, window) <= 1:
        return [window]
    width, index = window.width, window.index
    if not np.isfinite(width):  # one bin [θ_0, θ_0 + 2 span) holds every value
        width, index = 2.0 * max(float(theta[-1] - theta[0]), DEGENERACY_TOL), 0
    sub = theta[window.start : window.stop]
    heavy = weights[window.start : window.stop] > NEGLIGIBLE_WEIGHT
    while True:
        width, index = width / 2.0, 2 * index
        # values outside this bin (negligible ones left behind by earlier bisections) clip to its halves
        bins = np.clip(np.floor((sub - theta[0]) / width).astype(np.int64), index, index + 1)
        cut = int(np.searchsorted(bins, index + 1))
        if heavy[:cut].any() and heavy[cut:].any():
            a, b = window.start, window.start + cut
            return [Window(a, b, width, index), Window(b, window.stop, width, index + 1)]
        index += 0 if heavy[:cut].any() else 1


def split_light(windows: list[Window], weights: np.ndarray, *, budget: float) -> tuple[list[Window], list[Window]]:
    """``(heavy, light)``: the lightest windows whose weights sum to at most ``budget`` are light.

    Light windows are meant to be probed together as one remainder component; its error is of
    the order of its weight (relative to the peak), whatever its energy spread.

    Parameters
    ----------
    windows : list of Window
        The windows.
    weights : numpy.ndarray
        Weight of each Ritz value.
    budget : float
        Largest summed weight of the light windows.

    Returns
    -------
    tuple of list
        ``(heavy, light)``.
    """
    w = np.array([float(np.sum(weights[win.members])) for win in windows])
    order = np.argsort(w, kind="stable")
    n_light = int(np.searchsorted(np.cumsum(w[order]), budget, side="right"))
    light = set(order[:n_light].tolist())
    return [x for k, x in enumerate(windows) if k not in light], [x for k, x in enumerate(windows) if k in light]
