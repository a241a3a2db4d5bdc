"""Observables of any state (real or complex) in a sector basis.

Density-type observables are read off the basis states' bit patterns (one pass, no operator
matrices); pair correlations use QuSpin's ``basis.Op`` matrix elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.basis import quspin_terms


def occupations(basis: Any, n_sites: int) -> tuple[np.ndarray, np.ndarray]:
    """Read the spin-up and spin-down occupations of every basis state off its bit pattern.

    QuSpin stores site i spin up in bit ``2L − 1 − i`` and spin down in bit ``L − 1 − i``.

    Parameters
    ----------
    basis : Any
        A QuSpin spinful-fermion basis (or a basis with the same ``states``).
    n_sites : int
        Number of sites L.

    Returns
    -------
    up : numpy.ndarray
        (dim, L) uint8 occupations (0 or 1) of spin up.
    down : numpy.ndarray
        (dim, L) uint8 occupations of spin down.
    """
    states = np.asarray(basis.states).astype(np.uint64)
    L = n_sites
    shifts_up = np.array([2 * L - 1 - i for i in range(L)], dtype=np.uint64)
    shifts_dn = np.array([L - 1 - i for i in range(L)], dtype=np.uint64)
    up = ((states[:, None] >> shifts_up[None, :]) & np.uint64(1)).astype(np.uint8)
    dn = ((states[:, None] >> shifts_dn[None, :]) & np.uint64(1)).astype(np.uint8)
    return up, dn


def _probabilities(psi: np.ndarray) -> np.ndarray:
    p = np.abs(np.asarray(psi)) ** 2
    return p / p.sum()


def expectation_of_term(model: Model, basis: Any, psi: np.ndarray, opstr: str, indices: list) -> complex:
    """Compute ⟨ψ|O|ψ⟩/⟨ψ|ψ⟩ for one spinful operator string with unit coupling.

    Parameters
    ----------
    model : Model
        The model (its basis kind decides how the operator string is written for QuSpin).
    basis : Any
        The QuSpin basis of ``psi``.
    psi : numpy.ndarray
        The state (not necessarily normalized).
    opstr : str
        Spinful operator string, e.g. ``"+-|+-"``.
    indices : list
        Site indices, one per operator character.

    Returns
    -------
    complex
        The expectation value.
    """
    [[op, [[_, *idx]]]] = quspin_terms(model, [[opstr, [[1.0, *indices]]]])
    me, row, col = basis.Op(op, idx, 1.0, np.complex128)
    psi = np.asarray(psi)
    return complex(np.sum(np.conj(psi[row]) * me * psi[col]) / np.vdot(psi, psi))


@dataclass(frozen=True)
class StateObservables:
    """Observables of one state.

    Parameters
    ----------
    site_charge : numpy.ndarray
        ⟨n_i⟩ per site.
    double_occupancy : numpy.ndarray
        ⟨n_i↑ n_i↓⟩ per site.
    unpaired : float
        Expected number of singly occupied sites, Σ_i ⟨n_i − 2 n_i↑ n_i↓⟩.
    lpdw_order : float
        Staggered charge (1/N) Σ_i (−1)^{s_i} ⟨n_i⟩ with s_i the rock-salt sublattice
        (positive when sublattice 0, the parent's large octahedra, holds more charge).
    charge_correlations : numpy.ndarray
        Connected ⟨n_i n_j⟩ − ⟨n_i⟩⟨n_j⟩ (L×L).
    pair_correlations : numpy.ndarray or None
        ⟨Δ†_i Δ_j⟩ with Δ_i = c_i↓ c_i↑ (L×L, complex; diagonal = double occupancy), or None.
    """

    site_charge: np.ndarray
    double_occupancy: np.ndarray
    unpaired: float
    lpdw_order: float
    charge_correlations: np.ndarray
    pair_correlations: np.ndarray | None


def lpdw_order(site_charge: np.ndarray, sublattice: np.ndarray) -> float:
    """Compute the staggered charge (1/N) Σ_i (−1)^{s_i} n_i (see :class:`StateObservables`).

    Parameters
    ----------
    site_charge : numpy.ndarray
        (N,) charges n_i.
    sublattice : numpy.ndarray
        (N,) rock-salt sublattice s_i (0 or 1).

    Returns
    -------
    float
        The LPDW order (positive when sublattice 0 holds more charge).
    """
    signs = 1 - 2 * np.asarray(sublattice)
    return float(np.mean(signs * np.asarray(site_charge)))


def pair_correlations(model: Model, basis: Any, psi: np.ndarray, double_occupancy: np.ndarray) -> np.ndarray:
    """Compute ⟨Δ†_i Δ_j⟩ for all i, j (Δ†_i Δ_j = c†_i↑ c_j↑ c†_i↓ c_j↓, QuSpin's ``"+-|+-"``).

    Parameters
    ----------
    model : Model
        The model.
    basis : Any
        The QuSpin basis of ``psi``.
    psi : numpy.ndarray
        The state.
    double_occupancy : numpy.ndarray
        (L,) ⟨n_i↑ n_i↓⟩, the diagonal.

    Returns
    -------
    numpy.ndarray
        (L, L) complex Hermitian matrix.
    """
    L = model.n_sites
    out = np.zeros((L, L), dtype=complex)
    for i in range(L):
        out[i, i] = double_occupancy[i]
        for j in range(i + 1, L):
            val = expectation_of_term(model, basis, psi, "+-|+-", [i, j, i, j])
            out[i, j] = val
            out[j, i] = np.conj(val)
    return out


def _densities(model: Model, basis: Any, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """⟨n_i⟩, ⟨n_i↑ n_i↓⟩ and ⟨n_i n_j⟩ read off the basis states' bit patterns."""
    up, dn = occupations(basis, model.n_sites)
    p = _probabilities(psi)
    n_site = up.astype(float) + dn
    return p @ n_site, p @ (up & dn).astype(float), (n_site * p[:, None]).T @ n_site


def _observables(model: Model, charge: np.ndarray, dbl: np.ndarray, nn: np.ndarray, pairs: np.ndarray | None) -> StateObservables:
    return StateObservables(
        site_charge=charge,
        double_occupancy=dbl,
        unpaired=float(np.sum(charge - 2 * dbl)),
        lpdw_order=lpdw_order(charge, model.cluster.sublattice),
        charge_correlations=nn - np.outer(charge, charge),
        pair_correlations=pairs,
    )


def measure(model: Model, basis: Any, psi: np.ndarray, *, with_pairs: bool = True) -> StateObservables:
    """Measure all observables of state ``psi`` (a vector in ``basis``) of ``model``.

    Parameters
    ----------
    model : Model
        The model.
    basis : Any
        The basis of ``psi`` (QuSpin's, or a basis with the same ``states`` when
        ``with_pairs`` is False).
    psi : numpy.ndarray
        The state (not necessarily normalized).
    with_pairs : bool, optional
        Also compute the pair correlations (QuSpin ``basis.Op`` per pair).

    Returns
    -------
    StateObservables
        The observables.
    """
    charge, dbl, nn = _densities(model, basis, psi)
    pairs = pair_correlations(model, basis, psi, dbl) if with_pairs else None
    return _observables(model, charge, dbl, nn, pairs)


def measure_translation_averaged(model: Model, basis: Any, psi: np.ndarray, perms: np.ndarray) -> StateObservables:
    """Density observables of a momentum eigenstate in a translation-block ``basis``.

    The basis states are orbit representatives, so bit-pattern densities hold for the
    representatives only; averaging them over the translations ``perms`` ((|G|, L) site
    permutations, :func:`~localpairs.solvers.hilbert.lattice_symmetry.translation_group`) is exact for a momentum
    eigenstate, whose densities are translation invariant. Pair correlations are not computed
    (None): they are off-diagonal in the block basis.

    Parameters
    ----------
    model : Model
        The model.
    basis : Any
        The translation-block basis of ``psi``.
    psi : numpy.ndarray
        The momentum eigenstate.
    perms : numpy.ndarray
        (|G|, L) site permutations of the translation group.

    Returns
    -------
    StateObservables
        The translation-averaged density observables (``pair_correlations`` None).
    """
    charge, dbl, nn = _densities(model, basis, psi)
    return _observables(
        model,
        np.mean([charge[g] for g in perms], axis=0),
        np.mean([dbl[g] for g in perms], axis=0),
        np.mean([nn[np.ix_(g, g)] for g in perms], axis=0),
        None,
    )


def energy(matrix: Any, psi: np.ndarray) -> float:
    """Compute the energy ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩.

    Parameters
    ----------
    matrix : Any
        H as a matrix or anything with ``@`` (eV).
    psi : numpy.ndarray
        The state.

    Returns
    -------
    float
        The energy in eV.
    """
    psi = np.asarray(psi)
    return float(np.real(np.vdot(psi, matrix @ psi) / np.vdot(psi, psi)))
