"""Symmetry sectors: the union of all block spectra is the full spectrum, complex blocks included."""

import itertools

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import doping_config, extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.hilbert.lattice_symmetry import generators

#: Dense eigenvalues of ≤ 5000-dimensional blocks: round-off ~1e-13 × ‖H‖.
EIG_TOL = 1e-10


def block_spectra(model, n_up, n_down, names):
    gens = generators(model.cluster)
    labels = [range(gens[n][1]) for n in names]
    energies, complex_seen = [], False
    for qs in itertools.product(*labels):
        blocks = dict(zip(names, qs))
        basis = build_basis(model, sector(n_up=n_up, n_down=n_down, **blocks))
        if basis.Ns == 0:
            continue
        h = hamiltonian_matrix(model, basis)
        complex_seen |= np.iscomplexobj(h.data)
        assert abs(h - h.getH()).max() < 1e-13
        energies += list(np.linalg.eigvalsh(h.toarray()))
    return np.sort(energies), complex_seen


def full_spectrum(model, n_up, n_down):
    basis = build_basis(model, sector(n_up=n_up, n_down=n_down))
    return np.linalg.eigvalsh(hamiltonian_matrix(model, basis).toarray())


@pytest.mark.parametrize(
    "shape, names, n_up, n_down",
    [
        ((4, 1, 1), ["kx"], 2, 2),
        ((4, 1, 1), ["kx"], 3, 1),
        ((3, 2, 1), ["kx", "ky"], 2, 2),
        ("plaquette", ["kx", "ky"], 2, 1),
        ((3, 3, 1), ["px", "py"], 2, 2),
        ((4, 2, 1), ["ky", "px"], 2, 2),
        ((3, 3, 1), ["dxy"], 2, 2),
        ((2, 2, 3), ["kz", "dxy"], 2, 2),
    ],
)
def test_hubbard_blocks_union_is_full_spectrum(shape, names, n_up, n_down):
    cl = make_cluster(shape, periodic=True)
    m = extended_hubbard(cl, t=1.0, U=-2.5, V=0.3, J_p=0.1)
    union, complex_seen = block_spectra(m, n_up, n_down, names)
    full = full_spectrum(m, n_up, n_down)
    assert len(union) == len(full)
    assert np.allclose(union, full, atol=EIG_TOL)
    if any(n.startswith("k") and cl.shape["xyz".index(n[1])] > 2 for n in names):
        assert complex_seen  # q = 1, L−1 blocks are complex and were built complex


@pytest.mark.parametrize(
    "shape, large, names",
    [
        ((4, 1, 1), (True, False, False, True), ["px"]),
        ((4, 2, 1), (True, True, False, False, False, False, True, True), ["ky", "px"]),
        ((3, 2, 1), (True, True, False, False, False, False), ["ky"]),
        ((2, 3, 1), (True, True, True, False, False, False), ["ky"]),  # complex ky = 1, 2 blocks
    ],
)
def test_fermi_bose_blocks_union_is_full_spectrum(shape, large, names):
    cl = make_cluster(shape, periodic=True)
    dop = DopingConfig(x=0.0, large=large, placement="rock_salt", seed=None)
    m = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.45, E_B=-0.4, V_BB=0.2, V_BF=0.1)
    n = sum(large)  # two electrons per bosonic site on average
    union, _ = block_spectra(m, n // 2 + 1, n // 2 + 1, names)
    full = full_spectrum(m, n // 2 + 1, n // 2 + 1)
    assert len(union) == len(full)
    assert np.allclose(union, full, atol=EIG_TOL)


def test_translation_broken_by_breathing_is_refused():
    cl = make_cluster("cube", periodic=True)
    m = extended_hubbard(cl, t=1.0, U=-2.0, breathing=0.2)  # rock-salt breathing: T_x maps large to small
    with pytest.raises(InputError, match="does not commute"):
        solve(m, sector(electrons=8, kx=0))
    # a reflection of the 2×2×2 cube swaps the sublattices too; no block survives, the plain sector works
    assert solve(m, sector(electrons=8)).dimension == 4900


def test_doping_breaks_translation_of_the_mixture():
    cl = make_cluster("2x2x4", periodic=True)
    m = fermi_bose_mixture(cl, doping_config(cl, x=0.375), t_B=0.1, t_F=0.3, g=0.2)
    with pytest.raises(InputError, match="kz"):
        build_basis(m, sector(electrons=10, kz=0))


def test_reflection_needs_invariant_momentum():
    cl = make_cluster((4, 1, 1), periodic=True)
    m = extended_hubbard(cl, t=1.0, U=-2.0)
    with pytest.raises(InputError, match="px"):
        build_basis(m, sector(electrons=4, kx=1, px=0))
    with pytest.raises(InputError, match=r"sector\.kq"):
        build_basis(m, sector(electrons=4, kq=0))
    with pytest.raises(InputError, match=r"sector\.kx"):
        build_basis(m, sector(electrons=4, kx=7))


def test_ground_state_in_symmetric_block():
    """The 2×2×2 attractive cube: the k = 0 block holds the sector's ground state."""
    cl = make_cluster("cube", periodic=True)
    m = extended_hubbard(cl, t=1.0, U=-4.0, V=0.2)
    full = solve(m, sector(electrons=8))
    sym = solve(m, sector(electrons=8, kx=0, ky=0, kz=0))
    assert sym.dimension < full.dimension / 6
    assert np.isclose(sym.ground_energy, full.ground_energy, atol=1e-9)
