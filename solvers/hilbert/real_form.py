"""A complex momentum block as a real symmetric matrix of the same dimension (standing waves).

A block k with k ≢ −k has complex characters and a complex Hermitian matrix. When every coupling
is real, complex conjugation K (in the Fock basis) commutes with H and maps block k to −k; the
product R of the reflections ``p{a}`` of the axes with complex q_a maps −k back to k. The
antiunitary ``A = R K`` therefore commutes with H, keeps block k and squares to one. It maps
every block state to a block state times a phase,

    A|r̃_j⟩ = φ_j |r̃_π(j)⟩,    φ_j = σ_R(r_j) · σ_h(s) · χ(h)*,    s = R r_j,  h s = ± r_π(j),

(the element formula of :mod:`~localpairs.solvers.hilbert.block_matrix` with R in place of a
term), and the A-invariant vectors

    e_j = φ_j^{1/2} |r̃_j⟩                                   (π(j) = j),
    u = (|r̃_j⟩ + φ_j |r̃_l⟩)/√2,   w = i(|r̃_j⟩ − φ_j |r̃_l⟩)/√2   (l = π(j) ≠ j)

form an orthonormal basis in which ``⟨e|H|e'⟩ = ⟨Ae|AHe'⟩* = ⟨e|H|e'⟩*`` is real: the block's
matrix ``U† H U`` is real symmetric with the block's spectrum. Real Lanczos (ARPACK's symmetric
driver on real vectors) replaces the complex non-Hermitian driver, which needed about twice the
matrix–vector products and complex vector arithmetic. The real matrix has about twice the
non-zeros of the complex one (a 2×2 real block per pair of coupled pairs: the same information).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.block_columns import _compact, _find, state_index
from localpairs.solvers.hilbert.block_matrix import BlockBasis, Representatives
from localpairs.solvers.hilbert.group_action import canonical, group_tables, image, sign
from localpairs.solvers.hilbert.lattice_symmetry import commutes, generators, is_complex_block

#: Largest |imaginary part| (relative to the largest element) accepted in ``U† H U``: round-off of
#: sums of a few products of roots of unity. A wrong phase φ leaves O(1) imaginary parts.
IMAGINARY_TOL = 1e-12


def reflection_for(model: Model, labels: Mapping[str, int]) -> np.ndarray | None:
    """Site permutation R (product of the reflections of the complex axes) making block ``labels`` real.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    labels : Mapping[str, int]
        Block labels (momenta and further symmetries).

    Returns
    -------
    numpy.ndarray or None
        R; None when the block is real already, a coupling is complex, or a needed reflection does
        not exist or does not commute with the model.
    """
    gens = generators(model.cluster)
    axes = [name[1] for name, q in labels.items() if name.startswith("k") and is_complex_block(name, q, gens[name][1])]
    if not axes or model.is_complex:
        return None
    perm = np.arange(model.n_sites)
    for axis in axes:
        if f"p{axis}" not in gens or not commutes(model, gens[f"p{axis}"][0]):
            return None
        perm = gens[f"p{axis}"][0][perm]
    return perm


@njit(cache=True, parallel=True)
def _partners(states, norms, P, X, tables, chis, PR, XR, index, L, partner, phase):
    """π(j) and φ_j of ``A|r̃_j⟩ = φ_j |r̃_π(j)⟩`` (partner −1 when the image is not in the block)."""
    for j in prange(states.size):
        s = image(states[j], PR, 0)
        sr = sign(states[j], XR, 0)
        best, bg = canonical(s, P, tables, L)
        i = _find(states, best, index, L)
        partner[j] = i
        if i >= 0:
            phase[j] = sr * sign(s, X, bg) * np.conj(chis[bg]) * np.sqrt(norms[i] / norms[j])


@dataclass(frozen=True, eq=False)
class RealForm:
    """The unitary U (n × n, at most two non-zeros per column) from block states to A-invariant ones.

    Parameters
    ----------
    unitary : scipy.sparse.csr_matrix
        U, columns the A-invariant vectors in the block basis (in block-state order: one column
        per fixed state, the columns u and w of a pair at its first state).
    partner : numpy.ndarray
        π(j) of every block state (int64).
    phase : numpy.ndarray
        φ_j of every block state (complex128, |φ_j| = 1, ``φ_π(j) = φ_j``).
    """

    unitary: sp.csr_matrix
    partner: np.ndarray
    phase: np.ndarray

    def to_block(self, vectors: np.ndarray) -> np.ndarray:
        """Real-form vectors (n, m) as complex vectors of the block basis: ``U v``.

        Parameters
        ----------
        vectors : numpy.ndarray
            (n, m) vectors in the real form's basis.

        Returns
        -------
        numpy.ndarray
            (n, m) complex vectors in the block basis.
        """
        return np.asarray(self.unitary @ vectors.astype(np.complex128))


def standing_wave_form(reps: Representatives, basis: BlockBasis, reflection: np.ndarray) -> RealForm:
    """The A-invariant basis of ``basis`` (see the module docstring) for the reflection R.

    Parameters
    ----------
    reps : Representatives
        The sector's representatives under the block's group.
    basis : BlockBasis
        The complex block.
    reflection : numpy.ndarray
        R, from :func:`reflection_for`.

    Returns
    -------
    RealForm
        The unitary to the A-invariant basis.

    Raises
    ------
    ValueError
        When R K does not map the block onto itself with consistent phases (R does not turn k into −k).
    """
    PR, XR, _ = group_tables({"R": (np.asarray(reflection), 2, 0)}, reps.n_sites)
    n = basis.Ns
    partner, phase = np.empty(n, np.int64), np.zeros(n, np.complex128)
    index = state_index(basis.states, reps.n_sites)
    _partners(basis.states, basis.norms, reps.P, reps.X, reps.tables, basis.chis, PR[1:], XR[1:], index, reps.n_sites, partner, phase)
    idx = np.arange(n)
    if np.any(partner < 0) or np.any(partner[partner] != idx) or not np.allclose(np.abs(phase), 1.0, atol=1e-12) \
            or not np.allclose(phase[partner], phase, atol=1e-12):
        raise ValueError("the reflection does not map this momentum block onto itself under complex conjugation")
    fixed, first = idx[partner == idx], idx[partner > idx]
    second = partner[first]
    s2 = 1.0 / np.sqrt(2.0)
    width = np.where(partner == idx, 1, np.where(partner > idx, 2, 0))  # columns in block-state order
    col = np.cumsum(width) - width
    col_fixed, col_pair = col[fixed], col[first]
    rows = np.concatenate([fixed, first, second, first, second])
    cols = np.concatenate([col_fixed, col_pair, col_pair, col_pair + 1, col_pair + 1])
    vals = np.concatenate([np.sqrt(phase[fixed]), np.full(first.size, s2 + 0j), s2 * phase[first],
                           np.full(first.size, 1j * s2), -1j * s2 * phase[first]])
    return RealForm(sp.csr_matrix((vals, (rows, cols)), shape=(n, n)), partner, phase)


#: Column ranges of :func:`_transform` run in parallel, each with one dense scratch row of the block.
TRANSFORM_CHUNKS = 16


@njit(cache=True, parallel=True)
def _transform(h_ptr, h_idx, h_dat, u_ptr, u_idx, u_dat, ut_ptr, ut_idx, ut_dat, out_ptr, out_idx, out_dat, worst, fill):
    """Column a of ``U† H U`` from row lists of H (Hermitian: column j = conj of row j), of U (rows
    of U = the real-form columns a block state enters) and of U^T (the block states of column a).
    Pass 1 (fill=False): the number of rows column a touches into out_ptr[a + 1]; pass 2: the
    merged column from out_ptr[a] (NaN in the slots of entries that vanished)."""
    n = out_ptr.size - 1
    size = (n + TRANSFORM_CHUNKS - 1) // TRANSFORM_CHUNKS
    for chunk in prange(TRANSFORM_CHUNKS):
        acc = np.zeros(n, np.complex128)
        mark = np.full(n, -1, np.int64)
        touched = np.empty(n, np.int64)
        for a in range(chunk * size, min(n, (chunk + 1) * size)):
            nt = 0
            for p in range(ut_ptr[a], ut_ptr[a + 1]):  # y = H U[:, a]
                j, uja = ut_idx[p], ut_dat[p]
                for q in range(h_ptr[j], h_ptr[j + 1]):
                    i = h_idx[q]
                    y = uja * np.conj(h_dat[q])
                    for r in range(u_ptr[i], u_ptr[i + 1]):  # (U† y)_b += conj(U[i, b]) y_i
                        b = u_idx[r]
                        if mark[b] != a:
                            mark[b] = a
                            acc[b] = 0.0
                            touched[nt] = b
                            nt += 1
                        acc[b] += np.conj(u_dat[r]) * y
            if not fill:
                out_ptr[a + 1] = nt
                continue
            touched[:nt].sort()
            start = out_ptr[a]
            k = 0
            for t in range(nt):
                b = touched[t]
                v = acc[b]
                if v.real != 0.0:
                    out_idx[start + k] = b
                    out_dat[start + k] = v.real
                    k += 1
                if abs(v.imag) > worst[chunk]:
                    worst[chunk] = abs(v.imag)
            out_dat[start + k: out_ptr[a + 1]] = np.nan


def real_matrix(matrix: sp.csr_matrix, form: RealForm) -> sp.csr_matrix:
    """``U† H U`` as a real CSR matrix (its imaginary part checked to vanish).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The complex block matrix H.
    form : RealForm
        The block's real form U.

    Returns
    -------
    scipy.sparse.csr_matrix
        The real symmetric matrix (eV).

    Raises
    ------
    ValueError
        When the imaginary part exceeds :data:`IMAGINARY_TOL` × max |H|: U is not A-invariant.
    """
    u = form.unitary.tocsr()
    ut = u.T.tocsr()
    n = matrix.shape[0]
    out_ptr = np.zeros(n + 1, np.int64)
    worst = np.zeros(TRANSFORM_CHUNKS)
    empty_i, empty_f = np.empty(0, np.int32), np.empty(0)
    args = (matrix.indptr, matrix.indices, matrix.data, u.indptr, u.indices, u.data, ut.indptr, ut.indices, ut.data)
    _transform(*args, out_ptr, empty_i, empty_f, worst, False)
    np.cumsum(out_ptr, out=out_ptr)
    bound = int(out_ptr[-1])
    index_type = np.int32 if max(n, bound) < 2**31 else np.int64
    out_idx, out_dat = np.empty(bound, index_type), np.empty(bound)
    _transform(*args, out_ptr, out_idx, out_dat, worst, True)
    scale = float(np.abs(matrix.data).max()) if matrix.nnz else 1.0
    if worst.max() > IMAGINARY_TOL * scale:
        raise ValueError(f"U† H U has imaginary parts up to {worst.max():.2e} (scale {scale:.2e}): not a real form")
    nnz = _compact(out_ptr, out_idx, out_dat, empty_f)
    out = sp.csr_matrix((out_dat[:nnz].copy(), out_idx[:nnz].copy(), out_ptr.astype(index_type)), shape=(n, n))
    out.has_sorted_indices = True
    return out
