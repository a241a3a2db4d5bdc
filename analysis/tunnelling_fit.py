"""Pair tunnelling through a fermionic barrier: the exp(−⟨N⟩D) rule of the review, tested by ED.

A local pair on bosonic site A tunnels to bosonic site B through N fermionic sites (conversion g
into a fermion pair, which crosses the barrier virtually). The splitting Δ(N) of the two lowest
states (pair on A ± pair on B) is the effective pair hopping, 2 t_eff. The review's rule
t_eff = ω0 exp(−⟨N⟩D) says ln Δ is linear in N with slope −D.

For a 1D barrier of hopping t_F the virtual pair of two independent fermions at total energy
E < −4t_F decays per site as exp(−2κ) with cosh κ = |E|/(4 t_F): each fermion carries E/2.
That closed form, :func:`two_fermion_decay_constant`, is the independent reference for the
large-N slope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localpairs.errors import InputError, require


@dataclass(frozen=True)
class DecayFit:
    """Least-squares fit of ln Δ(N) = ln A − D N − p ln N (p = 0 unless asked for).

    Attributes
    ----------
    D, D_error
        Decay constant per fermionic site and its standard error.
    prefactor
        A in the units of Δ.
    power
        p, the power of a N^−p prefactor (0 when not fitted).
    max_residual
        Largest |ln Δ − fit| (a measure of how exponential the data are).
    """

    D: float
    D_error: float
    prefactor: float
    power: float
    max_residual: float


def fit_exponential_decay(n_sites: np.ndarray, splitting: np.ndarray, *, power_law: bool = False) -> DecayFit:
    """Fit ln Δ = ln A − D·N (− p ln N with ``power_law``) to splittings Δ(N) > 0.

    A virtual pair crossing N sites picks up a power-law prefactor besides the exponential
    (phase-space of the two fermions), which makes the local slope approach D only as 1/N;
    ``power_law=True`` fits it.

    Parameters
    ----------
    n_sites : numpy.ndarray
        Barrier lengths N ≥ 1.
    splitting : numpy.ndarray
        Splittings Δ(N) > 0 in eV.
    power_law : bool
        Fit the N^−p prefactor too.

    Returns
    -------
    DecayFit
        The fit.

    Raises
    ------
    InputError
        For too few points, N < 1 or non-positive splittings.
    """
    n = np.asarray(n_sites, dtype=float)
    d = np.asarray(splitting, dtype=float)
    columns = 3 if power_law else 2
    require(n.shape == d.shape and n.size >= columns + 1, "n_sites", n.tolist(), f"at least {columns + 1} N ≥ 1 with one splitting each")
    require(bool(np.all(n >= 1)), "n_sites", n.tolist(), "barrier lengths N ≥ 1")
    if np.any(~np.isfinite(d)) or np.any(d <= 0):
        raise InputError("splitting", d.tolist(), "positive finite splittings (eV)")
    cols = [np.ones_like(n), -n] + ([-np.log(n)] if power_law else [])
    design = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(design, np.log(d), rcond=None)
    resid = np.log(d) - design @ coef
    dof = max(n.size - columns, 1)
    cov = np.linalg.inv(design.T @ design) * max(resid @ resid, 1e-300) / dof
    return DecayFit(
        D=float(coef[1]),
        D_error=float(np.sqrt(cov[1, 1])),
        prefactor=float(np.exp(coef[0])),
        power=float(coef[2]) if power_law else 0.0,
        max_residual=float(np.abs(resid).max()),
    )


def two_fermion_decay_constant(energy: float, t_f: float) -> float:
    """Return 2 arccosh(|E|/(4 t_F)): per-site decay of a virtual fermion pair at energy E < −4 t_F (1D).

    Parameters
    ----------
    energy : float
        The pair's energy in eV.
    t_f : float
        Fermion hopping t_F in eV (> 0).

    Returns
    -------
    float
        Decay constant per site.

    Raises
    ------
    InputError
        When t_F ≤ 0 or E is not below the continuum edge −4 t_F.
    """
    require(t_f > 0, "t_F", t_f, "a positive hopping in eV")
    require(energy < -4 * t_f, "energy", energy, f"below the two-fermion continuum edge −4 t_F = {-4 * t_f:g} eV")
    return float(2.0 * np.arccosh(abs(energy) / (4.0 * t_f)))


@dataclass(frozen=True)
class DecayRegime:
    """Where the splittings fall monotonically, and the exponential fit there (None if no regime).

    Attributes
    ----------
    n_used : tuple of int
        The barrier lengths of the fit (the longest strictly falling run that ends at the largest N).
    fit : DecayFit or None
        None when that run has fewer than three points.
    reason : str
        Why there is no fit (empty otherwise).
    continuum_edge : float or None
        −4 t_F in eV.
    below_continuum : bool or None
        Whether the pair's energy lies below the two-fermion continuum, the condition for tunnelling
        through an evanescent barrier.
    reference_D : float or None
        Then the closed-form large-N decay constant.
    """

    n_used: tuple[int, ...]
    fit: DecayFit | None
    reason: str
    continuum_edge: float | None = None
    below_continuum: bool | None = None
    reference_D: float | None = None


def decay_regime(n_sites: np.ndarray, splitting: np.ndarray, *, ground_energy: float | None = None,
                 t_f: float | None = None) -> DecayRegime:
    """Fit ln Δ = ln A − D·N only on the strictly falling tail of Δ(N) (at least three points).

    Parameters
    ----------
    n_sites, splitting : numpy.ndarray
        Barrier lengths (increasing) and splittings Δ(N) > 0 in eV.
    ground_energy, t_f : float, optional
        The pair's ground energy at the largest N and the fermion hopping (eV), both optional: with
        them the result says whether the pair lies below the continuum edge −4 t_F.

    Returns
    -------
    DecayRegime
        The regime and its fit.

    Raises
    ------
    InputError
        For non-increasing lengths or arrays of different shapes.
    """
    n = np.asarray(n_sites, dtype=float)
    d = np.asarray(splitting, dtype=float)
    require(n.ndim == 1 and n.shape == d.shape and bool(np.all(np.diff(n) > 0)), "n_sites", n.tolist(),
            "increasing barrier lengths with one splitting each")
    start = n.size - 1
    while start > 0 and d[start - 1] > d[start]:
        start -= 1
    used = tuple(int(v) for v in n[start:])
    edge = below = ref = None
    if ground_energy is not None and t_f is not None:
        edge = -4.0 * t_f
        below = bool(ground_energy < edge)
        ref = two_fermion_decay_constant(ground_energy, t_f) if below else None
    if len(used) < 3:
        rises = f"Δ rises from N = {int(n[start - 1])} to {int(n[start])}" if start > 0 else "too few lengths"
        return DecayRegime(used, None, f"no exponential regime: Δ(N) falls monotonically on fewer than 3 lengths ({rises})", edge, below, ref)
    fit = fit_exponential_decay(n[start:], d[start:])
    reason = f"Δ(N) falls monotonically for N = {used[0]}–{used[-1]}"
    if below is False:
        reason += (f"; but the pair energy {ground_energy:.3g} eV lies inside the two-fermion continuum (edge {edge:.3g} eV): "
                   "the fall is that of a finite-chain level spacing, not an evanescent barrier")
    return DecayRegime(used, fit, reason, edge, below, ref)
