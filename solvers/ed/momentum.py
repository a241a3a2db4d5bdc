"""Lowest levels of a particle sector, resolved by crystal momentum: one translation block at a time.

A periodic cluster's sector splits into translation blocks ``(kx, ky, kz)`` (QuSpin labels q,
crystal momentum ``K = −2πq/(La)``, see :mod:`~localpairs.solvers.hilbert.lattice_symmetry`). Blocks related by a
symmetry of the model have the same spectrum, so only one block per *star* is solved:

- time reversal (complex conjugation) maps q → −q when every coupling is real;
- a reflection ``p{a}`` that commutes with the model maps q_a → −q_a;
- the diagonal mirror ``dxy`` that commutes with the model swaps q_x and q_y.

The union of the solved blocks' spectra, each counted ``multiplicity`` times, is the sector's
spectrum; :func:`lowest_by_momentum` checks that the block dimensions add up to the sector's.
Every block's memory estimate is checked before the first one is built. Every block is solved by
:func:`~localpairs.solvers.solve`, which builds spinful-fermion blocks with
:mod:`~localpairs.solvers.hilbert.block_matrix`, by default as the sub-blocks of its little group
and the spin flip (:mod:`~localpairs.solvers.ed.little_group`); the sector's representatives
under each group are found once and shared by all its blocks, and a complex block of a real model
is solved in its real standing-wave form (:mod:`~localpairs.solvers.hilbert.real_form`).

Levels computed: each block's ``n_states`` lowest (what the scan reports: the per-block table,
and from it the sector's ground level, degeneracy and the excitations below the lowest block's
highest computed level), and no more: a split block asks its sub-blocks only for the levels that
can be among its ``n_states`` lowest (:mod:`~localpairs.solvers.ed.sub_block_levels`). Each block's
lowest state is kept for ``on_block`` (observables, checkpoints).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from itertools import product

from tqdm import tqdm

from localpairs.errors import InputError, LocalPairsError, require
from localpairs.hamiltonians import Model
from localpairs.solvers.ed.eigensolve import EDResult
from localpairs.solvers.ed.little_group import SplitSolver
from localpairs.solvers.ed.momentum_results import DEGENERACY_TOL, Label, MomentumBlock, MomentumScan
from localpairs.solvers.hilbert.basis import sector_dimension
from localpairs.solvers.hilbert.lattice_symmetry import commutes, generators, resolve_blocks
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD, MemoryEstimate, check_memory, estimate_memory
from localpairs.solvers.hilbert.sector import Sector, check_sector_fits

#: Lanczos (ARPACK) tolerance when only the lowest level is wanted: residual ≤ tol·|E|, so the
#: energy is good to ~1e-9 eV at |E| ~ 10 eV, well inside DEGENERACY_TOL; against tol = 0 it saves
#: about a third of the matrix–vector products on the 16-site blocks. With several levels the
#: default is tol = 0: ARPACK then finds exactly degenerate partners inside a block through
#: round-off, which a loose tolerance misses (checked in tests/test_momentum.py).
LANCZOS_TOL = 1e-10

__all__ = ["DEGENERACY_TOL", "LANCZOS_TOL", "Label", "MomentumBlock", "MomentumScan", "block_estimates", "block_maps",
           "default_tol", "lowest_by_momentum", "real_couplings", "stars", "translation_names"]


def default_tol(n_states: int) -> float:
    """The Lanczos tolerance: :data:`LANCZOS_TOL` for one level, 0 (machine precision) for several.

    Parameters
    ----------
    n_states : int
        Levels wanted per block.

    Returns
    -------
    float
        The tolerance.
    """
    return LANCZOS_TOL if n_states == 1 else 0.0

def translation_names(model: Model) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Translation names and periods of ``model``'s cluster, refusing those the model breaks.

    Parameters
    ----------
    model : Model
        The Hamiltonian.

    Returns
    -------
    tuple
        (names, periods): ``("kx", …)`` and the periods L.

    Raises
    ------
    InputError
        When the cluster has no periodic axis, or a translation does not commute with the model
        (the message of :func:`~localpairs.solvers.hilbert.lattice_symmetry.resolve_blocks` says what breaks it).
    """
    gens = generators(model.cluster)
    names = tuple(n for n in ("kx", "ky", "kz") if n in gens)
    if not names:
        raise InputError("momentum", "scan", f"a cluster with a periodic axis of length ≥ 2 ({model.cluster.describe()} has none)")
    resolve_blocks(model, {n: 0 for n in names})  # raises when a translation does not commute
    return names, tuple(gens[n][1] for n in names)


