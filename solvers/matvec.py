"""The single-threaded CSR product ``out = A x`` of the Lanczos recursion, without upcasting a real matrix.

SciPy multiplies a real matrix by a complex vector by first converting the values to complex:
16 instead of 8 bytes per non-zero read on every product, and a complex copy of the values held
for the whole recursion. A complex vector is interleaved (real, imaginary) float64 pairs, so one
compiled pass over the real values (:func:`_real_times_complex`) sums ``A Re x`` and ``A Im x``
together: half the value bytes, no copy, the same real multiply–adds in the same order as the
upcast product (``(a + 0i)(x + iy) = ax + iay`` exactly). SciPy's own multi-vector kernel
(``csr_matvecs`` on the ``(n, 2)`` view) does the same arithmetic but ran 3× slower than the
upcast product here. ``benchmarks/bench_matvec.py`` measures the gain.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools

#: ``product(x, out)`` writes ``A x`` into ``out`` (and returns it).
Product = Callable[[np.ndarray, np.ndarray], np.ndarray]


@numba.njit(cache=True, nogil=True)
def _real_times_complex(indptr, indices, data, x2, out2):  # pragma: no cover - compiled
    """out2 = A x2 for real CSR values and a complex vector seen as interleaved float64 pairs.

    ``indptr`` and ``indices`` are unsigned views: with signed ones numba adds a negative-index
    wraparound to every access of ``x2``, which made this loop 1.5× slower than SciPy's.
    """
    one = numba.uint64(1)
    for i in range(indptr.size - 1):
        re = 0.0
        im = 0.0
        for e in range(indptr[i], indptr[i + one]):
            k = numba.uint64(indices[e]) << one
            a = data[e]
            re += a * x2[k]
            im += a * x2[k + one]
        row = numba.uint64(i) << one
        out2[row] = re
        out2[row + one] = im


def serial_product(matrix: sp.csr_matrix, x_dtype: np.dtype | type) -> Product:
    """Make a single-threaded product ``product(x, out)``: ``out = matrix @ x``.

    A real matrix with complex vectors runs as two real products in one pass (module docstring);
    otherwise SciPy's ``csr_matvec`` with the values cast to ``x_dtype`` (``out`` has that type).
    ``out`` must not alias ``x``.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The matrix, real or complex.
    x_dtype : numpy.dtype or type
        The dtype of the vectors ``x`` and ``out``.

    Returns
    -------
    callable
        ``product(x, out)`` writing ``matrix @ x`` into ``out`` and returning it.
    """
    n_rows, n_cols = matrix.shape
    indptr, indices = matrix.indptr, matrix.indices
    if not np.iscomplexobj(matrix.data) and np.dtype(x_dtype).kind == "c":
        data = matrix.data.astype(np.float64, copy=False)
        unsigned = {4: np.uint32, 8: np.uint64}
        uptr, uidx = indptr.view(unsigned[indptr.itemsize]), indices.view(unsigned[indices.itemsize])  # CSR indices are ≥ 0

        def split(x: np.ndarray, out: np.ndarray) -> np.ndarray:
            _real_times_complex(uptr, uidx, data, x.view(np.float64), out.view(np.float64))
            return out

        return split
    values = matrix.data.astype(x_dtype, copy=False)

    def upcast(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[:] = 0.0
        _sparsetools.csr_matvec(n_rows, n_cols, indptr, indices, values, x, out)
        return out

    return upcast
