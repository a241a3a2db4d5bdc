"""The compiled block builder against QuSpin: the same representatives, the same matrix element by element."""

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import doping_config, extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.hilbert.block_matrix import BlockBasis, Representatives, block_matrix, supported
from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks

#: Matrix elements are sums of a few products of couplings and roots of unity: round-off only.
ELEMENT_TOL = 1e-13
#: Lanczos ground energies of the same matrix built two ways.
ENERGY_TOL = 1e-9


@pytest.mark.parametrize(
    "shape, blocks, n_up, n_down",
    [
        ((4, 1, 1), dict(kx=1), 2, 1),  # complex
        ((4, 1, 1), dict(kx=2, px=1), 2, 2),  # reflection at k = π
        ((2, 2, 2), dict(kx=1, ky=0, kz=1), 3, 2),
        ((2, 2, 3), dict(kx=0, ky=0, kz=1), 2, 3),  # complex, three translations
        ((2, 2, 4), dict(kx=0, ky=0, kz=0, pz=1, dxy=0), 2, 2),  # 64-element group
        ((2, 2, 4), dict(kx=1, ky=1, kz=2, pz=0, dxy=1), 3, 2),
        ((3, 2, 1), dict(kx=1, ky=1), 2, 2),
        ((2, 2, 2), {}, 2, 2),  # no symmetry at all
        ((2, 1, 1), dict(kx=0), 2, 0),  # an empty block
    ],
)
def test_block_basis_and_matrix_equal_quspin(shape, blocks, n_up, n_down):
    m = extended_hubbard(make_cluster(shape, periodic=True), t=1.0, U=-2.5, V=0.3, J_p=0.1, mu=0.2)
    ref_basis = build_basis(m, sector(n_up=n_up, n_down=n_down, **blocks))
    reps = Representatives(resolve_blocks(m, blocks), n_sites=m.n_sites, n_up=n_up, n_down=n_down)
    basis = reps.block(blocks, ref_basis.localpairs_dtype)
    assert np.array_equal(basis.states, np.asarray(ref_basis.states).astype(np.uint64))
    mine, ref = block_matrix(m, reps, basis), hamiltonian_matrix(m, ref_basis)
    assert mine.dtype == ref.dtype and mine.shape == ref.shape
    if ref.shape[0]:
        assert abs(mine - ref).max() < ELEMENT_TOL


def test_solve_in_a_block_is_compiled_matches_quspin_and_falls_back_for_the_mixture():
    m = extended_hubbard(make_cluster("2x2x3", periodic=True), t=1.0, U=-2.5, V=0.3)
    sec = sector(n_up=3, n_down=3, kx=0, ky=1, kz=1)
    fast, ref = solve(m, sec, n_states=2, dense_threshold=0), solve(m, sec, n_states=2, dense_threshold=0, builder="quspin")
    assert fast.builder == "compiled" and isinstance(fast.matrix_basis, BlockBasis) and ref.builder == "quspin"
    assert fast.dimension == ref.dimension and fast.method == "lanczos"
    assert np.allclose(fast.energies, ref.energies, atol=ENERGY_TOL)
    cl = make_cluster("2x2x4", periodic=True)
    mix = fermi_bose_mixture(cl, doping_config(cl, x=0.375), t_B=0.05, t_F=0.33, E_B=-0.5, g=0.2)
    assert not supported(mix)
    small = fermi_bose_mixture(make_cluster("plaquette", periodic=True), doping_config(make_cluster("plaquette"), x=0.0), t_F=1.0, g=0.3)
    assert solve(small, sector(n_up=1, n_down=1)).basis.__class__.__module__.startswith("quspin")
    cl = make_cluster((2, 3, 1), periodic=True)  # a mixture whose ky translation commutes (as in test_spectra_kblocks)
    dop = DopingConfig(x=0.0, large=(True, True, True, False, False, False), placement="rock_salt", seed=None)
    in_block = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.45, E_B=-0.4, V_BB=0.2, V_BF=0.1)
    res = solve(in_block, sector(n_up=1, n_down=1, ky=1))
    assert res.builder == "quspin" and res.basis.__class__.__module__.startswith("quspin")
    with pytest.raises(InputError, match="builder"):
        solve(in_block, sector(n_up=1, n_down=1, ky=1), builder="compiled")


def test_compiled_result_carries_the_quspin_basis_of_its_states():
    """The QuSpin basis a compiled result builds on demand holds the same states in the same
    order: the eigenvector's energy with QuSpin's own matrix is the eigenvalue (round-off)."""
    m = extended_hubbard(make_cluster("2x2x2", periodic=True), t=1.0, U=-2.0, V=0.2)
    res = solve(m, sector(n_up=2, n_down=2, kx=1, ky=0, kz=1), n_states=1)
    assert res.builder == "compiled"
    assert np.array_equal(np.asarray(res.basis.states).astype(np.uint64), res.matrix_basis.states)
    psi = res.ground_state
    assert abs(np.vdot(psi, hamiltonian_matrix(m, res.basis) @ psi).real - res.ground_energy) < ENERGY_TOL
