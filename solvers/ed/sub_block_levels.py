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
:data:`ENERGY_ERROR`, :mod:`~localpairs.solvers.lanczos_lowest`); the eigenvectors deflated by are
those Ritz vectors, formed from the kept Lanczos vectors without a second pass. Only the block's
ground state is advanced to the *vector rule* (relative residual :data:`LEVEL_TOL`): its run is
resumed, not redone (:meth:`SubBlock.ground_state`).

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
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from localpairs.solvers.ed.eigensolve import EDResult, ed_result, lowest_eigenpairs, matvec_operator
from localpairs.solvers.ed.sector_matrix import SectorMatrix
from localpairs.solvers.lanczos import Operator
from localpairs.solvers.lanczos_lowest import LowestRun, deflated, project_out

#: Largest number of plain Lanczos steps for one lowest level (the 16-site sub-blocks take 60–150).
LOWEST_MAX_STEPS = 3000
#: Relative residual of a block's ground state (the vector rule), whatever the block's tolerance:
#: its level is then within 1e-10·|E| (1.3e-9 eV at the 16-site energies; about residual²/gap ~
#: 1e-17 eV away from degeneracy) of the exact one, and its observables as accurate as eigsh's.
LEVEL_TOL = 1e-10
#: Temple bound (eV) of every Lanczos level (the energy rule): residual²/gap ≤ 1e-10 eV, the gap
#: estimated from below by the second Ritz value minus its residual. Measured on the 16-site
#: sub-blocks at N = 10: levels within 1e-11 eV of those at :data:`LEVEL_TOL`, after about 30 %
#: fewer products; deflating by such vectors moves the next level by as little (:meth:`SubBlock.vector`).
ENERGY_ERROR = 1e-10
#: Temple bound (eV) of the rough first stage of a level found before the threshold it is settled
#: against is known (:func:`first_level` without ``threshold``, :meth:`SubBlock.next_level`).
ROUGH_ERROR = 1e-2


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


