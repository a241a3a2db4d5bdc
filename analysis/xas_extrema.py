"""Refined extrema of a spectrum on an energy grid: the building blocks of the ΔXAS peak readers.

A peak is a local extremum on the grid (not lower, resp. not higher, than both grid neighbours;
the first and last grid points never qualify) whose size exceeds ``min_amplitude`` times the
largest |ΔXAS| in the window (default :data:`DEFAULT_MIN_AMPLITUDE`). Positions and amplitudes
are refined by the vertex of the parabola through the extremal grid point and its two neighbours
(works on non-uniform grids), with the position uncertainty σ_E = sqrt(h²/12 + (Γ/2)²) of
:mod:`localpairs.analysis.xas_peaks`. Energies in eV. The readers of one spectrum are
:mod:`localpairs.analysis.xas_peaks`, the tracking of peak A through delays
:mod:`localpairs.analysis.xas_peak_track`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from localpairs.errors import InputError, require

#: Default relative peak threshold: a peak must exceed 5 % of the largest |ΔXAS| in the window.
#: Measured ΔXAS have noise of a few % of the signal (review Fig. 6b); model spectra have small
#: wiggles from discrete cluster levels. Both stay below it.
DEFAULT_MIN_AMPLITUDE = 0.05


@dataclass(frozen=True)
class Extremum:
    """One refined extremum: position (eV), amplitude, position uncertainty (eV).

    Attributes
    ----------
    energy : float
        Position in eV (the parabola vertex, or the grid point when not ``interpolated``).
    amplitude : float
        Value of the spectrum at the extremum (the vertex value; negative for a minimum of ΔXAS).
    energy_error : float
        Position uncertainty sqrt(h²/12 + (Γ/2)²) in eV.
    at_edge : bool
        The extremal grid point is the first or last point of the window (the feature may
        continue outside it).
    interpolated : bool
        False if the grid point itself is returned because it has no neighbour on one side.
    """

    energy: float
    amplitude: float
    energy_error: float
    at_edge: bool
    interpolated: bool


def _as_grid(energy: ArrayLike) -> NDArray[np.float64]:
    e = np.asarray(energy, dtype=float)
    require(e.ndim == 1 and e.size >= 3, "energy", f"shape {e.shape}", "a 1D array of at least 3 energies")
    require(bool(np.all(np.isfinite(e))), "energy", "contains NaN/inf", "finite energies")
    require(bool(np.all(np.diff(e) > 0)), "energy", "not strictly increasing", "strictly increasing energies")
    return e


def _check_window(e: NDArray[np.float64], window: tuple[float, float] | None) -> NDArray[np.bool_]:
    if window is None:
        return np.ones(e.size, dtype=bool)
    lo, hi = (float(v) for v in window)
    require(lo < hi, "window", window, "a pair (low, high) with low < high in eV")
    mask = (e >= lo) & (e <= hi)
    require(int(mask.sum()) >= 1, "window", window, f"a window containing grid points (grid {e[0]}…{e[-1]} eV)")
    return mask


def _vertex(e: NDArray[np.float64], y: NDArray[np.float64], i: int) -> tuple[float, float]:
    """Vertex (x, y) of the parabola through points i−1, i, i+1 (any spacing)."""
    x0, x1, x2 = e[i - 1], e[i], e[i + 1]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    # Divided differences: p(x) = y1 + b (x − x1) + c (x − x1)²
    d01 = (y1 - y0) / (x1 - x0)
    d12 = (y2 - y1) / (x2 - x1)
    c = (d12 - d01) / (x2 - x0)
    b = d01 + c * (x1 - x0)
    if c == 0.0:
        return float(x1), float(y1)
    dx = -b / (2.0 * c)
    dx = float(np.clip(dx, x0 - x1, x2 - x1))  # a true extremum of the samples lies in [x0, x2]
    return float(x1 + dx), float(y1 + b * dx + c * dx * dx)


def _refine(e: NDArray[np.float64], y: NDArray[np.float64], idx: NDArray[np.intp], i: int, broadening: float) -> Extremum:
    at_edge = i in (idx[0], idx[-1])
    if 0 < i < e.size - 1:
        pos, amp = _vertex(e, y, i)
        h = 0.5 * (e[i + 1] - e[i - 1])
        interpolated = True
    else:
        pos, amp = float(e[i]), float(y[i])
        h = float(e[1] - e[0]) if i == 0 else float(e[-1] - e[-2])
        interpolated = False
    err = float(np.sqrt(h * h / 12.0 + (broadening / 2.0) ** 2))
    return Extremum(energy=pos, amplitude=amp, energy_error=err, at_edge=bool(at_edge), interpolated=interpolated)


def _threshold(y: NDArray[np.float64], idx: NDArray[np.intp], min_amplitude: float) -> float:
    """Absolute threshold ``min_amplitude × max |y|`` over the window points ``idx``."""
    require(0.0 <= min_amplitude < 1.0, "min_amplitude", min_amplitude,
            "a fraction in [0, 1) of the largest |ΔXAS| in the window (0.05 ignores wiggles below 5 %)")
    return float(min_amplitude * np.max(np.abs(y[idx])))


def _best_peak(y: NDArray[np.float64], idx: NDArray[np.intp], threshold: float) -> int | None:
    """Index of the largest local maximum of ``y`` in ``idx`` with ``y > threshold`` (and > 0), or None.

    A local maximum is a grid point not lower than its two grid neighbours (neighbours may lie
    outside the window); the first and last grid points are never peaks (one side unknown).
    """
    inner = idx[(idx > 0) & (idx < y.size - 1)]
    is_max = (y[inner] >= y[inner - 1]) & (y[inner] >= y[inner + 1]) & (y[inner] > threshold) & (y[inner] > 0.0)
    cand = inner[is_max]
    return int(cand[np.argmax(y[cand])]) if cand.size else None


def _no_peak(field: str, which: str, y: NDArray[np.float64], idx: NDArray[np.intp], threshold: float,
             min_amplitude: float, window: tuple[float, float] | None, where: str = "") -> InputError:
    sign = "positive" if which == "A" else "negative"
    extreme = float(np.max(y[idx])) if which == "A" else float(np.min(y[idx]))
    return InputError(
        field, f"{'max' if which == 'A' else 'min'} {extreme:.4g}{where} in window {window}",
        f"a {sign} peak {which} (a local extremum of ΔXAS, not the first or last grid point) whose size exceeds "
        f"min_amplitude = {min_amplitude:g} × max|ΔXAS| in the window = {threshold:.4g}: none found (no peak above threshold)",
    )


def _checked_dxas(energy: ArrayLike, dxas: ArrayLike, window: tuple[float, float] | None, broadening_fwhm: float,
                  min_amplitude: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Energy grid, ΔXAS, indices of ``window`` and the peak threshold, after the input checks of the peak readers."""
    e = _as_grid(energy)
    y = np.asarray(dxas, dtype=float)
    require(y.shape == e.shape, "dxas", f"shape {y.shape}", f"the shape of energy, {e.shape}")
    require(bool(np.all(np.isfinite(y))), "dxas", "contains NaN/inf", "finite ΔXAS values")
    require(broadening_fwhm >= 0, "broadening_fwhm", broadening_fwhm, "a non-negative FWHM in eV")
    idx = np.flatnonzero(_check_window(e, window))
    thr = _threshold(y, idx, min_amplitude)
    return e, y, idx, thr
