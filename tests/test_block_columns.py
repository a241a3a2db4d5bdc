"""The state lookup of the column kernels (solvers/hilbert/block_columns.py).

Reference: the position in the descending list by binary search (numpy's searchsorted), and -1
for every Fock state of the sector that is not a representative of the block.
"""

from itertools import combinations

import numpy as np

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers.hilbert.block_columns import _find, state_index
from localpairs.solvers.hilbert.block_matrix import Representatives
from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks


def test_dense_lookup_finds_every_state_and_nothing_else():
    model = extended_hubbard(make_cluster("2x2x4", periodic=True), t=0.33, U=-1.2, V=0.15)
    blocks = dict(kx=0, ky=1, kz=1, sf=0)
    reps = Representatives(resolve_blocks(model, blocks), n_sites=16, n_up=2, n_down=2)
    states = reps.block(blocks, np.complex128).states
    index = state_index(states, 16)
    assert index[4].size  # the dense table is used on 16 sites
    ups = [sum(1 << b for b in c) for c in combinations(range(16), 2)]
    sector = np.array([(u << 16) | d for u in ups for d in ups], dtype=np.uint64)
    expected = np.searchsorted(-states.astype(np.float64), -sector.astype(np.float64))  # exact below 2^53
    member = np.isin(sector, states)
    found = np.array([_find(states, s, index, 16) for s in sector])
    assert np.array_equal(found[member], expected[member])
    assert np.all(found[~member] == -1)
    plain = (np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32), 0)
    assert all(_find(states, s, plain, 16) == f for s, f in zip(sector[::97], found[::97]))  # the binary search agrees
