r"""Gaps from spectra: spectral edges, the optical gap, and the energy scales E_G, E_a, E_b.

All functions are pure: they take pole arrays or the Datasets returned by
:func:`localpairs.solvers.spectra.spectral_functions.spectra` / :func:`localpairs.solvers.spectra.conductivity.optical_conductivity`
and return eV.

Edges
-----
Pole energies of a spectrum are ``E_n − E_ref`` (``E_ref`` the ground-state energy). Poles
closer than :data:`MERGE_TOL` are merged (degenerate multiplets seen by several channels, and
the copies a Lanczos chain makes of converged poles), and the **edge** is the lowest merged pole
whose weight is at least ``rel_threshold`` times the spectrum's total weight (default
:data:`EDGE_THRESHOLD`). Edges are exact many-body excitation energies (no broadening), e.g. the
addition edge is ``E(N+1) − E(N)`` whenever ``c†|ψ⟩`` overlaps the ground state of N + 1.

- single-particle gap ``Δ1 = ε_add + ε_rem = E(N+1) + E(N−1) − 2E(N)`` (addition and removal
  edges of the electron spectra);
- two-particle gap ``Δ2 = (ε_pair-add + ε_pair-rem)/2 = [E(N+2) + E(N−2) − 2E(N)]/2``, per
  electron (pair spectra);
- optical gap ``E_G`` (:func:`optical_gap`, the one definition used by every study and report:
  the spectra study's E_G, the XFEL fits' E_G and the pump's photon energy): the lowest
  current-carrying excitation whose share of ∫σ dω is at least a fraction (pole weights
  ``|⟨n|j|ψ⟩|²/ω_n``, twist-averaged). For comparison with a measured absorption band,
  :func:`curve_onset` (first ω where σ reaches a fraction of its maximum) and
  :func:`curve_peak` are also given.

These are the same Δ1 and Δ2 that :mod:`localpairs.analysis.pair_binding` defines from ground-state
energies E(N); the two routes agree when the edges carry weight.

E_G, E_a and E_b from the model
-------------------------------
The review (Menushenkov & Kagan 2026) writes the optical gap of BaBiO3 as ``E_G = E_b + 2E_a``,
with ``2E_a`` the two-particle (transport, activation) gap and ``E_b`` the pair binding energy.
From the model we define, per electron,

- ``2E_a := Δ2``, the two-particle gap: the energy per electron to move a local pair from one
  cluster to another far away (in the atomic limit of a breathing splitting ±Δ: 2Δ);
- ``E_b := Δ1 − Δ2 = −[E_pb(N) + E_pb(N−2)]/2``, the mean binding energy of an added electron
  pair and an added hole pair (``E_pb(N) = E(N+2) + E(N) − 2E(N+1)``; atomic limit: |U|);

so that ``E_b + 2E_a = Δ1`` is an identity in the ground-state energies, and comparing it with
the optical ``E_G`` measures how much the neutral (photon) excitation gains over two separated
charges (excitonic binding). (If instead the activation energy of thermally created charge-2e
carriers were taken, ``E_a`` would be Δ2, not Δ2/2; the report states which is used.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from localpairs.analysis.pair_binding import single_particle_gap, two_particle_gap
from localpairs.errors import InputError
from localpairs.solvers.spectra.optical_transitions import ZERO_FREQUENCY

#: Poles closer than this (eV) are merged before thresholds are applied (equal to the optical
#: zero-frequency cut-off :data:`~localpairs.solvers.spectra.optical_transitions.ZERO_FREQUENCY`).
MERGE_TOL = 1e-6
#: An edge needs at least this fraction of the spectrum's total weight.
EDGE_THRESHOLD = 1e-3
#: Default share of ∫σ dω the optical gap's pole needs (the spectra study's default).
OPTICAL_THRESHOLD = 1e-2
#: Default fraction of max σ for :func:`curve_onset`.
ONSET_FRACTION = 0.1


def merge_poles(energies: np.ndarray, weights: np.ndarray, *, tol: float = MERGE_TOL) -> tuple[np.ndarray, np.ndarray]:
    """Flatten, drop zero weights, sort, and sum poles within ``tol`` of their group's first pole.

    Parameters
    ----------
    energies : numpy.ndarray
        Pole positions in eV (any shape).
    weights : numpy.ndarray
        Their weights, same shape.
    tol : float
        Merge distance in eV.

    Returns
    -------
    tuple of numpy.ndarray
        Merged pole energies (eV, ascending) and their summed weights.
    """
    e = np.ravel(np.asarray(energies, dtype=float))
    w = np.ravel(np.asarray(weights, dtype=float))
    keep = (w > 0) & np.isfinite(e)
    e, w = e[keep], w[keep]
    order = np.argsort(e)
    e, w = e[order], w[order]
    out_e: list[float] = []
    out_w: list[float] = []
    for ei, wi in zip(e, w):
        if out_e and ei - out_e[-1] <= tol:
            out_w[-1] += wi
        else:
            out_e.append(float(ei))
            out_w.append(float(wi))
    return np.array(out_e), np.array(out_w)


def spectral_edge(energies: np.ndarray, weights: np.ndarray, *, rel_threshold: float = EDGE_THRESHOLD, above: float | None = None) -> float:
    """Return the lowest merged pole (above ``above`` if given) with weight ≥ ``rel_threshold`` × total weight.

    Parameters
    ----------
    energies : numpy.ndarray
        Pole positions in eV (any shape).
    weights : numpy.ndarray
        Their weights, same shape.
    rel_threshold : float
        Share of the total weight, in (0, 1].
    above : float, optional
        Only poles above this energy (eV) count.

    Returns
    -------
    float
        The edge in eV.

    Raises
    ------
    InputError
        For a threshold outside (0, 1] or a spectrum without weight.
    """
    if not 0 < rel_threshold <= 1:
        raise InputError("rel_threshold", rel_threshold, "a fraction in (0, 1]")
    e, w = merge_poles(energies, weights)
    if above is not None:
        sel = e > above
        e, w = e[sel], w[sel]
    total = w.sum()
    hit = np.flatnonzero(w >= rel_threshold * total) if total > 0 else np.array([], dtype=int)
    if hit.size == 0:
        raise InputError("spectrum", "no weight", "a spectrum with poles (the operator annihilates the state)")
    return float(e[hit[0]])


def edge_of(ds: xr.Dataset, *, rel_threshold: float = EDGE_THRESHOLD) -> float:
    """Return the edge of a :func:`~localpairs.solvers.spectra.spectral_functions.spectra` Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        The spectrum (all channels, channel weights applied).
    rel_threshold : float
        As for :func:`spectral_edge`.

    Returns
    -------
    float
        The edge in eV (as E_n − E_ref).
    """
    weights = ds["pole_weight"].values * ds["weight"].values[:, None]
    return spectral_edge(ds["pole_energy"].values, weights, rel_threshold=rel_threshold)


def gap_from_edges(addition_edge: float, removal_edge: float) -> float:
    """Return ``addition_edge + removal_edge``: E(N+n) + E(N−n) − 2E(N) for n-particle spectra.

    Parameters
    ----------
    addition_edge, removal_edge : float
        The two edges in eV, both as E_n − E_ref.

    Returns
    -------
    float
        The gap in eV.
    """
    return float(addition_edge + removal_edge)


def optical_gap(excitation_energy: ArrayLike, absorption: ArrayLike, *, fraction: float = OPTICAL_THRESHOLD) -> float:
    """Return the optical gap E_G in eV: the lowest optical pole carrying at least ``fraction`` of ∫σ dω.

    The one definition of the optical gap in this package. Poles at or below
    :data:`~localpairs.solvers.spectra.optical_transitions.ZERO_FREQUENCY` (the ground state and
    its degenerate partners) are dropped, poles within :data:`MERGE_TOL` are merged (degenerate
    multiplets, twist copies, Lanczos copies of a converged pole), and E_G is the lowest merged
    pole whose absorption is at least ``fraction`` × the total absorption of the remaining poles.

    Parameters
    ----------
    excitation_energy : array_like
        Pole positions ``ω_n = E_n − E_0`` in eV, any shape (e.g. twist × pole).
    absorption : array_like
        Integrated Re σ of each pole, ∝ ``|⟨n|j|0⟩|²/ω_n`` (any units; twist weights applied), same
        shape; poles of weight 0 (padding) are ignored.
    fraction : float
        Share of the total absorption, in (0, 1].

    Returns
    -------
    float
        E_G in eV.

    Raises
    ------
    InputError
        If ``fraction`` is outside (0, 1], the shapes differ or no pole above the cut-off has weight.

    Notes
    -----
    Why a share of the total, not of the strongest pole: ∫σ dω over all poles is a ground-state
    property (f-sum rule: ⟨∂²H/∂A²⟩/2 minus the Drude weight), so "carries f of the optical
    weight" does not depend on how that weight happens to be distributed among poles. Measured against the
    strongest pole instead, the threshold halves when that pole splits into two (a symmetry
    lowered by a twist or a small term, a multiplet split by more than the merge tolerance), and
    it falls as a larger cluster spreads the band over more poles; a weak low pole can then pass
    or fail the threshold for reasons unrelated to its own weight. (On a cluster large enough for
    a quasi-continuous band no single pole keeps a fixed share; then lower ``fraction`` or use
    :func:`curve_onset`.)
    """
    omega, weight = np.asarray(excitation_energy, dtype=float), np.asarray(absorption, dtype=float)
    if omega.shape != weight.shape:
        raise InputError("absorption", f"shape {weight.shape}", f"one weight per pole (shape {omega.shape})")
    if not 0 < fraction <= 1:
        raise InputError("fraction", fraction, "a share of ∫σ dω in (0, 1]")
    regular = omega > ZERO_FREQUENCY
    return spectral_edge(omega[regular], weight[regular], rel_threshold=fraction)


def conductivity_gap(conductivity: xr.Dataset, *, fraction: float = OPTICAL_THRESHOLD) -> float:
    """Return the :func:`optical_gap` of an :func:`~localpairs.solvers.spectra.conductivity.optical_conductivity` Dataset.

    Parameters
    ----------
    conductivity : xarray.Dataset
        The optical conductivity (twist-averaged ∫σ per pole).
    fraction : float
        As for :func:`optical_gap`.

    Returns
    -------
    float
        E_G in eV.
    """
    w = conductivity["sigma_weight"].values * conductivity["twist_weight"].values[:, None]
    return optical_gap(conductivity["pole_energy"].values, w, fraction=fraction)


def curve_onset(omega: np.ndarray, values: np.ndarray, *, fraction: float = ONSET_FRACTION) -> float:
    """Return the first ω where ``values`` reaches ``fraction`` × its maximum (broadened-curve onset).

    Parameters
    ----------
    omega : numpy.ndarray
        Energy grid in eV.
    values : numpy.ndarray
        The curve on ``omega``.
    fraction : float
        Share of the maximum, in (0, 1].

    Returns
    -------
    float
        The onset in eV.

    Raises
    ------
    InputError
        For a fraction outside (0, 1] or a curve without a positive maximum.
    """
    values = np.asarray(values, dtype=float)
    if not 0 < fraction <= 1:
        raise InputError("fraction", fraction, "a fraction in (0, 1]")
    if values.size == 0 or values.max() <= 0:
        raise InputError("values", "no weight", "a curve with a positive maximum")
    return float(np.asarray(omega)[np.argmax(values >= fraction * values.max())])


def curve_peak(omega: np.ndarray, values: np.ndarray) -> float:
    """Return the ω at the maximum of ``values``.

    Parameters
    ----------
    omega : numpy.ndarray
        Energy grid in eV.
    values : numpy.ndarray
        The curve on ``omega``.

    Returns
    -------
    float
        The peak position in eV.
    """
    return float(np.asarray(omega)[int(np.argmax(values))])


@dataclass(frozen=True)
class EnergyScales:
    """Δ1, Δ2 and the optical gap in eV, with the derived E_a, E_b (see the module docstring).

    Attributes
    ----------
    single_particle_gap : float
        Δ1 in eV.
    two_particle_gap : float
        Δ2 in eV.
    optical_gap : float or None
        E_G in eV (None: not computed).
    """

    single_particle_gap: float
    two_particle_gap: float
    optical_gap: float | None = None

    @property
    def E_a(self) -> float:
        """Activation energy: ``2E_a = Δ2``."""
        return 0.5 * self.two_particle_gap

    @property
    def E_b(self) -> float:
        """Pair binding energy ``Δ1 − Δ2``."""
        return self.single_particle_gap - self.two_particle_gap

    @property
    def E_b_plus_2E_a(self) -> float:
        """``E_b + 2E_a`` (= Δ1 by construction)."""
        return self.E_b + 2.0 * self.E_a

    def rows(self) -> list[tuple[str, str, float | None]]:
        """List the scales as rows for reports.

        Returns
        -------
        list of tuple
            ``(name, definition, value in eV or None)``.
        """
        return [
            ("Δ1", "single-particle gap E(N+1) + E(N−1) − 2E(N)", self.single_particle_gap),
            ("Δ2", "two-particle gap per electron [E(N+2) + E(N−2) − 2E(N)]/2", self.two_particle_gap),
            ("2E_a", "Δ2 (two-particle transport gap)", 2.0 * self.E_a),
            ("E_a", "Δ2/2", self.E_a),
            ("E_b", "Δ1 − Δ2 (mean electron- and hole-pair binding)", self.E_b),
            ("E_b + 2E_a", "= Δ1", self.E_b_plus_2E_a),
            ("E_G", "optical gap (σ(ω) edge)", self.optical_gap),
        ]


def scales_from_energies(energies: Mapping[int, float], n: int, *, optical: float | None = None) -> EnergyScales:
    """Build :class:`EnergyScales` from ground-state energies E(N−2 … N+2) (:mod:`~localpairs.analysis.pair_binding`).

    Parameters
    ----------
    energies : Mapping of int to float
        E(N) in eV by electron number.
    n : int
        The filling N.
    optical : float, optional
        The optical gap E_G in eV.

    Returns
    -------
    EnergyScales
        Δ1, Δ2, E_G and the derived scales.
    """
    return EnergyScales(single_particle_gap(energies, n), two_particle_gap(energies, n), optical)