@dataclass
class SubBlock:
    """One sub-block's matrix and the levels found so far.

    Parameters
    ----------
    built : SectorMatrix
        The sub-block's matrix.
    energies : numpy.ndarray
        Its lowest levels found so far (eV), ascending.
    method : str
        ``"dense"`` or ``"lanczos"``.
    states : numpy.ndarray or None
        Dense or ``eigsh``: the eigenvectors of ``built.matrix`` of ``energies``; None for Lanczos.
    runs : list of LowestRun
        Lanczos: level i's run (the lowest of the matrix deflated by the vectors of levels < i).
    vectors : list of numpy.ndarray
        Lanczos: the eigenvectors of the first levels, formed when needed.
    keep : bool
        Lanczos: keep each run's Lanczos vectors (no second pass for its eigenvector).
    counted : int
        Matrix–vector products spent outside the runs (``eigsh``).
    seconds : dict
        Wall time in s by phase (``basis``, ``matrix``, ``solve``).
    """

    built: SectorMatrix
    energies: np.ndarray
    method: str
    states: np.ndarray | None = None
    runs: list[LowestRun] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    keep: bool = True
    counted: int = 0
    seconds: dict = field(default_factory=dict)

    @property
    def products(self) -> int:
        """Matrix–vector products spent on the sub-block."""
        return self.counted + sum(run.products for run in self.runs)

    def operator(self, i: int) -> Operator:
        """The operator level i is the lowest of: the matrix deflated by the vectors of levels < i.

        Parameters
        ----------
        i : int
            Level index.

        Returns
        -------
        scipy.sparse.spmatrix or callable
            The matrix (i = 0) or its deflated product.
        """
        return self.built.matrix if i == 0 else deflated(self.built.matrix, self.vectors[:i])

    def vector(self, i: int) -> np.ndarray:
        """The eigenvector of level i as found (energy rule): what further levels are deflated by.

        Deflating by a vector of residual r (angle ≲ r/δ to the eigenvector, δ the gap to the rest
        of the spectrum) moves the next level by at most about (r/δ)²·g ≲ r²/δ (g the gap between
        the two levels): within the energy rule's bound :data:`ENERGY_ERROR`.

        Parameters
        ----------
        i : int
            Level index (the vectors of levels < i exist: :meth:`next_level` sees to it).

        Returns
        -------
        numpy.ndarray
            The unit eigenvector estimate of ``built.matrix``.
        """
        while len(self.vectors) <= i:
            k = len(self.vectors)
            self.vectors.append(self.runs[k].vector())
            if k:  # level 0's vectors stay for the ground state (:meth:`ground_state`)
                self.runs[k].forget_vectors()
        return self.vectors[i]

    def next_level(self, tol: float, *, above: float | None = None) -> None:
        """Find the next level: the lowest of the matrix deflated by the levels found so far.

        Parameters
        ----------
        tol : float
            The block's tolerance (:func:`energy_error`, :func:`level_tol`).
        above : float or None, optional
            Settle the level now against this threshold (:meth:`settle`); None: only the rough
            stage (Temple bound :data:`ROUGH_ERROR`), settled later.
        """
        t0, c, dim = time.perf_counter(), len(self.runs), self.built.dimension
        if c:
            self.vector(c - 1)
        start = np.random.default_rng(12345 + c).standard_normal(dim).astype(self.built.matrix.dtype)  # reproducible
        run = LowestRun(self.operator(c), project_out(start, self.vectors[:c]), m_max=min(dim, LOWEST_MAX_STEPS), keep=self.keep)
        self.runs.append(run)
        if above is None:
            run.advance(tol=level_tol(tol), energy_error=max(ROUGH_ERROR, energy_error(tol)))
            self.energies = np.sort([r.energy for r in self.runs])
        self.seconds["solve"] = self.seconds.get("solve", 0.0) + time.perf_counter() - t0
        if above is not None:
            self.settle(tol, above)

    def unsettled(self, tol: float) -> bool:
        """Whether the last level is neither converged (energy rule) nor certified above a threshold.

        Parameters
        ----------
        tol : float
            The block's tolerance.

        Returns
        -------
        bool
            True while the last run needs more steps.
        """
        run = self.runs[-1] if self.runs else None
        return run is not None and run.certified is None and not run.converged(tol=level_tol(tol), energy_error=energy_error(tol))

    def settle(self, tol: float, above: float) -> None:
        """Advance the last level to the energy rule, or until it is certified above ``above`` (its vectors then go).

        A level certified above the block's threshold is not among the block's lowest levels
        and the sub-block is never asked again (its highest level lies above the threshold).

        Parameters
        ----------
        tol : float
            The block's tolerance.
        above : float
            Threshold T in eV (+∞: converge).
        """
        t0, run = time.perf_counter(), self.runs[-1]
        run.advance(tol=level_tol(tol), energy_error=energy_error(tol), above=above)
        if run.certified is not None and len(self.runs) > 1:
            run.forget_vectors()
        self.energies = np.sort([r.energy for r in self.runs])
        self.seconds["solve"] = self.seconds.get("solve", 0.0) + time.perf_counter() - t0

    def ground_state(self, tol: float) -> np.ndarray:
        """The lowest eigenvector to the vector rule (level 0's run resumed to ``level_tol(tol)``).

        Parameters
        ----------
        tol : float
            The block's tolerance (:func:`level_tol`).

        Returns
        -------
        numpy.ndarray
            The unit eigenvector of ``built.matrix``.
        """
        t0, run = time.perf_counter(), self.runs[0]
        run.advance(tol=level_tol(tol))
        state = run.vector()
        self.energies = np.sort([r.energy for r in self.runs])
        self.seconds["solve"] = self.seconds.get("solve", 0.0) + time.perf_counter() - t0
        return state

    def forget_vectors(self) -> None:
        """Free the kept Lanczos vectors of every run (their runs stay resumable)."""
        for run in self.runs:
            run.forget_vectors()

    def release_matrix(self) -> None:
        """Drop the matrix (an empty one of the same shape stays) and the kept vectors: the sub-block will not be solved again."""
        self.forget_vectors()
        self.built = replace(self.built, matrix=sp.csr_matrix(self.built.matrix.shape, dtype=self.built.matrix.dtype))

    def ground_result(self, *, state: bool = True, tol: float = LEVEL_TOL) -> EDResult:
        """The sub-block's :class:`EDResult`: its levels and states (dense, ``eigsh``) or its lowest level (Lanczos).

        Parameters
        ----------
        state : bool, optional
            Form the lowest eigenvector (Lanczos: :meth:`ground_state`; False: the result's
            states have no columns).
        tol : float, optional
            The block's tolerance (:func:`level_tol`).

        Returns
        -------
        EDResult
            Dense or ``eigsh``: every level found and its state; Lanczos: the lowest level and,
            when ``state``, its eigenvector.
        """
        if self.states is not None:
            return ed_result(self.built, self.energies, self.states, self.method)
        dtype = self.built.matrix.dtype
        states = self.ground_state(tol)[:, None] if state else np.empty((self.built.dimension, 0), dtype=dtype)
        return ed_result(self.built, self.energies[:1], states, self.method)


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
        The block's tolerance (:func:`energy_error`, :func:`level_tol`).
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


def level_tol(tol: float) -> float:
    """The relative residual the levels are found to: the smaller of ``tol`` and :data:`LEVEL_TOL` (0: the latter).

    Parameters
    ----------
    tol : float
        The block's tolerance (0: machine precision asked).

    Returns
    -------
    float
        The tolerance used.
    """
    return min(tol or LEVEL_TOL, LEVEL_TOL)


def energy_error(tol: float) -> float:
    """The Temple bound (eV) of levels of which only the energy is used: :data:`ENERGY_ERROR`, scaled down with a tighter ``tol``.

    Parameters
    ----------
    tol : float
        The block's tolerance (0: machine precision asked).

    Returns
    -------
    float
        ``ENERGY_ERROR × level_tol(tol) / LEVEL_TOL`` in eV.
    """
    return ENERGY_ERROR * level_tol(tol) / LEVEL_TOL


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
        The block's tolerance (see :func:`level_tol`).
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
