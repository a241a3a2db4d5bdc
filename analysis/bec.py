"""Bose–Einstein condensation temperature of local pairs in Ba₁₋ₓKₓBiO₃ (review Sec. 7).

Two pieces:

* The Fermi–Bose-mixture estimate of Menushenkov & Kagan (Usp. Fiz. Nauk 196, 29 (2026), Sec. 7,
  Eqs. (1)–(8)): a pair tunnels through a fermionic cluster of ⟨N⟩ = ((1+x)/(1−x))^{1/3} rigid
  octahedra, each hop an oxygen-ion tunnelling with WKB exponent D = (d/ħ)√(2MU), so
  t_effB = ω₀ exp(−⟨N⟩D). The review writes only T_c ∝ t_effB (n_B a³)^{2/3}; here the constant is
  that of the continuum ideal Bose gas with m_eff = ħ²/(t_effB a²):
  k_B T_c = 2π ħ² (n_B/ζ(3/2))^{2/3}/m_eff = C t_effB (n_B a³)^{2/3}, C = 2π/ζ(3/2)^{2/3} ≈ 3.3125,
  with n_B a³ = (1−x)/2.
* The ideal Bose gas on the simple-cubic lattice, ε_k = 2t_B Σ_α (1 − cos k_α): the density at
  μ = 0 is n(T) = Σ_{m≥1} [e^{−2mt/T} I₀(2mt/T)]³ (Bose series of the Boltzmann factor, each 1D
  factor a Bessel function). The slow m^{−3/2} tail is summed in closed form with Hurwitz zeta
  functions from the large-argument expansion of I₀, so n(T) is accurate to ~1e-10.

Note the mass convention: for small k the lattice band is ε ≈ t_B k² a², i.e. m = ħ²/(2 t_B a²),
half the m_eff of the review's Eq. (6) at t_B = t_effB. At low density the lattice T_c therefore
tends to 2C t_B n^{2/3}. Temperatures are in kelvin wherever hopping energies are given in kelvin.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import constants as _c
from scipy import integrate, optimize, special

from localpairs.errors import require
from localpairs.units import AMU_KG, ANGSTROM_M, KB_EV_PER_K

#: C = 2π/ζ(3/2)^{2/3}: k_B T_c = C ħ² n^{2/3}/m for the continuum ideal Bose gas (≈ 3.3125).
CONTINUUM_BEC_PREFACTOR: float = 2.0 * math.pi / float(special.zeta(1.5)) ** (2.0 / 3.0)

#: Review Sec. 7 parameters (defaults below): ω₀ = 200 K, U = 500 K, d = 0.07 Å, M = 16 u.
REVIEW_OMEGA0_K = 200.0
REVIEW_BARRIER_K = 500.0
REVIEW_WIDTH_ANGSTROM = 0.07
REVIEW_MASS_AMU = 16.0

# Coefficients of e^{-z} I0(z) √(2πz) = Σ_k a_k z^{-k} (large-z expansion), a_k = ((2k−1)!!)²/(k! 8^k).
_I0_ASYMPTOTIC = np.array([1.0, 1 / 8, 9 / 128, 225 / 3072, 11025 / 98304, 893025 / 3932160])
# Coefficients of [Σ a_k z^{-k}]³, truncated at the same order.
_I0_CUBED = np.polynomial.polynomial.polypow(_I0_ASYMPTOTIC, 3)[: len(_I0_ASYMPTOTIC)]
# Large-argument cut: the expansion is used for z ≥ _Z_TAIL (first omitted term < 1e-12 there).
_Z_TAIL = 60.0


def barrier_transparency(*, barrier_k: float = REVIEW_BARRIER_K, width_angstrom: float = REVIEW_WIDTH_ANGSTROM,
                         mass_amu: float = REVIEW_MASS_AMU) -> float:
    """Return the WKB exponent D = (d/ħ)√(2MU) of the double well (review Eq. (2)); dimensionless.

    Parameters
    ----------
    barrier_k : float
        Barrier height U in kelvin (converted with k_B).
    width_angstrom : float
        Barrier width d in Å.
    mass_amu : float
        Mass M of the tunnelling ion in atomic mass units.

    Returns
    -------
    float
        D.

    Raises
    ------
    InputError
        For a non-positive height, width or mass.
    """
    require(barrier_k > 0, "barrier_k", barrier_k, "a positive barrier height in K")
    require(width_angstrom > 0, "width_angstrom", width_angstrom, "a positive width in Å")
    require(mass_amu > 0, "mass_amu", mass_amu, "a positive mass in u")
    energy_j = barrier_k * _c.k
    return width_angstrom * ANGSTROM_M * math.sqrt(2.0 * mass_amu * AMU_KG * energy_j) / _c.hbar


def _check_x(x: float) -> None:
    require(0.0 <= x < 1.0, "x", x, "a potassium concentration 0 ≤ x < 1")


def mean_hops(x: float) -> float:
    """Return the mean number of hops ⟨N⟩ = ((1+x)/(1−x))^{1/3} through a fermionic cluster (review Eq. (4)).

    Parameters
    ----------
    x : float
        Potassium concentration, 0 ≤ x < 1.

    Returns
    -------
    float
        ⟨N⟩.
    """
    _check_x(x)
    return ((1.0 + x) / (1.0 - x)) ** (1.0 / 3.0)


def boson_density(x: float) -> float:
    """Return the pair density per unit cell n_B a³ = (1−x)/2 (review Eq. (7)).

    Parameters
    ----------
    x : float
        Potassium concentration.

    Returns
    -------
    float
        n_B a³.
    """
    _check_x(x)
    return (1.0 - x) / 2.0


def effective_pair_hopping_k(x: float, *, omega0_k: float = REVIEW_OMEGA0_K, transparency: float | None = None) -> float:
    """Return the effective pair hopping t_effB = ω₀ exp(−⟨N⟩D) in kelvin (review Eq. (3)).

    Parameters
    ----------
    x : float
        Potassium concentration.
    omega0_k : float
        Tunnelling rate ω₀ in K.
    transparency : float, optional
        WKB exponent D; defaults to the review's double well (:func:`barrier_transparency`).

    Returns
    -------
    float
        t_effB in K.

    Raises
    ------
    InputError
        For ω₀ ≤ 0 or D < 0.
    """
    require(omega0_k > 0, "omega0_k", omega0_k, "a positive tunnelling rate in K")
    d = barrier_transparency() if transparency is None else transparency
    require(d >= 0, "transparency", d, "a non-negative WKB exponent")
    return omega0_k * math.exp(-mean_hops(x) * d)


def fermi_bose_tc(x: float, *, omega0_k: float = REVIEW_OMEGA0_K, barrier_k: float = REVIEW_BARRIER_K,
                  width_angstrom: float = REVIEW_WIDTH_ANGSTROM, mass_amu: float = REVIEW_MASS_AMU,
                  prefactor: float = CONTINUUM_BEC_PREFACTOR) -> float:
    """Return T_c = C t_effB ((1−x)/2)^{2/3} in kelvin (review Eq. (8) with the continuum-BEC constant C).

    Parameters
    ----------
    x : float
        Potassium concentration, 0 ≤ x < 1.
    omega0_k, barrier_k, width_angstrom, mass_amu : float
        ω₀ (K), barrier U (K), width d (Å), ion mass M (u); defaults are the review's values.
    prefactor : float
        The constant C; the review leaves it unspecified (T_c ∝ …). Pass 1.0 to get the bare
        t_effB (n_B a³)^{2/3}.

    Returns
    -------
    float
        T_c in K.
    """
    d = barrier_transparency(barrier_k=barrier_k, width_angstrom=width_angstrom, mass_amu=mass_amu)
    return prefactor * effective_pair_hopping_k(x, omega0_k=omega0_k, transparency=d) * boson_density(x) ** (2 / 3)


def _bose_sum_1d_cubed(beta2: float, m_max: int) -> float:
    """Σ_{m≥1} [ive(0, m·beta2)]³ with the tail m > m_max summed from the asymptotic expansion."""
    m = np.arange(1, m_max + 1, dtype=float)
    head = float(np.sum(special.ive(0, m * beta2) ** 3))
    # [ive(0,z)]³ ≈ (2πz)^{-3/2} Σ_k c_k z^{-k}, z = m·beta2  →  Σ_m m^{-3/2-k} = ζ(3/2+k, m_max+1).
    tail = 0.0
    for k, c in enumerate(_I0_CUBED):
        tail += c * beta2 ** (-k) * float(special.zeta(1.5 + k, m_max + 1))
    return head + tail * (2.0 * math.pi * beta2) ** -1.5


def lattice_boson_density(temperature: float, *, t_b: float = 1.0) -> float:
    """Return the density per site of ideal bosons on the simple-cubic lattice at μ = 0 (the critical density).

    n(T) = ∫ d³k/(2π)³ [exp(ε_k/T) − 1]^{-1}, ε_k = 2 t_B Σ_α (1 − cos k_α).

    Parameters
    ----------
    temperature : float
        T in the energy unit of ``t_b`` (k_B = 1), > 0.
    t_b : float
        Boson hopping t_B, > 0.

    Returns
    -------
    float
        Bosons per site.

    Raises
    ------
    InputError
        For a non-positive temperature or hopping.
    """
    require(temperature > 0, "temperature", temperature, "a positive temperature")
    require(t_b > 0, "t_b", t_b, "a positive boson hopping")
    beta2 = 2.0 * t_b / temperature  # argument of the Bessel function per Bose-series order
    m_max = max(8, math.ceil(_Z_TAIL / beta2))
    return _bose_sum_1d_cubed(beta2, m_max)


def lattice_boson_tc(density: float, *, t_b: float = 1.0) -> float:
    """Return the condensation temperature of ideal bosons on the simple-cubic lattice at ``density`` per site.

    Solves n(T_c) = density with :func:`lattice_boson_density`. Reference values
    k_B T_c/t_B = 0.0660, 0.3011, 1.2664, 3.4168, 5.5910 at n = 0.001, 0.01, 0.1, 0.5, 1.

    Parameters
    ----------
    density : float
        Bosons per site, > 0.
    t_b : float
        Boson hopping t_B, > 0.

    Returns
    -------
    float
        T_c in the unit of ``t_b`` (k_B = 1).

    Raises
    ------
    InputError
        For a non-positive or infinite density or a non-positive hopping.
    """
    require(density > 0 and math.isfinite(density), "density", density, "a positive finite density per site")
    require(t_b > 0, "t_b", t_b, "a positive boson hopping")
    # n(T) grows from 0 to ∞ monotonically; bracket in log T around the high-T form n ≈ T W/2 − 1/2.
    lo, hi = 1e-6, 10.0 * (density + 1.0)
    root = optimize.brentq(lambda lt: lattice_boson_density(math.exp(lt)) - density, math.log(lo), math.log(hi),
                           xtol=1e-13, rtol=1e-13)
    return t_b * math.exp(root)


def watson_integral() -> float:
    """Return Watson's integral W = (1/π³)∫∫∫ dk/(3 − cos k_x − cos k_y − cos k_z) = ∫_0^∞ [e^{−t} I₀(t)]³ dt.

    Evaluated as a quadrature up to t = 60 plus the closed-form tail of the large-t expansion
    (≈ 0.50546202). Serves as a check of the Bessel-series machinery used for the lattice T_c.

    Returns
    -------
    float
        W.
    """
    head, _ = integrate.quad(lambda t: special.ive(0, t) ** 3, 0.0, _Z_TAIL, epsabs=1e-14, epsrel=1e-13, limit=400)
    # ∫_Z^∞ (2πt)^{-3/2} c_k t^{-k} dt = c_k (2π)^{-3/2} Z^{-1/2-k}/(1/2+k)
    tail = sum(c * _Z_TAIL ** (-0.5 - k) / (0.5 + k) for k, c in enumerate(_I0_CUBED))
    return head + tail * (2.0 * math.pi) ** -1.5


def fermi_bose_lattice_tc(x: float, *, mass_matched: bool = True, omega0_k: float = REVIEW_OMEGA0_K,
                          transparency: float | None = None) -> float:
    """Return the lattice-boson T_c in kelvin at the review's pair density n_B a³ = (1−x)/2 and hopping t_effB.

    Parameters
    ----------
    x : float
        Potassium concentration.
    mass_matched : bool
        If true, the lattice hopping is t_B = t_effB/2 so that the band mass ħ²/(2t_B a²) equals
        the review's m_eff = ħ²/(t_effB a²); if false, t_B = t_effB.
    omega0_k, transparency : float
        As in :func:`effective_pair_hopping_k`.

    Returns
    -------
    float
        T_c in K.
    """
    t_eff = effective_pair_hopping_k(x, omega0_k=omega0_k, transparency=transparency)
    return lattice_boson_tc(boson_density(x), t_b=t_eff / 2.0 if mass_matched else t_eff)


def tc_kelvin_to_ev(tc_k: float) -> float:
    """Return k_B T_c in eV (convenience for comparing with model energies).

    Parameters
    ----------
    tc_k : float
        T_c in K.

    Returns
    -------
    float
        k_B T_c in eV.
    """
    return tc_k * KB_EV_PER_K


#: The T_c conventions of :func:`tc_conventions`: (label, constant C, mass convention, kind).
TC_CONVENTIONS: tuple[tuple[str, str, str], ...] = (
    ("review Eq. (8) as printed (C = 1)", "1", "m = ħ²/(t_effB a²) (Eq. 6)"),
    ("continuum BEC", "2π/ζ(3/2)^{2/3} = 3.31", "m = ħ²/(t_effB a²) (Eq. 6)"),
    ("continuum BEC", "2π/ζ(3/2)^{2/3} = 3.31", "m = ħ²/(2 t_effB a²) (band mass of hopping t_effB)"),
    ("ideal bosons on the simple-cubic lattice", "lattice sum", "t_B = t_effB/2 (band mass = Eq. 6)"),
    ("ideal bosons on the simple-cubic lattice", "lattice sum", "t_B = t_effB (band mass ħ²/(2 t_effB a²))"),
)


def tc_conventions(xs: list[float]) -> list[dict[str, Any]]:
    """Return T_c(x) in kelvin under each of :data:`TC_CONVENTIONS` (the review fixes neither C nor the mass).

    All share t_effB = ω₀ exp(−⟨N⟩D) and n_B a³ = (1−x)/2 with the review's parameters.

    Parameters
    ----------
    xs : list of float
        Potassium concentrations.

    Returns
    -------
    list of dict
        One dict per convention: ``formula``, ``constant``, ``mass`` and ``tc_K`` (one value per x).
    """
    per_x = [(fermi_bose_tc(x, prefactor=1.0), fermi_bose_lattice_tc(x, mass_matched=True), fermi_bose_lattice_tc(x, mass_matched=False))
             for x in xs]
    values = [[b for b, _, _ in per_x], [CONTINUUM_BEC_PREFACTOR * b for b, _, _ in per_x],
              [2.0 * CONTINUUM_BEC_PREFACTOR * b for b, _, _ in per_x], [m for _, m, _ in per_x], [u for _, _, u in per_x]]
    return [{"formula": f, "constant": c, "mass": m, "tc_K": v} for (f, c, m), v in zip(TC_CONVENTIONS, values)]