def real_couplings(model: Model) -> bool:
    """True when every coupling of the model is real (then time reversal relates k and −k).

    Parameters
    ----------
    model : Model
        The Hamiltonian.

    Returns
    -------
    bool
        Whether every coupling is real.
    """
    if model.is_complex:
        return False
    return all(complex(c[0]).imag == 0.0 for term in model.terms for c in term.couplings)


def block_maps(model: Model, names: tuple[str, ...], periods: tuple[int, ...]) -> dict[str, Callable[[Label], Label]]:
    """Maps of labels onto labels with the same spectrum, one per symmetry of ``model``.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    names : tuple of str
        Translation names.
    periods : tuple of int
        Their periods.

    Returns
    -------
    dict[str, Callable]
        Symmetry name (``time_reversal``, ``p{a}``, ``dxy``) → map of labels.
    """
    gens = generators(model.cluster)
    maps: dict[str, Callable[[Label], Label]] = {}
    if real_couplings(model):
        maps["time_reversal"] = lambda q: tuple((-x) % p for x, p in zip(q, periods))
    for a, name in enumerate(names):
        refl = "p" + name[1]
        if refl in gens and commutes(model, gens[refl][0]):
            def reflect(q: Label, a: int = a) -> Label:
                return tuple((-x) % p if i == a else x for i, (x, p) in enumerate(zip(q, periods)))

            maps[refl] = reflect
    if "dxy" in gens and "kx" in names and "ky" in names and commutes(model, gens["dxy"][0]):
        ix, iy = names.index("kx"), names.index("ky")

        def swap(q: Label) -> Label:
            out = list(q)
            out[ix], out[iy] = q[iy], q[ix]
            return tuple(out)

        maps["dxy"] = swap
    return maps


def stars(periods: tuple[int, ...], maps: Mapping[str, Callable[[Label], Label]]) -> list[tuple[Label, ...]]:
    """Orbits of the label grid under ``maps``, each sorted; ordered by their smallest label.

    Parameters
    ----------
    periods : tuple of int
        Periods of the translation labels.
    maps : Mapping[str, Callable]
        From :func:`block_maps`.

    Returns
    -------
    list of tuple
        The stars.
    """
    seen: set[Label] = set()
    out = []
    for start in product(*(range(p) for p in periods)):
        if start in seen:
            continue
        orbit, todo = {start}, [start]
        while todo:
            q = todo.pop()
            for f in maps.values():
                r = f(q)
                if r not in orbit:
                    orbit.add(r)
                    todo.append(r)
        seen |= orbit
        out.append(tuple(sorted(orbit)))
    return out


def block_estimates(model: Model, *, n_up: int, n_down: int, n_states: int = 1,
                    dense_threshold: int = DENSE_THRESHOLD) -> dict[Label, MemoryEstimate]:
    """Memory estimate of every distinct block (allocates nothing); refuses broken translations.

    Estimates are of whole blocks: an upper bound for a block solved as its sub-blocks.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    n_up, n_down : int
        The particle sector.
    n_states : int
        Levels per block.
    dense_threshold : int
        Dense diagonalization at or below this dimension.

    Returns
    -------
    dict
        k label of each star's first block → :class:`MemoryEstimate`.
    """
    names, periods = translation_names(model)
    return {
        star[0]: estimate_memory(model, Sector(n_up, n_down, dict(zip(names, star[0]))), n_states=n_states, dense_threshold=dense_threshold)
        for star in stars(periods, block_maps(model, names, periods))
    }


