"""Pair binding and gaps from E(N), against the Hubbard-dimer closed forms."""

import numpy as np
import pytest

from localpairs.analysis.pair_binding import gap_table, pair_binding, single_particle_gap, two_particle_gap
from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import charge_ladder


def dimer_energies(U, t=1.0):
    """E(N) of the Hubbard dimer (PHYSICS.md closed forms), ground state per N."""
    return {0: 0.0, 1: -t, 2: U / 2 - np.sqrt(U**2 / 4 + 4 * t**2), 3: U - t, 4: 2 * U}


@pytest.mark.parametrize("U", [-6.0, -1.0, 0.0, 3.0])
def test_charge_ladder_matches_closed_forms(U):
    ladder = charge_ladder(extended_hubbard(make_cluster("dimer"), t=1.0, U=U), 2)
    ref = dimer_energies(U)
    assert ladder.keys() == ref.keys()
    assert np.allclose([ladder[n] for n in ref], list(ref.values()), atol=1e-12)


def test_definitions_on_closed_forms():
    U = -6.0
    e = dimer_energies(U)
    root = np.sqrt(U**2 / 4 + 4)
    # N = 0: adding a pair to the empty dimer: E(2) − 2E(1) = U/2 − root + 2
    assert np.isclose(pair_binding(e, 0), U / 2 - root + 2)
    assert pair_binding(e, 0) < 0  # attraction binds the pair
    assert np.isclose(single_particle_gap(e, 2), (U - 1) + (-1) - 2 * (U / 2 - root))
    assert np.isclose(two_particle_gap(e, 2), 0.5 * (2 * U + 0 - 2 * (U / 2 - root)))
    # U = 0: no binding
    assert np.isclose(pair_binding(dimer_energies(0.0), 0), 0.0)


def test_missing_sectors():
    e = dimer_energies(-2.0)
    with pytest.raises(InputError, match="N = \\[5\\]"):
        single_particle_gap(e, 4)
    table = gap_table(e, 4)
    assert table.pair_binding is None and table.single_particle_gap is None
    assert gap_table(e, 2).two_particle_gap is not None
