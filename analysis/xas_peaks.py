"""Peaks A and B of a difference spectrum ΔXAS(ω) = XAS_excited − XAS_ground.

Following the XFEL analysis (Menushenkov et al., PRR 6, 023307 (2024); review Sec. 4), peak A is
the largest positive peak and peak B the deepest negative peak of ΔXAS inside an energy window
(the pre-edge region). A peak is a local extremum on the grid (not lower, resp. not higher, than
both grid neighbours; the first and last grid points never qualify) whose size exceeds
``min_amplitude`` times the largest |ΔXAS| in the window (default :data:`DEFAULT_MIN_AMPLITUDE`):
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


def find_ab_peaks(energy: ArrayLike, dxas: ArrayLike, *, window: tuple[float, float] | None = None,
                  broadening_fwhm: float = 0.0, min_amplitude: float = DEFAULT_MIN_AMPLITUDE,
                  a_below_b: bool = False) -> PeakPair:
    """Locate peak A (largest positive peak) and B (deepest negative peak) of ΔXAS within ``window``.

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
        Relative threshold: a peak counts only if ``|ΔXAS|`` at it exceeds ``min_amplitude`` times
        the largest ``|ΔXAS|`` in the window (default :data:`DEFAULT_MIN_AMPLITUDE`), so that
        wiggles at the noise level are never reported as A or B.
    a_below_b
        If true, A is the largest positive peak at lower photon energy than B (the identification
        of the BaBiO₃ experiment, where A lies ~1 eV below the bleached pre-edge peak B); B is then
        found first. If false (default), A is the largest positive peak anywhere in the window.

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
                    broadening_fwhm: float = 0.0, min_amplitude: float = DEFAULT_MIN_AMPLITUDE,
                    skip_missing: bool = False) -> PeakTrack:
    """Track peak A (largest positive ΔXAS in ``window``) through a 2D map ΔXAS(ω, t).

    Parameters
    ----------
    energy
        Photon energies (eV), strictly increasing, length n_ω.
    delay
        Pump–probe delays (any time unit), length n_t; need not be sorted but must be finite.
    dxas
        Array of shape (n_ω, n_t): ``dxas[i, j]`` = ΔXAS(energy[i], delay[j]).
    window, broadening_fwhm
        As in :func:`find_ab_peaks` (only peak A is required here).
    min_amplitude
        Relative threshold as in :func:`find_ab_peaks`, but relative to the largest ``|ΔXAS|``
        of the whole map in the window (so a delay with no signal, e.g. before time zero, has no
        peak rather than a peak made of noise).
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
    require(0.0 <= min_amplitude < 1.0, "min_amplitude", min_amplitude, "a fraction in [0, 1) of the largest |ΔXAS| in the window")
    thr = float(min_amplitude * np.max(np.abs(z[idx, :])))
    out = np.full((3, t.size), np.nan)
    found = np.zeros(t.size, dtype=bool)
    for j in range(t.size):
        y = z[:, j]
        ia = _best_peak(y, idx, thr)
        if ia is None:
            if skip_missing:
                continue
            raise _no_peak(f"dxas[:, {j}]", "A", y, idx, thr, min_amplitude, window, where=f" at delay {t[j]}")
        ex = _refine(e, y, idx, ia, broadening_fwhm)
        out[:, j] = ex.energy, ex.energy_error, ex.amplitude
        found[j] = True
    return PeakTrack(delay=t, energy=out[0], energy_error=out[1], amplitude=out[2], found=found)


#: Fraction of the maximum a local maximum needs to count as the pre-edge peak of a spectrum.
PRE_EDGE_FRACTION = 0.1


def pre_edge_peak(energy: ArrayLike, xas: ArrayLike, *, fraction: float = PRE_EDGE_FRACTION) -> float:
    """Photon energy of the lowest local maximum of ``xas`` carrying ≥ ``fraction`` of its maximum.

    A local maximum is an inner grid point not lower than its two neighbours (no refinement: the
    grid point itself). Without one, the grid point of the maximum. Used to put the pre-edge peak
    of a ground-state XAS at its measured energy (weak wiggles below it do not count).
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
    energy, xas
        Strictly increasing photon energies (eV) and the spectrum on them.
    fraction
        A local maximum counts if it carries ≥ ``fraction`` of the spectrum's maximum.
    broadening_fwhm
        Line FWHM (eV) entering the uncertainty sqrt(h²/12 + (FWHM/2)²) (module docstring).

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
    """The largest positive and the deepest negative peak of ΔXAS in ``window``, each None where none exceeds the threshold.

    The honest reading of a difference spectrum: no order between the two is imposed (unlike
    :func:`find_ab_peaks` with ``a_below_b``) and one missing feature does not hide the other.
    Peaks, threshold, refinement and uncertainty as in :func:`find_ab_peaks`.
    """
    e, y, idx, thr = _checked_dxas(energy, dxas, window, broadening_fwhm, min_amplitude)
    ia, ib = _best_peak(y, idx, thr), _best_peak(-y, idx, thr)
    a = None if ia is None else _refine(e, y, idx, ia, broadening_fwhm)
    if ib is None:
        return a, None
    b = _refine(e, -y, idx, ib, broadening_fwhm)
    return a, Extremum(b.energy, -b.amplitude, b.energy_error, b.at_edge, b.interpolated)


def voigt_fwhm(lorentz_fwhm: float, gauss_fwhm: float) -> float:
    """FWHM (eV) of a Lorentzian of FWHM ``lorentz_fwhm`` convolved with a Gaussian of FWHM ``gauss_fwhm``.

    Olivero & Longbothum, JQSRT 17, 233 (1977): 0.5346 f_L + sqrt(0.2166 f_L² + f_G²), good to
    0.02 %; exact in both limits (f_G = 0 and f_L = 0).
    """
    require(lorentz_fwhm >= 0 and gauss_fwhm >= 0, "fwhm", (lorentz_fwhm, gauss_fwhm), "non-negative widths in eV")
    return float(0.5346 * lorentz_fwhm + np.sqrt(0.2166 * lorentz_fwhm**2 + gauss_fwhm**2))
