"""Symmetry-block bases and Hamiltonian matrices of spinful-fermion models in compiled passes.

QuSpin builds a block's matrix term by term: every coupling is one ``basis.Op`` call whose
non-zeros each need a representative search over the symmetry group (about 0.2 µs per group
element in QuSpin's generic code), and the per-coupling sparse matrices are summed one by one:
155 s for one 1.2-million-state k-block of the 16-site cluster, and its basis build scans the
whole particle sector again for every block. Here the group is applied through byte lookup
tables, the representatives of one particle sector are found once for all blocks
(:class:`Representatives`), and a block's matrix is built in one numba pass per column.

Algebra (``P_k = |G|⁻¹ Σ_g χ(g)* g``, block states ``|r̃⟩ = P_k|r⟩/‖P_k|r⟩‖`` for the
representatives r = the largest integer of their orbit, as in QuSpin): for a term that takes the
Fock state r' to ``σ_h |s⟩`` and the group element h with ``h|s⟩ = σ|r⟩``,

    ⟨r̃|H|r̃'⟩ += coef · σ_h · σ · χ(h)* · sqrt(S_r / S_r'),    S_r = Σ_{g: g r = r} χ(g)* σ_g(r),

with ``g c†_m g† = c†_{π(m)}``, ``σ_g(s)`` the parity of the reordering of the occupied modes'
images, and QuSpin's characters ``χ = exp(2πi q e/period)`` per generator power e. Bases and
matrices equal QuSpin's element by element (tests/test_momentum_blocks.py).

Mode layout as in QuSpin's spinful bases: mode m < L is site m spin up, L + m site m spin down;
mode m lives in bit 2L − 1 − m; ``c_m`` carries (−1)^(occupied modes m' < m).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.block_columns import _columns, assemble_csr, state_index
from localpairs.solvers.hilbert.fock_terms import term_masks
from localpairs.solvers.hilbert.group_action import SPIN_FLIP, TABLE_MAX_SITES, canonical, group_tables, image, orbit_tables, sign


def supported(model: Model) -> bool:
    """True when this module handles ``model``: no bosonic sites, at most 32 sites, strings of + − n.

    Parameters
    ----------
    model : Model
        The Hamiltonian.

    Returns
    -------
    bool
        Whether :func:`block_matrix` builds its matrices.
    """
    return not model.bosonic_sites and model.n_sites <= 32 and all(set(o) <= set("+-n|") for o, _ in model.static_list())


@njit(cache=True, inline="always")
def _stabilizer(s, P, X, tables, L, rep, stab_rep, stab_g, stab_sign, start, fill):
    """The elements g ≠ 1 with g s = s of the representative s, ascending (written from ``start`` if fill); their number.

    With orbit tables only the elements reaching the maximum of s's upper half (or, swapping the
    spins, of its lower half) can fix s, usually one or two instead of all |G|."""
    half, max_a, ptr_a, cand_a, max_b, ptr_b, cand_b = tables
    n = 0
    if half.shape[0] == 0:
        ia, ea, ib, eb = 1, P.shape[0], 0, 0
    else:
        u = np.int64(s >> np.uint64(L))
        d = np.int64(s & ((np.uint64(1) << np.uint64(L)) - np.uint64(1)))
        ia, ea = (ptr_a[u], ptr_a[u + 1]) if max_a[u] == u else (0, 0)
        ib, eb = (ptr_b[d], ptr_b[d + 1]) if max_b[d] == u else (0, 0)
    while ia < ea or ib < eb:
        if half.shape[0] == 0:
            g, ia = ia, ia + 1
        elif ib >= eb or (ia < ea and cand_a[ia] < cand_b[ib]):
            g, ia = cand_a[ia], ia + 1
        else:
            g, ib = cand_b[ib], ib + 1
        if g != 0 and image(s, P, g) == s:
            if fill:
                stab_rep[start + n], stab_g[start + n], stab_sign[start + n] = rep, g, sign(s, X, g)
            n += 1
    return n


@njit(cache=True, parallel=True)
def _scan_sector(ups, downs, L, P, X, tables, counts, reps, stab_rep, stab_g, stab_sign, offsets, fill):
    """Representatives (largest of their orbit) of the sector, descending; fill=False only counts."""
    for a in prange(ups.size):
        n_rep, n_stab = 0, 0
        for d in range(downs.size):
            s = (ups[a] << np.uint64(L)) | downs[d]
            if canonical(s, P, tables, L)[0] != s:
                continue
            if fill:
                reps[offsets[a, 0] + n_rep] = s
            n_stab += _stabilizer(s, P, X, tables, L, offsets[a, 0] + n_rep, stab_rep, stab_g, stab_sign, offsets[a, 1] + n_stab, fill)
            n_rep += 1
        counts[a, 0] = n_rep
        counts[a, 1] = n_stab


#: Candidate states per parallel work item of :func:`_scan_candidates`.
SCAN_CHUNK = 4096


@njit(cache=True, parallel=True)
def _scan_candidates(candidates, L, P, X, tables, counts, reps, stab_rep, stab_g, stab_sign, offsets, fill):
    """As :func:`_scan_sector` over the descending ``candidates`` (in chunks of :data:`SCAN_CHUNK`) instead of the sector."""
    for a in prange(counts.shape[0]):
        n_rep, n_stab = 0, 0
        for c in range(a * SCAN_CHUNK, min(candidates.size, (a + 1) * SCAN_CHUNK)):
            s = candidates[c]
            if canonical(s, P, tables, L)[0] != s:
                continue
            if fill:
                reps[offsets[a, 0] + n_rep] = s
            n_stab += _stabilizer(s, P, X, tables, L, offsets[a, 0] + n_rep, stab_rep, stab_g, stab_sign, offsets[a, 1] + n_stab, fill)
            n_rep += 1
        counts[a, 0] = n_rep
        counts[a, 1] = n_stab


def _patterns(L: int, n: int) -> np.ndarray:
    """All L-bit integers with n bits set, descending."""
    out = np.array([sum(1 << b for b in c) for c in combinations(range(L), n)], dtype=np.uint64)
    return np.sort(out)[::-1].copy()


@dataclass(frozen=True, eq=False)
class BlockBasis:
    """One symmetry block: representatives (descending, as QuSpin's ``basis.states``) and norms S_r.

    Parameters
    ----------
    states : numpy.ndarray
        Representatives (uint64 Fock states), descending.
    norms : numpy.ndarray
        S_r of every representative.
    chis : numpy.ndarray
        Character χ(g) of every group element.
    localpairs_dtype : type
        Dtype of the block's matrices (complex for complex characters).
    """

    states: np.ndarray
    norms: np.ndarray
    chis: np.ndarray
    localpairs_dtype: type

    @property
    def Ns(self) -> int:
        """Block dimension."""
        return int(self.states.size)


class Representatives:
    """Orbit representatives of one particle sector under a symmetry group, for all its blocks.

    Parameters
    ----------
    resolved : Mapping[str, tuple[numpy.ndarray, int, int]]
        Generators ``name → (site permutation, period, q)``; the labels q are ignored here. The
        name ``"sf"`` is the spin flip (:mod:`~localpairs.solvers.hilbert.group_action`), for
        ``n_up == n_down`` only.
    n_sites, n_up, n_down : int
        Cluster size and sector.
    lookup : bool
        Find orbit maxima through the per-pattern tables of
        :func:`~localpairs.solvers.hilbert.group_action.orbit_tables` (False: try every group
        element, the previous way, kept as the baseline of ``benchmarks/bench_16_sites.py``).
    within : numpy.ndarray or None
        Descending Fock states known to contain every representative, e.g. those of a subgroup
        (the largest of an orbit is the largest of its part under the subgroup): only they are
        tried instead of the whole sector. None: the whole sector.

    Raises
    ------
    ValueError
        When the spin flip is asked for with ``n_up != n_down``.
    """

    def __init__(self, resolved: Mapping[str, tuple[np.ndarray, int, int]], *, n_sites: int, n_up: int, n_down: int,
                 lookup: bool = True, within: np.ndarray | None = None) -> None:
        if SPIN_FLIP in resolved and n_up != n_down:
            raise ValueError(f"spin-flip block with n_up = {n_up} != n_down = {n_down}: the spin flip maps the sector to another")
        _threads()
        self.names = tuple(resolved)
        self.periods = np.array([p for _, p, _ in resolved.values()], dtype=np.int64)
        self.n_sites = n_sites
        self.P, self.X, self.exponents = group_tables(resolved, n_sites)
        ups, downs = _patterns(n_sites, n_up), _patterns(n_sites, n_down)
        rows = ups.size if within is None else (within.size + SCAN_CHUNK - 1) // SCAN_CHUNK
        counts = np.zeros((rows, 2), dtype=np.int64)
        none_u, none_i, none_f = np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0)
        self.tables = orbit_tables(resolved, n_sites if lookup else TABLE_MAX_SITES + 1)

        def scan(reps: np.ndarray, stab_rep: np.ndarray, stab_g: np.ndarray, stab_sign: np.ndarray, offsets: np.ndarray, *, fill: bool) -> None:
            tables = (self.P, self.X, self.tables, counts, reps, stab_rep, stab_g, stab_sign, offsets, fill)
            if within is None:
                _scan_sector(ups, downs, n_sites, *tables)
            else:
                _scan_candidates(within, n_sites, *tables)

        scan(none_u, none_i, none_i, none_f, counts, fill=False)
        offsets = np.zeros_like(counts)
        offsets[1:] = np.cumsum(counts, axis=0)[:-1]
        n_rep, n_stab = counts.sum(axis=0)
        self.states = np.empty(n_rep, dtype=np.uint64)
        self.stab_rep, self.stab_g, self.stab_sign = np.empty(n_stab, np.int64), np.empty(n_stab, np.int64), np.empty(n_stab)
        scan(self.states, self.stab_rep, self.stab_g, self.stab_sign, offsets, fill=True)

    def characters(self, labels: Mapping[str, int]) -> np.ndarray:
        """Characters χ(g) of every group element for block ``labels`` (exact ±1 where real).

        Parameters
        ----------
        labels : Mapping[str, int]
            One label per generator.

        Returns
        -------
        numpy.ndarray
            Complex characters, one per element.
        """
        q = np.array([labels[n] for n in self.names], dtype=np.int64)
        turns = (self.exponents * q) % self.periods if q.size else np.zeros(len(self.exponents), np.int64)
        phase = np.sum(turns / self.periods, axis=1) if q.size else np.zeros(len(self.exponents))
        chis = np.exp(2j * np.pi * phase)
        chis.real[np.abs(chis.real) < 1e-15] = 0.0
        chis.imag[np.abs(chis.imag) < 1e-15] = 0.0
        return chis

    def block(self, labels: Mapping[str, int], dtype: type) -> BlockBasis:
        """The block with ``labels`` (one per generator): representatives with S_r ≠ 0.

        Parameters
        ----------
        labels : Mapping[str, int]
            One label per generator.
        dtype : type
            Dtype of the block's matrices.

        Returns
        -------
        BlockBasis
            The block's basis.
        """
        chis = self.characters(labels)
        norms = np.ones(self.states.size, dtype=np.complex128)
        np.add.at(norms, self.stab_rep, np.conj(chis[self.stab_g]) * self.stab_sign)
        keep = norms.real > 0.5  # S_r is |Stab r| or 0
        return BlockBasis(self.states[keep], norms.real[keep].copy(), chis, dtype)


def _threads() -> None:
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit():
        # numba.config sets its options as module attributes at import time, invisible to mypy
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]


def block_matrix(model: Model, reps: Representatives, basis: BlockBasis) -> sp.csr_matrix:
    """CSR matrix of ``model`` (:func:`supported`) on block ``basis`` of ``reps``.

    Peak memory: an upper bound of the non-zeros (entries that vanish on merging or project out
    are dropped afterwards) times 12 (real) or 20 (complex) bytes, before the final copy.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    reps : Representatives
        The sector's representatives under the block's group.
    basis : BlockBasis
        The block, from ``reps.block``.

    Returns
    -------
    scipy.sparse.csr_matrix
        The Hermitian block matrix (eV), sorted indices.
    """
    _threads()
    is_complex = np.dtype(basis.localpairs_dtype).kind == "c"
    return assemble_csr(_columns, kernel_arguments(model, reps, basis), basis.Ns, is_complex=is_complex)


def kernel_arguments(model: Model, reps: Representatives, basis: BlockBasis) -> tuple:
    """The leading arguments of the column kernels: the block, the group's tables and the model's couplings.

    Parameters
    ----------
    model : Model
        The Hamiltonian (:func:`supported`).
    reps : Representatives
        The sector's representatives under the block's group.
    basis : BlockBasis
        The block.

    Returns
    -------
    tuple
        ``(states, norms, P, X, tables, chis, index, L, off_terms, diagonal_terms)`` as
        :func:`column_entries` takes them.
    """
    L, static = model.n_sites, model.static_list()
    index = state_index(basis.states, L)
    off, diag = term_masks(static, L, diagonal=False), term_masks(static, L, diagonal=True)
    return (basis.states, basis.norms, reps.P, reps.X, reps.tables, basis.chis, index, L, off, diag)
