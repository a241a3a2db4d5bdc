"""Test-session settings: one OpenMP/BLAS thread per test process.

The suite runs with two xdist workers on a 2-core machine; threaded QuSpin kernels and BLAS in
both workers oversubscribe the cores (measured: 58 s → 17 s for the spectra tests). Set before
QuSpin or numpy is imported by any test module.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
