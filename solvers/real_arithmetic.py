"""Real arithmetic where a complex vector is a global phase times a real one.

A real Hamiltonian applied to ``e^{iγ} r`` with ``r`` real keeps the phase: Lanczos, Krylov and
resolvent work can run on ``r`` in float64 (half the memory of complex128, faster products) and
the phase is put back at the end. :func:`real_form` finds that phase and :func:`real_csr` the
float64 copy of a real-valued matrix (used by the linear-response state, the optical transitions
and the windowed XAS).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: Largest imaginary part (relative to the largest entry) of a vector, after division by its
#: phase, that still counts as real (:func:`real_form`; eigensolver round-off is ~1e-15 relative).
REAL_TOL = 1e-13


def real_form(vector: np.ndarray) -> tuple[complex, np.ndarray] | None:
    """Split a vector into a global phase and a real vector, ``vector = e^{iγ} r``, if it has one.

    The phase is read off the largest entry; real means an imaginary part after division by the
    phase of at most :data:`REAL_TOL` of that entry (eigenvector round-off). Real arithmetic on
    ``r`` takes half the memory and faster products.

    Parameters
    ----------
    vector : numpy.ndarray
        The vector, real or complex.

    Returns
    -------
    tuple of (complex, numpy.ndarray) or None
        ``(e^{iγ}, r)`` with ``r`` float64, or None when no global phase makes it real.
    """
    vector = np.asarray(vector)
    if not np.iscomplexobj(vector):
        return 1.0 + 0j, vector.astype(np.float64, copy=False)
    k = int(np.argmax(np.abs(vector)))
    top = abs(vector[k])
    if top == 0.0:
        return 1.0 + 0j, np.zeros(vector.size)
    phase = complex(vector[k] / top)
    rotated = vector * phase.conjugate()
    if float(np.abs(rotated.imag).max()) > REAL_TOL * top:
        return None
    return phase, np.ascontiguousarray(rotated.real)


def real_csr(matrix: sp.csr_matrix) -> sp.csr_matrix | None:
    """Make a float64 CSR copy of ``matrix`` sharing its index arrays, if every entry is real.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The matrix, real or complex.

    Returns
    -------
    scipy.sparse.csr_matrix or None
        The real copy, or None when an entry has a non-zero imaginary part.
    """
    data = matrix.data
    if np.iscomplexobj(data):
        if np.any(data.imag != 0.0):
            return None
        data = data.real.copy()
    real = sp.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape, copy=False)
    real.has_sorted_indices = matrix.has_sorted_indices
    return real
