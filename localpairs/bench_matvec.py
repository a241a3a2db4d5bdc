"""Achieved bandwidth of the sparse matrix–vector product against the machine's memory bandwidth.

The product ``y = A x`` of a CSR matrix must at least read the values, the column indices and the
row pointers once, read ``x`` and write ``y``:

    bytes = nnz (value + index) + (n + 1) index + n (x item) + n (y item),

and its achieved bandwidth is those bytes over the product's wall time (the fastest of several
repeats). The reference is a STREAM-style triad ``a = b + s c`` on arrays far larger than the
caches: 24 bytes per element fused (compiled with numba: read b, read c, write a), and numpy's
two passes ``a = s c; a += b`` (40 bytes per element moved). The irregular reads of ``x`` (column
indices jump across the vector) are counted once: a cache miss per entry would move far more.

Kernels: SciPy's serial ``csr_matvec`` (what ``eigsh`` and the Lanczos recursion below
:data:`~localpairs.solvers.lanczos.PARALLEL_MATVEC_MIN_DIM` run), QuSpin's OpenMP kernel
(``get_matvec_function``, threads from ``OMP_NUM_THREADS`` at import), and, for a real matrix
and a complex vector, :func:`localpairs.solvers.matvec.serial_product`'s two real products in one
pass. Used by ``benchmarks/bench_matvec.py`` and the ``matvec`` case of ``localpairs bench``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numba
import numpy as np
import scipy.sparse as sp

#: Elements per triad array: 2²⁴ float64 = 134 MB each, four times the 32 MB L3 of this machine.
TRIAD_ELEMENTS = 2**24
#: Repeats of every timing; the fastest counts (other jobs on a shared machine only slow a repeat down).
REPEATS = 15
PARAMS: dict[str, Any] = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)
#: Pause after building a matrix: the builder's numba threads spin for a while after their last
#: parallel loop and slowed the first kernel timed after a k-block build 6× on this 2-core machine.
SETTLE_SECONDS = 1.0


@numba.njit(parallel=True, cache=True)
def _triad_threads(a, b, c, s):  # pragma: no cover - compiled
    for i in numba.prange(a.size):
        a[i] = b[i] + s * c[i]


@numba.njit(cache=True)
def _triad_serial(a, b, c, s):  # pragma: no cover - compiled
    for i in range(a.size):
        a[i] = b[i] + s * c[i]


def best_seconds(func: Callable[[], Any], repeats: int = REPEATS) -> float:
    """Return the fastest wall time of ``repeats`` calls of ``func`` (after one warm-up call).

    Parameters
    ----------
    func : callable
        The work, called without arguments.
    repeats : int
        Timed calls.

    Returns
    -------
    float
        Seconds of the fastest call.
    """
    func()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def triad_bandwidth(*, elements: int = TRIAD_ELEMENTS, threads: int = 1, repeats: int = REPEATS) -> dict[str, float]:
    """Measure the triad bandwidth: ``fused`` (numba, ``threads`` threads, 24 B/element) and ``numpy`` (two passes, 40 B/element).

    With more than one thread numba's worker threads keep spinning for a while after the triad and
    slow down whatever runs next on a 2-core machine: measure products before, or in another process.

    Parameters
    ----------
    elements : int
        Elements per array.
    threads : int
        Numba threads of the fused triad (numpy uses one).
    repeats : int
        Timed repeats; the fastest counts.

    Returns
    -------
    dict of str to float
        GB/s by kind.
    """
    rng = np.random.default_rng(0)
    a, b, c = np.empty(elements), rng.standard_normal(elements), rng.standard_normal(elements)
    if threads > 1:
        numba.set_num_threads(threads)
        fused = best_seconds(lambda: _triad_threads(a, b, c, 3.0), repeats)
    else:
        fused = best_seconds(lambda: _triad_serial(a, b, c, 3.0), repeats)

    def numpy_triad() -> None:
        np.multiply(c, 3.0, out=a)
        np.add(a, b, out=a)

    two_pass = best_seconds(numpy_triad, repeats)
    return {"fused": 24 * elements / fused / 1e9, "numpy": 40 * elements / two_pass / 1e9}


def product_bytes(matrix: sp.csr_matrix, x_dtype: Any, *, data_itemsize: int | None = None) -> int:
    """Count the bytes one product ``y = A x`` must move: values, indices, row pointers, x read, y written.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The Hamiltonian (CSR).
    x_dtype : numpy.dtype
        Type of the vectors it multiplies (float64 or complex128).
    data_itemsize : int, optional
        Bytes per value as the kernel reads them (default the matrix's own).

    Returns
    -------
    int
        Bytes per product.
    """
    n, nnz = matrix.shape[0], matrix.nnz
    value = matrix.data.itemsize if data_itemsize is None else data_itemsize
    y_item = np.dtype(np.result_type(matrix.dtype, x_dtype)).itemsize
    return nnz * (value + matrix.indices.itemsize) + (n + 1) * matrix.indptr.itemsize + n * (np.dtype(x_dtype).itemsize + y_item)


def kernels(matrix: sp.csr_matrix, x_dtype: Any) -> dict[str, tuple[Callable[[np.ndarray, np.ndarray], Any], int]]:
    """Return the kernels that multiply ``matrix`` with vectors of ``x_dtype``.

    ``scipy``: serial ``csr_matvec`` with the values upcast to the vector's type (as SciPy does);
    ``quspin``: QuSpin's OpenMP kernel (mixed real × complex natively); ``ours``: the product the
    Lanczos recursion runs (:func:`~localpairs.solvers.matvec.serial_product`).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The Hamiltonian (CSR).
    x_dtype : numpy.dtype
        Type of the vectors it multiplies (float64 or complex128).

    Returns
    -------
    dict
        Kernel name → (``product(x, out)``, bytes per product).
    """
    from quspin.tools.misc import get_matvec_function
    from scipy.sparse import _sparsetools

    from localpairs.solvers.matvec import serial_product

    n = matrix.shape[0]
    out_dtype = np.result_type(matrix.dtype, x_dtype)
    data = matrix.data.astype(out_dtype, copy=False)

    def scipy_product(x: np.ndarray, out: np.ndarray) -> None:
        out[:] = 0.0
        _sparsetools.csr_matvec(n, n, matrix.indptr, matrix.indices, data, x, out)

    quspin = get_matvec_function(matrix)
    return {
        "scipy": (scipy_product, product_bytes(matrix, x_dtype, data_itemsize=data.itemsize)),
        "quspin": (lambda x, out: quspin(matrix, x, out=out, overwrite_out=True), product_bytes(matrix, x_dtype)),
        "ours": (serial_product(matrix, np.dtype(x_dtype)), product_bytes(matrix, x_dtype)),
    }


def matvec_bandwidth(matrix: sp.csr_matrix, x_dtype: Any, *, repeats: int = REPEATS) -> dict[str, dict[str, float]]:
    """Time every kernel: seconds per product, GB/s achieved, and the largest deviation from SciPy's product.

    Each kernel is timed in a block of its own: taking turns, a serial kernel would run while the
    OpenMP threads of QuSpin's kernel still spin after their product (see also :func:`triad_bandwidth`).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The Hamiltonian (CSR).
    x_dtype : numpy.dtype
        Type of the vectors it multiplies (float64 or complex128).
    repeats : int
        Timed repeats per kernel; the fastest counts.

    Returns
    -------
    dict
        Kernel name → ``{"seconds", "GB/s", "bytes", "deviation"}`` (deviation relative).
    """
    rng = np.random.default_rng(1)
    x = rng.standard_normal(matrix.shape[0]).astype(x_dtype)
    if np.iscomplexobj(x):
        x += 1j * rng.standard_normal(matrix.shape[0])
    out_dtype = np.result_type(matrix.dtype, x_dtype)
    table = kernels(matrix, x_dtype)
    outs = {name: np.empty(matrix.shape[0], dtype=out_dtype) for name in table}
    best = {name: best_seconds(partial(product, x, outs[name]), repeats) for name, (product, _) in table.items()}
    reference = outs["scipy"]
    scale = max(float(np.abs(reference).max()), 1e-300)
    return {name: {"seconds": best[name], "GB/s": nbytes / best[name] / 1e9, "bytes": float(nbytes),
                   "deviation": float(np.abs(outs[name] - reference).max() / scale)} for name, (_, nbytes) in table.items()}


def _model(shape: str, periodic: Any, *, breathing: bool = True) -> Any:
    from localpairs.hamiltonians import extended_hubbard, make_cluster

    return extended_hubbard(make_cluster(shape, periodic=periodic), **{**PARAMS, "breathing": PARAMS["breathing"] if breathing else 0.0})


def sector_matrix(shape: str) -> sp.csr_matrix:
    """Build the real Hamiltonian of the half-filled sector without symmetry (what ``solve``'s eigsh multiplies).

    Parameters
    ----------
    shape : str
        Cluster shape (``"cube"``, ``"2x2x3"``, ...).

    Returns
    -------
    scipy.sparse.csr_matrix
        The matrix (energies in eV).
    """
    from localpairs.solvers import build_basis, hamiltonian_matrix, sector

    model = _model(shape, True)
    return sp.csr_matrix(hamiltonian_matrix(model, build_basis(model, sector(electrons=model.n_sites))))


def block_matrix_of(shape: str, electrons: int, labels: dict[str, int]) -> sp.csr_matrix:
    """Build a momentum block (compiled builder) of the periodic cluster: real at k = 0, complex where the labels make it so.

    Parameters
    ----------
    shape : str
        Cluster shape (``"cube"``, ``"2x2x3"``, ...).
    electrons : int
        Electron number.
    labels : dict of str to int
        Momentum labels ``kx``, ``ky``, ``kz``.

    Returns
    -------
    scipy.sparse.csr_matrix
        The block.
    """
    from localpairs.solvers import sector
    from localpairs.solvers.hilbert.basis import sector_dtype
    from localpairs.solvers.hilbert.block_matrix import Representatives, block_matrix
    from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks

    model = _model(shape, True, breathing=False)  # the breathing pattern breaks the translations
    sec = sector(n_up=(electrons + 1) // 2, n_down=electrons // 2, **labels)
    resolved = resolve_blocks(model, sec.blocks)
    reps = Representatives(resolved, n_sites=model.n_sites, n_up=sec.n_up, n_down=sec.n_down)
    basis = reps.block({n: q for n, (_, _, q) in resolved.items()}, sector_dtype(model, sec))
    return block_matrix(model, reps, basis)


def driven_operator(shape: str) -> tuple[Any, np.ndarray]:
    """Build the evolution's DrivenOperator (pump study's pulse, x open, half filling).

    Parameters
    ----------
    shape : str
        Cluster shape (``"cube"``, ``"2x2x3"``, ...).

    Returns
    -------
    tuple
        The operator and H(t)'s coefficients at the pulse maximum.
    """
    from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
    from localpairs.solvers import build_basis, sector
    from localpairs.solvers.dynamics.driven_operator import DrivenOperator

    model = _model(shape, [False, True, True])
    pulse = gaussian_pulse(photon_energy=2.0, duration=30.0, fluence=8.0, polarization=(1.0, 0.0, 0.0))
    driven = drive(model, pulse=pulse)
    return DrivenOperator(driven, build_basis(model, sector(electrons=model.n_sites))), driven.coefficients_at(pulse.center, 0)


def driven_matrix(shape: str) -> sp.csr_matrix:
    """Build the evolution's complex H(t) at the pulse maximum: the DrivenOperator's assembled CSR (a copy).

    Parameters
    ----------
    shape : str
        Cluster shape (``"cube"``, ``"2x2x3"``, ...).

    Returns
    -------
    scipy.sparse.csr_matrix
        The matrix.
    """
    op, coefs = driven_operator(shape)
    return op.assemble(coefs).copy()


#: Size → the matrices measured: (label, builder, vector dtype).
SIZES: dict[str, list[tuple[str, Callable[[], sp.csr_matrix], Any]]] = {
    "quick": [
        ("2x2x2 sector, real (eigsh)", lambda: sector_matrix("cube"), np.float64),
        ("2x2x2 sector, real H, complex x (XAS)", lambda: sector_matrix("cube"), np.complex128),
        ("2x2x2 H(t), complex (evolution)", lambda: driven_matrix("cube"), np.complex128),
        ("2x2x3 k=0 block, real", lambda: block_matrix_of("2x2x3", 12, dict(kx=0, ky=0, kz=0)), np.float64),
        ("2x2x3 k=0 block, real H, complex x", lambda: block_matrix_of("2x2x3", 12, dict(kx=0, ky=0, kz=0)), np.complex128),
        ("2x2x3 k=(0,0,1) block, complex", lambda: block_matrix_of("2x2x3", 12, dict(kx=0, ky=0, kz=1)), np.complex128),
    ],
}
SIZES["full"] = [
    *SIZES["quick"],
    ("2x2x3 sector, real (eigsh)", lambda: sector_matrix("2x2x3"), np.float64),
    ("2x2x3 sector, real H, complex x (XAS)", lambda: sector_matrix("2x2x3"), np.complex128),
    ("2x2x3 H(t), complex (evolution)", lambda: driven_matrix("2x2x3"), np.complex128),
]
SIZES["sixteen"] = [
    ("2x2x4 N=10 k=0 block, real", lambda: block_matrix_of("2x2x4", 10, dict(kx=0, ky=0, kz=0)), np.float64),
    ("2x2x4 N=10 k=(0,0,1) block, complex", lambda: block_matrix_of("2x2x4", 10, dict(kx=0, ky=0, kz=1)), np.complex128),
]


def measure(size: str, *, repeats: int = REPEATS) -> Iterator[dict[str, Any]]:
    """Measure one row per matrix of ``SIZES[size]``.

    Parameters
    ----------
    size : str
        ``"quick"``, ``"full"`` or ``"sixteen"``.
    repeats : int
        Timed repeats per kernel.

    Yields
    ------
    dict
        Dimension, non-zeros, bytes, and every kernel's GB/s (this process's threads).
    """
    for label, build, x_dtype in SIZES[size]:
        matrix = build()
        time.sleep(SETTLE_SECONDS)
        row: dict[str, Any] = dict(matrix=label, dim=matrix.shape[0], nnz=matrix.nnz, value_bytes=matrix.data.itemsize,
                                   index_bytes=matrix.indices.itemsize, threads=int(os.environ.get("OMP_NUM_THREADS", "0") or 0))
        row.update(matvec_bandwidth(matrix, x_dtype, repeats=repeats))
        del matrix
        yield row
