"""Pin the BLAS libraries loaded in this process to one thread for a stretch of code.

ARPACK (``scipy.sparse.linalg.eigsh``) orthogonalizes its Lanczos vectors with BLAS calls of a few
vectors of the block's length. OpenBLAS runs them on all its threads, and on a shared 2-core machine
those threads wait for each other: on the 207,376-state k = 0 block of the 2×2×4 cluster at
N = 8 (load ≈ 23, both runs in one process) ``eigsh`` for four levels took 36 s for 223 products
of 22 ms each, against 21 s with BLAS on one thread (the products on two OpenMP threads);
``benchmarks/bench_16_sites.py --only x0375_paths`` compares whole blocks. :func:`single_threaded_blas` sets every loaded OpenBLAS
(NumPy's and SciPy's copies) to one thread and restores the previous counts afterwards; it does
nothing where no OpenBLAS with the usual entry points is loaded.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator
from functools import cache

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_", "openblas_set_num_threads")


@cache
def _openblas_controls(paths: frozenset[str]) -> tuple:
    """``(set, get)`` entry points of every OpenBLAS among ``paths``."""
    out = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            getter = name.replace("_set_", "_get_")
            if hasattr(lib, name) and hasattr(lib, getter):
                out.append((getattr(lib, name), getattr(lib, getter)))
                break
    return tuple(out)


def _loaded_openblas() -> frozenset[str]:
    try:
        with open("/proc/self/maps") as fh:
            return frozenset(line.split()[-1] for line in fh if "openblas" in line.rsplit("/", 1)[-1].lower())
    except OSError:
        return frozenset()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[int]:
    """Run the block with every loaded OpenBLAS on one thread.

    Yields
    ------
    int
        How many OpenBLAS libraries were pinned to one thread (restored on exit).
    """
    controls = _openblas_controls(_loaded_openblas())
    before = [int(get()) for _, get in controls]
    for setter, _ in controls:
        setter(1)
    try:
        yield len(controls)
    finally:
        for (setter, _), n in zip(controls, before):
            setter(max(n, 1))
