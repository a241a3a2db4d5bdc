"""The lowest n levels of a block from its sub-blocks, each asked only for levels that can count.

A block whose spectrum is the union of its sub-blocks' spectra (little group and spin flip,
:mod:`~localpairs.solvers.ed.little_group`) needs its n lowest levels, not n per sub-block:

1. every sub-block's lowest level, by plain Lanczos (:class:`~localpairs.solvers.lanczos_lowest.LowestRun`;
   dense ``eigh`` at or below the dense threshold, which gives its n lowest at once; in a block
   of fewer than n sub-blocks, every sub-block's n lowest by ``eigsh`` instead,
   :func:`all_levels`: measured cheaper there);
2. the shared threshold T = the n-th lowest of all levels computed so far (+∞ while fewer than n);
3. every sub-block that is not exhausted and whose highest computed level lies below T
   (:func:`levels_to_request`) gets its next level: the lowest level of the sub-block's matrix
   deflated by the eigenvectors of its levels found so far
   (:func:`~localpairs.solvers.lanczos_lowest.deflated`, from a fresh random start). A
   degenerate partner of a found level lies in the deflated space, so it is found exactly, not
   through round-off as ``eigsh`` finds it; then back to 2, until no sub-block is asked.

Convergence. Every Lanczos level stops at the *energy rule* (Temple's bound residual²/gap ≤
:data:`~localpairs.solvers.ed.sub_block.ENERGY_ERROR`, :mod:`~localpairs.solvers.lanczos_lowest`); the eigenvectors deflated by are
those Ritz vectors, formed from the kept Lanczos vectors without a second pass. Only the block's
ground state is advanced to the *vector rule* (relative residual :data:`~localpairs.solvers.ed.sub_block.LEVEL_TOL`): its run is
resumed, not redone (:meth:`~localpairs.solvers.ed.sub_block.SubBlock.ground_state`).

Exactness. An eigensolver returns a sub-block's lowest levels, so every level not computed in
sub-block i is at or above its highest computed one, ``e_i``. At the end, for every sub-block,
either all its levels are computed or ``e_i ≥ T``; so every level not computed is ≥ T, while n
computed levels are ≤ T: the n lowest computed levels are the n lowest of the union (as values;
a level at T left uncomputed has T's value, and a degenerate level's partners are all counted
because a sub-block holding one below T is asked again until its highest computed level reaches
T). While fewer than n levels are computed, T = +∞ and every sub-block is asked until exhausted.
Each round adds one level to every sub-block asked, so the loop ends.
(tests/test_sub_block_levels.py checks the union against the dense spectrum of the unsplit block,
degenerate levels included.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from localpairs.solvers.ed.eigensolve import lowest_eigenpairs, matvec_operator
from localpairs.solvers.ed.sector_matrix import SectorMatrix
from localpairs.solvers.ed.sub_block import ENERGY_ERROR, LEVEL_TOL, LOWEST_MAX_STEPS, ROUGH_ERROR, SubBlock, energy_error, level_tol  # noqa: F401 - re-exported


def levels_to_request(levels: Sequence[np.ndarray], dims: Sequence[int], n: int) -> list[int]:
    """The sub-blocks that must compute their next level (the module's rule).

    Parameters
    ----------
    levels : sequence of numpy.ndarray
        Each sub-block's lowest levels computed so far (eV), ascending, at least one each.
    dims : sequence of int
        The sub-blocks' dimensions.
    n : int
        Levels wanted of the whole block.

    Returns
    -------
    list of int
        Indices of the sub-blocks to extend by one level; empty when the n lowest computed
        levels are the block's.
    """
    threshold = block_threshold(levels, n)
    return [i for i, (own, dim) in enumerate(zip(levels, dims)) if own.size < min(dim, n) and own[-1] < threshold]



def all_levels(built: SectorMatrix, n: int, *, dense_threshold: int, tol: float) -> SubBlock:
    """A sub-block's n lowest levels at once (``eigsh`` at tolerance ``tol``, or dense ``eigh``).

    For a block of fewer sub-blocks than n, where step 2's threshold stays +∞ until every
    sub-block has several levels: one ``eigsh`` run per sub-block then took fewer products than
    adding levels one at a time (x = 0.375 on 16 sites, k = (0, 1, 1), two sub-blocks of 596,232
    states: 528 against 971 products).

    Parameters
    ----------
    built : SectorMatrix
        The sub-block's matrix.
    n : int
        Levels wanted.
    dense_threshold : int
        Dense ``eigh`` at or below this dimension.
    tol : float
        ``eigsh`` tolerance (0: machine precision; exactly degenerate partners are then found
        through round-off).

    Returns
    -------
    SubBlock
        With ``min(n, dim)`` levels and their states.
    """
    t0 = time.perf_counter()
    count, operator = counted_operator(built.matrix)
    energies, states, method = lowest_eigenpairs(built.matrix, n, dense_threshold=dense_threshold, tol=tol, operator=operator)
    return SubBlock(built, energies, method, states=states, counted=count[0], seconds=dict(built.seconds, solve=time.perf_counter() - t0))


def counted_operator(matrix: sp.spmatrix) -> tuple[list[int], spla.LinearOperator]:
    """:func:`~localpairs.solvers.ed.eigensolve.matvec_operator` of ``matrix`` with its products counted.

    Parameters
    ----------
    matrix : scipy.sparse.spmatrix
        The matrix.

    Returns
    -------
    count : list of int
        One entry, the number of products so far.
    operator : scipy.sparse.linalg.LinearOperator
        The counted operator.
    """
    inner, count = spla.aslinearoperator(matvec_operator(matrix)), [0]

    def product(x: np.ndarray) -> np.ndarray:
        count[0] += 1
        return inner.matvec(x)

    return count, spla.LinearOperator(matrix.shape, matvec=product, dtype=matrix.dtype)


def first_level(built: SectorMatrix, n: int, *, dense_threshold: int, tol: float, keep: bool = True,
                threshold: float | None = None) -> SubBlock:
    """A sub-block's lowest level (its n lowest where dense ``eigh`` applies).

    Parameters
    ----------
    built : SectorMatrix
        The sub-block's matrix.
    n : int
        Levels wanted of the whole block (dense: as many of this sub-block's).
    dense_threshold : int
        Dense ``eigh`` at or below this dimension.
    tol : float
        The block's tolerance (:func:`~localpairs.solvers.ed.sub_block.energy_error`, :func:`~localpairs.solvers.ed.sub_block.level_tol`).
    keep : bool, optional
        Keep the Lanczos vectors of the sub-block's runs (no second pass for eigenvectors; False
        where no eigenvector will be needed).
    threshold : float or None, optional
        Settle the Lanczos level now: converged, or certified above this threshold in eV (+∞:
        converged); None: its rough stage only, settled by :func:`complete_levels`.

    Returns
    -------
    SubBlock
        With one level (Lanczos) or up to n (dense).
    """
    dim, t0 = built.dimension, time.perf_counter()
    if dim <= dense_threshold or n >= dim - 1:
        energies, states, method = lowest_eigenpairs(built.matrix, n, dense_threshold=dense_threshold, tol=tol)
        return SubBlock(built, energies, method, states=states, seconds=dict(built.seconds, solve=time.perf_counter() - t0))
    part = SubBlock(built, np.empty(0), "lanczos", keep=keep, seconds=dict(built.seconds))
    part.next_level(tol, above=threshold)
    return part


def block_threshold(levels: Sequence[np.ndarray], n: int) -> float:
    """The shared threshold T: the n-th lowest of the levels computed so far (+∞ while fewer than n).

    Parameters
    ----------
    levels : sequence of numpy.ndarray
        Each sub-block's levels computed so far (eV; upper bounds of distinct eigenvalues).
    n : int
        Levels wanted of the whole block.

    Returns
    -------
    float
        T in eV.
    """
    computed = np.sort(np.concatenate([np.zeros(0), *levels]))
    return float(computed[n - 1]) if computed.size >= n else np.inf


def complete_levels(parts: list[SubBlock], n: int, *, tol: float) -> None:
    """Settle every level and ask sub-blocks for more until their union's n lowest are the block's (module docstring).

    Unsettled levels (rough stage) are settled lowest first, each against the threshold of all
    other levels (:func:`block_threshold`): converged to the energy rule, or certified above it.

    Parameters
    ----------
    parts : list of SubBlock
        The sub-blocks, each with at least its lowest level; updated in place.
    n : int
        Levels wanted of the whole block.
    tol : float
        The block's tolerance (see :func:`~localpairs.solvers.ed.sub_block.level_tol`).
    """
    while True:
        while unsettled := [p for p in parts if p.unsettled(tol)]:
            part = min(unsettled, key=lambda p: p.runs[-1].energy)
            others = [p.energies for p in parts if p is not part] + [np.array([r.energy for r in part.runs[:-1]])]
            part.settle(tol, block_threshold(others, n))
        todo = levels_to_request([p.energies for p in parts], [p.built.dimension for p in parts], n)
        if not todo:
            return
        best = min(parts, key=lambda p: float(p.energies[0]))
        for i, part in enumerate(parts):
            if i in todo:
                part.next_level(tol)
            elif part is not best:  # not asked now, hence not later (the threshold only falls): its kept vectors go
                part.forget_vectors()
