"""One sub-block of a momentum block: its matrix, its Lanczos runs (one per level) and their convergence rules.

Used by :mod:`~localpairs.solvers.ed.sub_block_levels`, which decides which levels each sub-block
is asked for. Every level is the lowest level of the sub-block's matrix deflated by the
eigenvectors of its lower levels (:func:`~localpairs.solvers.lanczos_lowest.deflated`), found by a
resumable :class:`~localpairs.solvers.lanczos_lowest.LowestRun` from a fresh random start, and
stopped at the energy rule (:data:`ENERGY_ERROR`), or once certified above the block's threshold;
the block's ground state alone is advanced to the vector rule (:data:`LEVEL_TOL`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from localpairs.solvers.ed.eigensolve import EDResult, ed_result
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
#: against is known (:func:`~localpairs.solvers.ed.sub_block_levels.first_level` without ``threshold``, :meth:`SubBlock.next_level`).
ROUGH_ERROR = 1e-2
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
        """The sub-block's :class:`EDResult`: its levels and states (dense, ``eigsh``) or those of its Lanczos levels with vectors.

        Parameters
        ----------
        state : bool, optional
            Form the lowest eigenvector (Lanczos: :meth:`ground_state`; False: the lowest level
            only, and the result's states have no columns).
        tol : float, optional
            The block's tolerance (:func:`level_tol`).

        Returns
        -------
        EDResult
            Dense or ``eigsh``: every level found and its state. Lanczos: the levels whose
            eigenvectors have been formed, in the order found (the lowest one at least), the
            lowest one's state to the vector rule, the others' to the energy rule.
        """
        if self.states is not None:
            return ed_result(self.built, self.energies, self.states, self.method)
        if not state:
            return ed_result(self.built, self.energies[:1], np.empty((self.built.dimension, 0), dtype=self.built.matrix.dtype), self.method)
        states = np.stack([self.ground_state(tol), *self.vectors[1:]], axis=1)
        return ed_result(self.built, np.array([run.energy for run in self.runs[: states.shape[1]]]), states, self.method)
