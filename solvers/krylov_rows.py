"""The Lanczos vectors of a run kept as rows of chunks, within a process-wide memory limit.

:class:`KrylovRows` is what :class:`~localpairs.solvers.lanczos_lowest.LowestRun` passes to
:func:`~localpairs.solvers.lanczos.lanczos_recursion` as its ``vectors`` when it keeps them: the
eigenvector is then one pass over the rows (a matrix–vector product per chunk) instead of a second
Lanczos pass.
"""

from __future__ import annotations

import numpy as np

from localpairs.errors import LocalPairsError
from localpairs.solvers.ed.blas_threads import single_threaded_blas

#: Lanczos vectors per chunk (one matrix–vector product over a chunk forms its share of an eigenvector).
CHUNK_ROWS = 16


class KrylovRows:
    """The Lanczos vectors of a run, kept as rows of chunks allocated as the run grows (no copies).

    Passed to :func:`~localpairs.solvers.lanczos.lanczos_recursion` as its ``vectors``: at step j
    the recursion reads rows ``j − 1`` and j and writes row ``j + 1`` (row 0: the start). The
    chunks of every live instance together stay within :attr:`limit_bytes`: a run that would pass
    it, or that :meth:`forget` is called on, goes on with the last two rows in a ring of three
    (:attr:`kept` False; its eigenvector then needs a second pass).

    Parameters
    ----------
    dim : int
        Vector length.
    dtype : numpy.dtype
        Vector dtype.
    """

    #: Bytes all live instances may hold together (the 16-site scan keeps about 0.8 GB per block).
    limit_bytes: int = 1_500_000_000
    _live_bytes: int = 0

    def __init__(self, dim: int, dtype: np.dtype) -> None:
        self.dim, self.dtype = dim, np.dtype(dtype)
        self._chunks: list[np.ndarray] = []
        self._ring: np.ndarray | None = None

    @property
    def kept(self) -> bool:
        """Whether every row written so far is still held."""
        return self._ring is None

    @property
    def nbytes(self) -> int:
        """Bytes held in chunks."""
        return sum(c.nbytes for c in self._chunks)

    def __getitem__(self, j: int) -> np.ndarray:
        """Row j (its chunk allocated on first use, or its ring slot).

        Parameters
        ----------
        j : int
            Row index (rows are requested in order, at most one past the last written).

        Returns
        -------
        numpy.ndarray
            A view of the row.
        """
        if self._ring is not None:
            return self._ring[j % 3]
        if len(self._chunks) <= j // CHUNK_ROWS:
            size = CHUNK_ROWS * self.dim * self.dtype.itemsize
            if KrylovRows._live_bytes + size > KrylovRows.limit_bytes:
                self.forget(j - 1)
                return self[j]
            self._chunks.append(np.empty((CHUNK_ROWS, self.dim), dtype=self.dtype))
            KrylovRows._live_bytes += size
        return self._chunks[j // CHUNK_ROWS][j % CHUNK_ROWS]

    def __setitem__(self, j: int, value: np.ndarray) -> None:
        """Write row j.

        Parameters
        ----------
        j : int
            Row index.
        value : numpy.ndarray
            The vector.
        """
        self[j][...] = value

    def forget(self, last: int) -> None:
        """Free the chunks, keeping rows ``last − 1`` and ``last`` (what the recursion reads next) in a ring.

        Parameters
        ----------
        last : int
            The last row written.
        """
        if self._ring is not None:
            return
        ring = np.empty((3, self.dim), dtype=self.dtype)
        for j in (last - 1, last):
            if 0 <= j < len(self._chunks) * CHUNK_ROWS:
                ring[j % 3] = self._chunks[j // CHUNK_ROWS][j % CHUNK_ROWS]
        self._release_chunks()
        self._ring = ring

    def _release_chunks(self) -> None:
        KrylovRows._live_bytes -= self.nbytes
        self._chunks = []

    def __del__(self) -> None:
        self._release_chunks()

    def combine(self, coefficients: np.ndarray) -> np.ndarray:
        """``Σ_j c_j v_j`` over the first ``len(coefficients)`` rows, one product per chunk.

        Parameters
        ----------
        coefficients : numpy.ndarray
            The coefficients ``c_j``.

        Returns
        -------
        numpy.ndarray
            The combination (a new vector).

        Raises
        ------
        LocalPairsError
            When the rows are no longer kept.
        """
        if not self.kept:
            raise LocalPairsError("the Lanczos vectors were not kept: regenerate them")
        out = np.zeros(self.dim, dtype=np.result_type(self.dtype, coefficients.dtype))
        with single_threaded_blas():  # memory-bound; threaded BLAS next to the OpenMP products only waits on a shared machine
            for i in range(0, coefficients.size, CHUNK_ROWS):
                part = coefficients[i: i + CHUNK_ROWS]
                out += part @ self._chunks[i // CHUNK_ROWS][: part.size]
        return out
