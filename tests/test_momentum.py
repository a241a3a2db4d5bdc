"""Momentum scans: the reduced set of translation blocks, with multiplicities, is the whole sector.

The reference is always the dense spectrum of the sector built without any symmetry.
"""

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.hamiltonians.model import hopping, merge_terms
from localpairs.solvers import MomentumBlock, build_basis, hamiltonian_matrix, lowest_by_momentum, sector

#: Dense eigenvalues of blocks of at most a few thousand states: round-off ~1e-13 × ‖H‖.
EIG_TOL = 1e-10
#: Lanczos ground energies (eigsh at machine-precision tolerance) against dense ones.
LANCZOS_TOL = 1e-9
#: More levels than any block below has: every block is diagonalized completely.
ALL_LEVELS = 10_000


def full_spectrum(model, n_up, n_down):
    basis = build_basis(model, sector(n_up=n_up, n_down=n_down))
    return np.linalg.eigvalsh(hamiltonian_matrix(model, basis).toarray())


def expanded(scan):
    """Every computed level repeated by its star's multiplicity."""
    return np.sort([e for e, _, m in scan.levels() for _ in range(m)])


def hubbard(shape, periodic=True):
    return extended_hubbard(make_cluster(shape, periodic=periodic), t=1.0, U=-2.5, V=0.3, J_p=0.1)


@pytest.mark.parametrize(
    "shape, n_up, n_down, n_blocks",
    [
        ((4, 1, 1), 2, 2, 3),  # k and −k share a star: 4 labels, 3 stars
        ((4, 1, 1), 3, 1, 3),
        ((4, 1, 1), 2, 1, 3),  # odd N
        ("plaquette", 2, 1, 3),  # dxy relates (0, 1) and (1, 0)
        ("plaquette", 2, 2, 3),
        ("cube", 2, 1, 6),
        ("cube", 3, 2, 6),
        ((3, 2, 1), 2, 2, 4),  # complex kx = 1, 2 blocks, related by time reversal
        ((2, 2, 3), 1, 2, 6),  # kz = ±1 related, dxy and pz commute
    ],
)
def test_union_of_blocks_is_the_full_spectrum(shape, n_up, n_down, n_blocks):
    m = hubbard(shape)
    scan = lowest_by_momentum(m, n_up=n_up, n_down=n_down, n_states=ALL_LEVELS, progress=False)
    full = full_spectrum(m, n_up, n_down)
    assert len(scan.blocks) == n_blocks
    assert scan.dimension == len(full)
    union = expanded(scan)
    assert len(union) == len(full)
    assert np.allclose(union, full, atol=EIG_TOL)
    assert scan.ground_energy == pytest.approx(full[0], abs=EIG_TOL)
    assert scan.degeneracy == int(np.sum(full <= full[0] + 1e-8)) and not scan.degeneracy_is_lower_bound
    gaps = [e for e, _, m in scan.excitations() for _ in range(m)]
    assert np.allclose(gaps, full[scan.degeneracy:] - full[0], atol=EIG_TOL)


def test_lowest_levels_by_lanczos_match_the_full_sector():
    m = hubbard("cube")
    scan = lowest_by_momentum(m, n_up=3, n_down=2, n_states=2, dense_threshold=0, progress=False)
    full = full_spectrum(m, 3, 2)
    assert {b.method for b in scan.blocks} == {"lanczos"}
    assert scan.ground_energy == pytest.approx(full[0], abs=LANCZOS_TOL)
    assert dict((b.k, b.energies[0]) for b in scan.blocks)[scan.ground_k] == scan.ground_energy
    # every level below complete_below is present, with its degeneracy
    below = full[full < scan.complete_below - LANCZOS_TOL]
    assert np.allclose(expanded(scan)[: len(below)], below, atol=LANCZOS_TOL)


def test_complex_couplings_do_not_use_time_reversal():
    """A flux through the 4-ring breaks k → −k; every block must then be solved on its own."""
    base = hubbard((4, 1, 1))
    flux = np.exp(0.3j)
    terms = [t for t in base.terms if t.opstr not in ("+-|", "|+-")]
    for bond in base.cluster.bonds:  # i → i + 1 around the ring
        terms += hopping(bond, 1.0 * flux)
    m = base.with_terms(merge_terms(terms))
    assert m.is_complex
    scan = lowest_by_momentum(m, n_up=2, n_down=1, n_states=ALL_LEVELS, progress=False)
    assert scan.symmetries == () and len(scan.blocks) == 4
    assert np.allclose(expanded(scan), full_spectrum(m, 2, 1), atol=EIG_TOL)
    assert len({b.energies[0] for b in scan.blocks if b.k in ((1,), (3,))}) == 2  # k ≠ −k here


def test_fermi_bose_with_translation_invariant_bosons():
    cl = make_cluster((2, 2, 1), periodic=[True, False, False])
    dop = DopingConfig(x=0.0, large=(True, False, True, False), placement="rock_salt", seed=None)
    m = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.45, E_B=-0.4, V_BB=0.2, V_BF=0.1)
    scan = lowest_by_momentum(m, n_up=2, n_down=2, n_states=ALL_LEVELS, progress=False)
    assert np.allclose(expanded(scan), full_spectrum(m, 2, 2), atol=EIG_TOL)


def test_broken_translations_are_refused():
    cube = make_cluster("cube", periodic=True)
    with pytest.raises(InputError, match="does not commute"):
        lowest_by_momentum(extended_hubbard(cube, t=1.0, U=-2.0, breathing=0.2), n_up=4, n_down=4, progress=False)
    with pytest.raises(InputError, match="periodic axis"):
        lowest_by_momentum(hubbard("cube", periodic=False), n_up=4, n_down=4, progress=False)


def test_done_blocks_are_reused_and_new_ones_reported():
    m = hubbard((4, 1, 1))
    first = lowest_by_momentum(m, n_up=2, n_down=1, n_states=2, progress=False)
    fake = MomentumBlock.from_dict({**first.blocks[0].as_dict(), "energies": [-99.0, -98.0]})
    seen = []
    again = lowest_by_momentum(m, n_up=2, n_down=1, n_states=2, progress=False, done={fake.k: fake},
                               on_block=lambda block, result: seen.append((block.k, result.dimension)), split=False)
    assert again.ground_energy == -99.0
    assert [k for k, _ in seen] == [b.k for b in first.blocks[1:]]
    assert all(dim == b.dimension for (_, dim), b in zip(seen, first.blocks[1:]))
