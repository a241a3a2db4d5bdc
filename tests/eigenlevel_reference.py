"""Independent long-probe XAS for tests: full diagonalization, each eigenlevel from its own energy.

Σ_E ‖P_E ψ‖² XAS[P_E ψ/‖P_E ψ‖; E_ref = E] over the distinct eigenvalues E of the dense H (levels
closer than :data:`DEGENERATE` are one level: they do not dephase in a long probe).
"""

import math
from collections.abc import Callable

import numpy as np

#: Eigenvalues closer than this are one level, probed together.
DEGENERATE = 1e-8


def per_eigenlevel_xas(xas_of: Callable[[np.ndarray, float], np.ndarray], energies: np.ndarray, vecs: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Σ_E ‖P_E ψ‖² ``xas_of(P_E ψ/‖P_E ψ‖, E)``; ``energies``/``vecs`` from ``numpy.linalg.eigh`` of the dense H."""
    coef = vecs.conj().T @ psi
    total, i = 0.0, 0
    while i < energies.size:
        j = i + 1
        while j < energies.size and energies[j] - energies[i] < DEGENERATE:
            j += 1
        comp = vecs[:, i:j] @ coef[i:j]
        weight = float(np.vdot(comp, comp).real)
        if weight > 1e-28:
            total = total + weight * xas_of(comp / math.sqrt(weight), float(energies[i:j].mean()))
        i = j
    return np.asarray(total, dtype=float)
