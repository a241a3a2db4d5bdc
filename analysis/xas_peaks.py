"""Peaks A and B of a difference spectrum ΔXAS(ω) = XAS_excited − XAS_ground.

Following the XFEL analysis (Menushenkov et al., PRR 6, 023307 (2024); review Sec. 4), peak A is
the largest positive peak and peak B the deepest negative peak of ΔXAS inside an energy window
(the pre-edge region). A peak is a local extremum on the grid (not lower, resp. not higher, than
both grid neighbours; the first and last grid points never qualify) whose size exceeds
``min_amplitude`` times the largest |ΔXAS| in the window (default :data:`~localpairs.analysis.xas_extrema.DEFAULT_MIN_AMPLITUDE`):
wiggles at the noise level are never reported, and a window without such a peak is an error that
says so ("no peak above threshold"), never a NaN. With ``a_below_b`` peak A is sought only at
lower photon energy than B, as identified in the experiment. Positions and amplitudes are refined by the
vertex of the parabola through the extremal grid point and its two neighbours (works on
non-uniform grids). Energies in eV.

Uncertainty of a position (documented, deterministic, not statistical):

    σ_E = sqrt(h²/12 + (Γ/2)²)

with h the mean of the two grid spacings around the extremum (h²/12 is the variance of a position
known only to within one grid cell) and Γ the broadening FWHM (instrument resolution and core-hole
lifetime; two features closer than about Γ/2 cannot be told apart). The separation A − B gets
sqrt(σ_A² + σ_B²).

The refined extrema are :mod:`localpairs.analysis.xas_extrema`, the tracking of peak A through
delays :mod:`localpairs.analysis.xas_peak_track`; this module re-exports both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from localpairs.analysis.xas_extrema import DEFAULT_MIN_AMPLITUDE, Extremum, _as_grid, _best_peak, _checked_dxas, _no_peak, _refine
from localpairs.analysis.xas_peak_track import PeakTrack, peak_a_vs_delay
from localpairs.errors import require

__all__ = [
    "DEFAULT_MIN_AMPLITUDE",
    "PRE_EDGE_FRACTION",
    "Extremum",
    "PeakPair",
    "PeakTrack",
    "find_ab_peaks",
    "peak_a_vs_delay",
    "pre_edge_extremum",
    "pre_edge_peak",
    "strongest_extrema",
    "voigt_fwhm",
]


@dataclass(frozen=True)
class PeakPair:
    """Peaks A (positive) and B (negative) of one ΔXAS spectrum.

    Attributes
    ----------
    a : Extremum
        Peak A, the largest positive peak.
    b : Extremum
        Peak B, the deepest negative peak (negative amplitude).
    """

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


def find_ab_peaks(energy: ArrayLike, dxas: ArrayLike, *, window: tuple[float, float] | None = None,
                  broadening_fwhm: float = 0.0, min_amplitude: float = DEFAULT_MIN_AMPLITUDE,
                  a_below_b: bool = False) -> PeakPair:
    """Locate peak A (largest positive peak) and B (deepest negative peak) of ΔXAS within ``window``.

    Parameters
    ----------
    energy : array_like
        Strictly increasing photon energies in eV.
    dxas : array_like
        ΔXAS values on ``energy``.
    window : tuple of (float, float) or None
        ``(low, high)`` in eV, inclusive; ``None`` uses the whole grid.
    broadening_fwhm : float
        Broadening FWHM Γ in eV entering the uncertainty (see module docstring).
    min_amplitude : float
        Relative threshold: a peak counts only if ``|ΔXAS|`` at it exceeds ``min_amplitude`` times
        the largest ``|ΔXAS|`` in the window (default :data:`~localpairs.analysis.xas_extrema.DEFAULT_MIN_AMPLITUDE`), so that
        wiggles at the noise level are never reported as A or B.
    a_below_b : bool
        If true, A is the largest positive peak at lower photon energy than B (the identification
        of the BaBiO₃ experiment, where A lies ~1 eV below the bleached pre-edge peak B); B is then
        found first. If false (default), A is the largest positive peak anywhere in the window.

    Returns
    -------
    PeakPair
        Peaks A and B, refined, with their position uncertainties.

    Raises
    ------
    InputError
        Mismatched, unsorted or non-finite arrays; an empty window; no positive (field
        ``dxas``, "peak A") or no negative (``dxas``, "peak B") peak above the threshold in the
        window (the message says "no peak above threshold"; never a NaN).
    """
    e, y, idx, thr = _checked_dxas(energy, dxas, window, broadening_fwhm, min_amplitude)
    ib = _best_peak(-y, idx, thr)
    if a_below_b:
        if ib is None:
            raise _no_peak("dxas", "B", y, idx, thr, min_amplitude, window)
        below = idx[idx < ib]
        ia = _best_peak(y, below, thr) if below.size else None
        if ia is None:
            raise _no_peak("dxas", "A", y, idx, thr, min_amplitude, window, where=f" (searched below B at {e[ib]:.4g} eV)")
    else:
        ia = _best_peak(y, idx, thr)
        if ia is None:
            raise _no_peak("dxas", "A", y, idx, thr, min_amplitude, window)
        if ib is None:
            raise _no_peak("dxas", "B", y, idx, thr, min_amplitude, window)
    b = _refine(e, -y, idx, ib, broadening_fwhm)  # a minimum of y is a maximum of −y
    b = Extremum(b.energy, -b.amplitude, b.energy_error, b.at_edge, b.interpolated)
    return PeakPair(a=_refine(e, y, idx, ia, broadening_fwhm), b=b)


#: Fraction of the maximum a local maximum needs to count as the pre-edge peak of a spectrum.
PRE_EDGE_FRACTION = 0.1


def pre_edge_peak(energy: ArrayLike, xas: ArrayLike, *, fraction: float = PRE_EDGE_FRACTION) -> float:
    """Return the photon energy of the lowest local maximum of ``xas`` carrying ≥ ``fraction`` of its maximum.

    A local maximum is an inner grid point not lower than its two neighbours (no refinement: the
    grid point itself). Without one, the grid point of the maximum. Used to put the pre-edge peak
    of a ground-state XAS at its measured energy (weak wiggles below it do not count).

    Parameters
    ----------
    energy : array_like
        Photon energies in eV.
    xas : array_like
        The spectrum on ``energy`` (at least 3 points).
    fraction : float
        A local maximum counts if it carries ≥ ``fraction`` of the spectrum's maximum.

    Returns
    -------
    float
        The peak's photon energy in eV (a grid point).

    Raises
    ------
    InputError
        ``xas`` is not 1D of the shape of ``energy`` with at least 3 points.
    """
    e = np.asarray(energy, dtype=float)
    y = np.asarray(xas, dtype=float)
    require(y.ndim == 1 and y.shape == e.shape and y.size >= 3, "xas", f"shape {y.shape}", f"the shape of energy, {e.shape}, at least 3 points")
    i = np.flatnonzero((y[1:-1] >= y[:-2]) & (y[1:-1] >= y[2:]) & (y[1:-1] >= fraction * y.max()))
    return float(e[i[0] + 1]) if i.size else float(e[int(np.argmax(y))])


def pre_edge_extremum(energy: ArrayLike, xas: ArrayLike, *, fraction: float = PRE_EDGE_FRACTION, broadening_fwhm: float = 0.0) -> Extremum:
    """The peak :func:`pre_edge_peak` selects, refined by the parabola vertex, with its position uncertainty.

    Parameters
    ----------
    energy, xas : array_like
        Strictly increasing photon energies (eV) and the spectrum on them.
    fraction : float
        A local maximum counts if it carries ≥ ``fraction`` of the spectrum's maximum.
    broadening_fwhm : float
        Line FWHM (eV) entering the uncertainty sqrt(h²/12 + (FWHM/2)²) (module docstring).

    Returns
    -------
    Extremum
        The pre-edge peak, refined by the parabola vertex.

    Raises
    ------
    InputError
        For a bad grid or spectrum, or a spectrum without an inner local maximum (field ``xas``).
    """
    e = _as_grid(energy)
    y = np.asarray(xas, dtype=float)
    require(y.shape == e.shape and bool(np.all(np.isfinite(y))), "xas", f"shape {y.shape}", f"finite values of the shape of energy, {e.shape}")
    require(broadening_fwhm >= 0, "broadening_fwhm", broadening_fwhm, "a non-negative FWHM in eV")
    i = np.flatnonzero((y[1:-1] >= y[:-2]) & (y[1:-1] >= y[2:]) & (y[1:-1] >= fraction * y.max()) & (y[1:-1] > 0))
    require(i.size > 0, "xas", f"max {y.max():.4g} at the grid's edge", "a spectrum with a local maximum inside the grid (widen the grid)")
    return _refine(e, y, np.arange(e.size), int(i[0]) + 1, broadening_fwhm)


def strongest_extrema(energy: ArrayLike, dxas: ArrayLike, *, window: tuple[float, float] | None = None, broadening_fwhm: float = 0.0,
                      min_amplitude: float = DEFAULT_MIN_AMPLITUDE) -> tuple[Extremum | None, Extremum | None]:
    """Find the largest positive and the deepest negative peak of ΔXAS in ``window``.

    The honest reading of a difference spectrum: no order between the two is imposed (unlike
    :func:`find_ab_peaks` with ``a_below_b``) and one missing feature does not hide the other.
    Peaks, threshold, refinement and uncertainty as in :func:`find_ab_peaks`.

    Parameters
    ----------
    energy : array_like
        Strictly increasing photon energies in eV.
    dxas : array_like
        ΔXAS values on ``energy``.
    window : tuple of (float, float) or None
        ``(low, high)`` in eV, inclusive; ``None`` uses the whole grid.
    broadening_fwhm : float
        Broadening FWHM Γ in eV entering the uncertainty.
    min_amplitude : float
        Relative threshold, a fraction of the largest ``|ΔXAS|`` in the window.

    Returns
    -------
    tuple of (Extremum or None, Extremum or None)
        The positive and the negative peak, each None where none exceeds the threshold.

    Raises
    ------
    InputError
        Mismatched, unsorted or non-finite arrays, an empty window or a threshold outside [0, 1).
    """
    e, y, idx, thr = _checked_dxas(energy, dxas, window, broadening_fwhm, min_amplitude)
    ia, ib = _best_peak(y, idx, thr), _best_peak(-y, idx, thr)
    a = None if ia is None else _refine(e, y, idx, ia, broadening_fwhm)
    if ib is None:
        return a, None
    b = _refine(e, -y, idx, ib, broadening_fwhm)
    return a, Extremum(b.energy, -b.amplitude, b.energy_error, b.at_edge, b.interpolated)


def voigt_fwhm(lorentz_fwhm: float, gauss_fwhm: float) -> float:
    """Return the FWHM of a Lorentzian convolved with a Gaussian (a Voigt profile).

    Olivero & Longbothum, JQSRT 17, 233 (1977): 0.5346 f_L + sqrt(0.2166 f_L² + f_G²), good to
    0.02 %; exact in both limits (f_G = 0 and f_L = 0).

    Parameters
    ----------
    lorentz_fwhm : float
        FWHM f_L of the Lorentzian in eV (e.g. the core-hole lifetime width).
    gauss_fwhm : float
        FWHM f_G of the Gaussian in eV (e.g. the instrument resolution).

    Returns
    -------
    float
        FWHM of the Voigt profile in eV.

    Raises
    ------
    InputError
        A negative width.
    """
    require(lorentz_fwhm >= 0 and gauss_fwhm >= 0, "fwhm", (lorentz_fwhm, gauss_fwhm), "non-negative widths in eV")
    return float(0.5346 * lorentz_fwhm + np.sqrt(0.2166 * lorentz_fwhm**2 + gauss_fwhm**2))
