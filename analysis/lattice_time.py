r"""The lattice time: how fast a damped oscillation approaches its end value.

A coordinate released from rest near a minimum approaches it as

.. math:: y(t) = y_∞ + e^{-rt}\,(a \cos ωt + b \sin ωt),

exactly for a damped harmonic oscillator (``r = γ/2``, ``ω = √(ω₀² − γ²/4)``, underdamped) and to
leading order for an anharmonic one. :func:`fit_damped_oscillation` fits ``y_∞, a, b`` linearly
and ``r, ω`` by least squares (variable projection: the linear coefficients are eliminated at every
``(r, ω)``), starting from the strongest Fourier component and ``r = 0``. The lattice time is the
e-folding time of the amplitude, ``τ = 1/r`` (infinite when ``r ≤ 0``: no approach within the
window). A fit over a window ``T`` short against ``τ`` still reads ``r`` when the trace is a clean
damped oscillation (the amplitude changes by ``rT``); ``rms_residual`` says how clean it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import least_squares

from localpairs.errors import require


@dataclass(frozen=True)
class DampedOscillation:
    """A fitted damped oscillation (module docstring).

    Parameters
    ----------
    rate
        r (1/time unit of the input): the amplitude decays as e^{−rt}.
    frequency
        ω (rad per time unit).
    final
        y_∞, the value approached.
    amplitude
        √(a² + b²) at t = 0.
    rms_residual
        Root-mean-square misfit, in the unit of y.
    """

    rate: float
    frequency: float
    final: float
    amplitude: float
    rms_residual: float

    @property
    def time(self) -> float:
        """The lattice time τ = 1/r (∞ when r ≤ 0)."""
        return 1.0 / self.rate if self.rate > 0 else math.inf

    def model(self, t: ArrayLike, phase: tuple[float, float]) -> np.ndarray:
        """Evaluate y(t) for given (a, b) with ``final`` and the fitted r, ω.

        Parameters
        ----------
        t
            Times (the unit of the fit).
        phase
            The coefficients (a, b) of cos ωt and sin ωt.

        Returns
        -------
        numpy.ndarray
            y_∞ + e^{−rt}(a cos ωt + b sin ωt).
        """
        t = np.asarray(t, dtype=float)
        return self.final + np.exp(-self.rate * t) * (phase[0] * np.cos(self.frequency * t) + phase[1] * np.sin(self.frequency * t))


def _design(t: np.ndarray, rate: float, omega: float) -> np.ndarray:
    decay = np.exp(-rate * t)
    return np.column_stack([np.ones_like(t), decay * np.cos(omega * t), decay * np.sin(omega * t)])


def _strongest_frequency(t: np.ndarray, y: np.ndarray) -> float:
    """ω of the largest Fourier component of y − mean (zero-padded 8×, uniform spacing assumed)."""
    n = 8 * t.size
    spectrum = np.abs(np.fft.rfft(y - y.mean(), n=n))
    freqs = 2 * np.pi * np.fft.rfftfreq(n, d=float(t[1] - t[0]))
    return float(freqs[1 + int(np.argmax(spectrum[1:]))])


def fit_damped_oscillation(t: ArrayLike, y: ArrayLike) -> DampedOscillation:
    """Fit y(t) = y_∞ + e^{−rt}(a cos ωt + b sin ωt) (module docstring).

    Parameters
    ----------
    t
        Uniformly spaced times, t[0] the release (any unit; r and ω come out in its inverse).
    y
        The coordinate at ``t``; at least one full oscillation is needed.

    Returns
    -------
    DampedOscillation
        r, ω, y_∞, the initial amplitude and the rms misfit.

    Raises
    ------
    InputError
        For fewer than 8 points, unequal lengths, non-uniform spacing, non-finite values, or a trace
        without an oscillation (constant, or less than one period in the window).
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    require(t.ndim == 1 and t.shape == y.shape and t.size >= 8, "t, y", f"shapes {t.shape}, {y.shape}", "two 1-d arrays of equal length ≥ 8")
    require(bool(np.all(np.isfinite(t)) and np.all(np.isfinite(y))), "t, y", "non-finite values", "finite times and values")
    dt = np.diff(t)
    require(bool(dt[0] > 0 and np.allclose(dt, dt[0], rtol=1e-9, atol=0)), "t", "non-uniform spacing", "uniformly spaced increasing times")
    require(float(np.ptp(y)) > 0, "y", "a constant trace", "an oscillating coordinate")
    span = float(t[-1] - t[0])
    s = t - t[0]
    omega0 = _strongest_frequency(s, y)
    require(omega0 * span >= 2 * np.pi, "t", f"a window of {span:g} for a period of {2 * np.pi / omega0:g}", "at least one full period of the oscillation")

    def residual(x: np.ndarray) -> np.ndarray:
        design = _design(s, x[0], x[1])
        coef = np.linalg.lstsq(design, y, rcond=None)[0]
        return design @ coef - y

    scale = np.array([1.0 / span, omega0])
    res = least_squares(residual, np.array([0.0, omega0]), x_scale=scale, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    rate, omega = float(res.x[0]), float(res.x[1])
    coef = np.linalg.lstsq(_design(s, rate, omega), y, rcond=None)[0]
    return DampedOscillation(rate=rate, frequency=abs(omega), final=float(coef[0]), amplitude=float(np.hypot(coef[1], coef[2])),
                             rms_residual=float(np.sqrt(np.mean(res.fun**2))))
