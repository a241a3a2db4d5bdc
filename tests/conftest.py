"""Test-session settings: one OpenMP/BLAS thread per test process; the Agg matplotlib backend.

The suite runs with two xdist workers on a 2-core machine; threaded QuSpin kernels and BLAS in
both workers oversubscribe the cores (measured: 58 s → 17 s for the spectra tests). Set before
QuSpin or numpy is imported by any test module.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Figures are written to files, never shown: the Agg backend, as the command line selects it. The
# library does not choose a backend at import (a notebook keeps its own).
import matplotlib  # noqa: E402

matplotlib.use("Agg")
