"""Core-hole placements of the O K-edge XAS: which octahedra the final-state ``U_c`` acts on.

The placements and their physics are described in the module docstring of
:mod:`~localpairs.solvers.spectra.xas`, which re-exports everything defined here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from localpairs.errors import require

#: Named core-hole placements of ``xas(core_hole=...)`` (see the module docstring of :mod:`~localpairs.solvers.spectra.xas`).
CORE_HOLES = ("both", "site", "site_i", "site_j", "receiving")
#: What ``core_hole`` takes: a name of :data:`CORE_HOLES` or per-octahedron weights ``(w_i, w_j)``.
CoreHole = str | Sequence[float]


def check_core_hole(core_hole: Any, *, coherence: str = "incoherent") -> str | tuple[float, float]:
    """Check a core-hole placement: a name of :data:`CORE_HOLES` or a pair of finite weights.

    Parameters
    ----------
    core_hole : Any
        A name of :data:`CORE_HOLES` or weights ``(w_i, w_j)`` for the octahedra at the bond's
        i and j ends.
    coherence : str, optional
        ``"incoherent"`` (default) or ``"coherent"`` (the operator D = (c†_i − c†_j)/√2).

    Returns
    -------
    str or tuple of float
        The name, or the weights as floats.

    Raises
    ------
    InputError
        Naming the field ``core_hole`` for anything else, and for ``"receiving"`` with the
        coherent operator (which puts the electron on both octahedra at once).
    """
    if isinstance(core_hole, str):
        require(core_hole in CORE_HOLES, "core_hole", core_hole, f"one of {CORE_HOLES} or two weights (w_i, w_j)")
        require(not (core_hole == "receiving" and coherence == "coherent"), "core_hole", core_hole,
                "a placement defined for the coherent operator D = (c†_i − c†_j)/√2: 'both', 'site', 'site_i', 'site_j' or (w_i, w_j)")
        return core_hole
    ok = isinstance(core_hole, Sequence) and len(core_hole) == 2
    ok = ok and all(isinstance(w, (int, float, np.floating)) and not isinstance(w, bool) and np.isfinite(w) for w in core_hole)
    require(ok, "core_hole", core_hole, f"one of {CORE_HOLES} or two finite weights (w_i, w_j) for the octahedra at the bond's i and j ends")
    return float(core_hole[0]), float(core_hole[1])


#: Report wording of each named placement (:func:`describe_core_hole`).
_PLACEMENT_TEXT = {
    "both": "on both octahedra next to the oxygen",
    "site": "on one octahedron next to the oxygen (single-site core hole, averaged over the two)",
    "site_i": "on the octahedron at the bond's i end only (single-site core hole)",
    "site_j": "on the octahedron at the bond's j end only (single-site core hole)",
    "receiving": "on the octahedron that takes the electron (single-site core hole)",
}


def describe_core_hole(core_hole: CoreHole) -> str:
    """Describe where ``U_c`` acts, in words for a report.

    Parameters
    ----------
    core_hole : str or sequence of float
        A placement accepted by :func:`check_core_hole`.

    Returns
    -------
    str
        E.g. ``"on both octahedra next to the oxygen"`` for ``"both"``.
    """
    core_hole = check_core_hole(core_hole)
    if isinstance(core_hole, str):
        return _PLACEMENT_TEXT[core_hole]
    return f"with weights w_i = {core_hole[0]:g}, w_j = {core_hole[1]:g} on the octahedra at the bond's i and j ends"
