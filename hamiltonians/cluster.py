"""Clusters of corner-sharing octahedra on a simple-cubic lattice.

Each site is one BiO6 octahedron; each nearest-neighbour bond is one bridging oxygen.

Bond convention
---------------
For every site ``r`` and axis ``α`` there is a *forward* bond to ``r + e_α``. On an open axis
the forward bond of the last site is absent; on a periodic axis it wraps to the first site.
Every bond therefore has the displacement ``r_j − r_i = +a e_α`` (``a`` the lattice constant),
which fixes the sign of Peierls phases once and for all.

On a periodic axis of length 2 the forward and backward neighbours of a site coincide. By
default we count the bond **twice** (``bond_multiplicity = 2``): sites 0 and 1 are joined by two
distinct oxygens, one at +a/2 and one at −a/2 of site 0, exactly as in the infinite crystal the
cluster repeats. Single-particle levels then are the crystal's ``−2t Σ_α cos k_α`` on the
cluster's k-grid, and a vector potential along that axis gives the two bonds opposite Peierls
phases (the current along it vanishes identically). An axis of length 1 cannot be periodic.

Bond multiplicity
-----------------
``bond_multiplicity = 1`` on a periodic axis of length 2 joins each pair by **one** oxygen (the
forward bond of site 0; the wrapping bond is left out): the pair hops with t, not 2t, and a
vector potential along the axis couples linearly. Its bonds are then those of the open axis; the
axis stays periodic for its translation symmetry. Use it for a cluster that is isotropic (every
axis hops with t) with an open pump axis. Every other axis has no choice: one oxygen per pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

from localpairs.errors import InputError, require
from localpairs.hamiltonians.bond_multiplicity import _AXES, BondMultiplicity, _resolve_multiplicity, bond_multiplicity_request  # noqa: F401 - re-exported

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

@dataclass(frozen=True)
class Bond:
    """One bridging oxygen between octahedra ``i`` and ``j``.

    Parameters
    ----------
    id : int
        Index of the bond (the oxygen) in :attr:`Cluster.bonds`.
    i, j : int
        Sites joined; the bond points from ``i`` to ``j``.
    axis : int
        0, 1 or 2 for x, y, z.
    displacement : tuple of float
        ``r_j − r_i`` in Å; always ``+a`` along :attr:`axis` (see the module docstring).
    oxygen_position : tuple of float
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
    """An immutable Lx×Ly×Lz cluster of octahedra.

    Build it with :func:`make_cluster`.

    Parameters
    ----------
    name : str
        Preset name or ``"LxxLyxLz"``.
    shape : tuple of int
        (Lx, Ly, Lz).
    periodic : tuple of bool
        Periodic boundary per axis.
    lattice_constant : float
        Octahedron-centre spacing ``a`` in Å.
    positions : numpy.ndarray
        (N, 3) site positions in Å; site index ``n = (x·Ly + y)·Lz + z``.
    sublattice : numpy.ndarray
        (N,) rock-salt label ``(x + y + z) mod 2``; sublattice 0 holds the large octahedra of the
        parent compound.
    bonds : tuple of Bond
        All bonds (oxygens), see :class:`Bond`.
    bond_multiplicity : tuple of int, optional
        Oxygens joining each bonded pair along each axis: 1 or 2 on a periodic axis of length 2
        (the choice of :func:`make_cluster`), 1 on every other axis.
    """

    name: str
    shape: tuple[int, int, int]
    periodic: tuple[bool, bool, bool]
    lattice_constant: float
    positions: np.ndarray
    sublattice: np.ndarray
    bonds: tuple[Bond, ...]
    bond_multiplicity: tuple[int, int, int] = (1, 1, 1)

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
        """List the sites ``(i, j)`` of every bond.

        Returns
        -------
        numpy.ndarray
            (n_bonds, 2) integer array of ``(i, j)`` per bond.
        """
        return np.array([(b.i, b.j) for b in self.bonds], dtype=int).reshape(-1, 2)

    def site_index(self, x: int, y: int, z: int) -> int:
        """Find the index of the site at integer coordinates (x, y, z).

        Parameters
        ----------
        x, y, z : int
            Integer lattice coordinates (units of the lattice constant).

        Returns
        -------
        int
            Site index ``(x·Ly + y)·Lz + z``.
        """
        _lx, ly, lz = self.shape
        return (x * ly + y) * lz + z

    @property
    def has_multiplicity_choice(self) -> tuple[bool, bool, bool]:
        """Per axis: periodic with length 2, where :attr:`bond_multiplicity` is a choice."""
        return tuple(p and n == 2 for n, p in zip(self.shape, self.periodic))  # type: ignore[return-value]

    @property
    def doubled_axes(self) -> tuple[bool, bool, bool]:
        """Per axis: each pair joined by two oxygens (opposite Peierls phases, no linear current)."""
        return tuple(m == 2 for m in self.bond_multiplicity)  # type: ignore[return-value]

    def describe(self) -> str:
        """Describe the cluster in one line.

        Periodic length-2 axes whose pairs are joined once are named, e.g.
        ``cube 2×2×2 (opp; y, z one oxygen per pair), 8 sites, 12 bonds, a = 4.35 Å``.

        Returns
        -------
        str
            E.g. ``cube 2×2×2 (ppp), 8 sites, 24 bonds, a = 4.35 Å``.
        """
        bc = "".join("p" if p else "o" for p in self.periodic)
        single = [_AXES[ax] for ax, choice in enumerate(self.has_multiplicity_choice) if choice and self.bond_multiplicity[ax] == 1]
        if single:
            bc += f"; {', '.join(single)} one oxygen per pair"
        dims = "×".join(str(n) for n in self.shape)
        return (
            f"{self.name} {dims} ({bc}), {self.n_sites} sites, {self.n_bonds} bonds, "
            f"a = {self.lattice_constant:g} Å"
        )

    def as_dict(self) -> dict:
        """Record the parameters that rebuild this cluster with :func:`make_cluster`.

        Returns
        -------
        dict
            ``shape``, ``periodic``, ``lattice_constant`` (Å), ``name`` and
            ``bond_multiplicity`` per axis (None where there is no choice).
        """
        return {
            "shape": list(self.shape),
            "periodic": list(self.periodic),
            "lattice_constant": self.lattice_constant,
            "name": self.name,
            "bond_multiplicity": [m if choice else None for m, choice in zip(self.bond_multiplicity, self.has_multiplicity_choice)],
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
    bond_multiplicity: BondMultiplicity = None,
) -> Cluster:
    """Build a cluster of octahedra.

    Parameters
    ----------
    shape : str or sequence of int
        A preset name (``dimer``, ``plaquette``, ``cube``, ``2x2x3``, ``2x2x4``), a string
        ``"LxxLyxLz"`` or three integers.
    periodic : bool or sequence of bool, optional
        ``True`` makes every axis of length ≥ 2 periodic; ``False`` makes all open; three bools
        set each axis (a periodic axis of length 1 is refused).
    lattice_constant : float, optional
        Octahedron spacing in Å (default 4.35 Å, pseudo-cubic BaBiO3).
    bond_multiplicity : int or sequence of int or None or mapping of str to int, optional
        Oxygens joining each pair on a periodic axis of length 2 (module docstring): 2 (the
        default, the crystal's count) or 1. One value sets every such axis; three values (or a
        mapping such as ``{"y": 1}``) set each axis, None on axes without a choice (open, or
        length ≠ 2), where a value is refused.

    Returns
    -------
    Cluster
        The immutable cluster with its bonds in forward order.

    Raises
    ------
    InputError
        When the shape is unknown, has fewer than 2 or more than 32 sites, the lattice constant
        is not positive, an axis of length 1 is periodic, or ``bond_multiplicity`` is given
        where an axis has no choice.
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
    multiplicity = _resolve_multiplicity(bond_multiplicity, dims, pbc)
    a = float(lattice_constant)
    coords = np.array(list(product(*(range(n) for n in dims))), dtype=int)
    bonds = _forward_bonds(coords, dims, pbc, a, multiplicity)
    positions = coords.astype(float) * a
    positions.setflags(write=False)
    sub = (coords.sum(axis=1) % 2).astype(int)
    sub.setflags(write=False)
    return Cluster(
        name=name,
        shape=dims,
        periodic=pbc,
        lattice_constant=a,
        positions=positions,
        sublattice=sub,
        bonds=bonds,
        bond_multiplicity=multiplicity,
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


def _forward_bonds(coords: np.ndarray, dims: tuple[int, int, int], pbc: tuple[bool, bool, bool], a: float,
                   multiplicity: tuple[int, int, int]) -> tuple[Bond, ...]:
    """The forward bond ``r → r + e_α`` of every site and axis (wrapping on periodic axes, but not
    where a length-2 axis joins its pairs once), see the module docstring."""
    ly, lz = dims[1], dims[2]
    bonds: list[Bond] = []
    for c in coords:
        for axis in range(3):
            nxt = c.copy()
            nxt[axis] += 1
            if nxt[axis] == dims[axis]:
                if not pbc[axis] or (dims[axis] == 2 and multiplicity[axis] == 1):
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
                    displacement=(disp[0], disp[1], disp[2]),
                    oxygen_position=tuple(c * a + np.array(disp) / 2.0),
                )
            )
    return tuple(bonds)


def pump_cluster(shape: str | Sequence[int], *, lattice_constant: float = DEFAULT_LATTICE_CONSTANT) -> Cluster:
    """Build an isotropic cluster for an x-polarized pump.

    The x axis is open, y and z are periodic where their length is ≥ 2. Pairs on a periodic
    axis of length 2 are joined by one oxygen (``bond_multiplicity = 1``), so every axis hops
    with t and the current along x is linear in the field (module docstring). The 12-site
    ``pump_cluster("3x2x2")`` (20 oxygens, 853,776 states at half filling) is the cluster of
    ``runs/babio3_pump_12.toml``.

    Parameters
    ----------
    shape : str or sequence of int
        A preset name, a string ``"LxxLyxLz"`` or three integers, as for :func:`make_cluster`.
    lattice_constant : float, optional
        Octahedron spacing in Å (default 4.35 Å).

    Returns
    -------
    Cluster
        The cluster, x open, y and z periodic where their length is ≥ 2.

    Raises
    ------
    InputError
        As :func:`make_cluster`.
    """
    _, dims = _resolve_shape(shape)
    periodic = [False] + [n >= 2 for n in dims[1:]]
    choice = any(p and n == 2 for n, p in zip(dims, periodic))
    return make_cluster(dims, periodic=periodic, lattice_constant=lattice_constant, bond_multiplicity=1 if choice else None)