def lowest_by_momentum(
    model: Model,
    *,
    n_up: int,
    n_down: int,
    n_states: int = 4,
    dense_threshold: int = DENSE_THRESHOLD,
    memory_budget_gb: float | None = None,
    tol: float | None = None,
    progress: bool = True,
    done: Mapping[Label, MomentumBlock] | None = None,
    on_block: Callable[[MomentumBlock, EDResult], None] | None = None,
    split: bool = True, states: bool = True,
) -> MomentumScan:
    """Lowest ``n_states`` levels of every distinct translation block of the sector (n_up, n_down).

    Parameters
    ----------
    model
        A model whose translations commute with it (no breathing, doping pattern or field).
    n_up, n_down, n_states
        Electrons per spin; levels per block.
    dense_threshold
        Dense diagonalization at or below this block dimension, Lanczos above.
    memory_budget_gb
        Every block's estimate is checked against it before the first block is built (default:
        from the available memory).
    tol
        Lanczos tolerance (0: machine precision); default :func:`default_tol`.
    progress
        Show a progress bar and one line per solved block on stderr.
    done
        Blocks solved earlier (e.g. from checkpoints), keyed by their k label: reused, not solved.
    on_block
        Called after each newly solved block with the block and the :class:`EDResult` of the (sub-)block holding its
        lowest level (states and basis, e.g. for checkpoints or observables; ``sector.blocks`` name its group).
    split
        Solve every block as the sub-blocks of its little group and the spin flip
        (:mod:`~localpairs.solvers.ed.little_group`); False: each block whole.
    states
        Form each block's lowest eigenvector for ``on_block`` (False: energies only, no state passed).

    Returns
    -------
    MomentumScan

    Raises
    ------
    InputError
        When the cluster has no periodic axis or a translation does not commute with the model.
    TooLargeError
        When a block's estimate exceeds the budget (before any block is built).
    """
    require(isinstance(n_states, int) and n_states >= 1, "n_states", n_states, "an integer ≥ 1")
    check_sector_fits(Sector(n_up, n_down), model.n_sites)
    names, periods = translation_names(model)
    orbits, done = stars(periods, maps := block_maps(model, names, periods)), dict(done or {})
    todo = [star for star in orbits if not (star[0] in done and len(done[star[0]].energies) >= min(n_states, done[star[0]].dimension))]
    estimates = block_estimates(model, n_up=n_up, n_down=n_down, n_states=n_states, dense_threshold=dense_threshold)
    for star in todo:  # every memory check before any work
        check_memory(model, Sector(n_up, n_down, dict(zip(names, star[0]))), estimates[star[0]], memory_budget_gb)
    options = dict(n_states=n_states, dense_threshold=dense_threshold, memory_budget_gb=memory_budget_gb, tol=default_tol(n_states) if tol is None else tol)
    solver = SplitSolver(model, n_up, n_down, options)
    blocks: list[MomentumBlock] = []
    with tqdm(total=len(orbits), desc=f"N={n_up + n_down} ({n_up}↑{n_down}↓) k-blocks", unit="block",
              disable=not progress, leave=False, mininterval=1.0) as bar:
        for star in orbits:
            if star in todo:
                blocks.append(_solve_block(solver, dict(zip(names, star[0])), star, on_block, split=split, state=states))
                if progress:
                    bar.write(blocks[-1].summary(n_up + n_down), file=sys.stderr)
            else:
                blocks.append(replace(done[star[0]], star=star))
            bar.update(1)
    scan = MomentumScan(n_up, n_down, names, periods, tuple(blocks), tuple(maps), n_states)
    if scan.dimension != (expected := sector_dimension(model, Sector(n_up, n_down))):
        raise LocalPairsError(f"momentum blocks of N={n_up + n_down} add up to {scan.dimension:,} states, not the sector's {expected:,}")
    if not any(b.energies for b in blocks):
        raise LocalPairsError(f"sector {n_up}↑{n_down}↓ of {model.kind} on {model.cluster.describe()} has no states")
    return scan


def _solve_block(solver: SplitSolver, labels: dict[str, int], star: tuple[Label, ...],
                 on_block: Callable[[MomentumBlock, EDResult], None] | None, *, split: bool, state: bool) -> MomentumBlock:
    """Solve the block ``labels`` (standing for ``star``) through ``solver``; report it to ``on_block``."""
    t0 = time.perf_counter()
    energies, dimension, method, best = solver.solve_block(labels, split=split, state=state)
    block = MomentumBlock(star[0], star, dimension, tuple(float(e) for e in energies), method, time.perf_counter() - t0)
    if on_block is not None:
        on_block(block, best)
    return block
