"""Peaks A and B of a difference spectrum ΔXAS(ω) = XAS_excited − XAS_ground.

Following the XFEL analysis (Menushenkov et al., PRR 6, 023307 (2024); review Sec. 4), peak A is
the largest positive value and peak B the most negative value of ΔXAS inside an energy window
(the pre-edge region). Positions and amplitudes are refined by the vertex of the parabola through
the extremal grid point and its two neighbours (works on non-uniform grids). Energies in eV.

Uncertainty of a position (documented, deterministic, not statistical):

    σ_E = sqrt(h²/12 + (Γ/2)²)

with h the mean of the two grid spacings around the extremum (h²/12 is the variance of a position
known only to within one grid cell) and Γ the broadening FWHM (instrument resolution and core-hole
lifetime; two features closer than about Γ/2 cannot be told apart). The separation A − B gets
sqrt(σ_A² + σ_B²).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from localpairs.errors import InputError, require


@dataclass(frozen=True)
class Extremum:
    """One refined extremum: position (eV), amplitude, position uncertainty (eV).

    ``at_edge`` is true if the extremal grid point is the first or last point of the window (the
    feature may continue outside it); ``interpolated`` is false if the grid point itself is
    returned because it has no neighbour on one side.
    """

    energy: float
    amplitude: float
    energy_error: float
    at_edge: bool
    interpolated: bool


@dataclass(frozen=True)
class PeakPair:
    """Peaks A (positive) and B (negative) of one ΔXAS spectrum."""

    a: Extremum
    b: Extremum

    @property
    def separation(self) -> float:
        """E_A − E_B in eV (negative when A lies below B, as in BaBiO₃)."""
        return self.a.energy - self.b.energy

    @property
    def separation_error(self) -> float:
        """Uncertainty of :attr:`separation`, sqrt(σ_A² + σ_B²)."""
        return float(np.hypot(self.a.energy_error, self.b.energy_error))


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


def find_ab_peaks(energy: ArrayLike, dxas: ArrayLike, *, window: tuple[float, float] | None = None,
                  broadening_fwhm: float = 0.0, min_amplitude: float = 0.0) -> PeakPair:
    """Locate peak A (largest positive) and B (most negative) of ΔXAS within ``window``.

    Parameters
    ----------
    energy
        Strictly increasing photon energies in eV.
    dxas
        ΔXAS values on ``energy``.
    window
        ``(low, high)`` in eV, inclusive; ``None`` uses the whole grid.
    broadening_fwhm
        Broadening FWHM Γ in eV entering the uncertainty (see module docstring).
    min_amplitude
        A feature counts only if ``|ΔXAS| > min_amplitude`` (e.g. the noise level).

    Raises
    ------
    InputError
        Mismatched, unsorted or non-finite arrays; an empty window; no positive (field
        ``dxas``, "peak A") or no negative (``dxas``, "peak B") feature in the window.
    """
    e = _as_grid(energy)
    y = np.asarray(dxas, dtype=float)
    require(y.shape == e.shape, "dxas", f"shape {y.shape}", f"the shape of energy, {e.shape}")
    require(bool(np.all(np.isfinite(y))), "dxas", "contains NaN/inf", "finite ΔXAS values")
    require(broadening_fwhm >= 0, "broadening_fwhm", broadening_fwhm, "a non-negative FWHM in eV")
    require(min_amplitude >= 0, "min_amplitude", min_amplitude, "a non-negative threshold")
    idx = np.flatnonzero(_check_window(e, window))
    ia = int(idx[np.argmax(y[idx])])
    ib = int(idx[np.argmin(y[idx])])
    if not y[ia] > min_amplitude:
        raise InputError("dxas", f"max {y[ia]:.4g} in window {window}",
                         f"a positive feature (peak A) above {min_amplitude} in the window")
    if not y[ib] < -min_amplitude:
        raise InputError("dxas", f"min {y[ib]:.4g} in window {window}",
                         f"a negative feature (peak B) below {-min_amplitude} in the window")
    b = _refine(e, -y, idx, ib, broadening_fwhm)  # a minimum of y is a maximum of −y
    b = Extremum(b.energy, -b.amplitude, b.energy_error, b.at_edge, b.interpolated)
    return PeakPair(a=_refine(e, y, idx, ia, broadening_fwhm), b=b)


@dataclass(frozen=True)
class PeakTrack:
    """Position of peak A against delay. Entries where no peak was found are NaN, ``found`` False."""

    delay: NDArray[np.float64]
    energy: NDArray[np.float64]
    energy_error: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    found: NDArray[np.bool_]

    def shift(self, *, reference_delay: float) -> NDArray[np.float64]:
        """E_A(t) − E_A(t_ref) in eV, with t_ref the delay closest to ``reference_delay``."""
        i = int(np.argmin(np.abs(self.delay - reference_delay)))
        require(bool(self.found[i]), "reference_delay", reference_delay, "a delay at which peak A was found")
        return self.energy - self.energy[i]


def peak_a_vs_delay(energy: ArrayLike, delay: ArrayLike, dxas: ArrayLike, *, window: tuple[float, float] | None = None,
                    broadening_fwhm: float = 0.0, min_amplitude: float = 0.0, skip_missing: bool = False) -> PeakTrack:
    """Track peak A (largest positive ΔXAS in ``window``) through a 2D map ΔXAS(ω, t).

    Parameters
    ----------
    energy
        Photon energies (eV), strictly increasing, length n_ω.
    delay
        Pump–probe delays (any time unit), length n_t; need not be sorted but must be finite.
    dxas
        Array of shape (n_ω, n_t): ``dxas[i, j]`` = ΔXAS(energy[i], delay[j]).
    window, broadening_fwhm, min_amplitude
        As in :func:`find_ab_peaks` (only peak A is required here).
    skip_missing
        If false (default) a delay without a positive feature raises :class:`InputError`; if true
        that entry is NaN and ``found`` is False.
    """
    e = _as_grid(energy)
    t = np.asarray(delay, dtype=float)
    require(t.ndim == 1 and t.size >= 1, "delay", f"shape {t.shape}", "a 1D array of delays")
    require(bool(np.all(np.isfinite(t))), "delay", "contains NaN/inf", "finite delays")
    z = np.asarray(dxas, dtype=float)
    require(z.shape == (e.size, t.size), "dxas", f"shape {z.shape}", f"shape (len(energy), len(delay)) = {(e.size, t.size)}")
    require(bool(np.all(np.isfinite(z))), "dxas", "contains NaN/inf", "finite ΔXAS values")
    require(broadening_fwhm >= 0, "broadening_fwhm", broadening_fwhm, "a non-negative FWHM in eV")
    idx = np.flatnonzero(_check_window(e, window))
    out = np.full((3, t.size), np.nan)
    found = np.zeros(t.size, dtype=bool)
    for j in range(t.size):
        y = z[:, j]
        ia = int(idx[np.argmax(y[idx])])
        if not y[ia] > min_amplitude:
            if skip_missing:
                continue
            raise InputError(f"dxas[:, {j}]", f"max {y[ia]:.4g} at delay {t[j]}",
                             f"a positive feature (peak A) above {min_amplitude} in the window {window}")
        ex = _refine(e, y, idx, ia, broadening_fwhm)
        out[:, j] = ex.energy, ex.energy_error, ex.amplitude
        found[j] = True
    return PeakTrack(delay=t, energy=out[0], energy_error=out[1], amplitude=out[2], found=found)
