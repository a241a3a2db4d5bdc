"""Percolation thresholds from finite-size scaling of Newman–Ziff wrapping probabilities.

:func:`percolation_threshold`: the crossing q*(L₁, L₂) of R_L for consecutive sizes (corrections
∝ L^{−1/ν−ω}, small); the estimate is the crossing of the two largest sizes, its error combining the
statistical error (propagated from the per-sample variances of R at the crossing) with a
finite-size error, the difference to the crossing of the next smaller pair.
:func:`extrapolated_threshold` (≥ 3 sizes) instead extrapolates q_½(L), where R_L = ½, as
q_c + a L^{−1/ν} with the 3D exponent ν, and reports the statistical error and the
extrapolation-form error separately. The samples come from :mod:`localpairs.analysis.percolation_clusters`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from localpairs.analysis.percolation_clusters import WrappingSamples, doping_of, sample_wrapping
from localpairs.errors import require


@dataclass(frozen=True)
class Threshold:
    """Percolation threshold in site probability q and in doping x, or ``None`` if no wrapping.

    Attributes
    ----------
    q : float or None
        Threshold occupation probability: the crossing of the two largest sizes.
    q_error : float or None
        Total error of q: statistical and finite-size errors in quadrature.
    stat_error : float or None
        Statistical error of q (per-sample variances at the crossing over the slope).
    finite_size_error : float or None
        Difference to the crossing of the next smaller pair of sizes (0 with two sizes).
    crossings : tuple of (int, int, float)
        (L₁, L₂, q*) for every consecutive pair of sizes.
    x : float or None
        Threshold K concentration.
    x_error : float or None
        Error of x (from ``q_error``).
    placement : str
        Placement of the large octahedra.
    species : str
        Whose cluster percolates (``"large"`` or ``"small"``).
    """

    q: float | None
    q_error: float | None
    stat_error: float | None
    finite_size_error: float | None
    crossings: tuple[tuple[int, int, float], ...]
    x: float | None
    x_error: float | None
    placement: str
    species: str


def _crossing(a: WrappingSamples, b: WrappingSamples) -> tuple[float, float] | None:
    grid = np.linspace(0.0, 1.0, 201)
    ra, rb = a.probability(grid), b.probability(grid)
    diff = ra - rb
    ok = (0.02 < rb) & (rb < 0.98)
    sign = np.flatnonzero(ok[:-1] & (np.sign(diff[:-1]) != np.sign(diff[1:])) & (diff[:-1] != 0))
    if sign.size == 0:
        return None
    i = int(sign[np.argmin(np.abs(rb[sign] - 0.5))])
    q = optimize.brentq(lambda v: float(a.probability(v) - b.probability(v)), grid[i], grid[i + 1], xtol=1e-12)
    h = 1e-4
    slope = (a.probability(q + h) - b.probability(q + h) - a.probability(q - h) + b.probability(q - h)) / (2 * h)
    var = a.per_sample(q).var(ddof=1) / a.steps.shape[0] + b.per_sample(q).var(ddof=1) / b.steps.shape[0]
    return float(q), float(np.sqrt(var) / abs(float(slope)))


def percolation_threshold(sizes: tuple[int, ...], *, n_samples: int, placement: str = "random",
                          species: str = "large", seed: int | None = None) -> Threshold:
    """Estimate the threshold from crossings of R^(1)_L for consecutive ``sizes`` (see module docstring).

    Parameters
    ----------
    sizes : tuple of int
        At least two distinct linear sizes L.
    n_samples : int
        Newman–Ziff samples per size.
    placement : {"random", "rocksalt"}
        Placement of the large octahedra (see :mod:`localpairs.analysis.percolation`).
    species : {"large", "small"}
        Whose cluster graph: large (BiL⁰O₆) or small (BiL²O₆) octahedra.
    seed : int or None
        Seed of the random site orders (None: fresh entropy).

    Returns
    -------
    Threshold
        q, its errors and the doping x at threshold; all ``None`` when no crossing exists (the
        species never wraps, e.g. large octahedra in rock-salt order).

    Raises
    ------
    InputError
        Fewer than two distinct sizes, or a size, placement or species not allowed.
    """
    sizes = tuple(sorted(int(s) for s in sizes))
    require(len(sizes) >= 2 and len(set(sizes)) == len(sizes), "sizes", sizes, "at least two distinct sizes")
    ss = np.random.SeedSequence(seed).spawn(len(sizes))
    runs = [sample_wrapping(L, n_samples=n_samples, placement=placement, species=species,
                            seed=int(s.generate_state(1)[0])) for L, s in zip(sizes, ss)]
    found = [(a.L, b.L, c) for a, b in itertools.pairwise(runs) if (c := _crossing(a, b)) is not None]
    if len(found) < len(runs) - 1:  # a pair of sizes without a crossing
        return Threshold(None, None, None, None, (), None, None, placement, species)
    q, stat = found[-1][2]
    fse = abs(q - found[-2][2][0]) if len(found) >= 2 else 0.0
    err = float(np.hypot(stat, fse))
    dxdq = 2.0 if placement == "random" else 1.0
    return Threshold(q=q, q_error=err, stat_error=stat, finite_size_error=fse,
                     crossings=tuple((a, b, c[0]) for a, b, c in found),
                     x=doping_of(q, placement=placement, species=species), x_error=dxdq * err,
                     placement=placement, species=species)



#: Correlation-length exponent of 3D percolation (Wang et al., PRE 87, 052107 (2013): ν = 0.8764(12)).
NU_3D = 0.8764


@dataclass(frozen=True)
class ExtrapolatedThreshold:
    """Threshold from q_½(L) (where R^(1)_L = ½) extrapolated as q_½(L) = q_c + a L^{−1/ν}, ν = :data:`NU_3D`.

    ``q_c``/``x_c`` are None when the species never wraps on some size (no threshold).

    Attributes
    ----------
    sizes : tuple of int
        The linear sizes L, ascending.
    q_half, q_half_error : tuple of float
        q_½(L) and its statistical error per size (empty when there is no threshold).
    q_c : float or None
        Extrapolated threshold occupation probability.
    stat_error : float or None
        Statistical (Monte Carlo) error of q_c, propagated through the weighted least-squares fit.
    extrapolation_error : float or None
        Change of q_c when the smallest size is dropped: an estimate of the error of the assumed
        form, not a statistical error.
    chi2 : float or None
        χ² of the fit.
    dof : int
        Degrees of freedom of the fit (sizes − 2).
    x_c : float or None
        Threshold K concentration.
    x_stat_error, x_extrapolation_error : float or None
        The two errors in units of x.
    placement : str
        Placement of the large octahedra.
    species : str
        Whose cluster percolates (``"large"`` or ``"small"``).
    """

    sizes: tuple[int, ...]
    q_half: tuple[float, ...]
    q_half_error: tuple[float, ...]
    q_c: float | None
    stat_error: float | None
    extrapolation_error: float | None
    chi2: float | None
    dof: int
    x_c: float | None
    x_stat_error: float | None
    x_extrapolation_error: float | None
    placement: str
    species: str


def _half_point(w: WrappingSamples) -> tuple[float, float] | None:
    """q where R^(1)_L(q) = ½ and its statistical error (per-sample variance over the slope); None if never ½."""
    if w.probability(1.0) < 0.5:
        return None
    q = optimize.brentq(lambda v: float(w.probability(v)) - 0.5, 0.0, 1.0, xtol=1e-12)
    h = 1e-4
    slope = float(w.probability(min(q + h, 1.0)) - w.probability(max(q - h, 0.0))) / (min(q + h, 1.0) - max(q - h, 0.0))
    err = float(np.sqrt(w.per_sample(q).var(ddof=1) / w.steps.shape[0])) / slope
    return float(q), err


def _fit_size_form(sizes: NDArray[np.float64], q: NDArray[np.float64], err: NDArray[np.float64]) -> tuple[float, float, float]:
    """Weighted fit q = q_c + a L^{−1/ν}: (q_c, its standard error, χ²)."""
    design = np.stack([np.ones_like(sizes), sizes ** (-1.0 / NU_3D)], axis=1) / err[:, None]
    coef, *_ = np.linalg.lstsq(design, q / err, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    chi2 = float(np.sum((design @ coef - q / err) ** 2))
    return float(coef[0]), float(np.sqrt(cov[0, 0])), chi2


def extrapolated_threshold(sizes: tuple[int, ...], *, n_samples: int, placement: str = "random", species: str = "small",
                           seed: int | None = None) -> ExtrapolatedThreshold:
    """Percolation threshold of the species from at least three sizes, extrapolated to L → ∞.

    For every L the point q_½(L) where the wrapping probability along one axis is ½ (exact in
    q, Newman–Ziff); then a weighted least-squares fit q_½(L) = q_c + a L^{−1/ν} (finite-size
    scaling, leading correction only). See :class:`ExtrapolatedThreshold` for the two errors.

    Parameters
    ----------
    sizes : tuple of int
        At least three distinct linear sizes L (two fit parameters and a check).
    n_samples : int
        Newman–Ziff samples per size.
    placement : {"random", "rocksalt"}
        Placement of the large octahedra (see :mod:`localpairs.analysis.percolation`).
    species : {"large", "small"}
        Whose cluster graph: large (BiL⁰O₆) or small (BiL²O₆) octahedra.
    seed : int or None
        Seed of the random site orders (None: fresh entropy).

    Returns
    -------
    ExtrapolatedThreshold
        q_c, x_c and their errors; ``None`` thresholds when the species never wraps on some size.

    Raises
    ------
    InputError
        Fewer than three distinct sizes, or a size, placement or species not allowed.
    """
    sizes = tuple(sorted(int(s) for s in sizes))
    require(len(sizes) >= 3 and len(set(sizes)) == len(sizes), "sizes", sizes, "at least three distinct sizes (two fit parameters and a check)")
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    halves = [_half_point(sample_wrapping(L, n_samples=n_samples, placement=placement, species=species, seed=int(c.generate_state(1)[0])))
              for L, c in zip(sizes, children)]
    none = ExtrapolatedThreshold(sizes, (), (), None, None, None, None, 0, None, None, None, placement, species)
    if any(h is None for h in halves):
        return none
    q = np.array([h[0] for h in halves if h is not None])
    err = np.maximum(np.array([h[1] for h in halves if h is not None]), 1e-12)
    L = np.asarray(sizes, dtype=float)
    q_c, stat, chi2 = _fit_size_form(L, q, err)
    q_drop = _fit_size_form(L[1:], q[1:], err[1:])[0]
    dxdq = abs(doping_of(1.0, placement=placement, species=species) - doping_of(0.0, placement=placement, species=species))
    return ExtrapolatedThreshold(sizes=sizes, q_half=tuple(q.tolist()), q_half_error=tuple(err.tolist()), q_c=q_c, stat_error=stat,
                                 extrapolation_error=abs(q_c - q_drop), chi2=chi2, dof=len(sizes) - 2,
                                 x_c=doping_of(q_c, placement=placement, species=species), x_stat_error=dxdq * stat,
                                 x_extrapolation_error=dxdq * abs(q_c - q_drop), placement=placement, species=species)
