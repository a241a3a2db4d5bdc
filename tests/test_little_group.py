"""Little-group and spin-flip sub-blocks of momentum blocks, and the tabulated orbit maxima.

References: the dense spectrum of the unsplit translation block (built with the plain search
over every group element), and the observables of the unsplit block's ground state.
"""

from itertools import product

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import lowest_by_momentum, sector, solve
from localpairs.solvers.ed.little_group import group_site_permutations, little_group
from localpairs.solvers.ed.observables import measure_translation_averaged
from localpairs.solvers.hilbert.block_matrix import Representatives, block_matrix
from localpairs.solvers.hilbert.lattice_symmetry import is_complex_block, resolve_blocks
from localpairs.solvers.hilbert.real_form import real_matrix, reflection_for, standing_wave_form

#: Dense eigenvalues of matrices of a few hundred states, ‖H‖ ~ 10 eV: round-off ~1e-13.
EIG_TOL = 1e-10
#: Densities from Lanczos ground states (eigsh at machine precision) of two constructions.
DENSITY_TOL = 1e-7


def model_2x2x4():
    return extended_hubbard(make_cluster("2x2x4", periodic=True), t=0.33, U=-1.2, V=0.15)


def block_spectrum(model, labels, n_up, n_down, *, lookup=True):
    """Dense spectrum of one (sub-)block; complex ones in their real standing-wave form."""
    resolved = resolve_blocks(model, labels)
    reps = Representatives(resolved, n_sites=model.n_sites, n_up=n_up, n_down=n_down, lookup=lookup)
    complex_block = any(is_complex_block(n, q, p) for n, (_, p, q) in resolved.items())
    basis = reps.block(labels, np.complex128 if complex_block else np.float64)
    if basis.Ns == 0:
        return np.empty(0)
    matrix = block_matrix(model, reps, basis)
    if complex_block:
        matrix = real_matrix(matrix, standing_wave_form(reps, basis, reflection_for(model, labels)))
    return np.linalg.eigvalsh(matrix.toarray())


@pytest.mark.parametrize("k", [(0, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1), (0, 1, 1), (1, 1, 2)])
def test_sub_blocks_make_up_the_block(k):
    """pz (kz = 0, 2), dxy (kx = ky) and the spin flip (2↑2↓) split the block; the union of the
    parts' spectra is the block's (the plain search over the translations as reference)."""
    model = model_2x2x4()
    labels = dict(zip(("kx", "ky", "kz"), k))
    whole = block_spectrum(model, labels, 2, 2, lookup=False)
    extra = little_group(model, labels, n_up=2, n_down=2)
    assert set(extra) == {"sf"} | ({"pz"} if k[2] in (0, 2) else set()) | ({"dxy"} if k[0] == k[1] else set())
    parts = [block_spectrum(model, labels | dict(zip(extra, p)), 2, 2) for p in product((0, 1), repeat=len(extra))]
    assert all(part.size for part in parts)  # every parity occurs: the split is not trivial
    union = np.sort(np.concatenate(parts))
    assert union.size == whole.size
    np.testing.assert_allclose(union, whole, atol=EIG_TOL)


def test_lookup_tables_give_the_plain_search_matrix():
    """The tabulated orbit maxima give the same basis and matrix as trying every element."""
    model = model_2x2x4()
    labels = dict(kx=1, ky=1, kz=0, pz=1, dxy=0, sf=1)
    resolved = resolve_blocks(model, labels)
    mats = []
    for lookup in (False, True):
        reps = Representatives(resolved, n_sites=16, n_up=2, n_down=2, lookup=lookup)
        basis = reps.block(labels, np.float64)
        mats.append((basis.states, block_matrix(model, reps, basis)))
    np.testing.assert_array_equal(mats[0][0], mats[1][0])
    assert abs(mats[0][1] - mats[1][1]).max() == 0.0


def test_split_scan_equals_unsplit_scan():
    """lowest_by_momentum with and without the little-group split: the same levels per block."""
    model = extended_hubbard(make_cluster((2, 2, 2), periodic=True), t=1.0, U=-2.5, V=0.3)
    kwargs = dict(n_up=3, n_down=3, n_states=6, dense_threshold=0, progress=False)
    split, whole = lowest_by_momentum(model, **kwargs), lowest_by_momentum(model, split=False, **kwargs)
    assert [b.k for b in split.blocks] == [b.k for b in whole.blocks]
    for a, b in zip(split.blocks, whole.blocks):
        assert a.dimension == b.dimension
        np.testing.assert_allclose(a.energies, b.energies, atol=1e-9)  # eigsh at machine precision, ‖H‖ ~ 10


