"""Peak A of ΔXAS(ω, t) tracked through the pump–probe delays.

Peaks, threshold, refinement and position uncertainty as for one spectrum
(:mod:`localpairs.analysis.xas_peaks`), except that the threshold is relative to the whole map, so
a delay with no signal has no peak rather than a peak made of noise. Energies in eV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from localpairs.analysis.xas_extrema import DEFAULT_MIN_AMPLITUDE, _as_grid, _best_peak, _check_window, _no_peak, _refine
from localpairs.errors import require


@dataclass(frozen=True)
class PeakTrack:
    """Position of peak A against delay. Entries where no peak was found are NaN, ``found`` False.

    Attributes
    ----------
    delay : numpy.ndarray
        Pump–probe delays, in the unit they were given in (fs in the studies).
    energy : numpy.ndarray
        Position E_A of peak A in eV, per delay.
    energy_error : numpy.ndarray
        Position uncertainty in eV, per delay.
    amplitude : numpy.ndarray
        ΔXAS at peak A, per delay.
    found : numpy.ndarray of bool
        Whether peak A was found at each delay.
    """

    delay: NDArray[np.float64]
    energy: NDArray[np.float64]
    energy_error: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    found: NDArray[np.bool_]

    def shift(self, *, reference_delay: float) -> NDArray[np.float64]:
        """Return E_A(t) − E_A(t_ref) in eV, with t_ref the delay closest to ``reference_delay``.

        Parameters
        ----------
        reference_delay : float
            The reference delay, in the unit of :attr:`delay`.

        Returns
        -------
        numpy.ndarray
            The shift of peak A in eV per delay (NaN where it was not found).

        Raises
        ------
        InputError
            Peak A was not found at the delay closest to ``reference_delay``.
        """
        i = int(np.argmin(np.abs(self.delay - reference_delay)))
        require(bool(self.found[i]), "reference_delay", reference_delay, "a delay at which peak A was found")
        return self.energy - self.energy[i]


def peak_a_vs_delay(energy: ArrayLike, delay: ArrayLike, dxas: ArrayLike, *, window: tuple[float, float] | None = None,
                    broadening_fwhm: float = 0.0, min_amplitude: float = DEFAULT_MIN_AMPLITUDE,
                    skip_missing: bool = False) -> PeakTrack:
    """Track peak A (largest positive ΔXAS in ``window``) through a 2D map ΔXAS(ω, t).

    Parameters
    ----------
    energy : array_like
        Photon energies (eV), strictly increasing, length n_ω.
    delay : array_like
        Pump–probe delays (any time unit), length n_t; need not be sorted but must be finite.
    dxas : array_like
        Array of shape (n_ω, n_t): ``dxas[i, j]`` = ΔXAS(energy[i], delay[j]).
    window : tuple of (float, float) or None
        ``(low, high)`` in eV, inclusive; ``None`` uses the whole grid.
    broadening_fwhm : float
        Broadening FWHM in eV entering the uncertainty; as in :func:`~localpairs.analysis.xas_peaks.find_ab_peaks` (only peak A is required here).
    min_amplitude : float
        Relative threshold as in :func:`~localpairs.analysis.xas_peaks.find_ab_peaks`, but relative to the largest ``|ΔXAS|``
        of the whole map in the window (so a delay with no signal, e.g. before time zero, has no
        peak rather than a peak made of noise).
    skip_missing : bool
        If false (default) a delay without a positive feature raises :class:`InputError`; if true
        that entry is NaN and ``found`` is False.

    Returns
    -------
    PeakTrack
        Position, uncertainty and amplitude of peak A per delay.

    Raises
    ------
    InputError
        Mismatched, unsorted or non-finite arrays, an empty window, a threshold outside [0, 1),
        or (without ``skip_missing``) a delay without peak A above the threshold.
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
