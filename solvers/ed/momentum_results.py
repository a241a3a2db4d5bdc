"""Results of a momentum scan: the lowest levels of each translation block and of the sector.

:func:`~localpairs.solvers.ed.momentum.lowest_by_momentum` makes them; the ground level, its
degeneracy and the lowest excitations follow from the blocks' levels and their stars.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Levels closer than this (eV) to the lowest one count as degenerate with it.
DEGENERACY_TOL = 1e-8
Label = tuple[int, ...]


@dataclass(frozen=True)
class MomentumBlock:
    """The lowest levels of one translation block (standing for its whole star).

    Parameters
    ----------
    k : tuple of int
        QuSpin labels (q per translation name of :attr:`MomentumScan.names`).
    star : tuple of tuple of int
        All labels with the same spectrum (``k`` included), sorted.
    dimension : int
        Block dimension.
    energies : tuple of float
        Lowest eigenvalues (eV), ascending; empty for an empty block.
    method : str
        ``"dense"``, ``"lanczos"``, ``"dense+lanczos"`` (sub-blocks solved differently) or ``"empty"``.
    seconds : float
        Wall time of this block (basis, matrix, solve; all its sub-blocks).
    """

    k: Label
    star: tuple[Label, ...]
    dimension: int
    energies: tuple[float, ...]
    method: str
    seconds: float

    @property
    def multiplicity(self) -> int:
        """Number of blocks in the star."""
        return len(self.star)

    def summary(self, n_electrons: int) -> str:
        """One progress line: label, multiplicity, dimension, lowest energy, method, time.

        Parameters
        ----------
        n_electrons : int
            N of the sector.

        Returns
        -------
        str
            The line.
        """
        e0 = f"{self.energies[0]:.8f} eV" if self.energies else "—"
        return f"  N={n_electrons} k={self.k} ×{len(self.star)}: dim {self.dimension:,}, E0 {e0}, {self.method}, {self.seconds:.1f} s"

    def as_dict(self) -> dict:
        """JSON-ready form (for checkpoints).

        Returns
        -------
        dict
            The fields as JSON types.
        """
        return {"k": list(self.k), "star": [list(s) for s in self.star], "dimension": self.dimension,
                "energies": list(self.energies), "method": self.method, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MomentumBlock:
        """Inverse of :meth:`as_dict`.

        Parameters
        ----------
        data : Mapping[str, Any]
            From :meth:`as_dict`.

        Returns
        -------
        MomentumBlock
            The block.
        """
        return cls(tuple(data["k"]), tuple(tuple(s) for s in data["star"]), int(data["dimension"]),
                   tuple(float(e) for e in data["energies"]), str(data["method"]), float(data["seconds"]))


@dataclass(frozen=True)
class MomentumScan:
    """Lowest levels of a sector in every momentum block (one block per star).

    Parameters
    ----------
    n_up, n_down : int
        The particle sector.
    names : tuple of str
        Translation names (``"kx"`` …).
    periods : tuple of int
        Their periods L.
    blocks : tuple of MomentumBlock
        One per star, k = 0 first.
    symmetries : tuple of str
        Operations used to relate blocks (``"time_reversal"``, ``"pz"``, ``"dxy"`` …).
    n_states : int
        Levels computed per block.
    """

    n_up: int
    n_down: int
    names: tuple[str, ...]
    periods: tuple[int, ...]
    blocks: tuple[MomentumBlock, ...]
    symmetries: tuple[str, ...]
    n_states: int

    @property
    def dimension(self) -> int:
        """Sector dimension: Σ block dimension × multiplicity."""
        return sum(b.dimension * b.multiplicity for b in self.blocks)

    def levels(self) -> list[tuple[float, Label, int]]:
        """All computed levels, ascending.

        Returns
        -------
        list of tuple
            ``(energy, k, multiplicity)`` per level (eV).
        """
        return sorted((e, b.k, b.multiplicity) for b in self.blocks for e in b.energies)

    @property
    def ground_energy(self) -> float:
        """Lowest energy of the sector (eV)."""
        return self.levels()[0][0]

    @property
    def ground_k(self) -> Label:
        """The k label of the block holding the ground state (the first in k order on ties)."""
        e0 = self.ground_energy
        return next(b.k for b in self.blocks if b.energies and b.energies[0] <= e0 + DEGENERACY_TOL)

    @property
    def complete_below(self) -> float:
        """Energy below which :meth:`levels` holds every level of the sector (strictly below).

        A block whose computed levels do not exhaust it may have more levels at or above its
        highest one (a degenerate partner of that level included).
        """
        cut = [b.energies[-1] for b in self.blocks if len(b.energies) < b.dimension]
        return min(cut, default=np.inf)

    @property
    def degeneracy(self) -> int:
        """Number of states within :data:`DEGENERACY_TOL` of the ground energy (stars counted fully).

        A lower bound when :attr:`degeneracy_is_lower_bound` (a block's levels were all degenerate).
        """
        e0 = self.ground_energy
        return sum(m for e, _, m in self.levels() if e <= e0 + DEGENERACY_TOL)

    @property
    def degeneracy_is_lower_bound(self) -> bool:
        """True when more degenerate levels may exist beyond the ``n_states`` computed per block."""
        return self.complete_below <= self.ground_energy + 2 * DEGENERACY_TOL

    def excitations(self, count: int | None = None) -> list[tuple[float, Label, int]]:
        """Lowest levels above the ground level(s), complete ones only.

        Parameters
        ----------
        count : int or None
            At most this many (None: all).

        Returns
        -------
        list of tuple
            ``(E − E0, k, multiplicity)``, E − E0 in eV, ascending.
        """
        e0, top = self.ground_energy, self.complete_below
        out = [(e - e0, k, m) for e, k, m in self.levels() if e0 + DEGENERACY_TOL < e < top - DEGENERACY_TOL]
        return out if count is None else out[:count]

    def k_over_pi(self, k: Label) -> tuple[float, ...]:
        """Crystal momentum ``K a/π = −2q/L`` per axis, wrapped to (−1, 1].

        Parameters
        ----------
        k : tuple of int
            QuSpin labels.

        Returns
        -------
        tuple of float
            K a/π per axis.
        """
        out = []
        for q, period in zip(k, self.periods):
            v = -2.0 * q / period
            v = v - 2.0 * np.floor((v + 1.0) / 2.0)
            out.append(1.0 if v == -1.0 else float(v) + 0.0)
        return tuple(out)
