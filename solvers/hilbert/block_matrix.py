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
from localpairs.solvers.hilbert.group_action import SPIN_FLIP, TABLE_MAX_SITES, canonical, group_tables, image, orbit_tables, popcount, sign
from localpairs.solvers.hilbert.pair_basis import spinless_terms

_CODES = {"+": 0, "-": 1, "n": 2}
#: Largest L for the per-spin-up index table of the state lookup (2^L entries).
LOOKUP_MAX_SITES = 20


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
            for g in range(1, P.shape[0]):
                if image(s, P, g) == s:
                    if fill:
                        k = offsets[a, 1] + n_stab
                        stab_rep[k] = offsets[a, 0] + n_rep
                        stab_g[k] = g
                        stab_sign[k] = sign(s, X, g)
                    n_stab += 1
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

    Raises
    ------
    ValueError
        When the spin flip is asked for with ``n_up != n_down``.
    """

    def __init__(self, resolved: Mapping[str, tuple[np.ndarray, int, int]], *, n_sites: int, n_up: int, n_down: int,
                 lookup: bool = True) -> None:
        if SPIN_FLIP in resolved and n_up != n_down:
            raise ValueError(f"spin-flip block with n_up = {n_up} != n_down = {n_down}: the spin flip maps the sector to another")
        _threads()
        self.names = tuple(resolved)
        self.periods = np.array([p for _, p, _ in resolved.values()], dtype=np.int64)
        self.n_sites = n_sites
        self.P, self.X, self.exponents = group_tables(resolved, n_sites)
        ups, downs = _patterns(n_sites, n_up), _patterns(n_sites, n_down)
        counts = np.zeros((ups.size, 2), dtype=np.int64)
        none_u, none_i, none_f = np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0)
        self.tables = orbit_tables(resolved, n_sites if lookup else TABLE_MAX_SITES + 1)
        _scan_sector(ups, downs, n_sites, self.P, self.X, self.tables, counts, none_u, none_i, none_i, none_f, counts, False)
        offsets = np.zeros_like(counts)
        offsets[1:] = np.cumsum(counts, axis=0)[:-1]
        n_rep, n_stab = counts.sum(axis=0)
        self.states = np.empty(n_rep, dtype=np.uint64)
        self.stab_rep, self.stab_g, self.stab_sign = np.empty(n_stab, np.int64), np.empty(n_stab, np.int64), np.empty(n_stab)
        _scan_sector(ups, downs, n_sites, self.P, self.X, self.tables, counts, self.states, self.stab_rep, self.stab_g, self.stab_sign, offsets, True)

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


@njit(cache=True, inline="always")
def _apply(s, codes, modes, nops, n_modes):
    """Apply one operator string (right to left) to Fock state s: (state, sign), sign 0 if it vanishes."""
    sign = 1.0
    for p in range(nops - 1, -1, -1):
        b = np.uint64(n_modes - 1 - modes[p])
        occ = (s >> b) & np.uint64(1)
        code = codes[p]
        if code == 2:
            if occ == 0:
                return s, 0.0
            continue
        if (code == 1) != (occ == 1):
            return s, 0.0
        if popcount(s >> (b + np.uint64(1))) & np.uint64(1):
            sign = -sign
        s ^= np.uint64(1) << b
    return s, sign


@njit(cache=True, inline="always")
def _find(states, x, lo_tab, hi_tab, L):
    if lo_tab.size > 1:
        u = x >> np.uint64(L)
        lo, hi = lo_tab[u], hi_tab[u]
    else:
        lo, hi = 0, states.size
    while lo < hi:  # states descending
        mid = (lo + hi) // 2
        if states[mid] > x:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < states.size and states[lo] == x else -1


@njit(cache=True, parallel=True)
def _columns(states, norms, P, X, tables, chis, lo_tab, hi_tab, L, terms, diag_terms, indptr, indices, data_re, data_im, fill):
    """Pass 1 (fill=False): an upper bound of the non-zeros of column j into indptr[j + 1].
    Pass 2 (indptr now cumulative): column j's merged entries from indptr[j], NaN in unused slots."""
    codes, modes, nops, coefs = terms
    dcodes, dmodes, dnops, dcoefs = diag_terms
    n, n_modes = states.size, 2 * L
    block = 1024
    for chunk in prange((n + block - 1) // block):
        rows = np.empty(coefs.size + 1, dtype=np.int64)
        vals = np.empty(coefs.size + 1, dtype=np.complex128)
        for j in range(chunk * block, min(n, (chunk + 1) * block)):
            r0 = states[j]
            if not fill:
                count = 1
                for t in range(coefs.size):
                    if _apply(r0, codes[t], modes[t], nops[t], n_modes)[1] != 0.0:
                        count += 1
                indptr[j + 1] = count
                continue
            diag = 0.0 + 0.0j
            for t in range(dcoefs.size):
                diag += dcoefs[t] * _apply(r0, dcodes[t], dmodes[t], dnops[t], n_modes)[1]
            count = 0
            if diag != 0:
                rows[0], vals[0], count = j, diag, 1
            for t in range(coefs.size):
                s, sh = _apply(r0, codes[t], modes[t], nops[t], n_modes)
                if sh == 0.0:
                    continue
                best, bg = canonical(s, P, tables, L)
                i = _find(states, best, lo_tab, hi_tab, L)
                if i < 0:
                    continue
                v = coefs[t] * sh * sign(s, X, bg) * np.conj(chis[bg]) * np.sqrt(norms[i] / norms[j])
                k = 0  # insert sorted by row, merging duplicates
                while k < count and rows[k] < i:
                    k += 1
                if k < count and rows[k] == i:
                    vals[k] += v
                else:
                    for q in range(count, k, -1):
                        rows[q], vals[q] = rows[q - 1], vals[q - 1]
                    rows[k], vals[k] = i, v
                    count += 1
            start = indptr[j]
            for k in range(count):
                indices[start + k] = rows[k]
                data_re[start + k] = vals[k].real
                if data_im.size:
                    data_im[start + k] = -vals[k].imag  # row j of H is the conjugate of column j
            data_re[start + count: indptr[j + 1]] = np.nan  # unused slots, dropped below


@njit(cache=True)
def _compact(indptr, indices, data_re, data_im):
    """Drop unused (NaN) slots and entries that cancelled, in place; returns the number of non-zeros."""
    out = 0
    for j in range(indptr.size - 1):
        start, stop = indptr[j], indptr[j + 1]
        indptr[j] = out
        for k in range(start, stop):
            if data_re[k] == data_re[k] and (data_re[k] != 0.0 or (data_im.size and data_im[k] != 0.0)):
                indices[out], data_re[out] = indices[k], data_re[k]
                if data_im.size:
                    data_im[out] = data_im[k]
                out += 1
    indptr[indptr.size - 1] = out
    return out


def _term_arrays(static: list, n_sites: int, diagonal: bool) -> tuple:
    """Coupling arrays ``(codes, modes, lengths, coefficients)`` of the diagonal or off-diagonal
    spinless couplings, in a canonical order (operator string, modes, coefficient): a matrix
    element sums its contributions in the same order whatever order the model's terms have."""
    rows = [(o, c) for o, cs in spinless_terms(static, n_sites) for c in cs if (set(o) <= {"n"}) == diagonal]
    rows.sort(key=lambda row: (row[0], tuple(row[1][1:]), complex(row[1][0]).real, complex(row[1][0]).imag))
    width = max((len(o) for o, _ in rows), default=1)
    codes = np.zeros((len(rows), width), dtype=np.int8)
    modes = np.zeros((len(rows), width), dtype=np.int64)
    for t, (opstr, c) in enumerate(rows):
        codes[t, : len(opstr)] = [_CODES[ch] for ch in opstr]
        modes[t, : len(opstr)] = c[1:]
    return codes, modes, np.array([len(o) for o, _ in rows], dtype=np.int64), np.array([complex(c[0]) for _, c in rows], dtype=np.complex128)


def _lookup(states: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Index range of every spin-up pattern in the descending ``states`` (or dummies for large L)."""
    if L > LOOKUP_MAX_SITES:
        return np.zeros(1, np.int64), np.zeros(1, np.int64)
    ups = (states >> np.uint64(L)).astype(np.int64)
    keys = np.arange(1 << L)
    lo = np.searchsorted(-ups, -keys, side="left")
    hi = np.searchsorted(-ups, -keys, side="right")
    return lo.astype(np.int64), hi.astype(np.int64)


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
    L = model.n_sites
    is_complex = np.dtype(basis.localpairs_dtype).kind == "c"
    static = model.static_list()
    off, diag = _term_arrays(static, L, False), _term_arrays(static, L, True)
    lo, hi = _lookup(basis.states, L)
    n = basis.Ns
    indptr = np.zeros(n + 1, dtype=np.int64)
    empty_i, empty_f = np.empty(0, np.int32), np.empty(0)
    args = (basis.states, basis.norms, reps.P, reps.X, reps.tables, basis.chis, lo, hi, L, off, diag)
    _columns(*args, indptr, empty_i, empty_f, empty_f, False)
    np.cumsum(indptr, out=indptr)
    bound = int(indptr[-1])
    index_type = np.int32 if max(n, bound) < 2**31 else np.int64
    indices, data_re = np.empty(bound, dtype=index_type), np.empty(bound)
    data_im = np.empty(bound) if is_complex else empty_f
    _columns(*args, indptr, indices, data_re, data_im, True)
    nnz = _compact(indptr, indices, data_re, data_im)
    if is_complex:
        data = np.empty(nnz, dtype=np.complex128)
        data.real, data.imag = data_re[:nnz], data_im[:nnz]
    else:
        data = data_re[:nnz].copy()
    del data_re, data_im
    matrix = sp.csr_matrix((data, indices[:nnz].copy(), indptr.astype(index_type)), shape=(n, n))
    matrix.has_sorted_indices = True
    return matrix
