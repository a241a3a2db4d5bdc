"""Clusters and doping configurations."""

import itertools

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import PRESETS, doping_config, hopping_matrix, large_count, make_cluster

#: Round-off on eigenvalues of ≤ 32×32 symmetric matrices.
EIG_TOL = 1e-12


def expected_bonds(shape, periodic):
    """Bonds per axis: L−1 per line when open, L per line when periodic (L = 2 counted twice)."""
    total = 0
    for n, p in zip(shape, periodic):
        lines = np.prod(shape) // n
        total += lines * (n if p else n - 1)
    return total


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("periodic", [False, True])
def test_presets_bonds_sublattice_positions(name, periodic):
    cl = make_cluster(name, periodic=periodic)
    assert cl.shape == PRESETS[name]
    assert cl.n_bonds == expected_bonds(cl.shape, cl.periodic)
    assert [b.id for b in cl.bonds] == list(range(cl.n_bonds))
    a = cl.lattice_constant
    for b in cl.bonds:
        disp = np.array(b.displacement)
        assert np.isclose(np.linalg.norm(disp), a) and disp[b.axis] == a
        assert np.allclose(b.oxygen_position, cl.positions[b.i] + disp / 2)
    # bipartite unless a periodic axis has odd length (2x2x3 periodic along z)
    odd_periodic = any(p and n % 2 for n, p in zip(cl.shape, cl.periodic))
    assert cl.is_bipartite == (not odd_periodic)
    assert cl.sublattice.sum() == cl.n_sites // 2


def test_periodic_length_two_counts_each_oxygen_twice():
    # documented convention: on a periodic axis of length 2 the pair is joined by two oxygens
    cl = make_cluster("dimer", periodic=True)
    assert cl.n_bonds == 2
    assert {(b.i, b.j) for b in cl.bonds} == {(0, 1), (1, 0)}
    h = hopping_matrix(cl, 1.0)
    assert h[0, 1] == -2.0


def test_periodic_length_two_with_one_oxygen():
    # bond_multiplicity = 1: the pair is joined once (the forward bond 0 → 1, not the wrapping one)
    cl = make_cluster("dimer", periodic=True, bond_multiplicity=1)
    assert cl.n_bonds == 1 and [(b.i, b.j) for b in cl.bonds] == [(0, 1)]
    assert hopping_matrix(cl, 1.0)[0, 1] == -1.0
    # per axis: 2×2×3 periodic with one oxygen along x only: y keeps two, z (length 3) has no choice
    mixed = make_cluster("2x2x3", periodic=True, bond_multiplicity=[1, None, None])
    assert mixed.bond_multiplicity == (1, 2, 1)
    assert mixed.n_bonds == expected_bonds(mixed.shape, mixed.periodic) - 6  # the 6 wrapping x bonds left out


@pytest.mark.parametrize("name", ["cube", "2x2x3", "2x2x4"])
def test_periodic_levels_are_the_crystal_band(name):
    """U = 0 levels on a fully periodic cluster equal −2t Σ cos k on its k-grid."""
    cl = make_cluster(name, periodic=True)
    t = 0.7
    grids = [2 * np.pi * np.arange(n) / n for n in cl.shape]
    band = sorted(-2 * t * sum(np.cos(k)) for k in itertools.product(*grids))
    assert np.allclose(np.linalg.eigvalsh(hopping_matrix(cl, t)), band, atol=EIG_TOL)


def test_lattice_constant_and_site_index():
    cl = make_cluster("2x2x3", lattice_constant=4.0)
    assert cl.lattice_constant == 4.0
    for n, (x, y, z) in enumerate(cl.coordinates):
        assert cl.site_index(x, y, z) == n
        assert np.allclose(cl.positions[n], 4.0 * np.array([x, y, z]))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(shape="hexagon"), "cluster.shape"),
        (dict(shape=(2, 2)), "cluster.shape"),
        (dict(shape=(1, 1, 1)), "cluster.shape"),
        (dict(shape=(2, 2, 1), periodic=(True, True, True)), "cluster.periodic[2]"),
        (dict(shape="cube", lattice_constant=-1.0), "cluster.lattice_constant"),
        (dict(shape="cube", periodic=True, bond_multiplicity=3), "cluster.bond_multiplicity"),
        (dict(shape="cube", periodic=[False, True, True], bond_multiplicity=[1, 1, 1]), "cluster.bond_multiplicity.x"),
        (dict(shape="2x2x3", periodic=True, bond_multiplicity=[None, None, 2]), "cluster.bond_multiplicity.z"),
    ],
)
def test_bad_clusters_name_the_field(kwargs, field):
    with pytest.raises(InputError) as err:
        make_cluster(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("n, x, expected", [(8, 0.0, 4), (16, 0.375, 5), (16, 0.4, 5), (12, 0.5, 3), (8, 1.0, 0), (12, 0.25, 5)])
def test_count_rule(n, x, expected):
    # floor((1 − x)/2 · N + 1/2); e.g. 12 sites, x = 0.25 → 4.5 → 5 (halves round up)
    assert large_count(n, x) == expected


def test_rock_salt_default_keeps_parent_order():
    cl = make_cluster("2x2x4", periodic=True)
    parent = doping_config(cl, x=0.0)
    assert parent.large == tuple(cl.sublattice == 0)
    doped = doping_config(cl, x=0.375)
    assert doped.n_large == 5 and doped.n_electrons == 10
    assert all(cl.sublattice[i] == 0 for i in doped.bosonic_sites)
    assert doped == doping_config(cl, x=0.375)  # deterministic


def test_random_placements_are_seeded():
    cl = make_cluster("2x2x4")
    a = doping_config(cl, x=0.375, placement="random", seed=7)
    assert a == doping_config(cl, x=0.375, placement="random", seed=7)
    assert a.n_large == 5
    draws = {doping_config(cl, x=0.375, placement="random", seed=s).large for s in range(20)}
    assert len(draws) > 1
    rs = doping_config(cl, x=0.375, placement="random_rock_salt", seed=3)
    assert all(cl.sublattice[i] == 0 for i in rs.bosonic_sites)
    with pytest.raises(InputError, match=r"doping\.seed"):
        doping_config(cl, x=0.375, placement="random")
    with pytest.raises(InputError, match=r"doping\.x"):
        doping_config(cl, x=1.5)
    with pytest.raises(InputError, match=r"doping\.placement"):
        doping_config(cl, x=0.1, placement="checkerboard")
