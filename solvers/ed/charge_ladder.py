"""The charge ladder E(N₀ + d): ground energies of the sectors next to N₀, for gaps and pair binding.

Each N is solved in its lowest-|S_z| sector (:func:`ladder_sector`). Callers that checkpoint pass
``stored`` (a value kept from an earlier run, or None) and ``on_solved`` (called with each newly
solved energy); the solver itself knows nothing about files. :func:`check_ladder_memory` refuses
a ladder whose sectors would not fit before anything is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tqdm import tqdm

from localpairs.hamiltonians import Model
from localpairs.solvers.ed.eigensolve import solve
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD, check_memory, estimate_memory
from localpairs.solvers.hilbert.sector import Sector


def ladder_sector(n: int) -> Sector:
    """Give the lowest-|S_z| sector of ``n`` electrons: n↑ = ⌈n/2⌉, n↓ = ⌊n/2⌋.

    Parameters
    ----------
    n : int
        Number of electrons.

    Returns
    -------
    Sector
        The sector.
    """
    return Sector(n_up=(n + 1) // 2, n_down=n // 2)


def ladder_electrons(n0: int, offsets: Sequence[int], n_sites: int) -> list[int]:
    """List the electron numbers N₀ + d whose sector exists on ``n_sites`` sites.

    Parameters
    ----------
    n0 : int
        Reference electron number N₀.
    offsets : sequence of int
        Offsets d.
    n_sites : int
        Number of sites.

    Returns
    -------
    list of int
        N₀ + d with 0 ≤ N ≤ 2·n_sites, in the order of ``offsets``.
    """
    return [n0 + d for d in offsets if 0 <= n0 + d <= 2 * n_sites]


def check_ladder_memory(model: Model, electrons: Sequence[int], *, dense_threshold: int = DENSE_THRESHOLD,
                        memory_budget_gb: float | None = None) -> None:
    """Check that every sector of a ladder fits the memory budget (allocates nothing).

    Parameters
    ----------
    model : Model
        The model.
    electrons : sequence of int
        Electron numbers N of the ladder.
    dense_threshold : int, optional
        Dimension below which a sector is diagonalized densely.
    memory_budget_gb : float or None, optional
        Budget in GB; default: the machine's (:func:`~localpairs.solvers.hilbert.memory.default_budget_gb`).

    Raises
    ------
    TooLargeError
        When a sector of ``electrons`` exceeds the budget.
    """
    for n in electrons:
        sec = ladder_sector(n)
        check_memory(model, sec, estimate_memory(model, sec, dense_threshold=dense_threshold), memory_budget_gb)


def solve_ladder(
    model: Model,
    electrons: Sequence[int],
    *,
    dense_threshold: int = DENSE_THRESHOLD,
    memory_budget_gb: float | None = None,
    stored: Callable[[int], float | None] | None = None,
    on_solved: Callable[[int, float], None] | None = None,
) -> dict[int, float]:
    """Solve the ground energies E(N) for each N of ``electrons`` (lowest-|S_z| sectors).

    Parameters
    ----------
    model : Model
        The model; sectors are built on its cluster.
    electrons : sequence of int
        The electron numbers N to solve.
    dense_threshold : int, optional
        As for :func:`~localpairs.solvers.solve`.
    memory_budget_gb : float or None, optional
        As for :func:`~localpairs.solvers.solve` (GB).
    stored : callable or None, optional
        ``stored(N)`` returns a kept E(N) in eV (e.g. from a checkpoint) or None to solve it.
    on_solved : callable or None, optional
        Called as ``on_solved(N, E)`` after each sector actually solved (e.g. to checkpoint it).

    Returns
    -------
    dict of int to float
        E(N) in eV per electron number.
    """
    energies: dict[int, float] = {}
    for n in tqdm(electrons, desc="charge ladder E(N₀ + d)", unit="sector", leave=False):
        kept = stored(n) if stored is not None else None
        if kept is not None:
            energies[n] = float(kept)
            continue
        energies[n] = solve(model, ladder_sector(n), dense_threshold=dense_threshold, memory_budget_gb=memory_budget_gb).ground_energy
        if on_solved is not None:
            on_solved(n, energies[n])
    return energies
