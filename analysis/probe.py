r"""Finite probe pulses and the reported pump–probe difference spectra (pure functions of arrays).

Probe duration
--------------
A calculation gives ΔXAS(τ, ω) of the instantaneous state at each delay τ (a sudden probe). A
probe whose intensity envelope is a Gaussian of FWHM ``w`` measures, at nominal delay τ_i, the
average weighted by that envelope:

.. math:: \overline{ΔXAS}(τ_i, ω) = \frac{\sum_j g(τ_j - τ_i)\, h_j\, ΔXAS(τ_j, ω)}{\sum_j g(τ_j - τ_i)\, h_j},
          \qquad g(s) = \exp(-4 \ln 2\, s^2 / w^2),

with ``h_j`` the trapezoid weights of the (possibly non-uniform) delay grid. Edges: the data
are *not* extended beyond the first and last delay; the Gaussian is truncated there and
renormalized over the delays that exist (the denominator). A map constant in delay is
therefore unchanged everywhere; a map with a slope is biased towards the interior within about
one FWHM of either end. The average is only meaningful where the grid resolves the probe
(spacing ≲ w/2); on a coarser grid it mixes neighbouring delays with weights that depend on the
spacing. ``w = 0`` returns the input unchanged.

Excited fraction
----------------
If only a fraction α of the probed volume is pumped, the rest keeps the ground-state XAS and
the measured difference is α × ΔXAS. :func:`reported_dxas` applies both: α × (probe ∗ ΔXAS).

Peaks
-----
:func:`dxas_extrema` gives, per delay, the strongest positive and the most negative ΔXAS(ω) with
positions refined as in :mod:`localpairs.analysis.xas_peaks`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from localpairs.analysis.xas_peaks import peak_a_vs_delay
from localpairs.errors import require


def _delays(delay: ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(delay, dtype=float)
    require(t.ndim == 1 and t.size >= 1, "delay", f"shape {t.shape}", "a 1D array of at least one delay (fs)")
    require(bool(np.all(np.isfinite(t))), "delay", t.tolist(), "finite delays in fs")
    require(bool(np.all(np.diff(t) > 0)), "delay", t.tolist(), "strictly increasing delays in fs")
    return t


def _fwhm(value: float, field: str) -> float:
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    require(ok, field, value, "a finite FWHM ≥ 0 in fs (0: no convolution)")
    return float(value)


def trapezoid_weights(delay: ArrayLike) -> NDArray[np.float64]:
    """Return the trapezoid quadrature weights of a strictly increasing grid (1 for a single point).

    Parameters
    ----------
    delay : array_like
        The grid (delays in fs).

    Returns
    -------
    numpy.ndarray
        One weight per point, in the grid's unit.
    """
    t = _delays(delay)
    if t.size == 1:
        return np.ones(1)
    h = np.empty_like(t)
    h[0], h[-1] = 0.5 * (t[1] - t[0]), 0.5 * (t[-1] - t[-2])
    h[1:-1] = 0.5 * (t[2:] - t[:-2])
    return h


def probe_convolution(delay: ArrayLike, dxas: ArrayLike, *, fwhm: float) -> NDArray[np.float64]:
    """ΔXAS convolved along the delay with a Gaussian probe of intensity FWHM ``fwhm`` (fs).

    Parameters
    ----------
    delay
        Strictly increasing delays in fs, length n.
    dxas
        Array of shape (n, ...): ``dxas[j]`` is the spectrum at ``delay[j]`` (any trailing shape,
        e.g. photon energies).
    fwhm
        Intensity FWHM of the probe in fs (≥ 0); 0 returns ``dxas`` unchanged (as a float copy).

    Returns
    -------
    numpy.ndarray
        The convolved map, same shape as ``dxas``. Edges: the Gaussian is truncated at the first
        and last delay and renormalized over the existing delays (see the module docstring).

    Raises
    ------
    InputError
        ``delay`` not finite/increasing, ``dxas`` of the wrong shape or not finite, ``fwhm`` < 0.
    """
    t = _delays(delay)
    w = _fwhm(fwhm, "fwhm")
    y = np.asarray(dxas, dtype=float)
    require(y.ndim >= 1 and y.shape[0] == t.size, "dxas", f"shape {y.shape}", f"an array whose first axis has the {t.size} delays")
    require(bool(np.all(np.isfinite(y))), "dxas", "contains NaN/inf", "finite ΔXAS values")
    if w == 0.0:
        return y.copy()
    s = t[None, :] - t[:, None]
    kernel = np.exp(-4.0 * math.log(2.0) * (s / w) ** 2) * trapezoid_weights(t)[None, :]
    kernel /= kernel.sum(axis=1, keepdims=True)  # the diagonal term is 1·h_i > 0: never empty
    return np.tensordot(kernel, y, axes=(1, 0))


def reported_dxas(delay: ArrayLike, dxas: ArrayLike, *, probe_fwhm: float = 0.0, excited_fraction: float = 1.0) -> NDArray[np.float64]:
    """Return α × (Gaussian probe ∗ ΔXAS) along the delay: the difference spectrum to compare with data.

    Parameters
    ----------
    delay, dxas : array_like
        As for :func:`probe_convolution`.
    probe_fwhm : float
        Probe intensity FWHM in fs (≥ 0; 0: no convolution).
    excited_fraction : float
        α ∈ (0, 1]: fraction of the probed volume in the pumped state.

    Returns
    -------
    numpy.ndarray
        The reported ΔXAS, shaped like ``dxas``.

    Raises
    ------
    InputError
        When ``excited_fraction`` is not in (0, 1].
    """
    a = excited_fraction
    ok = isinstance(a, (int, float, np.floating)) and not isinstance(a, bool) and math.isfinite(a) and 0 < a <= 1
    require(ok, "excited_fraction", a, "a fraction α in (0, 1]")
    return float(a) * probe_convolution(delay, dxas, fwhm=_fwhm(probe_fwhm, "probe_fwhm"))


def dxas_extrema(omega: ArrayLike, delay: ArrayLike, dxas: ArrayLike, *, broadening_fwhm: float = 0.0, floor: float = 0.0) -> dict[str, NDArray[np.float64]]:
    """Strongest positive and most negative ΔXAS(ω) peak at each delay.

    Peaks are found by :func:`localpairs.analysis.xas_peaks.peak_a_vs_delay` with no relative
    threshold (on ΔXAS and on −ΔXAS), then a peak counts only if ``|ΔXAS| > floor`` there.

    Parameters
    ----------
    omega
        Photon energies in eV (strictly increasing), length m.
    delay
        Delays (fs), length n.
    dxas
        Array of shape (n, m).
    broadening_fwhm
        Spectral broadening FWHM in eV, entering the position uncertainty
        (:mod:`localpairs.analysis.xas_peaks`).
    floor
        Absolute noise floor (units of ``dxas``, ≥ 0): weaker peaks are reported as NaN.

    Returns
    -------
    dict
        ``positive_energy``, ``positive_amplitude``, ``negative_energy``,
        ``negative_amplitude``, ``energy_error`` (eV; the larger of the two), each of length n;
        NaN where there is no peak above ``floor``.
    """
    z = np.asarray(dxas, dtype=float)
    t = np.asarray(delay, dtype=float)
    require(z.ndim == 2 and z.shape[0] == t.size, "dxas", f"shape {z.shape}", f"shape (len(delay), len(omega)) = ({t.size}, {np.size(omega)})")
    require(isinstance(floor, (int, float, np.floating)) and math.isfinite(floor) and floor >= 0, "floor", floor, "a finite noise floor ≥ 0")
    out = {}
    for name, sign in (("positive", 1.0), ("negative", -1.0)):
        track = peak_a_vs_delay(omega, t, sign * z.T, broadening_fwhm=broadening_fwhm, min_amplitude=0.0, skip_missing=True)
        keep = track.found & (track.amplitude > floor)
        out[f"{name}_energy"] = np.where(keep, track.energy, np.nan)
        out[f"{name}_amplitude"] = np.where(keep, sign * track.amplitude, np.nan)
        out[f"{name}_error"] = np.where(keep, track.energy_error, np.nan)
    err = np.fmax(out.pop("positive_error"), out.pop("negative_error"))
    return {**out, "energy_error": err}
