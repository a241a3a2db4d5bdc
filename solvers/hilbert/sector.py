"""Symmetry sectors: the quantum numbers a Hilbert-space block is built for.

Now: electron numbers per spin. The ``blocks`` mapping is where momentum and point-group labels
go (QuSpin's ``name=(permutation, q)`` blocks), so that adding them changes no caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localpairs.errors import InputError, require


@dataclass(frozen=True)
class Sector:
    """A block of the Hilbert space. Build with :func:`sector`.

    Parameters
    ----------
    n_up, n_down : int
        Electrons per spin. For the Fermi–Bose mixture ``n_up + n_down = 2 N_B + N_F``.
    blocks : Mapping[str, Any]
        Symmetry labels, e.g. ``{"kx": 0}`` (see
        :mod:`~localpairs.solvers.hilbert.lattice_symmetry`); empty: the whole particle sector.
    """

    n_up: int
    n_down: int
    blocks: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_electrons(self) -> int:
        """Total electron number (the charge ``2N_B + N_F`` for the mixture)."""
        return self.n_up + self.n_down

    @property
    def sz(self) -> float:
        """S_z = (n_up − n_down)/2."""
        return 0.5 * (self.n_up - self.n_down)

    def shifted(self, d_up: int, d_down: int) -> Sector:
        """The sector with ``d_up``/``d_down`` electrons added (negative: removed).

        Parameters
        ----------
        d_up, d_down : int
            Electrons added per spin.

        Returns
        -------
        Sector
            The shifted sector, same symmetry labels.
        """
        return Sector(self.n_up + d_up, self.n_down + d_down, dict(self.blocks))

    def label(self) -> str:
        """Short text label such as ``N=8 (4↑4↓)``.

        Returns
        -------
        str
            The label, symmetry labels appended.
        """
        labels = "".join(f" {k}={v}" for k, v in self.blocks.items())
        return f"N={self.n_electrons} ({self.n_up}↑{self.n_down}↓){labels}"

    def as_dict(self) -> dict:
        """Resolved quantum numbers for the record.

        Returns
        -------
        dict
            ``n_up``, ``n_down`` and ``block_<name>`` per symmetry label.
        """
        return {"n_up": self.n_up, "n_down": self.n_down, **{f"block_{k}": v for k, v in self.blocks.items()}}


def sector(
    *, electrons: int | None = None, n_up: int | None = None, n_down: int | None = None, **blocks: int
) -> Sector:
    """Build a :class:`Sector`.

    Give either ``electrons`` (then S_z is the smallest possible: ``n_up = ceil(N/2)``) or both
    ``n_up`` and ``n_down``. Symmetry labels go as keywords, e.g. ``sector(electrons=8, kx=0,
    px=1)``; see :mod:`localpairs.solvers.hilbert.lattice_symmetry` for the names.

    Parameters
    ----------
    electrons : int or None
        Total electron number.
    n_up, n_down : int or None
        Electrons per spin (instead of ``electrons``).
    **blocks : int
        Symmetry labels.

    Returns
    -------
    Sector
        The sector.

    Raises
    ------
    InputError
        When both or neither of ``electrons`` and (``n_up``, ``n_down``) are given, or a count is negative.
    """
    if electrons is not None:
        require(n_up is None and n_down is None, "sector", "electrons and n_up/n_down", "either electrons or (n_up, n_down), not both")
        require(isinstance(electrons, int) and electrons >= 0, "sector.electrons", electrons, "a non-negative integer")
        return Sector(n_up=(electrons + 1) // 2, n_down=electrons // 2, blocks=dict(blocks))
    if n_up is None or n_down is None:
        raise InputError("sector", {"n_up": n_up, "n_down": n_down}, "electrons=N, or both n_up and n_down")
    for name, value in (("sector.n_up", n_up), ("sector.n_down", n_down)):
        require(isinstance(value, int) and value >= 0, name, value, "a non-negative integer")
    return Sector(n_up=n_up, n_down=n_down, blocks=dict(blocks))


def check_sector_fits(sec: Sector, n_sites: int) -> None:
    """Refuse a sector that cannot exist on ``n_sites`` sites (before any allocation).

    Parameters
    ----------
    sec : Sector
        The sector.
    n_sites : int
        Number of sites.

    Raises
    ------
    InputError
        When more electrons of one spin than sites are asked for.
    """
    require(sec.n_up <= n_sites, "sector.n_up", sec.n_up, f"0 … {n_sites} (one spin-up electron per site at most)")
    require(sec.n_down <= n_sites, "sector.n_down", sec.n_down, f"0 … {n_sites} (one spin-down electron per site at most)")
