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
    """The lowest-|S_z| sector of ``n`` electrons: n↑ = ⌈n/2⌉, n↓ = ⌊n/2⌋."""
    return Sector(n_up=(n + 1) // 2, n_down=n // 2)


def ladder_electrons(n0: int, offsets: Sequence[int], n_sites: int) -> list[int]:
    """N₀ + d for the offsets ``d`` whose sector exists on ``n_sites`` sites (0 ≤ N ≤ 2·n_sites), in the given order."""
    return [n0 + d for d in offsets if 0 <= n0 + d <= 2 * n_sites]


def check_ladder_memory(model: Model, electrons: Sequence[int], *, dense_threshold: int = DENSE_THRESHOLD,
                        memory_budget_gb: float | None = None) -> None:
    """Raise :class:`~localpairs.errors.TooLargeError` if a sector of ``electrons`` exceeds the budget (allocates nothing)."""
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
    """Ground energies E(N) in eV for each N of ``electrons`` (lowest-|S_z| sectors).

    Parameters
    ----------
    model
        The model; sectors are built on its cluster.
    electrons
        The electron numbers N to solve.
    dense_threshold, memory_budget_gb
        As for :func:`~localpairs.solvers.solve`.
    stored
        ``stored(N)`` returns a kept E(N) (e.g. from a checkpoint) or None to solve it.
    on_solved
        Called as ``on_solved(N, E)`` after each sector actually solved (e.g. to checkpoint it).
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
