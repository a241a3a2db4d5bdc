r"""Many independent Lanczos chains of one real Hamiltonian, advanced together: one sparse product per step for all.

The finite probe (:mod:`~localpairs.solvers.dynamics.finite_probe`) runs one continued-fraction
chain per frequency component of the probed wavepacket, hundreds per channel, all of the same
``H_c``. Run one by one (:func:`~localpairs.solvers.lanczos.lanczos_chain`), each step pays a
matrix–vector product, two vector passes and the Python overhead of the step and of the stopping
rule. Here the start vectors are the columns of one ``(dim, J)`` block and every step of every
chain is one pass over the matrix (each non-zero multiplies a row of J numbers) plus two fused
passes over the block; the stopping rule (:class:`~localpairs.solvers.dynamics.probe_components.SpectrumConvergence`)
is evaluated for all columns at once, and a column leaves the block when its chain ends.

This is *not* block Lanczos: the chains do not see each other, each column runs the three-term
recursion of :func:`~localpairs.solvers.lanczos.lanczos_recursion` (same order of operations
per column up to the summation order of the products), so the coefficients equal those of
separate chains to round-off and the same stopping rules apply (breakdown
:data:`~localpairs.solvers.lanczos.BREAKDOWN_TOL`, full reorthogonalization by the same
:data:`~localpairs.solvers.lanczos.FULL_REORTH_BUDGET` rule, then on all kept vectors of the
column, twice). Real matrices only (the kernel multiplies real values into complex rows, no
upcast copy); a complex matrix is run chain by chain by the caller.

Cost (measured on the 3,920-state N + 1 sector of the 2×2×2 cube, 14 non-zeros per row, one
core): the block product costs 23–32 µs per column against 35 µs for one chain's product, so the
gain is the per-step overhead only: the 3-delay finite-probe map (≈ 530,000 chain steps) took 38 s
of CPU against 47 s chain by chain (1.23×; ``benchmarks/bench_finite_probe.py``). Columns run in
groups of at most ``group`` (64 by default: three ``dim × 64`` complex blocks stay within a few MB).
"""

from __future__ import annotations

import time

import numba
import numpy as np
import scipy.sparse as sp

from localpairs.errors import require
from localpairs.solvers.dynamics.probe_components import SpectrumConvergence
from localpairs.solvers.lanczos import BREAKDOWN_TOL, FULL_REORTH_BUDGET, LanczosChain, lanczos_chain

#: Columns advanced together (three ``dim × group`` complex blocks are held).
DEFAULT_GROUP = 64


@numba.njit(cache=True)
def _product_step(indptr, indices, data, diag, v, v_prev, beta, w, alpha):  # pragma: no cover - compiled
    """w ← H v + diag·v − β v_prev (per column β) and alpha ← Re⟨v|w⟩ per column, in one pass over H."""
    n_cols = v.shape[1]
    alpha[:] = 0.0
    for i in range(indptr.size - 1):
        d = diag[i]
        for c in range(n_cols):
            w[i, c] = d * v[i, c] - beta[c] * v_prev[i, c]
        for e in range(indptr[i], indptr[i + 1]):
            a = data[e]
            k = indices[e]
            for c in range(n_cols):
                w[i, c] += a * v[k, c]
        for c in range(n_cols):
            alpha[c] += (np.conj(v[i, c]) * w[i, c]).real


@numba.njit(cache=True)
def _orthogonal_step(alpha, v, w, norm2):  # pragma: no cover - compiled
    """w ← w − α v per column and norm2 ← ‖w‖² per column."""
    n_cols = v.shape[1]
    norm2[:] = 0.0
    for i in range(v.shape[0]):
        for c in range(n_cols):
            x = w[i, c] - alpha[c] * v[i, c]
            w[i, c] = x
            norm2[c] += x.real * x.real + x.imag * x.imag


