"""Pair binding and charge gaps from sector ground-state energies E(N).

All functions are pure: they take ``{N: E(N)}`` (eV) and return eV.

Conventions (N the reference electron number):

- pair binding ``E_pb = E(N+2) + E(N) − 2E(N+1)``: negative means two added electrons prefer
  to sit together (a bound pair);
- single-particle (charge) gap ``Δ_1 = E(N+1) + E(N−1) − 2E(N)``: the cost of moving one
  electron from one cluster to another, far away;
- two-particle gap ``Δ_2 = [E(N+2) + E(N−2) − 2E(N)]/2``: the same for a pair, per electron.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from localpairs.errors import InputError


def _need(energies: Mapping[int, float], n: int, which: tuple[int, ...], quantity: str) -> None:
    missing = [n + d for d in which if n + d not in energies]
    if missing:
        raise InputError("energies", sorted(energies), f"E(N) for N = {missing} to compute the {quantity} at N = {n}")


def pair_binding(energies: Mapping[int, float], n: int) -> float:
    """Return the pair binding ``E(N+2) + E(N) − 2E(N+1)`` (negative: bound pair).

    Parameters
    ----------
    energies : Mapping of int to float
        Ground energy E(N) in eV by electron number.
    n : int
        The filling N.

    Returns
    -------
    float
        Pair binding in eV.
    """
    _need(energies, n, (0, 1, 2), "pair binding")
    return energies[n + 2] + energies[n] - 2.0 * energies[n + 1]


def single_particle_gap(energies: Mapping[int, float], n: int) -> float:
    """Return the single-particle gap ``E(N+1) + E(N−1) − 2E(N)``.

    Parameters
    ----------
    energies : Mapping of int to float
        Ground energy E(N) in eV by electron number.
    n : int
        The filling N.

    Returns
    -------
    float
        The gap in eV.
    """
    _need(energies, n, (-1, 0, 1), "single-particle gap")
    return energies[n + 1] + energies[n - 1] - 2.0 * energies[n]


def two_particle_gap(energies: Mapping[int, float], n: int) -> float:
    """Return the two-particle gap ``[E(N+2) + E(N−2) − 2E(N)] / 2``.

    Parameters
    ----------
    energies : Mapping of int to float
        Ground energy E(N) in eV by electron number.
    n : int
        The filling N.

    Returns
    -------
    float
        The gap in eV.
    """
    _need(energies, n, (-2, 0, 2), "two-particle gap")
    return 0.5 * (energies[n + 2] + energies[n - 2] - 2.0 * energies[n])


@dataclass(frozen=True)
class GapTable:
    """Pair binding and gaps at one filling (eV); None where a needed sector is missing.

    Attributes
    ----------
    n : int
        The filling N.
    pair_binding, single_particle_gap, two_particle_gap : float or None
        The three quantities in eV.
    """

    n: int
    pair_binding: float | None
    single_particle_gap: float | None
    two_particle_gap: float | None

    def rows(self) -> list[tuple[str, str, float | None]]:
        """List the quantities as rows for reports.

        Returns
        -------
        list of tuple
            ``(name, definition, value in eV or None)``.
        """
        return [
            ("pair binding E_pb", "E(N+2) + E(N) − 2E(N+1)", self.pair_binding),
            ("single-particle gap Δ1", "E(N+1) + E(N−1) − 2E(N)", self.single_particle_gap),
            ("two-particle gap Δ2", "[E(N+2) + E(N−2) − 2E(N)]/2", self.two_particle_gap),
        ]


def gap_table(energies: Mapping[int, float], n: int) -> GapTable:
    """Compute all three quantities at filling ``n`` that the available energies allow.

    Parameters
    ----------
    energies : Mapping of int to float
        Ground energy E(N) in eV by electron number.
    n : int
        The filling N.

    Returns
    -------
    GapTable
        The table (None where a sector is missing).
    """

    def maybe(func):
        try:
            return func(energies, n)
        except InputError:
            return None

    return GapTable(n, maybe(pair_binding), maybe(single_particle_gap), maybe(two_particle_gap))
