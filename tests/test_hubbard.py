"""Extended Hubbard model against closed forms, counting, Jordan–Wigner and the Shiba mapping."""

import numpy as np
import pytest
from jw_reference import atomic_energies, fock_states, hubbard_full, restrict

from localpairs.hamiltonians import PRESETS, extended_hubbard, hopping_matrix, make_cluster
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve

#: Eigenvalues of double-precision matrices of dimension ≤ 5000 agree to ~1e-12 eV (× norm).
EIG_TOL = 1e-10
#: Full-matrix ‖H − H†‖ is exactly zero up to round-off in the couplings.
HERM_TOL = 1e-13


def spectrum(model, n_up, n_down):
    basis = build_basis(model, sector(n_up=n_up, n_down=n_down))
    h = hamiltonian_matrix(model, basis).toarray()
    return np.linalg.eigvalsh(h)


@pytest.mark.parametrize("U", [4.0, -4.0, 7.3, -2.5])
def test_dimer_closed_forms(U):
    t = 1.0
    m = extended_hubbard(make_cluster("dimer"), t=t, U=U)
    assert np.allclose(spectrum(m, 1, 0), [-t, t], atol=EIG_TOL)
    root = np.sqrt(U**2 / 4 + 4 * t**2)
    assert np.allclose(spectrum(m, 1, 1), sorted([0.0, U, U / 2 - root, U / 2 + root]), atol=EIG_TOL)
    # the triplet: S_z = ±1 sectors hold one zero-energy state each
    assert np.allclose(spectrum(m, 2, 0), [0.0], atol=EIG_TOL)
    assert np.allclose(spectrum(m, 2, 1), [U - t, U + t], atol=EIG_TOL)
    assert np.allclose(spectrum(m, 2, 2), [2 * U], atol=EIG_TOL)
    assert np.isclose(solve(m, sector(electrons=2)).ground_energy, U / 2 - root, atol=EIG_TOL)


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("periodic", [False, True])
def test_u0_ground_energy_fills_hopping_levels(name, periodic):
    cl = make_cluster(name, periodic=periodic)
    t = 0.33
    levels = np.linalg.eigvalsh(hopping_matrix(cl, t))
    n_up = n_dn = max(1, min(2, cl.n_sites // 4))  # small sectors keep 2x2x4 cheap
    m = extended_hubbard(cl, t=t, U=0.0)
    e0 = solve(m, sector(n_up=n_up, n_down=n_dn)).ground_energy
    assert np.isclose(e0, levels[:n_up].sum() + levels[:n_dn].sum(), atol=EIG_TOL)


def test_atomic_limit_by_counting():
    cl = make_cluster("plaquette", periodic=True)
    rng = np.random.default_rng(1)
    eps = rng.normal(size=cl.n_sites)
    m = extended_hubbard(cl, t=0.0, U=-1.3, V=0.4, eps=eps)
    bonds = [(b.i, b.j) for b in cl.bonds]
    for n_up, n_dn in [(1, 1), (2, 1), (2, 2), (3, 2)]:
        ref = atomic_energies(cl.n_sites, bonds, -1.3, 0.4, eps, n_up, n_dn)
        assert np.allclose(spectrum(m, n_up, n_dn), ref, atol=EIG_TOL)


def test_breathing_and_mu_enter_as_site_energies():
    cl = make_cluster("dimer")
    m = extended_hubbard(cl, t=0.0, U=0.0, breathing=0.3, mu=0.1)
    # site 0 is large: ε = −0.3; site 1 small: +0.3; −μ per electron
    assert np.allclose(spectrum(m, 1, 0), [-0.3 - 0.1, 0.3 - 0.1], atol=EIG_TOL)


@pytest.mark.parametrize("shape, periodic", [("dimer", False), ("plaquette", False), ((3, 1, 1), True)])
def test_sector_spectra_equal_jordan_wigner_full_space(shape, periodic):
    """Every term (t per bond, U, V, ε, J_p) against a dense Jordan–Wigner construction."""
    cl = make_cluster(shape, periodic=periodic)
    rng = np.random.default_rng(5)
    t = rng.uniform(0.5, 1.5, cl.n_bonds)
    eps = rng.normal(size=cl.n_sites)
    params = dict(t=t, U=-2.1, V=0.35, eps=eps, J_p=0.27)
    m = extended_hubbard(cl, **params)
    bonds = [(b.i, b.j) for b in cl.bonds]
    full = hubbard_full(cl.n_sites, bonds, **params)
    assert np.linalg.norm(full - full.T) == 0.0
    union = []
    for n_up in range(cl.n_sites + 1):
        for n_dn in range(cl.n_sites + 1):
            states = fock_states(cl.n_sites, n_up, n_dn)
            basis = build_basis(m, sector(n_up=n_up, n_down=n_dn))
            assert list(basis.states) == states  # QuSpin's layout and order
            h = hamiltonian_matrix(m, basis).toarray()
            # same Jordan–Wigner order: equal element by element, not only in spectrum
            assert np.abs(h - restrict(full, states)).max() <= HERM_TOL
            ref = np.linalg.eigvalsh(restrict(full, states))
            assert np.allclose(np.linalg.eigvalsh(h), ref, atol=EIG_TOL)
            union += list(ref)
    # sectors together are the whole Fock space
    assert np.allclose(np.sort(union), np.linalg.eigvalsh(full), atol=EIG_TOL)


@pytest.mark.parametrize("name", ["plaquette", "cube"])
def test_hermitian_matrices(name):
    cl = make_cluster(name, periodic=True)
    m = extended_hubbard(cl, t=0.33, U=-1.2, V=0.15, breathing=0.1, J_p=0.05)
    basis = build_basis(m, sector(electrons=cl.n_sites))
    h = hamiltonian_matrix(m, basis)
    assert abs(h - h.getH()).max() <= HERM_TOL
    assert solve(m, sector(electrons=cl.n_sites)).hermiticity < 1e-14


@pytest.mark.parametrize("name", ["plaquette", "cube"])
def test_shiba_mapping(name):
    """E_att(−|U|; N↑, L − N↓) = E_rep(+|U|; N↑, N↓) − |U| N↑ on bipartite clusters."""
    cl = make_cluster(name, periodic=True)
    L, U = cl.n_sites, 3.0
    att = extended_hubbard(cl, t=1.0, U=-U)
    rep = extended_hubbard(cl, t=1.0, U=U)
    for n_up, n_dn in [(1, 1), (2, 1), (L // 2, L // 2 - 1), (L // 2, L // 2)]:
        e_att = solve(att, sector(n_up=n_up, n_down=L - n_dn)).ground_energy
        e_rep = solve(rep, sector(n_up=n_up, n_down=n_dn)).ground_energy
        assert np.isclose(e_att, e_rep - U * n_up, atol=1e-9)


def test_lanczos_equals_dense():
    cl = make_cluster("cube", periodic=True)
    m = extended_hubbard(cl, t=0.33, U=-1.2, V=0.15, breathing=0.1)
    dense = solve(m, sector(electrons=4), n_states=3, dense_threshold=10**6)
    lanczos = solve(m, sector(electrons=4), n_states=3, dense_threshold=0)
    assert dense.method == "dense" and lanczos.method == "lanczos"
    assert np.allclose(dense.energies, lanczos.energies, atol=1e-10)
