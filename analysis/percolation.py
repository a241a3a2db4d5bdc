"""Newman–Ziff site percolation on periodic L³ simple-cubic lattices, and octahedra placements.

Criterion: **wrapping**. Sites are added one at a time in random order; a union–find forest
(union by size, path compression) stores for every site its displacement to its parent in
unwrapped coordinates. A bond that joins two sites already in one cluster closes a loop; if the
loop's net displacement is non-zero the cluster wraps around the torus in the directions where it
is non-zero (Newman & Ziff, PRE 64, 016706 (2001)). For each sample and direction we record the
number of added sites at which wrapping first appears; the wrapping probability R_L(q) at site
probability q is the binomial average of these microcanonical results (exact, no p grid), and
R_L is averaged over the three directions (wrapping along one given axis, R^(1)).

Threshold: the crossing q*(L₁, L₂) of R_L for consecutive sizes (corrections ∝ L^{−1/ν−ω}, small).
The estimate is the crossing of the two largest sizes; its error combines the statistical error
(propagated from the per-sample variances of R at the crossing) with a finite-size error, the
difference to the crossing of the next smaller pair. :func:`extrapolated_threshold` (≥ 3 sizes)
instead extrapolates q_½(L), where R_L = ½, as q_c + a L^{−1/ν} with the 3D exponent ν and reports
the statistical error and the extrapolation-form error separately.

Placements of octahedra for Ba₁₋ₓKₓBiO₃ (large BiL⁰O₆ fraction (1−x)/2, small BiL²O₆ the rest),
connectivity between nearest-neighbour (corner-sharing) octahedra:

* ``"random"``: each site is large with probability (1−x)/2 → ordinary site percolation.
* ``"rocksalt"``: large octahedra only on sublattice A ((i+j+k) even) — each A site large with
  probability 1−x; sublattice B and the remaining A sites are small. Large sites then have no
  large nearest neighbour and never percolate; small ones percolate through B when the small A
  sites (probability x) do.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from localpairs.errors import require

PLACEMENTS = ("random", "rocksalt")
SPECIES = ("large", "small")


@numba.njit(cache=True)
def _find(i, parent, off):
    """Root of i and displacement i → root (3 ints), with path compression."""
    root = i
    dx = 0
    dy = 0
    dz = 0
    while parent[root] != root:
        dx += off[root, 0]
        dy += off[root, 1]
        dz += off[root, 2]
        root = parent[root]
    # compress: walk again, pointing every node straight at root with its total displacement
    j = i
    rx, ry, rz = dx, dy, dz
    while parent[j] != root and j != root:
        nxt = parent[j]
        ox, oy, oz = off[j, 0], off[j, 1], off[j, 2]
        parent[j] = root
        off[j, 0], off[j, 1], off[j, 2] = rx, ry, rz
        rx -= ox
        ry -= oy
        rz -= oz
        j = nxt
    return root, dx, dy, dz


@numba.njit(cache=True)
def _add(s, L, occ, parent, off, size):
    """Occupy site s, join occupied neighbours; return wrap flags (x, y, z) created by s."""
    occ[s] = True
    parent[s] = s
    off[s, 0] = 0
    off[s, 1] = 0
    off[s, 2] = 0
    size[s] = 1
    x = s % L
    y = (s // L) % L
    z = s // (L * L)
    wrap = np.zeros(3, dtype=np.bool_)
    for d in range(6):
        ax = d // 2
        step = 1 if d % 2 == 0 else -1
        nx, ny, nz = x, y, z
        if ax == 0:
            nx = (x + step) % L
        elif ax == 1:
            ny = (y + step) % L
        else:
            nz = (z + step) % L
        nb = nx + L * (ny + L * nz)
        if not occ[nb]:
            continue
        e0 = step if ax == 0 else 0
        e1 = step if ax == 1 else 0
        e2 = step if ax == 2 else 0
        r1, a0, a1, a2 = _find(s, parent, off)
        r2, b0, b1, b2 = _find(nb, parent, off)
        # displacement s → r2 is e + b; s → r1 is a
        c0, c1, c2 = e0 + b0 - a0, e1 + b1 - a1, e2 + b2 - a2  # r1 → r2
        if r1 == r2:
            if c0 != 0:
                wrap[0] = True
            if c1 != 0:
                wrap[1] = True
            if c2 != 0:
                wrap[2] = True
        elif size[r1] >= size[r2]:
            parent[r2] = r1
            off[r2, 0], off[r2, 1], off[r2, 2] = -c0, -c1, -c2
            size[r1] += size[r2]
        else:
            parent[r1] = r2
            off[r1, 0], off[r1, 1], off[r1, 2] = c0, c1, c2
            size[r2] += size[r1]
    return wrap


@numba.njit(cache=True)
def _first_wrap(L, pre, order):
    """Occupy ``pre`` then ``order``; first step (1-based in ``order``, 0 if already) wrapping per axis."""
    n = L * L * L
    occ = np.zeros(n, dtype=np.bool_)
    parent = np.arange(n)
    off = np.zeros((n, 3), dtype=np.int64)
    size = np.zeros(n, dtype=np.int64)
    first = np.full(3, order.size + 1, dtype=np.int64)
    for s in pre:
        w = _add(s, L, occ, parent, off, size)
        for a in range(3):
            if w[a] and first[a] > order.size:
                first[a] = 0
    for k in range(order.size):
        w = _add(order[k], L, occ, parent, off, size)
        for a in range(3):
            if w[a] and first[a] > order.size:
                first[a] = k + 1
        if first[0] <= order.size and first[1] <= order.size and first[2] <= order.size:
            break
    return first


def _sites(L: int, placement: str, species: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(pre-occupied sites, candidate sites) of the species' cluster graph."""
    idx = np.arange(L**3, dtype=np.int64)
    if placement == "random":
        return idx[:0], idx
    i, j, k = idx % L, (idx // L) % L, idx // (L * L)
    on_a = (i + j + k) % 2 == 0
    if species == "large":
        return idx[:0], idx[on_a]
    return idx[~on_a], idx[on_a]


def occupation_probability(x: float, *, placement: str, species: str) -> float:
    """Probability q that a candidate site holds the species at doping x (see module docstring)."""
    require(placement in PLACEMENTS, "placement", placement, f"one of {PLACEMENTS}")
    require(species in SPECIES, "species", species, f"one of {SPECIES}")
    if placement == "random":
        return (1 - x) / 2 if species == "large" else (1 + x) / 2
    return 1 - x if species == "large" else x


def doping_of(q: float, *, placement: str, species: str) -> float:
    """Inverse of :func:`occupation_probability`: the x at which candidates are occupied with q."""
    if placement == "random":
        return 1 - 2 * q if species == "large" else 2 * q - 1
    return 1 - q if species == "large" else q


@dataclass(frozen=True)
class WrappingSamples:
    """First-wrap steps of ``n_samples`` Newman–Ziff runs on one L (shape (n_samples, 3))."""

    L: int
    n_candidates: int
    steps: NDArray[np.int64]

    def probability(self, q: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Canonical R^(1)_L(q): probability to wrap along a given axis, averaged over axes."""
        return self.per_sample(q).mean(axis=-1)

    def per_sample(self, q: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """P(Binomial(M, q) ≥ step) per sample, averaged over axes; shape (..., n_samples)."""
        qq = np.asarray(q, dtype=float)[..., None, None]
        p = stats.binom.sf(self.steps - 1, self.n_candidates, qq)  # P(#added ≥ step)
        return p.mean(axis=-1)


def sample_wrapping(L: int, *, n_samples: int, placement: str = "random", species: str = "large",
                    seed: int | None = None) -> WrappingSamples:
    """Run ``n_samples`` Newman–Ziff sweeps on an L³ periodic lattice; L even for ``"rocksalt"``."""
    require(isinstance(L, (int, np.integer)) and L >= 2, "L", L, "an integer linear size ≥ 2")
    require(placement in PLACEMENTS, "placement", placement, f"one of {PLACEMENTS}")
    require(species in SPECIES, "species", species, f"one of {SPECIES}")
    require(placement != "rocksalt" or L % 2 == 0, "L", L, "an even size (two sublattices on the torus)")
    require(n_samples >= 1, "n_samples", n_samples, "a positive number of samples")
    pre, cand = _sites(int(L), placement, species)
    rng = np.random.default_rng(seed)
    steps = np.empty((n_samples, 3), dtype=np.int64)
    for r in range(n_samples):
        steps[r] = _first_wrap(int(L), pre, rng.permutation(cand))
    return WrappingSamples(L=int(L), n_candidates=int(cand.size), steps=steps)


@dataclass(frozen=True)
class Threshold:
    """Percolation threshold in site probability q and in doping x, or ``None`` if no wrapping."""

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
    """Threshold from crossings of R^(1)_L for consecutive ``sizes`` (see module docstring).

    Returns a :class:`Threshold` with q, its errors and the doping x at threshold; all ``None``
    when no crossing exists (the species never wraps, e.g. large octahedra in rock-salt order).
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


def wrapping_curve(x: NDArray[np.float64], *, L: int, n_samples: int, placement: str = "random",
                   species: str = "large", seed: int | None = None) -> NDArray[np.float64]:
    """R^(1)_L of the species' cluster against doping x (occupation-probability curve in x)."""
    w = sample_wrapping(L, n_samples=n_samples, placement=placement, species=species, seed=seed)
    q = np.array([occupation_probability(float(v), placement=placement, species=species) for v in np.ravel(x)])
    return w.probability(np.clip(q, 0.0, 1.0)).reshape(np.shape(x))


#: Correlation-length exponent of 3D percolation (Wang et al., PRE 87, 052107 (2013): ν = 0.8764(12)).
NU_3D = 0.8764


@dataclass(frozen=True)
class ExtrapolatedThreshold:
    """Threshold from q_½(L) (where R^(1)_L = ½) extrapolated as q_½(L) = q_c + a L^{−1/ν}, ν = :data:`NU_3D`.

    ``q_c``/``x_c`` are None when the species never wraps on some size (no threshold).
    ``stat_error``: the statistical (Monte Carlo) error of q_c, propagated through the weighted
    least-squares fit; ``extrapolation_error``: the change of q_c when the smallest size is dropped
    (an estimate of the error of the assumed form, not a statistical error); ``chi2``/``dof``
    of the fit. ``q_half``/``q_half_error`` per size in ``sizes``. Errors in x are in units of x.
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
