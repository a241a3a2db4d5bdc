r"""The spectrum of a Gaussian pump pulse, as first-order (linear) response needs it.

.. math::

    \tilde A(ε) = \int A(t')\,e^{iεt'/ħ}\,dt'
      = A_0\,σ\sqrt{π/2}\;e^{iεt_0/ħ}\,
        \bigl[e^{-σ^2(ε/ħ - ω)^2/2} + e^{-σ^2(ε/ħ + ω)^2/2}\bigr]

for ``A(t) = A₀ exp[−(t − t₀)²/(2σ²)] cos[ω(t − t₀)]`` (the Fourier transform of a Gaussian,
``∫e^{−τ²/(2σ²)}e^{ikτ}dτ = σ√(2π) e^{−σ²k²/2}``, with ``cos = (e^{iωτ} + e^{−iωτ})/2``). Units:
``A₀`` in V·fs/Å, so ``Ã`` is in V·fs²/Å; ``∂H/∂A`` is in eV/(V·fs/Å) and ``Ã ∂H/∂A / ħ`` is
dimensionless. The first term is absorption (``ε = +ħω``), the second the anti-resonant one.
The integral runs over the whole line: the pulse must be over at ``t`` and not yet begun at
``t_s`` (``|t − t₀|, |t_s − t₀| ≥`` :data:`~localpairs.hamiltonians.pulse.DEFAULT_CENTER_SIGMAS` σ,
where the envelope is 1e-6 of its peak; the neglected tails are below 1e-6 relative;
:func:`check_pulse_times`). ``Ã`` is a window of width ``ħ/σ`` around ``ħω``
(:func:`window_steps`). Used by :mod:`localpairs.solvers.dynamics.linear_response`, which
re-exports :func:`pulse_transform`.
"""

from __future__ import annotations

import math

import numpy as np

from localpairs.errors import require
from localpairs.hamiltonians.driven_model import Pulse
from localpairs.hamiltonians.pulse import DEFAULT_CENTER_SIGMAS
from localpairs.units import HBAR_EV_FS


def pulse_transform(pulse: Pulse, energy: float | np.ndarray) -> np.ndarray:
    r"""``Ã(ε) = ∫ A(t) e^{iεt/ħ} dt`` of a Gaussian pulse along its polarization, in V·fs²/Å.

    ``Ã(ε) = A₀ σ √(π/2) e^{iεt₀/ħ} [e^{−σ²(ε/ħ − ω)²/2} + e^{−σ²(ε/ħ + ω)²/2}]`` (module
    docstring). ``Ã(−ε) = Ã(ε)*`` since ``A`` is real.

    Parameters
    ----------
    pulse : Pulse
        The Gaussian pulse (amplitude ``A₀`` in V·fs/Å, ``sigma`` and ``center`` in fs, photon
        energy ``ħω`` in eV).
    energy : float or numpy.ndarray
        Energies ``ε`` (eV).

    Returns
    -------
    numpy.ndarray
        ``Ã(ε)`` (complex, V·fs²/Å), the shape of ``energy``.
    """
    k = np.asarray(energy, dtype=float) / HBAR_EV_FS
    return centered_pulse_transform(pulse, energy) * np.exp(1j * k * pulse.center)


def centered_pulse_transform(pulse: Pulse, energy: float | np.ndarray) -> np.ndarray:
    """``Ã(ε) e^{−iεt₀/ħ}`` (real): the transform of the pulse centred at t = 0.

    Parameters
    ----------
    pulse : Pulse
        The Gaussian pulse.
    energy : float or numpy.ndarray
        Energies ``ε`` (eV).

    Returns
    -------
    numpy.ndarray
        The real transform (V·fs²/Å), the shape of ``energy``.
    """
    k = np.asarray(energy, dtype=float) / HBAR_EV_FS
    s2 = pulse.sigma**2
    envelope = np.exp(-0.5 * s2 * (k - pulse.omega) ** 2) + np.exp(-0.5 * s2 * (k + pulse.omega) ** 2)
    return pulse.amplitude * pulse.sigma * math.sqrt(0.5 * math.pi) * envelope


def check_pulse_times(pulse: Pulse, t: float, t_start: float) -> None:
    """Check that the pulse is over at ``t`` and not begun at ``t_start`` (the transform runs over the whole line).

    Parameters
    ----------
    pulse : Pulse
        The Gaussian pulse.
    t : float
        Time after the pulse (fs).
    t_start : float
        Time before the pulse (fs).

    Raises
    ------
    InputError
        Naming ``t`` or ``t_start`` when it is within ``DEFAULT_CENTER_SIGMAS`` σ of the centre or not finite.
    """
    reach = DEFAULT_CENTER_SIGMAS * pulse.sigma * (1.0 - 1e-9)
    require(math.isfinite(t_start) and t_start <= pulse.center - reach, "t_start", t_start,
            f"a time before the pulse, ≤ center − {DEFAULT_CENTER_SIGMAS:.3f}σ = {pulse.center - reach:.4g} fs")
    require(math.isfinite(t) and t >= pulse.center + reach, "t", t,
            f"a time after the pulse, ≥ center + {DEFAULT_CENTER_SIGMAS:.3f}σ = {pulse.center + reach:.4g} fs "
            "(use the full evolution during the pulse)")


def window_steps(ritz_range: float, pulse: Pulse) -> int:
    """Lanczos steps after which Gauss nodes are spaced ≤ ħ/σ mid-spectrum: ``π W σ/(2ħ)``.

    Parameters
    ----------
    ritz_range : float
        The range ``W`` of the Ritz values (eV).
    pulse : Pulse
        The Gaussian pulse (its ``sigma``, fs, sets the window width ``ħ/σ``).

    Returns
    -------
    int
        ``⌈π W σ/(2ħ)⌉``.
    """
    return math.ceil(0.5 * math.pi * ritz_range * pulse.sigma / HBAR_EV_FS)
