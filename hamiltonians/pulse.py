r"""Gaussian pump pulses in physical units: vector potential, field, fluence.

``A(t) = e A0 exp[−(t − t0)²/(2σ²)] cos[ω(t − t0)]`` along the unit polarization ``e`` and
``E(t) = −∂A/∂t`` (the sign convention of :mod:`~localpairs.hamiltonians.driven_model`). Units: ħω in eV,
times in fs, A in V·fs/Å (e·A in eV·fs/Å), fields in V/Å, fluence in mJ/cm².

Fluence and field
-----------------
The peak field is ``E0 = ω A0`` (the amplitude of the slowly varying envelope; the exact maximum
of ``|E(t)|`` differs from it by a relative O(1/(ωσ)²), below 1e-3 for pulses longer than a few
cycles). With the cycle-averaged intensity ``I(t) = (c ε0 n/2) E0² g(t)²`` of a Gaussian envelope
``g = exp[−τ²/(2σ²)]`` the fluence is

.. math:: F = \int I\,dt = \tfrac12 c\,ε_0\,n\,E_0^2\,σ\sqrt{π}.

Assumptions: ``F`` and ``E0`` are the fluence and field of the wave in a medium of refractive index
``n`` (default 1: the incident fluence and field in vacuum; reflection losses, screening and
local-field corrections are not included — divide the incident fluence by the transmitted
fraction yourself if needed). Duration: ``duration_kind = "intensity_fwhm"`` (the usual
experimental figure) gives ``σ = FWHM/(2√ln2)``; ``"field_fwhm"`` gives ``σ = FWHM/(2√(2 ln2))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from localpairs.errors import require
from localpairs.units import C_LIGHT_M_S, EPS0_F_M, HBAR_EV_FS

#: σ per intensity FWHM (I ∝ exp(−τ²/σ²)) and per field FWHM (E ∝ exp(−τ²/(2σ²))).
SIGMA_PER_INTENSITY_FWHM = 1.0 / (2.0 * math.sqrt(math.log(2.0)))
SIGMA_PER_FIELD_FWHM = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
#: Default pulse centre in units of σ: |A(0)|/A0 = exp(−t0²/(2σ²)) = 1e-6.
DEFAULT_CENTER_SIGMAS = math.sqrt(2.0 * math.log(1e6))
_DURATION_KINDS = {"intensity_fwhm": SIGMA_PER_INTENSITY_FWHM, "field_fwhm": SIGMA_PER_FIELD_FWHM}


def fluence_to_field(fluence: float, sigma: float, *, refractive_index: float = 1.0) -> float:
    """Convert the fluence of a Gaussian pulse to its peak field E0.

    ``F = ½ c ε0 n E0² σ √π`` (see the module docstring for the assumptions).

    Parameters
    ----------
    fluence : float
        Fluence F in mJ/cm².
    sigma : float
        Envelope width σ of the field in fs.
    refractive_index : float, optional
        Refractive index n of the medium the fluence refers to (default 1, vacuum).

    Returns
    -------
    float
        Peak field E0 in V/Å.
    """
    fluence_si = fluence * 10.0  # mJ/cm² → J/m²
    e0_si = math.sqrt(2.0 * fluence_si / (C_LIGHT_M_S * EPS0_F_M * refractive_index * sigma * 1e-15 * math.sqrt(math.pi)))
    return e0_si * 1e-10  # V/m → V/Å


def field_to_fluence(peak_field: float, sigma: float, *, refractive_index: float = 1.0) -> float:
    """Convert the peak field E0 of a Gaussian pulse to its fluence.

    ``F = ½ c ε0 n E0² σ √π`` (the inverse of :func:`fluence_to_field`).

    Parameters
    ----------
    peak_field : float
        Peak field E0 in V/Å.
    sigma : float
        Envelope width σ of the field in fs.
    refractive_index : float, optional
        Refractive index n of the medium the fluence refers to (default 1, vacuum).

    Returns
    -------
    float
        Fluence F in mJ/cm².
    """
    e0_si = peak_field * 1e10
    return 0.5 * C_LIGHT_M_S * EPS0_F_M * refractive_index * e0_si**2 * sigma * 1e-15 * math.sqrt(math.pi) / 10.0


@dataclass(frozen=True)
class Pulse:
    """A Gaussian vector-potential pulse (see the module docstring).

    Build it with :func:`gaussian_pulse`.

    Parameters
    ----------
    photon_energy : float
        ħω in eV.
    sigma : float
        Envelope width σ of A (and of E) in fs.
    center : float
        t0 in fs.
    amplitude : float
        A0 in V·fs/Å (e·A0 in eV·fs/Å).
    polarization : tuple of float
        Unit vector e.
    refractive_index : float, optional
        n used for the fluence (default 1).
    """

    photon_energy: float
    sigma: float
    center: float
    amplitude: float
    polarization: tuple[float, float, float]
    refractive_index: float = 1.0

    @property
    def omega(self) -> float:
        """Carrier angular frequency ω = E_photon/ħ in rad/fs."""
        return self.photon_energy / HBAR_EV_FS

    @property
    def peak_field(self) -> float:
        """E0 = ω A0 in V/Å."""
        return self.omega * self.amplitude

    @property
    def fluence(self) -> float:
        """Fluence in mJ/cm²."""
        return field_to_fluence(self.peak_field, self.sigma, refractive_index=self.refractive_index)

    @property
    def intensity_fwhm(self) -> float:
        """FWHM of the intensity envelope in fs."""
        return self.sigma / SIGMA_PER_INTENSITY_FWHM

    def vector_potential(self, t: float | np.ndarray) -> float | np.ndarray:
        """Evaluate A(t) along the polarization.

        Parameters
        ----------
        t : float or numpy.ndarray
            Time(s) in fs.

        Returns
        -------
        float or numpy.ndarray
            A(t) in V·fs/Å, a float for a scalar ``t``.
        """
        tau = np.asarray(t, dtype=float) - self.center
        out = self.amplitude * np.exp(-0.5 * (tau / self.sigma) ** 2) * np.cos(self.omega * tau)
        return float(out) if out.ndim == 0 else out

    def electric_field(self, t: float | np.ndarray) -> float | np.ndarray:
        """Evaluate E(t) = −dA/dt along the polarization (exact derivative).

        Parameters
        ----------
        t : float or numpy.ndarray
            Time(s) in fs.

        Returns
        -------
        float or numpy.ndarray
            E(t) in V/Å, a float for a scalar ``t``.
        """
        tau = np.asarray(t, dtype=float) - self.center
        env = self.amplitude * np.exp(-0.5 * (tau / self.sigma) ** 2)
        out = env * (self.omega * np.sin(self.omega * tau) + tau / self.sigma**2 * np.cos(self.omega * tau))
        return float(out) if out.ndim == 0 else out

    def quiet_window(self, a_max: float) -> tuple[float, float]:
        """Find the window outside which the envelope, hence ``|A(t)|``, is at most ``a_max``.

        Parameters
        ----------
        a_max : float
            Bound on the envelope in V·fs/Å.

        Returns
        -------
        tuple of float
            ``(lo, hi)`` in fs; ``lo = hi = center`` when ``A0 ≤ a_max`` (the pulse is
            everywhere below ``a_max``), ``(−inf, inf)`` for ``a_max ≤ 0``.
        """
        if a_max <= 0:
            return -math.inf, math.inf
        if self.amplitude <= a_max:
            return self.center, self.center
        w = self.sigma * math.sqrt(2.0 * math.log(self.amplitude / a_max))
        return self.center - w, self.center + w

    def peierls_phase(self, lattice_constant: float) -> float:
        """Compute the peak Peierls phase e·A0·a/ħ for bonds along the polarization.

        Parameters
        ----------
        lattice_constant : float
            Bond length a in Å.

        Returns
        -------
        float
            The phase in radians (dimensionless).
        """
        return self.amplitude * lattice_constant / HBAR_EV_FS

    def as_dict(self) -> dict:
        """Record the resolved parameters.

        Returns
        -------
        dict
            Photon energy (eV), σ and intensity FWHM (fs), centre (fs), amplitude (V·fs/Å),
            peak field (V/Å), fluence (mJ/cm²), polarization and refractive index.
        """
        return {
            "photon_energy_eV": self.photon_energy,
            "sigma_fs": self.sigma,
            "intensity_fwhm_fs": self.intensity_fwhm,
            "center_fs": self.center,
            "amplitude_V_fs_per_A": self.amplitude,
            "peak_field_V_per_A": self.peak_field,
            "fluence_mJ_per_cm2": self.fluence,
            "polarization": list(self.polarization),
            "refractive_index": self.refractive_index,
        }


def _positive(name: str, value: float, unit: str) -> float:
    require(isinstance(value, (int, float)) and math.isfinite(value) and value > 0, name, value, f"a positive number in {unit}")
    return float(value)


def unit_polarization(polarization: Sequence[float], *, field: str = "pump.polarization") -> tuple[float, float, float]:
    """Normalise a polarization vector to unit length.

    Parameters
    ----------
    polarization : sequence of float
        Three finite numbers (x, y, z), not all zero.
    field : str, optional
        The spec field named in an error message (default ``"pump.polarization"``).

    Returns
    -------
    tuple of float
        The unit vector (x, y, z).

    Raises
    ------
    InputError
        When ``polarization`` is not three finite numbers or has zero length.
    """
    vec = np.asarray(polarization, dtype=float)
    require(vec.shape == (3,) and bool(np.all(np.isfinite(vec))), field, list(polarization), "three finite numbers (x, y, z)")
    norm = float(np.linalg.norm(vec))
    require(norm > 1e-12, field, list(polarization), "a vector of non-zero length")
    return tuple(float(x) for x in vec / norm)  # type: ignore[return-value]


def gaussian_pulse(
    *,
    photon_energy: float,
    duration: float,
    duration_kind: str = "intensity_fwhm",
    peak_field: float | None = None,
    fluence: float | None = None,
    polarization: Sequence[float] = (1.0, 0.0, 0.0),
    center: float | None = None,
    refractive_index: float = 1.0,
) -> Pulse:
    """Build a Gaussian pulse from physical inputs.

    Parameters
    ----------
    photon_energy : float
        ħω in eV.
    duration : float
        FWHM in fs, of the intensity (``duration_kind="intensity_fwhm"``, default) or of the
        field envelope (``"field_fwhm"``).
    duration_kind : str, optional
        Which FWHM ``duration`` is.
    peak_field : float or None, optional
        E0 in V/Å; give exactly one of ``peak_field`` and ``fluence``.
    fluence : float or None, optional
        Fluence in mJ/cm² (converted with :func:`fluence_to_field`).
    polarization : sequence of float, optional
        Direction of A and E (normalised here); default x.
    center : float or None, optional
        Pulse centre t0 in fs; default ``σ√(2 ln 10⁶)`` so that ``|A(0)| = 10⁻⁶ A0``.
    refractive_index : float, optional
        n ≥ 1 of the medium the fluence refers to (default 1: incident, vacuum).

    Returns
    -------
    Pulse
        The pulse, A0 = E0/ω.

    Raises
    ------
    InputError
        When an input is not positive and finite, ``duration_kind`` is unknown, ``n < 1``, or
        not exactly one of ``peak_field`` and ``fluence`` is given.
    """
    photon_energy = _positive("pump.photon_energy", photon_energy, "eV")
    duration = _positive("pump.duration", duration, "fs")
    require(duration_kind in _DURATION_KINDS, "pump.duration_kind", duration_kind, f"one of {sorted(_DURATION_KINDS)}")
    require(isinstance(refractive_index, (int, float)) and math.isfinite(refractive_index) and refractive_index >= 1.0,
            "pump.refractive_index", refractive_index, "a number ≥ 1")
    require((peak_field is None) != (fluence is None), "pump.fluence/peak_field", {"fluence": fluence, "peak_field": peak_field},
            "exactly one of fluence (mJ/cm²) and peak_field (V/Å)")
    sigma = duration * _DURATION_KINDS[duration_kind]
    if fluence is not None:
        fluence = _positive("pump.fluence", fluence, "mJ/cm²")
        e0 = fluence_to_field(fluence, sigma, refractive_index=float(refractive_index))
    else:
        e0 = _positive("pump.peak_field", peak_field, "V/Å")  # type: ignore[arg-type]
    pol = unit_polarization(polarization)
    if center is None:
        center = DEFAULT_CENTER_SIGMAS * sigma
    require(isinstance(center, (int, float)) and math.isfinite(center), "pump.center", center, "a finite time in fs")
    omega = photon_energy / HBAR_EV_FS
    return Pulse(photon_energy, sigma, float(center), e0 / omega, pol, float(refractive_index))
