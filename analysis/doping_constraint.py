"""The static O K-edge pre-edge peak against hole doping: a constraint on the core-hole potential U_c.

The review (Sec. 6, its refs. 25, 33, 58) reports that the O K-edge pre-edge peak of
Ba₁₋ₓKₓBiO₃ lies ~1 eV *lower* than in BaBiO₃. The model's counterpart: the static XAS of the
parent cluster (x = 0) and of a hole-doped one (fewer large octahedra, two electrons fewer per
pair removed), both on one photon-energy axis (the same offset: the O 1s level does not move with
doping in the model), and the shift of the pre-edge peak (:func:`pre_edge_shift`). Where the
shift as a function of U_c meets the measured one within the tolerance, U_c is allowed
(:func:`allowed_core_hole`).

Tolerance (:data:`SHIFT_TOLERANCE_DERIVATION`): the review gives "~1 eV" without an error bar,
one significant figure, so every shift from 0.5 to 1.5 eV would be quoted so: a reading tolerance
of 0.5 eV, combined in quadrature with the model's uncertainty of the two peak positions
(:func:`~localpairs.analysis.xas_peaks.pre_edge_extremum`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from localpairs.analysis.xas_peaks import PRE_EDGE_FRACTION, pre_edge_extremum
from localpairs.errors import require

#: Reading tolerance of a number quoted as "~1 eV" (one significant figure), eV.
READING_TOLERANCE = 0.5
SHIFT_TOLERANCE_DERIVATION = (
    "tol = sqrt(0.5² + σ_parent² + σ_doped²) eV: the review quotes the shift as '~1 eV' with no error bar (one significant "
    "figure: 0.5–1.5 eV read alike, hence ±0.5 eV), and σ are the model's pre-edge position uncertainties "
    "sqrt(h²/12 + (FWHM/2)²)"
)


@dataclass(frozen=True)
class PreEdgeShift:
    """Pre-edge peak of the parent and the doped spectrum (eV, one axis), the shift doped − parent and its uncertainty.

    Parameters
    ----------
    parent
        Pre-edge peak of the parent (eV).
    doped
        Pre-edge peak of the doped cluster (eV).
    error
        Uncertainty of the shift (eV).
    """

    parent: float
    doped: float
    error: float

    @property
    def shift(self) -> float:
        """E_pre(doped) − E_pre(parent), eV (negative: lower photon energy on doping, as measured)."""
        return self.doped - self.parent


def pre_edge_shift(energy: ArrayLike, parent: ArrayLike, doped: ArrayLike, *, broadening_fwhm: float = 0.0,
                   fraction: float = PRE_EDGE_FRACTION) -> PreEdgeShift:
    """Shift of the pre-edge peak (the lowest local maximum with ≥ ``fraction`` of the maximum, refined) on doping.

    Parameters
    ----------
    energy
        Photon energies (eV) shared by both spectra (one offset).
    parent, doped
        Static XAS of the parent and of the doped cluster on ``energy``.
    broadening_fwhm
        Line FWHM (eV) entering each position's uncertainty.
    fraction
        Threshold of a peak relative to each spectrum's own maximum.

    Returns
    -------
    PreEdgeShift
        Both peaks and the shift's uncertainty.
    """
    a = pre_edge_extremum(energy, parent, fraction=fraction, broadening_fwhm=broadening_fwhm)
    b = pre_edge_extremum(energy, doped, fraction=fraction, broadening_fwhm=broadening_fwhm)
    return PreEdgeShift(a.energy, b.energy, math.hypot(a.energy_error, b.energy_error))


def shift_tolerance(error: float) -> float:
    """The tolerance sqrt(READING_TOLERANCE² + error²): the tolerance of one model shift with position uncertainty ``error`` (eV).

    Parameters
    ----------
    error
        Position uncertainty of the model shift (eV).

    Returns
    -------
    float
        The tolerance (eV).
    """
    return math.hypot(READING_TOLERANCE, error)


def allowed_core_hole(U_c: Sequence[float], shifts: Sequence[float], errors: Sequence[float], *, measured: float) -> dict[str, Any]:
    """The U_c values whose model shift meets ``measured`` within :func:`shift_tolerance`, and their range.

    Parameters
    ----------
    U_c
        Core-hole potentials (eV), distinct.
    shifts, errors
        Model shift and its uncertainty at each U_c (eV).
    measured
        Measured shift (eV, negative: to lower energy).

    Returns
    -------
    dict
        ``allowed`` (bool per U_c, in the given order), ``values`` (the allowed U_c, sorted), ``range``
        ([min, max] of them, or None), ``tolerances`` (per U_c) and ``contiguous`` (whether the
        allowed values are a run of neighbours on the sorted grid; if not, ``range`` spans gaps).
    """
    u = np.asarray(U_c, dtype=float)
    s, e = np.asarray(shifts, dtype=float), np.asarray(errors, dtype=float)
    require(u.ndim == 1 and u.size >= 1 and s.shape == u.shape and e.shape == u.shape, "shifts", f"{s.shape} and {e.shape}",
            f"one shift and one error per U_c ({u.size})")
    require(bool(np.all(np.isfinite(np.concatenate([u, s, e])))), "shifts", "non-finite", "finite U_c, shifts and errors")
    require(np.unique(u).size == u.size, "U_c", U_c, "distinct values")
    tol = np.array([shift_tolerance(float(x)) for x in e])
    ok = np.abs(s - measured) <= tol
    order = np.argsort(u)
    runs = np.flatnonzero(ok[order])
    values = sorted(float(v) for v in u[ok])
    return {"allowed": [bool(v) for v in ok], "values": values, "range": [values[0], values[-1]] if values else None,
            "tolerances": tol.tolist(), "contiguous": bool(runs.size == 0 or runs[-1] - runs[0] + 1 == runs.size)}
