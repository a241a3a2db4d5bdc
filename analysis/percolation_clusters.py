"""Newman–Ziff wrapping of site clusters on periodic L³ simple-cubic lattices, and octahedra placements.

Sites are added one at a time in random order; a union–find forest (union by size, path
compression) stores for every site its displacement to its parent in unwrapped coordinates. A
bond that joins two sites already in one cluster closes a loop; if the loop's net displacement is
non-zero the cluster wraps around the torus in the directions where it is non-zero (Newman & Ziff,
PRE 64, 016706 (2001)). For each sample and direction the number of added sites at which wrapping
first appears is recorded; the wrapping probability R_L(q) at site probability q is the binomial
average of these microcanonical results (exact, no p grid), averaged over the three directions
(wrapping along one given axis, R^(1)). The placements of octahedra are described in
:mod:`localpairs.analysis.percolation`; thresholds from these samples are
:mod:`localpairs.analysis.percolation_scaling`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import stats

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
    """Return the probability q that a candidate site holds the species at doping x.

    Parameters
    ----------
    x : float
        K concentration x of Ba₁₋ₓKₓBiO₃, in [0, 1].
    placement : {"random", "rocksalt"}
        Placement of the large octahedra (see :mod:`localpairs.analysis.percolation`).
    species : {"large", "small"}
        Whose cluster graph: large (BiL⁰O₆) or small (BiL²O₆) octahedra.

    Returns
    -------
    float
        q: (1−x)/2 (large) or (1+x)/2 (small) for ``"random"``; 1−x (large) or x (small, the
        A sites among the candidates) for ``"rocksalt"``.

    Raises
    ------
    InputError
        ``placement`` or ``species`` is not one of the allowed names.
    """
    require(placement in PLACEMENTS, "placement", placement, f"one of {PLACEMENTS}")
    require(species in SPECIES, "species", species, f"one of {SPECIES}")
    if placement == "random":
        return (1 - x) / 2 if species == "large" else (1 + x) / 2
    return 1 - x if species == "large" else x


def doping_of(q: float, *, placement: str, species: str) -> float:
    """Return the doping x at which candidates are occupied with probability q.

    The inverse of :func:`occupation_probability`.

    Parameters
    ----------
    q : float
        Occupation probability of a candidate site.
    placement : {"random", "rocksalt"}
        Placement of the large octahedra (see :mod:`localpairs.analysis.percolation`).
    species : {"large", "small"}
        Whose cluster graph: large (BiL⁰O₆) or small (BiL²O₆) octahedra.

    Returns
    -------
    float
        K concentration x (outside [0, 1] when no doping gives q).
    """
    if placement == "random":
        return 1 - 2 * q if species == "large" else 2 * q - 1
    return 1 - q if species == "large" else q


@dataclass(frozen=True)
class WrappingSamples:
    """First-wrap steps of ``n_samples`` Newman–Ziff runs on one L.

    Attributes
    ----------
    L : int
        Linear size of the periodic L³ lattice, in lattice constants.
    n_candidates : int
        Number M of candidate sites added one by one.
    steps : numpy.ndarray of int, shape (n_samples, 3)
        Per sample and axis, the number of added candidates at which the cluster first wraps
        (0: already wrapping on the pre-occupied sites; M + 1: never).
    """

    L: int
    n_candidates: int
    steps: NDArray[np.int64]

    def probability(self, q: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the canonical R^(1)_L(q): the probability to wrap along a given axis, averaged over axes.

        Parameters
        ----------
        q : float or numpy.ndarray
            Occupation probability of a candidate site.

        Returns
        -------
        numpy.ndarray
            R^(1)_L(q), shape of ``q``, averaged over samples.
        """
        return self.per_sample(q).mean(axis=-1)

    def per_sample(self, q: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Return P(Binomial(M, q) ≥ step) per sample, averaged over axes.

        Parameters
        ----------
        q : float or numpy.ndarray
            Occupation probability of a candidate site.

        Returns
        -------
        numpy.ndarray
            Shape ``q.shape + (n_samples,)``: each sample's wrapping probability at q.
        """
        qq = np.asarray(q, dtype=float)[..., None, None]
        p = stats.binom.sf(self.steps - 1, self.n_candidates, qq)  # P(#added ≥ step)
        return p.mean(axis=-1)


def sample_wrapping(L: int, *, n_samples: int, placement: str = "random", species: str = "large",
                    seed: int | None = None) -> WrappingSamples:
    """Run ``n_samples`` Newman–Ziff sweeps on an L³ periodic lattice.

    Parameters
    ----------
    L : int
        Linear size (≥ 2; even for ``"rocksalt"``, two sublattices on the torus).
    n_samples : int
        Number of random site orders (≥ 1).
    placement : {"random", "rocksalt"}
        Placement of the large octahedra (see :mod:`localpairs.analysis.percolation`).
    species : {"large", "small"}
        Whose cluster graph: large (BiL⁰O₆) or small (BiL²O₆) octahedra.
    seed : int or None
        Seed of the random site orders (None: fresh entropy).

    Returns
    -------
    WrappingSamples
        The first-wrap steps of every sample and axis.

    Raises
    ------
    InputError
        ``L``, ``n_samples``, ``placement`` or ``species`` is not allowed.
    """
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



def wrapping_curve(x: NDArray[np.float64], *, L: int, n_samples: int, placement: str = "random",
                   species: str = "large", seed: int | None = None) -> NDArray[np.float64]:
    """Return R^(1)_L of the species' cluster against doping x.

    Parameters
    ----------
    x : numpy.ndarray
        K concentrations x.
    L : int
        Linear size of the lattice.
    n_samples : int
        Number of random site orders.
    placement : {"random", "rocksalt"}
        Placement of the large octahedra (see :mod:`localpairs.analysis.percolation`).
    species : {"large", "small"}
        Whose cluster graph: large (BiL⁰O₆) or small (BiL²O₆) octahedra.
    seed : int or None
        Seed of the random site orders (None: fresh entropy).

    Returns
    -------
    numpy.ndarray
        Wrapping probability along one axis, shape of ``x``.
    """
    w = sample_wrapping(L, n_samples=n_samples, placement=placement, species=species, seed=seed)
    q = np.array([occupation_probability(float(v), placement=placement, species=species) for v in np.ravel(x)])
    return w.probability(np.clip(q, 0.0, 1.0)).reshape(np.shape(x))
