"""Clusters of corner-sharing octahedra on a simple-cubic lattice.

Each site is one BiO6 octahedron; each nearest-neighbour bond is one bridging oxygen.

Bond convention
---------------
For every site ``r`` and axis ``α`` there is a *forward* bond to ``r + e_α``. On an open axis
the forward bond of the last site is absent; on a periodic axis it wraps to the first site.
Every bond therefore has the displacement ``r_j − r_i = +a e_α`` (``a`` the lattice constant),
which fixes the sign of Peierls phases once and for all.

On a periodic axis of length 2 the forward and backward neighbours of a site coincide. We count
the bond **twice**: sites 0 and 1 are joined by two distinct oxygens, one at +a/2 and one at −a/2
of site 0, exactly as in the infinite crystal the cluster repeats. Single-particle levels then
are the crystal's ``−2t Σ_α cos k_α`` on the cluster's k-grid, and a vector potential along that
axis gives the two bonds opposite Peierls phases. An axis of length 1 cannot be periodic.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Sequence

import numpy as np

from localpairs.errors import InputError, require

#: Pseudo-cubic lattice constant of BaBiO3 in Å (Bi–Bi distance).
DEFAULT_LATTICE_CONSTANT = 4.35

#: Named cluster shapes (Lx, Ly, Lz).
PRESETS: dict[str, tuple[int, int, int]] = {
    "dimer": (2, 1, 1),
    "plaquette": (2, 2, 1),
    "cube": (2, 2, 2),
    "2x2x3": (2, 2, 3),
    "2x2x4": (2, 2, 4),
}

_AXES = "xyz"


@dataclass(frozen=True)
class Bond:
    """One bridging oxygen between octahedra ``i`` and ``j``.

    Attributes
    ----------
    id
        Index of the bond (the oxygen) in :attr:`Cluster.bonds`.
    i, j
        Sites joined; the bond points from ``i`` to ``j``.
    axis
        0, 1 or 2 for x, y, z.
    displacement
        ``r_j − r_i`` in Å; always ``+a`` along :attr:`axis` (see the module docstring).
    oxygen_position
        Position of the bridging oxygen, ``r_i + displacement / 2``, in Å.
    """

    id: int
    i: int
    j: int
    axis: int
    displacement: tuple[float, float, float]
    oxygen_position: tuple[float, float, float]


@dataclass(frozen=True, eq=False)
class Cluster:
    """An immutable Lx×Ly×Lz cluster of octahedra. Build it with :func:`make_cluster`.

    Attributes
    ----------
    name
        Preset name or ``"LxxLyxLz"``.
    shape
        (Lx, Ly, Lz).
    periodic
        Periodic boundary per axis.
    lattice_constant
        Octahedron-centre spacing ``a`` in Å.
    positions
        (N, 3) site positions in Å; site index ``n = (x·Ly + y)·Lz + z``.
    sublattice
        (N,) rock-salt label ``(x + y + z) mod 2``; sublattice 0 holds the large octahedra of the
        parent compound.
    bonds
        All bonds (oxygens), see :class:`Bond`.
    """

    name: str
    shape: tuple[int, int, int]
    periodic: tuple[bool, bool, bool]
    lattice_constant: float
    positions: np.ndarray
    sublattice: np.ndarray
    bonds: tuple[Bond, ...]

    @property
    def n_sites(self) -> int:
        """Number of octahedra."""
        return int(np.prod(self.shape))

    @property
    def n_bonds(self) -> int:
        """Number of bridging oxygens."""
        return len(self.bonds)

    @property
    def coordinates(self) -> np.ndarray:
        """(N, 3) integer lattice coordinates."""
        return np.rint(self.positions / self.lattice_constant).astype(int)

    @property
    def is_bipartite(self) -> bool:
        """True when every bond joins the two rock-salt sublattices (no odd periodic axis)."""
        return all(self.sublattice[b.i] != self.sublattice[b.j] for b in self.bonds)

    def bond_pairs(self) -> np.ndarray:
        """(n_bonds, 2) array of ``(i, j)`` per bond."""
        return np.array([(b.i, b.j) for b in self.bonds], dtype=int).reshape(-1, 2)

    def site_index(self, x: int, y: int, z: int) -> int:
        """Index of the site at integer coordinates (x, y, z)."""
        lx, ly, lz = self.shape
        return (x * ly + y) * lz + z

    def describe(self) -> str:
        """One-line summary, e.g. ``cube 2×2×2 (ppp), 8 sites, 24 bonds, a = 4.35 Å``."""
        bc = "".join("p" if p else "o" for p in self.periodic)
        dims = "×".join(str(n) for n in self.shape)
        return (
            f"{self.name} {dims} ({bc}), {self.n_sites} sites, {self.n_bonds} bonds, "
            f"a = {self.lattice_constant:g} Å"
        )

    def as_dict(self) -> dict:
        """Parameters that rebuild this cluster with :func:`make_cluster`."""
        return {
            "shape": list(self.shape),
            "periodic": list(self.periodic),
            "lattice_constant": self.lattice_constant,
            "name": self.name,
        }


def _resolve_shape(shape: str | Sequence[int]) -> tuple[str, tuple[int, int, int]]:
    if isinstance(shape, str):
        key = shape.lower()
        if key in PRESETS:
            return key, PRESETS[key]
        parts = key.split("x")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            dims = tuple(int(p) for p in parts)
            return ("x".join(parts), dims)  # type: ignore[return-value]
        raise InputError(
            "cluster.shape", shape, f"a preset {sorted(PRESETS)} or 'LxxLyxLz' such as '2x2x3'"
        )
    dims = tuple(int(n) for n in shape)
    require(len(dims) == 3, "cluster.shape", shape, "three lengths (Lx, Ly, Lz)")
    return "x".join(str(n) for n in dims), dims  # type: ignore[return-value]


def make_cluster(
    shape: str | Sequence[int],
    *,
    periodic: bool | Sequence[bool] = False,
    lattice_constant: float = DEFAULT_LATTICE_CONSTANT,
) -> Cluster:
    """Build a cluster of octahedra.

    Parameters
    ----------
    shape
        A preset name (``dimer``, ``plaquette``, ``cube``, ``2x2x3``, ``2x2x4``), a string
        ``"LxxLyxLz"`` or three integers.
    periodic
        ``True`` makes every axis of length ≥ 2 periodic; ``False`` makes all open; three bools
        set each axis (a periodic axis of length 1 is refused).
    lattice_constant
        Octahedron spacing in Å (default 4.35 Å, pseudo-cubic BaBiO3).

    Returns
    -------
    Cluster
    """
    name, dims = _resolve_shape(shape)
    require(all(n >= 1 for n in dims), "cluster.shape", list(dims), "lengths ≥ 1")
    require(
        np.prod(dims) >= 2, "cluster.shape", list(dims), "at least two sites (e.g. 'dimer' = 2×1×1)"
    )
    require(
        np.prod(dims) <= 32, "cluster.shape", list(dims), "at most 32 sites (64 fermion modes)"
    )
    require(
        np.isfinite(lattice_constant) and lattice_constant > 0,
        "cluster.lattice_constant",
        lattice_constant,
        "a positive length in Å",
    )
    pbc = _resolve_periodic(periodic, dims)
    a = float(lattice_constant)
    coords = np.array(list(product(*(range(n) for n in dims))), dtype=int)
    bonds = _forward_bonds(coords, dims, pbc, a)
    positions = coords.astype(float) * a
    positions.setflags(write=False)
    sub = (coords.sum(axis=1) % 2).astype(int)
    sub.setflags(write=False)
    return Cluster(
        name=name,
        shape=dims,  # type: ignore[arg-type]
        periodic=pbc,  # type: ignore[arg-type]
        lattice_constant=a,
        positions=positions,
        sublattice=sub,
        bonds=bonds,
    )


def _resolve_periodic(periodic: bool | Sequence[bool], dims: tuple[int, int, int]) -> tuple[bool, bool, bool]:
    """Periodic flag per axis: ``True`` means every axis of length ≥ 2; a periodic axis of length 1 is refused."""
    if isinstance(periodic, (bool, np.bool_)):
        return tuple(bool(periodic) and n >= 2 for n in dims)  # type: ignore[return-value]
    pbc = tuple(bool(p) for p in periodic)
    require(len(pbc) == 3, "cluster.periodic", list(periodic), "one bool per axis (x, y, z)")
    for axis, (n, p) in enumerate(zip(dims, pbc)):
        require(
            not (p and n == 1),
            f"cluster.periodic[{axis}]",
            True,
            f"open (false) for the {_AXES[axis]} axis of length 1: a site cannot bond to itself",
        )
    return pbc  # type: ignore[return-value]


def _forward_bonds(coords: np.ndarray, dims: tuple[int, int, int], pbc: tuple[bool, bool, bool], a: float) -> tuple[Bond, ...]:
    """The forward bond ``r → r + e_α`` of every site and axis (wrapping on periodic axes), see the module docstring."""
    ly, lz = dims[1], dims[2]
    bonds: list[Bond] = []
    for c in coords:
        for axis in range(3):
            nxt = c.copy()
            nxt[axis] += 1
            if nxt[axis] == dims[axis]:
                if not pbc[axis]:
                    continue
                nxt[axis] = 0
            disp = [0.0, 0.0, 0.0]
            disp[axis] = a
            bonds.append(
                Bond(
                    id=len(bonds),
                    i=int((c[0] * ly + c[1]) * lz + c[2]),
                    j=int((nxt[0] * ly + nxt[1]) * lz + nxt[2]),
                    axis=axis,
                    displacement=tuple(disp),  # type: ignore[arg-type]
                    oxygen_position=tuple(c * a + np.array(disp) / 2.0),  # type: ignore[arg-type]
                )
            )
    return tuple(bonds)


def hopping_matrix(cluster: Cluster, t: float | Sequence[float] = 1.0) -> np.ndarray:
    """Single-particle matrix ``h_ij = −Σ_bonds t_b`` (symmetric), the U = 0 problem per spin.

    Parameters
    ----------
    cluster
        The cluster.
    t
        One hopping in eV for all bonds, or one per bond (in :attr:`Cluster.bonds` order).
    """
    tb = np.broadcast_to(np.asarray(t, dtype=float), (cluster.n_bonds,))
    h = np.zeros((cluster.n_sites, cluster.n_sites))
    for b, tv in zip(cluster.bonds, tb):
        h[b.i, b.j] -= tv
        h[b.j, b.i] -= tv
    return h
