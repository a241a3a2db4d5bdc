"""Observables of real and complex states against dense Jordan–Wigner expectation values."""

import numpy as np
import pytest

from localpairs.hamiltonians import extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import energy, hamiltonian_matrix, measure, sector, solve

from jw_reference import c, number

#: Expectation values of normalized states: round-off only.
TOL = 1e-12


def embed(basis, psi, n_sites):
    """The sector vector as a Fock-space vector (basis.states are Fock integers, see jw_reference)."""
    full = np.zeros(1 << (2 * n_sites), dtype=complex)
    full[np.asarray(basis.states, dtype=np.int64)] = psi
    return full / np.linalg.norm(full)


def reference(full, L):
    charge = np.array([np.vdot(full, (number(L, i, 0) + number(L, i, 1)) @ full).real for i in range(L)])
    dbl = np.array([np.vdot(full, number(L, i, 0) @ number(L, i, 1) @ full).real for i in range(L)])
    pairs = np.zeros((L, L), dtype=complex)
    for i in range(L):
        for j in range(L):
            op = c(L, i, 0).T @ c(L, i, 1).T @ c(L, j, 1) @ c(L, j, 0)  # Δ†_i Δ_j
            pairs[i, j] = np.vdot(full, op @ full)
    nn = np.array([[np.vdot(full, (number(L, i, 0) + number(L, i, 1)) @ (number(L, j, 0) + number(L, j, 1)) @ full).real for j in range(L)] for i in range(L)])
    return charge, dbl, pairs, nn - np.outer(charge, charge)


@pytest.mark.parametrize("complex_state", [False, True])
def test_hubbard_observables(complex_state):
    cl = make_cluster("plaquette")
    m = extended_hubbard(cl, t=1.0, U=-2.0, V=0.2, breathing=0.4)
    res = solve(m, sector(electrons=4), n_states=3)
    psi = res.ground_state.astype(complex)
    if complex_state:  # a superposition with complex weights: pair correlations become complex
        psi = psi + (0.3 + 0.7j) * res.states[:, 1] + (0.2 - 0.4j) * res.states[:, 2]
    obs = measure(m, res.basis, psi)
    charge, dbl, pairs, corr = reference(embed(res.basis, psi, 4), 4)
    assert np.allclose(obs.site_charge, charge, atol=TOL)
    assert np.allclose(obs.double_occupancy, dbl, atol=TOL)
    assert np.allclose(obs.pair_correlations, pairs, atol=TOL)
    assert np.allclose(obs.charge_correlations, corr, atol=TOL)
    assert np.isclose(obs.unpaired, np.sum(charge - 2 * dbl), atol=TOL)
    signs = 1 - 2 * cl.sublattice
    assert np.isclose(obs.lpdw_order, np.mean(signs * charge), atol=TOL)
    if complex_state:
        assert np.abs(obs.pair_correlations.imag).max() > 1e-3


def test_lpdw_sign_follows_large_octahedra():
    """Breathing puts pairs on large octahedra (sublattice 0): positive LPDW order, few unpaired."""
    cl = make_cluster("cube", periodic=True)
    m = extended_hubbard(cl, t=0.33, U=-1.2, V=0.15, breathing=0.1)
    res = solve(m, sector(electrons=8))
    obs = measure(m, res.basis, res.ground_state, with_pairs=False)
    assert obs.lpdw_order > 0.5
    assert np.allclose(obs.site_charge.sum(), 8.0, atol=TOL)
    assert obs.unpaired < 2.0
    # energy of the eigenvector equals its eigenvalue
    assert np.isclose(energy(hamiltonian_matrix(m, res.basis), res.ground_state), res.ground_energy, atol=1e-10)


def test_fermi_bose_observables_on_pair_basis():
    cl = make_cluster("plaquette")
    dop = DopingConfig(x=0.0, large=(True, False, False, True), placement="rock_salt", seed=None)
    m = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.4, E_B=-0.5)
    res = solve(m, sector(electrons=4))
    obs = measure(m, res.basis, res.ground_state)
    charge, _dbl, pairs, _corr = reference(embed(res.basis, res.ground_state, 4), 4)
    assert np.allclose(obs.site_charge, charge, atol=TOL)
    assert np.allclose(obs.pair_correlations, pairs, atol=TOL)
    # bosonic sites are never singly occupied
    for i in dop.bosonic_sites:
        assert np.isclose(obs.site_charge[i], 2 * obs.double_occupancy[i], atol=TOL)