def test_observables_of_a_sub_block_ground_state_match_the_whole_block():
    """Densities averaged over the sub-block's group equal the translation average in the whole block."""
    model = extended_hubbard(make_cluster((2, 2, 2), periodic=True), t=1.0, U=-2.5, V=0.3)
    k = dict(kx=0, ky=0, kz=0)
    whole = solve(model, sector(n_up=3, n_down=3, **k), n_states=1)
    parts = [solve(model, sector(n_up=3, n_down=3, **k, dxy=d, sf=s), n_states=1) for d in (0, 1) for s in (0, 1)]
    best = min(parts, key=lambda r: r.ground_energy)
    assert abs(best.ground_energy - whole.ground_energy) < 1e-9
    ref = measure_translation_averaged(model, whole.matrix_basis, whole.ground_state, group_site_permutations(model, k))
    got = measure_translation_averaged(model, best.matrix_basis, best.ground_state, group_site_permutations(model, best.sector.blocks))
    for name in ("site_charge", "double_occupancy", "charge_correlations"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), atol=DENSITY_TOL)


def test_spin_flip_needs_sz_zero_and_a_spin_symmetric_model():
    model = model_2x2x4()
    assert "sf" not in little_group(model, dict(kx=0, ky=0, kz=0), n_up=3, n_down=2)
    with pytest.raises(ValueError, match="spin-flip"):
        Representatives(resolve_blocks(model, dict(kx=0, sf=0)), n_sites=16, n_up=3, n_down=2)
    with pytest.raises(InputError, match=r"sector\.sf"):
        resolve_blocks(model, dict(sf=2))


#: The 16-site x = 0.375 (N = 10, 5↑5↓) k = 0 block's lowest levels from main before the split
#: (the whole translation block, real Lanczos at machine precision; benchmarks/bench_16_sites.py
#: x0375_paths, old path), eV.
MAIN_K0_LEVELS = (-12.593282692060392, -12.193375349732987, -12.186282321924564, -11.585085841124855)


@pytest.mark.slow
def test_16_site_k0_block_split_gives_mains_levels():
    """The k = 0 block of the 16-site scan split into 8 sub-blocks (pz, dxy, spin flip): its four
    lowest levels are main's, each non-degenerate, so the ground level sits in one sub-block."""
    from localpairs.solvers.ed.little_group import SplitSolver

    solver = SplitSolver(model_2x2x4(), 5, 5, dict(n_states=4, tol=0.0, dense_threshold=0))
    assert len(solver.sub_sectors(dict(kx=0, ky=0, kz=0), split=True)) == 8
    levels, dimension, _, best = solver.solve_block(dict(kx=0, ky=0, kz=0), split=True)
    assert dimension == 1_192_464
    np.testing.assert_allclose(levels, MAIN_K0_LEVELS, atol=1e-8)  # eigsh at machine precision, |E| ~ 12 eV
    assert abs(best.energies[1] - levels[0]) > 1e-3  # no degenerate partner of the ground level in its sub-block


@pytest.mark.parametrize("blocks", [dict(kx=0, ky=0, kz=0, dxy=0, pz=0, sf=0), dict(kx=0, ky=1, kz=2, pz=0, sf=0)])
def test_representatives_within_a_subgroups_equal_the_full_sector_scan(blocks):
    """Searching only the translations' and spin flip's representatives, and the stabilizers from the
    orbit-table candidates, against the whole sector scanned with every group element tried."""
    model = model_2x2x4()
    resolved = resolve_blocks(model, blocks)
    base = Representatives(resolve_blocks(model, dict(kx=0, ky=0, kz=0, sf=0)), n_sites=16, n_up=3, n_down=3)
    within = Representatives(resolved, n_sites=16, n_up=3, n_down=3, within=base.states)
    plain = Representatives(resolved, n_sites=16, n_up=3, n_down=3, lookup=False)
    assert base.states.size > within.states.size
    for name in ("states", "stab_rep", "stab_g", "stab_sign"):
        assert np.array_equal(getattr(within, name), getattr(plain, name)), name
