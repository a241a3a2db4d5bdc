"""A momentum block split by its little group and the spin flip, each part solved on its own.

The symmetries of the model that keep the crystal momentum k of a translation block (its little
group: the reflection ``p{a}`` when q_a ≡ −q_a, the diagonal mirror ``dxy`` when kx = ky) and,
in an S_z = 0 sector, the spin flip, commute with the translations on that block, so the block
splits into sub-blocks with the labels 0/1 of each (one-dimensional characters only). The
union of the sub-blocks' spectra is the block's spectrum (tests/test_little_group.py checks it
against the unsplit block), so the block's lowest n levels are the lowest n of the union. They
need far fewer than n levels per sub-block: each sub-block's lowest level first (plain Lanczos),
then more only of the sub-blocks whose next level can still be among the n
(:mod:`~localpairs.solvers.ed.sub_block_levels`, with the exactness argument).

Each sub-block is a fraction of the block: its matrix and Lanczos vectors take that fraction of
the memory, and symmetry-enforced degeneracies between the parts no longer slow Lanczos down.
The representatives of one particle sector under one group are found once for all its blocks
(:class:`SplitSolver`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np

from localpairs.hamiltonians import Model
from localpairs.solvers.ed.eigensolve import EDResult
from localpairs.solvers.ed.sector_matrix import build_sector_matrix
from localpairs.solvers.ed.sub_block_levels import SubBlock, all_levels, block_threshold, complete_levels, first_level, level_tol
from localpairs.solvers.hilbert.block_matrix import Representatives, supported
from localpairs.solvers.hilbert.group_action import SPIN_FLIP
from localpairs.solvers.hilbert.lattice_symmetry import commutes, generators, resolve_blocks, spin_flip_commutes
from localpairs.solvers.hilbert.sector import Sector


def little_group(model: Model, labels: Mapping[str, int], *, n_up: int, n_down: int) -> tuple[str, ...]:
    """Generators that split the translation block ``labels`` further (each of period 2).

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    labels : Mapping[str, int]
        The block's translation labels (``kx``, ``ky``, ``kz``).
    n_up, n_down : int
        The particle sector (the spin flip needs ``n_up == n_down``).

    Returns
    -------
    tuple of str
        Names among ``dxy``, ``px``, ``py``, ``pz`` and ``sf`` (the spin flip), in that order; empty
        when the model is not handled by the compiled block builder.
    """
    if not supported(model):
        return ()
    gens = generators(model.cluster)
    out = []
    if "dxy" in gens and labels.get("kx", 0) == labels.get("ky", 0) and commutes(model, gens["dxy"][0]):
        out.append("dxy")
    for axis in "xyz":
        name, k = f"p{axis}", f"k{axis}"
        if name not in gens or (axis in "xy" and "dxy" in out) or not commutes(model, gens[name][0]):
            continue
        if k not in labels or (2 * labels[k]) % gens[k][1] == 0:
            out.append(name)
    if n_up == n_down and spin_flip_commutes(model):
        out.append(SPIN_FLIP)
    return tuple(out)


@dataclass
class SplitSolver:
    """Solves translation blocks of one particle sector as the sub-blocks of their little groups.

    Parameters
    ----------
    model : Model
        The Hamiltonian (translations commuting with it).
    n_up, n_down : int
        The particle sector.
    options : dict
        Keyword arguments of :func:`~localpairs.solvers.solve` (``representatives`` excepted).

    Attributes
    ----------
    seconds : dict[str, float]
        Wall time of the last solved block by phase (``basis``, ``matrix``, ``solve``), summed
        over its sub-blocks; finding representatives counts as ``basis``.
    products : dict
        Matrix–vector products of the last solved block per sub-block (its block labels as
        ``(name, value)`` pairs).
    """

    model: Model
    n_up: int
    n_down: int
    options: dict
    seconds: dict[str, float] = field(default_factory=dict, init=False)
    products: dict[tuple, int] = field(default_factory=dict, init=False)
    _reps: dict[tuple[str, ...], Representatives] = field(default_factory=dict, init=False, repr=False)

    def representatives(self, blocks: Mapping[str, int]) -> Representatives | None:
        """The sector's representatives under the group of ``blocks`` (found once per group).

        A group with mirrors is searched among the representatives of its translations and spin
        flip (the subgroup every block's group contains, found first), not the whole sector.

        Parameters
        ----------
        blocks : Mapping[str, int]
            Block labels; only their names matter.

        Returns
        -------
        Representatives or None
            None when the compiled builder does not handle the model.
        """
        if not supported(self.model):
            return None
        names = tuple(blocks)
        if names not in self._reps:
            base = tuple(n for n in names if n.startswith("k") or n == SPIN_FLIP)  # in every block's group
            within = None
            if base != names:  # the largest of an orbit is the largest of its part under a subgroup
                within = self.representatives(dict.fromkeys(base, 0)).states  # type: ignore[union-attr]
            resolved = resolve_blocks(self.model, {n: 0 for n in names})
            self._reps[names] = Representatives(resolved, n_sites=self.model.n_sites, n_up=self.n_up, n_down=self.n_down, within=within)
        return self._reps[names]

    def sub_sectors(self, labels: Mapping[str, int], *, split: bool) -> list[Sector]:
        """The sectors of the block ``labels``: itself, or its little-group sub-blocks.

        Parameters
        ----------
        labels : Mapping[str, int]
            Translation labels of the block.
        split : bool
            Split by :func:`little_group` (False: the block alone).

        Returns
        -------
        list of Sector
            Sectors whose spectra together make the block's.
        """
        extra = little_group(self.model, labels, n_up=self.n_up, n_down=self.n_down) if split else ()
        return [Sector(self.n_up, self.n_down, dict(labels) | dict(zip(extra, parity))) for parity in product((0, 1), repeat=len(extra))]

    def solve_block(self, labels: Mapping[str, int], *, split: bool, state: bool = True) -> tuple[np.ndarray, int, str, EDResult]:
        """The block's lowest levels from its sub-blocks, each asked only for levels that can count.

        Each sub-block's lowest level first, then more levels only of the sub-blocks whose next
        level can still be among the block's ``options["n_states"]`` lowest
        (:mod:`~localpairs.solvers.ed.sub_block_levels`). A block of fewer sub-blocks than
        levels wanted (one that is not split included) asks each sub-block for all its levels at
        once (:func:`~localpairs.solvers.ed.sub_block_levels.all_levels`).

        Parameters
        ----------
        labels : Mapping[str, int]
            Translation labels of the block.
        split : bool
            Split by :func:`little_group`.
        state : bool, optional
            Form the block's lowest eigenvector (False: only energies are used; with one level
            wanted no Lanczos vectors are kept and no eigenvector is formed).

        Returns
        -------
        energies : numpy.ndarray
            The block's lowest ``options["n_states"]`` levels (eV), ascending.
        dimension : int
            The block's dimension (sum over its sub-blocks).
        method : str
            The solvers used (``"lanczos"``, ``"dense"``, ``"empty"`` or ``"dense+lanczos"``).
        best : EDResult
            The result of the sub-block holding the block's lowest level (its basis and, when
            ``state``, at least its lowest state).

        Raises
        ------
        ValueError
            When the block has no states.
        """
        n, options = self.options["n_states"], {k: v for k, v in self.options.items() if k not in ("tol",)}
        parts: list[SubBlock] = []
        self.seconds, self.products = dict(basis=0.0, matrix=0.0, solve=0.0), {}
        sectors = self.sub_sectors(labels, split=split)
        at_once = len(sectors) < n
        for sec in sectors:
            t0 = time.perf_counter()
            reps = self.representatives(sec.blocks)
            self.seconds["basis"] += time.perf_counter() - t0
            if reps is not None and reps.block(sec.blocks, np.float64).Ns == 0:
                continue
            built = build_sector_matrix(self.model, sec, representatives=reps, **options)
            if at_once:
                parts.append(all_levels(built, n, dense_threshold=options["dense_threshold"], tol=self.options["tol"]))
            else:
                threshold = block_threshold([p.energies for p in parts], n) if n == 1 else None  # n = 1: settled now, one matrix at a time
                parts.append(first_level(built, n, dense_threshold=options["dense_threshold"], tol=self.options["tol"], keep=state or n > 1,
                                         threshold=threshold))
            if n == 1:  # only the lowest sub-block is used again (for its state, if wanted): keep at most one matrix
                keep = min(parts, key=lambda p: float(p.energies[0])) if state else None
                for part in parts:
                    if part is not keep:
                        part.release_matrix()
        if not parts:
            raise ValueError(f"block {dict(labels)} has no states")
        complete_levels(parts, n, tol=self.options["tol"])
        best = min(parts, key=lambda p: float(p.energies[0]))
        result = best.ground_result(state=state, tol=level_tol(self.options["tol"]))
        for part in parts:
            for phase, value in part.seconds.items():
                self.seconds[phase] += value
            self.products[tuple(part.built.sector.blocks.items())] = part.products
        levels = np.sort(np.concatenate([p.energies for p in parts]))[:n]
        method = "+".join(sorted({p.method for p in parts}))
        return levels, sum(p.built.dimension for p in parts), method, result


def group_site_permutations(model: Model, blocks: Mapping[str, Any]) -> np.ndarray:
    """Site permutations of every element of the group of ``blocks`` ((|G|, L); the spin flip as the identity).

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    blocks : Mapping[str, Any]
        Block labels of a sector.

    Returns
    -------
    numpy.ndarray
        One row per group element, in any order (for averages over the group).
    """
    rows = [np.arange(model.n_sites)]
    for name, (perm, period, _) in resolve_blocks(model, blocks).items():
        step = np.arange(model.n_sites) if name == SPIN_FLIP else np.asarray(perm)
        powers = [np.arange(model.n_sites)]
        for _ in range(period - 1):
            powers.append(step[powers[-1]])
        rows = [p[r] for r in rows for p in powers]
    return np.array(rows)
