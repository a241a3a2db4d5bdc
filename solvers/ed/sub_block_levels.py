"""The lowest n levels of a block from its sub-blocks, each asked only for levels that can count.

A block whose spectrum is the union of its sub-blocks' spectra (little group and spin flip,
:mod:`~localpairs.solvers.ed.little_group`) needs its n lowest levels, not n per sub-block:

1. every sub-block's lowest level, by plain Lanczos (:func:`~localpairs.solvers.lanczos_lowest.lowest_level`;
   dense ``eigh`` at or below the dense threshold, which gives its n lowest at once);
2. the shared threshold T = the n-th lowest of all levels computed so far (+∞ while fewer than n);
3. a sub-block that is not exhausted and whose highest computed level lies below T is asked
   again, for as many of its lowest levels as can still be among the block's n
   (:func:`levels_to_request`), by ``eigsh`` at the block's tolerance (0 by default: exactly
   degenerate partners inside a sub-block are found through round-off, as for a whole block);
   then back to 2, until no sub-block is asked.

Exactness. An eigensolver returns a sub-block's lowest levels, so every level not computed in
sub-block i is at or above its highest computed one, ``e_i``. At the end, for every sub-block,
either all its levels are computed or ``e_i ≥ T``; so every level not computed is ≥ T, while n
computed levels are ≤ T: the n lowest computed levels are the n lowest of the union (as values;
a level at T left uncomputed has T's value, and a degenerate level's partners are all counted
because a sub-block holding one below T is asked again until its highest computed level reaches
T). While fewer than n levels are computed, T = +∞ and every sub-block is asked until exhausted.
Each round adds at least one level to every sub-block asked, so the loop ends.
(tests/test_sub_block_levels.py checks the union against the dense spectrum of the unsplit block,
degenerate levels included.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from localpairs.solvers.ed.eigensolve import EDResult, ed_result, lowest_eigenpairs, matvec_operator
from localpairs.solvers.ed.sector_matrix import SectorMatrix
from localpairs.solvers.lanczos_lowest import LowestLevel, lowest_level

#: Largest number of plain Lanczos steps for one lowest level (the 16-site sub-blocks take 60–100).
LOWEST_MAX_STEPS = 3000
#: Relative residual of a sub-block's first (lowest) level, whatever the block's tolerance: the
#: level is then within 1e-10·|E| (1.3e-9 eV at the 16-site energies; about residual²/gap ~ 1e-17
#: eV away from degeneracy) of the exact one, inside the 1e-8 eV the scans are compared at, with a
#: third fewer products than machine precision (65 against 100 on the 16-site sub-blocks). A level
#: that may have a degenerate partner is recomputed at the block's tolerance (step 3).
FIRST_LEVEL_TOL = 1e-10


def levels_to_request(levels: Sequence[np.ndarray], dims: Sequence[int], n: int) -> dict[int, int]:
    """How many lowest levels each sub-block must still be asked for (the module's rule).

    Parameters
    ----------
    levels : sequence of numpy.ndarray
        Each sub-block's lowest levels computed so far (eV), ascending (none yet: asked for
        ``min(dim, n)``).
    dims : sequence of int
        The sub-blocks' dimensions.
    n : int
        Levels wanted of the whole block.

    Returns
    -------
    dict[int, int]
        Sub-block index → number of its lowest levels to compute (more than it has); empty when
        the n lowest computed levels are the block's.
    """
    computed = np.sort(np.concatenate(levels))
    threshold = computed[n - 1] if computed.size >= n else np.inf
    out = {}
    for i, (own, dim) in enumerate(zip(levels, dims)):
        if own.size == 0:
            out[i] = min(dim, n)
            continue
        top = own[-1]
        if own.size >= min(dim, n) or top >= threshold:
            continue
        below = sum(int(np.sum(other < top)) for j, other in enumerate(levels) if j != i)  # others' levels that outrank any new one
        out[i] = min(dim, n, max(own.size + 1, n - below))
    return out


@dataclass
class SubBlock:
    """One sub-block's matrix and the levels found so far.

    Parameters
    ----------
    built : SectorMatrix
        The sub-block's matrix.
    energies : numpy.ndarray
        Its lowest levels found so far (eV), ascending.
    states : numpy.ndarray or None
        Their eigenvectors of ``built.matrix`` (None when only ``lowest`` is known).
    lowest : LowestLevel or None
        The plain-Lanczos lowest level (regenerates its eigenvector).
    method : str
        ``"dense"`` or ``"lanczos"``.
    products : int
        Matrix–vector products spent on it.
    seconds : dict
        Wall time in s by phase (``basis``, ``matrix``, ``solve``).
    """

    built: SectorMatrix
    energies: np.ndarray
    states: np.ndarray | None
    lowest: LowestLevel | None
    method: str
    products: int = 0
    seconds: dict = field(default_factory=dict)

    def release_matrix(self) -> None:
        """Drop the matrix (an empty one of the same shape stays): the sub-block will not be solved again."""
        self.built = replace(self.built, matrix=sp.csr_matrix(self.built.matrix.shape, dtype=self.built.matrix.dtype))

    def ground_result(self) -> EDResult:
        """The sub-block's :class:`EDResult` with at least its lowest eigenvector.

        Returns
        -------
        EDResult
            Energies found so far and their states (the lowest one regenerated if needed).
        """
        states, energies = self.states, self.energies
        if states is None:
            assert self.lowest is not None
            states, energies = self.lowest.vector(self.built.matrix)[:, None], energies[:1]
            self.products += self.lowest.steps - 1
        return ed_result(self.built, energies, states, self.method)


def first_level(built: SectorMatrix, n: int, *, dense_threshold: int, tol: float) -> SubBlock:
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
        Relative residual of the Lanczos level: the smaller of this and :data:`FIRST_LEVEL_TOL`
        (0: :data:`FIRST_LEVEL_TOL`).

    Returns
    -------
    SubBlock
        With one level (Lanczos) or up to n (dense).
    """
    dim = built.dimension
    t0 = time.perf_counter()
    if dim <= dense_threshold or n >= dim - 1:
        energies, states, method = lowest_eigenpairs(built.matrix, n, dense_threshold=dense_threshold, tol=tol)
        return SubBlock(built, energies, states, None, method, seconds=dict(built.seconds, solve=time.perf_counter() - t0))
    start = np.random.default_rng(12345).standard_normal(dim).astype(built.matrix.dtype)  # as lowest_eigenpairs: reproducible
    level = lowest_level(built.matrix, start, tol=min(tol or FIRST_LEVEL_TOL, FIRST_LEVEL_TOL), m_max=min(dim, LOWEST_MAX_STEPS))
    return SubBlock(built, np.array([level.energy]), None, level, "lanczos", level.steps, dict(built.seconds, solve=time.perf_counter() - t0))


def complete_levels(parts: list[SubBlock], n: int, *, dense_threshold: int, tol: float) -> None:
    """Ask sub-blocks for more levels until their union's n lowest are the block's (module docstring).

    Parameters
    ----------
    parts : list of SubBlock
        The sub-blocks, each with at least its lowest level; updated in place.
    n : int
        Levels wanted of the whole block.
    dense_threshold : int
        As for :func:`~localpairs.solvers.ed.eigensolve.lowest_eigenpairs`.
    tol : float
        ``eigsh`` tolerance (0: machine precision).
    """
    while todo := levels_to_request([p.energies for p in parts], [p.built.dimension for p in parts], n):
        for i, k in todo.items():
            part, t0 = parts[i], time.perf_counter()
            count, operator = counted_operator(part.built.matrix)
            part.energies, part.states, part.method = lowest_eigenpairs(part.built.matrix, k, dense_threshold=dense_threshold, tol=tol,
                                                                        operator=operator)
            part.products += count[0]
            part.seconds["solve"] = part.seconds.get("solve", 0.0) + time.perf_counter() - t0


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
