"""Strong attraction: half-filled Hubbard clusters become hard-core bosons (local pairs).

Second order in t/|U| (PHYSICS.md): pair hopping t_B = 2t²/|U|, nearest-neighbour pair
repulsion V_B = 4t²/|U| + 4V, and an energy −|U| − z·2t²/|U| per pair on a cluster where every
site has z bonds. The bosons are built by the Fermi–Bose builder with every site bosonic and
g = 0. The next corrections are O(t⁴/|U|³) and O(V t²/|U|²), so the deviation must fall
faster than t_B itself as |U| grows.

The clusters have no doubled bonds: on a periodic axis of length 2 the two oxygens between the
same pair add coherently (amplitude 2t), so there t_B = 2(2t)²/|U| per pair, not per bond.
"""

import numpy as np
import pytest

from localpairs.hamiltonians import extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import sector, solve


def boson_levels(cl, U, t, V, k):
    all_bosonic = DopingConfig(x=0.0, large=(True,) * cl.n_sites, placement="rock_salt", seed=None)
    z = 2 * cl.n_bonds / cl.n_sites
    m = fermi_bose_mixture(cl, all_bosonic, t_B=2 * t**2 / abs(U), V_BB=4 * t**2 / abs(U) + 4 * V, E_B=-abs(U) - z * 2 * t**2 / abs(U))
    return solve(m, sector(electrons=cl.n_sites), n_states=k).energies


def hubbard_levels(cl, U, t, V, k):
    return solve(extended_hubbard(cl, t=t, U=U, V=V), sector(electrons=cl.n_sites), n_states=k).energies


@pytest.mark.parametrize("shape, periodic, k", [("plaquette", False, 6), ((4, 1, 1), True, 6), ("cube", False, 8)])
def test_low_energy_spectrum_approaches_hard_core_bosons(shape, periodic, k):
    cl = make_cluster(shape, periodic=periodic)
    z = 2 * cl.n_bonds / cl.n_sites
    assert z == int(z)  # every site has the same number of bonds
    t, V = 1.0, 0.1
    relative = []
    for U in (-10.0, -20.0, -40.0):
        dev = np.max(np.abs(hubbard_levels(cl, U, t, V, k) - boson_levels(cl, U, t, V, k)))
        relative.append(dev / (2 * t**2 / abs(U)))  # in units of the pair hopping t_B
    # the error relative to t_B falls at least ~1/|U| (measured: ×0.37–0.40 per doubling)
    assert relative[1] < 0.5 * relative[0] and relative[2] < 0.5 * relative[1]
    assert relative[-1] < 0.25
