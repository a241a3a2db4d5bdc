"""Units: the one place where physical constants and unit conversions live.

Users see energies in eV, times in fs, lengths in Å, fields in V/Å and fluence in mJ/cm².
Internally the same units are used, so the time-dependent Schrödinger equation reads
``iħ dψ/dt = H ψ`` with ``H`` in eV, ``t`` in fs and :data:`HBAR_EV_FS` = ħ in eV·fs.
All constants come from :mod:`scipy.constants` (CODATA).
"""

from __future__ import annotations

from scipy import constants as _c

#: Reduced Planck constant in eV·fs (≈ 0.6582119569).
HBAR_EV_FS: float = _c.hbar / _c.electron_volt / _c.femto
#: Boltzmann constant in eV/K.
KB_EV_PER_K: float = _c.k / _c.electron_volt
#: Atomic mass unit in kg.
AMU_KG: float = _c.atomic_mass
#: One ångström in metres.
ANGSTROM_M: float = _c.angstrom
#: Elementary charge in coulombs.
E_CHARGE_C: float = _c.elementary_charge
#: Speed of light in m/s.
C_LIGHT_M_S: float = _c.c
#: Vacuum permittivity in F/m.
EPS0_F_M: float = _c.epsilon_0


def kelvin_to_ev(temperature_k: float) -> float:
    """Return k_B·T in eV for a temperature in kelvin.

    Parameters
    ----------
    temperature_k : float
        Temperature in K.

    Returns
    -------
    float
        k_B·T in eV.
    """
    return temperature_k * KB_EV_PER_K


def ev_to_kelvin(energy_ev: float) -> float:
    """Return the temperature whose k_B·T equals ``energy_ev``.

    Parameters
    ----------
    energy_ev : float
        Thermal energy k_B·T in eV.

    Returns
    -------
    float
        Temperature in K.
    """
    return energy_ev / KB_EV_PER_K


def photon_period_fs(photon_energy_ev: float) -> float:
    """Return the optical period 2πħ/E of a photon (1.96 eV → 2.11 fs).

    Parameters
    ----------
    photon_energy_ev : float
        Photon energy in eV.

    Returns
    -------
    float
        Period in fs.
    """
    import math

    return 2.0 * math.pi * HBAR_EV_FS / photon_energy_ev


def wavenumber_cm_to_ev(wavenumber_cm: float) -> float:
    """Convert a wavenumber to an energy (570 cm⁻¹ → 70.7 meV).

    Parameters
    ----------
    wavenumber_cm : float
        Wavenumber in cm⁻¹.

    Returns
    -------
    float
        Energy in eV.
    """
    return wavenumber_cm * 100.0 * _c.h * _c.c / _c.electron_volt