def _reorthogonalize(kept: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Classical Gram–Schmidt of each column of ``w`` against the kept vectors of its chain, twice; returns ‖w‖² per column."""
    for _ in range(2):
        w -= np.einsum("kdc,kc->dc", kept, np.einsum("kdc,dc->kc", kept.conj(), w))
    return np.einsum("dc,dc->c", w.conj(), w).real


def parallel_chains(matrix: sp.csr_matrix, starts: np.ndarray, *, n_steps: int, diagonal: np.ndarray | None = None,
                    until: SpectrumConvergence | None = None, reorthogonalize: bool | None = None,
                    group: int = DEFAULT_GROUP) -> list[LanczosChain]:
    """The :class:`~localpairs.solvers.lanczos.LanczosChain` of ``matrix (+ diag)`` from every column of ``starts``.

    Parameters
    ----------
    matrix
        Real symmetric sparse matrix (CSR), ``dim × dim``.
    starts
        ``(dim, J)`` start vectors as columns (complex or real; not necessarily normalized, none zero).
    n_steps
        Largest number of steps of each chain (fewer when its Krylov space is exhausted).
    diagonal
        Optional real vector of length ``dim`` added to the diagonal (e.g. a core-hole potential).
    until
        Optional stopping rule over the J columns (its ``z`` of shape ``(n_z, J)``); a column stops
        when its spectrum has converged. Consumed (its state follows the surviving columns).
    reorthogonalize
        Full reorthogonalization; default: as :func:`~localpairs.solvers.lanczos.lanczos_chain`
        (when ``min(n_steps, dim)² × dim ≤ FULL_REORTH_BUDGET``).
    group
        Most columns advanced together; larger J is run in consecutive groups (``until`` then needs
        J ≤ ``group``: pass one rule per group).

    Returns
    -------
    list of LanczosChain
        One chain per column, in the order of the columns.

    Raises
    ------
    InputError
        For a complex matrix, a start block of the wrong shape, a zero column or a non-positive ``n_steps``/``group``.
    """
    starts = np.asarray(starts)
    dim = matrix.shape[0]
    require(not np.iscomplexobj(matrix.data), "matrix", "complex values", "a real symmetric matrix (run complex ones chain by chain)")
    require(starts.ndim == 2 and starts.shape[0] == dim, "starts", starts.shape, f"(dim, J) with dim = {dim}")
    require(isinstance(n_steps, (int, np.integer)) and n_steps >= 1, "n_steps", n_steps, "an integer ≥ 1")
    require(isinstance(group, (int, np.integer)) and group >= 1, "group", group, "an integer ≥ 1")
    require(until is None or starts.shape[1] <= group, "until", f"{starts.shape[1]} columns", f"one rule per group of ≤ {group} columns")
    m_max = int(min(n_steps, dim))
    full = m_max**2 * dim <= FULL_REORTH_BUDGET if reorthogonalize is None else bool(reorthogonalize)
    csr = sp.csr_matrix(matrix)
    ops = (csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data.astype(np.float64),
           np.zeros(dim) if diagonal is None else np.asarray(diagonal, dtype=np.float64))
    chains: list[LanczosChain] = []
    for first in range(0, starts.shape[1], group):
        chains.extend(_group(ops, np.ascontiguousarray(starts[:, first:first + group], dtype=np.complex128), m_max, full, until))
    return chains


def spectrum_chains(matrix: sp.csr_matrix, starts: np.ndarray, *, diagonal: np.ndarray | None, n_steps: int, e_refs: np.ndarray, z: np.ndarray,
                    tol: float | None, chain_block: int = DEFAULT_GROUP) -> list[LanczosChain]:
    """One chain per column of ``starts``, each stopped when its spectrum at ``e_ref + z`` has converged to ``tol``.

    Parameters
    ----------
    matrix
        Hermitian sparse matrix (CSR), ``dim × dim``.
    starts
        ``(dim, J)`` start vectors (none zero).
    diagonal
        Optional real vector added to the diagonal.
    n_steps
        Largest number of steps per chain.
    e_refs
        ``(J,)`` reference energy of each column (eV).
    z
        ``(n_z,)`` complex energies of the convergence check, relative to ``e_ref`` (eV).
    tol
        Stopping bound of :class:`~localpairs.solvers.dynamics.probe_components.SpectrumConvergence`
        (1/eV, absolute); None: every chain runs ``n_steps``.
    chain_block
        Columns advanced together (:func:`parallel_chains`) for a real matrix; 1 (or a complex
        matrix): one :func:`~localpairs.solvers.lanczos.lanczos_chain` after the other.

    Returns
    -------
    list of LanczosChain
        One per column, in order.
    """
    def rule(cols: np.ndarray) -> SpectrumConvergence | None:
        return None if tol is None else SpectrumConvergence(e_refs[cols][None, :] + z[:, None], norm2=norms[cols], tol=tol)

    norms = np.einsum("ij,ij->j", starts.conj(), starts).real
    if chain_block == 1 or np.iscomplexobj(matrix.data):
        return [lanczos_chain(matrix, starts[:, j], n_steps=n_steps, diagonal=diagonal, until=rule(np.array([j]))) for j in range(starts.shape[1])]
    chains: list[LanczosChain] = []
    for first in range(0, starts.shape[1], chain_block):
        cols = np.arange(first, min(first + chain_block, starts.shape[1]))
        chains += parallel_chains(matrix, starts[:, cols], n_steps=n_steps, diagonal=diagonal, until=rule(cols), group=chain_block)
    return chains


def _group(ops: tuple, block: np.ndarray, m_max: int, full: bool, until: SpectrumConvergence | None) -> list[LanczosChain]:
    """Chains of the columns of one group (see :func:`parallel_chains`)."""
    start = time.perf_counter()
    dim, n_cols = block.shape
    norms = np.sqrt(np.einsum("dc,dc->c", block.conj(), block).real)
    require(bool(np.all(norms > 0)), "starts", "a zero column", "non-zero start vectors")
    v, v_prev, w = block / norms, np.zeros_like(block), np.empty_like(block)
    kept = np.empty((m_max + 1, dim, n_cols), dtype=np.complex128) if full else None
    if kept is not None:
        kept[0] = v
    alpha, beta = np.zeros((m_max, n_cols)), np.zeros((m_max, n_cols))
    steps, exhausted = np.zeros(n_cols, dtype=int), np.zeros(n_cols, dtype=bool)
    active, scale = np.arange(n_cols), np.zeros(n_cols)
    a, b2, b_prev = np.empty(n_cols), np.empty(n_cols), np.zeros(n_cols)
    for j in range(m_max):
        _product_step(ops[0], ops[1], ops[2], ops[3], v, v_prev, b_prev, w, a)
        _orthogonal_step(a, v, w, b2)
        if kept is not None:
            b2 = _reorthogonalize(kept[: j + 1], w)
        b = np.sqrt(b2)
        alpha[j, active], beta[j, active] = a, b
        scale = np.maximum(scale, np.maximum(np.abs(a), b))
        invariant = b <= BREAKDOWN_TOL * scale
        stop = invariant | (j == m_max - 1)
        if until is not None:
            until.step(a, b_prev if j else None)
            stop |= until.converged()
        steps[active[stop]] = j + 1
        if j < m_max - 1:
            exhausted[active[invariant]] = True
        else:  # as lanczos_chain: the last step is an exhausted space only when the whole sector was spanned
            exhausted[active] = full and j == dim - 1
        go = ~stop
        if not go.any():
            break
        w *= 1.0 / np.where(go, b, 1.0)
        if kept is not None:
            kept[j + 1] = w
        v_prev, v, w = v, w, v_prev
        b_prev = b
        if not go.all():
            active, scale, b_prev = active[go], scale[go], b_prev[go]
            v_prev, v, w = (np.ascontiguousarray(x[:, go]) for x in (v_prev, v, w))
            a, b2 = a[go], b2[go]
            kept = None if kept is None else np.ascontiguousarray(kept[:, :, go])
            if until is not None:
                until.select(go)
    seconds = (time.perf_counter() - start) / n_cols
    return [LanczosChain(alpha=alpha[: steps[c], c].copy(), beta=beta[: steps[c] - 1, c].copy(), norm2=float(norms[c] ** 2), reorthogonalized=full,
                         exhausted=bool(exhausted[c]), seconds=seconds) for c in range(n_cols)]
