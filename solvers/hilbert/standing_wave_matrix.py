"""A complex momentum block's real standing-wave matrix ``U† H U`` built directly, column by column.

:mod:`~localpairs.solvers.hilbert.real_form` defines the A-invariant basis U of a complex block
(A = R K, R the reflection turning k into −k, K complex conjugation; ``A|r̃_j⟩ = φ_j |r̃_π(j)⟩``)
and, as the reference construction, multiplies the complex matrix H out: ``U† H U``. Building H
first costs a whole complex block and the product about a third of that again. Here the real
matrix is built from half the columns of H: a column of U is ``α|r̃_j⟩ + β|r̃_l⟩`` with l = π(j)
(β = 0 for a fixed state, l = j), and since A commutes with H,

    H|r̃_l⟩ = φ_j* H A|r̃_j⟩ = φ_j* A H|r̃_j⟩,    (A y)_m = φ_π(m) y*_π(m),

so with ``y = H|r̃_j⟩`` (one column of H, from the terms applied to the representative r_j only)

    H (α|r̃_j⟩ + β|r̃_l⟩) = α y + β φ_j* A y,
    (U† H U)_ab = Σ_m conj(U_ma) (α y_m + β φ_j* φ_π(m) y*_π(m)),

the sum over the one or two block states m of the real-form vector a. Every entry y_m of the
column therefore adds ``conj(U_ma) α y_m + conj(U_π(m)a) β φ_j* φ_m y*_m`` to the real-form rows
a of m's pair (u and w, or e for a fixed state). The sum is real up to round-off; its imaginary
part is checked like the reference's. The matrix is symmetric: row b is column b.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.block_columns import assemble_csr, column_bound, column_entries
from localpairs.solvers.hilbert.block_matrix import BlockBasis, Representatives, _threads, kernel_arguments
from localpairs.solvers.hilbert.real_form import IMAGINARY_TOL, RealForm

#: Columns per parallel work item of :func:`_real_columns`.
CHUNK = 512
#: Elements with |value| at most this times the largest |coupling| are round-off of sums that
#: vanish (e.g. with the characters e^{2πi/3}) and are dropped; the reference construction keeps
#: some: about 13 % more non-zeros on a 2×2×3 block. A dropped element moves a level by at most
#: its size times the few such elements per row, < 1e-13 eV at couplings of eV.
DROP_TOL = 1e-15
S2 = 1.0 / np.sqrt(2.0)


@njit(cache=True)
def _fold(count, rows, vals, partner, keys, pairs):
    """Column entries y_m grouped by pair (sorted by its first state): ``pairs[c] = (y_i, y_π(i))`` (y_i twice for a fixed state); their number."""
    n_keys = 0
    for k in range(count):
        m = rows[k]
        p = partner[m]
        first = m if p >= m else p
        c = 0  # insert sorted by pair, merging
        while c < n_keys and keys[c] < first:
            c += 1
        if c == n_keys or keys[c] != first:
            for q in range(n_keys, c, -1):
                keys[q], pairs[q, 0], pairs[q, 1] = keys[q - 1], pairs[q - 1, 0], pairs[q - 1, 1]
            keys[c], pairs[c, 0], pairs[c, 1] = first, 0.0, 0.0
            n_keys += 1
        if p == m:
            pairs[c, 0] = pairs[c, 1] = vals[k]
        else:
            pairs[c, 0 if m == first else 1] = vals[k]
    return n_keys


@njit(cache=True, inline="always")
def _component(alpha, beta, y1, y2, phi, root, fixed, a_row):
    """⟨a|α y + β A y⟩ for the real-form vector a (u: a_row 0, w: 1; or e of a fixed state) of the pair with entries y1 = y_i, y2 = y_π(i)."""
    z1 = alpha * y1 + beta * phi * np.conj(y2)  # (A y)_i = φ_π(i) y*_π(i), φ_π(i) = φ_i
    if fixed:
        return np.conj(root) * z1
    z2 = alpha * y2 + beta * phi * np.conj(y1)
    if a_row == 0:
        return (z1 + np.conj(phi) * z2) * S2
    return -1j * (z1 - np.conj(phi) * z2) * S2


@njit(cache=True, parallel=True)
def _real_columns(states, norms, P, X, tables, chis, index, L, terms, diag_terms, partner, phase, root, col, worst, drop,
                  indptr, indices, data_re, data_im, fill):
    """Pass 1 (fill=False): bounds of the real-form columns' non-zeros into indptr; pass 2: the
    columns (= rows) from indptr, NaN in unused slots; the largest |imaginary part| per chunk into worst."""
    n = states.size
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        rows = np.empty(terms[4].size + 1, dtype=np.int64)
        vals = np.empty(terms[4].size + 1, dtype=np.complex128)
        keys = np.empty(terms[4].size + 1, dtype=np.int64)
        pairs = np.empty((terms[4].size + 1, 2), dtype=np.complex128)
        for j in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            mate = partner[j]
            if mate < j:
                continue  # second state of a pair: its columns are at the first
            if not fill:
                bound = 2 * column_bound(states[j], terms)
                indptr[col[j] + 1] = bound
                if mate != j:
                    indptr[col[j] + 2] = bound
                continue
            count = column_entries(j, states, norms, P, X, tables, chis, index, L, terms, diag_terms, rows, vals)
            n_keys = _fold(count, rows, vals, partner, keys, pairs)
            for b_row in range(1 if mate == j else 2):
                # the column α|r̃_j⟩ + β|r̃_l⟩ of U: H of it is α y + β φ_j* A y (β' = β φ_j* below)
                alpha = root[j] if mate == j else (S2 + 0.0j if b_row == 0 else 1j * S2)
                beta = 0.0j if mate == j else (S2 + 0.0j if b_row == 0 else -1j * S2)
                start, k = indptr[col[j] + b_row], 0
                for c in range(n_keys):
                    i = keys[c]
                    fixed = partner[i] == i
                    for a_row in range(1 if fixed else 2):
                        v = _component(alpha, beta, pairs[c, 0], pairs[c, 1], phase[i], root[i], fixed, a_row)
                        worst[chunk] = max(worst[chunk], abs(v.imag))
                        if abs(v.real) > drop:
                            indices[start + k], data_re[start + k] = col[i] + a_row, v.real
                            k += 1
                data_re[start + k: indptr[col[j] + b_row + 1]] = np.nan


def standing_wave_matrix(model: Model, reps: Representatives, basis: BlockBasis, form: RealForm) -> sp.csr_matrix:
    """The real symmetric matrix ``U† H U`` of the complex block ``basis``, built without H.

    Parameters
    ----------
    model : Model
        The Hamiltonian (real couplings, :func:`~localpairs.solvers.hilbert.block_matrix.supported`).
    reps : Representatives
        The sector's representatives under the block's group.
    basis : BlockBasis
        The complex block.
    form : RealForm
        Its standing-wave form, from :func:`~localpairs.solvers.hilbert.real_form.standing_wave_form`.

    Returns
    -------
    scipy.sparse.csr_matrix
        The real symmetric matrix (eV), sorted indices.

    Raises
    ------
    ValueError
        When an element's imaginary part exceeds :data:`~localpairs.solvers.hilbert.real_form.IMAGINARY_TOL`
        times the largest coupling-sized element: the form is not A-invariant.
    """
    _threads()
    n = basis.Ns
    width = np.where(form.partner == np.arange(n), 1, np.where(form.partner > np.arange(n), 2, 0))
    col = np.cumsum(width) - width
    worst = np.zeros((n + CHUNK - 1) // CHUNK)
    arguments = kernel_arguments(model, reps, basis)
    couplings = np.concatenate([arguments[-2][4], arguments[-1][4]])
    drop = DROP_TOL * float(np.abs(couplings).max()) if couplings.size else 0.0
    arguments = (*arguments, form.partner, form.phase, np.sqrt(form.phase), col, worst, drop)
    matrix = assemble_csr(_real_columns, arguments, n, is_complex=False)
    scale = float(np.abs(matrix.data).max()) if matrix.nnz else 1.0
    if worst.size and worst.max() > IMAGINARY_TOL * scale:
        raise ValueError(f"U† H U has imaginary parts up to {worst.max():.2e} (scale {scale:.2e}): not a real form")
    return matrix
