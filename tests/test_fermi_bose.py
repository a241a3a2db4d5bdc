"""Fermi–Bose mixture against an independent Jordan–Wigner construction and hard-core bosons."""

import numpy as np
import pytest
from quspin.basis import boson_basis_general
from quspin.operators import hamiltonian

from localpairs.hamiltonians import doping_config, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, sector_dimension, solve

from jw_reference import fermi_bose_full, fock_states, number, restrict

#: Matrix elements are sums of a few O(1) couplings: equal to round-off.
MATRIX_TOL = 1e-12
EIG_TOL = 1e-10

PARAMS = dict(t_B=0.31, t_F=0.83, E_B=-0.47, g=0.29, V_BB=0.21, V_BF=0.13, U_F=0.6, eps_F=0.11)


def config(large):
    return DopingConfig(x=0.0, large=tuple(large), placement="rock_salt", seed=None)


CASES = [
    ("dimer", False, (True, False)),
    ((3, 1, 1), False, (True, False, True)),
    ("plaquette", False, (True, False, False, True)),
    ("plaquette", True, (True, True, False, False)),
    ((4, 1, 1), True, (False, True, True, False)),
]


@pytest.mark.parametrize("shape, periodic, large", CASES)
def test_matrix_equals_jordan_wigner(shape, periodic, large):
    cl = make_cluster(shape, periodic=periodic)
    m = fermi_bose_mixture(cl, config(large), **PARAMS)
    bos = tuple(i for i, b in enumerate(large) if b)
    full = fermi_bose_full(cl.n_sites, [(b.i, b.j) for b in cl.bonds], large, **PARAMS)
    for n_up in range(cl.n_sites + 1):
        for n_dn in range(cl.n_sites + 1):
            states = fock_states(cl.n_sites, n_up, n_dn, bos)
            sec = sector(n_up=n_up, n_down=n_dn)
            assert sector_dimension(m, sec) == len(states)
            if not states:
                continue
            basis = build_basis(m, sec)
            assert list(basis.states) == states  # same layout, same order
            h = hamiltonian_matrix(m, basis).toarray()
            assert np.abs(h - restrict(full, states)).max() <= MATRIX_TOL
            assert np.abs(h - h.T.conj()).max() == 0.0


@pytest.mark.parametrize("shape, periodic, large", CASES[:3])
def test_charge_2nb_plus_nf_is_conserved(shape, periodic, large):
    cl = make_cluster(shape, periodic=periodic)
    L = cl.n_sites
    full = fermi_bose_full(L, [(b.i, b.j) for b in cl.bonds], large, **PARAMS)
    charge = sum(number(L, i, s) for i in range(L) for s in (0, 1))  # 2N_B + N_F = N↑ + N↓
    bos = tuple(i for i, b in enumerate(large) if b)
    physical = [s for nu in range(L + 1) for nd in range(L + 1) for s in fock_states(L, nu, nd, bos)]
    hp, qp = restrict(full, physical), restrict(charge, physical)
    assert np.abs(hp @ qp - qp @ hp).max() == 0.0
    # the conversion term really moves charge between bosons and fermions
    assert PARAMS["g"] != 0 and np.abs(hp - np.diag(np.diag(hp))).max() > 0


def test_conversion_term_is_present():
    """g couples a boson to a fermion pair: the g = 0 and g ≠ 0 spectra differ."""
    cl = make_cluster("dimer")
    dop = config((True, False))
    with_g = solve(fermi_bose_mixture(cl, dop, t_F=1.0, g=0.5), sector(electrons=2), n_states=2)
    without = solve(fermi_bose_mixture(cl, dop, t_F=1.0, g=0.0), sector(electrons=2), n_states=2)
    # one pair: |b⟩ (energy 0) and |↑↓ on F⟩ (energy 0) mix to ±g
    assert np.allclose(with_g.energies, [-0.5, 0.5], atol=EIG_TOL)
    assert np.allclose(without.energies, [0.0, 0.0], atol=EIG_TOL)


@pytest.mark.parametrize("n_pairs", [1, 2, 3])
def test_all_bosonic_equals_hard_core_bosons(n_pairs):
    """With no fermionic sites the mixture is hard-core bosons: compare with QuSpin's boson basis."""
    cl = make_cluster("2x2x2", periodic=False)
    dop = config((True,) * cl.n_sites)
    t_B, V_BB, E_B = 0.4, 0.3, -0.2
    m = fermi_bose_mixture(cl, dop, t_B=t_B, V_BB=V_BB, E_B=E_B)
    e_pairs = np.linalg.eigvalsh(hamiltonian_matrix(m, build_basis(m, sector(n_up=n_pairs, n_down=n_pairs))).toarray())
    hcb = boson_basis_general(cl.n_sites, Nb=n_pairs, sps=2)
    bonds = [[b.i, b.j] for b in cl.bonds]
    static = [["+-", [[-t_B, i, j] for i, j in bonds] + [[-t_B, j, i] for i, j in bonds]], ["nn", [[V_BB, i, j] for i, j in bonds]],
              ["n", [[E_B, i] for i in range(cl.n_sites)]]]
    h = hamiltonian(static, [], basis=hcb, dtype=np.float64, check_herm=False, check_symm=False, check_pcon=False).toarray()
    assert np.allclose(e_pairs, np.linalg.eigvalsh(h), atol=EIG_TOL)


def test_doping_x0375_cluster_dimension():
    """16-site 2×2×4 at x = 0.375: 5 bosonic sites; charge 10 at S_z = 0 counted without building."""
    cl = make_cluster("2x2x4", periodic=True)
    dop = doping_config(cl, x=0.375)
    m = fermi_bose_mixture(cl, dop, t_B=0.1, t_F=0.3, g=0.2)
    from math import comb

    expected = sum(comb(5, k) * comb(11, 5 - k) ** 2 for k in range(6))
    assert sector_dimension(m, sector(electrons=10)) == expected
