"""Doping configurations: which octahedra are large (bosonic) and which are small (fermionic).

In BaBiO3 (x = 0) large octahedra, each holding a local electron pair, and small ones, each
holding a local hole pair, alternate in rock-salt order. K doping turns large octahedra into
small ones: the fraction of large octahedra is (1 − x)/2.

Count rule
----------
``n_large = floor((1 − x)/2 · N + 1/2)`` (nearest integer, halves rounded up), and the nominal
electron count is ``2 · n_large`` (every electron paired on a large octahedron). For the 16-site
2×2×4 cluster at x = 0.375 this gives 5 large octahedra and 10 electrons.

Placements
----------
``rock_salt`` (deterministic, the default)
    Large octahedra are a subset of rock-salt sublattice 0, spread evenly over it in site order:
    the parent order with some large octahedra turned small.
``random``
    ``n_large`` sites drawn uniformly from all sites with a seeded generator.
``random_rock_salt``
    ``n_large`` sites drawn from sublattice 0 with a seeded generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from localpairs.errors import InputError, require
from localpairs.hamiltonians.cluster import Cluster

PLACEMENTS = ("rock_salt", "random", "random_rock_salt")


@dataclass(frozen=True)
class DopingConfig:
    """Large/small octahedra on a cluster for a doping ``x``.

    Build it with :func:`doping_config`.

    Parameters
    ----------
    x : float
        K concentration, 0 ≤ x ≤ 1.
    large : tuple of bool
        Per site, True for a large (bosonic, electron-pair) octahedron.
    placement : str
        One of :data:`PLACEMENTS`.
    seed : int or None
        Seed of the random placements (None for ``rock_salt``).
    """

    x: float
    large: tuple[bool, ...]
    placement: str
    seed: int | None

    @property
    def n_large(self) -> int:
        """Number of large (bosonic) octahedra."""
        return int(sum(self.large))

    @property
    def n_small(self) -> int:
        """Number of small (fermionic) octahedra."""
        return len(self.large) - self.n_large

    @property
    def bosonic_sites(self) -> tuple[int, ...]:
        """Indices of large octahedra."""
        return tuple(i for i, b in enumerate(self.large) if b)

    @property
    def fermionic_sites(self) -> tuple[int, ...]:
        """Indices of small octahedra."""
        return tuple(i for i, b in enumerate(self.large) if not b)

    @property
    def n_electrons(self) -> int:
        """Nominal electron count ``2·n_large``."""
        return 2 * self.n_large

    def as_dict(self) -> dict:
        """Record the resolved parameters.

        Returns
        -------
        dict
            ``x``, ``placement``, ``seed`` (−1 for none) and ``large_sites``.
        """
        return {
            "x": self.x,
            "placement": self.placement,
            "seed": -1 if self.seed is None else self.seed,
            "large_sites": list(self.bosonic_sites),
        }


def large_count(n_sites: int, x: float) -> int:
    """Count the large octahedra at doping ``x``.

    Parameters
    ----------
    n_sites : int
        Number of octahedra.
    x : float
        K concentration in [0, 1].

    Returns
    -------
    int
        ``floor((1 − x)/2 · n_sites + 1/2)`` (see the module docstring).
    """
    return math.floor((1.0 - x) / 2.0 * n_sites + 0.5)


def doping_config(
    cluster: Cluster, *, x: float = 0.0, placement: str = "rock_salt", seed: int | None = None
) -> DopingConfig:
    """Choose the large (bosonic) and small (fermionic) octahedra of ``cluster`` at doping ``x``.

    Parameters
    ----------
    cluster : Cluster
        The cluster.
    x : float, optional
        K concentration in [0, 1].
    placement : str, optional
        ``"rock_salt"`` (deterministic), ``"random"`` or ``"random_rock_salt"`` (seeded).
    seed : int or None, optional
        Integer seed, required for the random placements.

    Returns
    -------
    DopingConfig
        Which octahedra are large.

    Raises
    ------
    InputError
        When ``x`` is outside [0, 1] or needs more large octahedra than the placement allows,
        ``placement`` is unknown, or a random placement has no integer seed.
    """
    require(
        isinstance(x, (int, float)) and 0.0 <= x <= 1.0, "doping.x", x, "a number in [0, 1]"
    )
    require(placement in PLACEMENTS, "doping.placement", placement, f"one of {PLACEMENTS}")
    n = cluster.n_sites
    n_large = large_count(n, float(x))
    sub0 = np.flatnonzero(cluster.sublattice == 0)
    if placement == "rock_salt":
        if n_large > len(sub0):
            raise InputError("doping.x", x, f"x ≥ {1 - 2 * len(sub0) / n:g} on this cluster for rock-salt placement")
        chosen = sub0[(np.arange(n_large) * len(sub0)) // max(n_large, 1)] if n_large else sub0[:0]
        seed_used = None
    else:
        require(
            isinstance(seed, int) and not isinstance(seed, bool),
            "doping.seed",
            seed,
            f"an integer seed for placement '{placement}'",
        )
        rng = np.random.default_rng(seed)
        pool = np.arange(n) if placement == "random" else sub0
        if n_large > len(pool):
            raise InputError("doping.x", x, "fewer large octahedra than sublattice-0 sites")
        chosen = rng.choice(pool, size=n_large, replace=False)
        seed_used = int(seed)  # type: ignore[arg-type]
    large = np.zeros(n, dtype=bool)
    large[chosen] = True
    return DopingConfig(x=float(x), large=tuple(bool(v) for v in large), placement=placement, seed=seed_used)
