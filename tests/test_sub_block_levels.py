"""A block's lowest levels from its sub-blocks, each asked only for the levels that can count.

References: the sorted union of planted spectra; the dense spectrum of the unsplit translation
block (the plain search over every group element, tests/test_little_group.py's helper); numpy's
``eigvalsh`` for the plain-Lanczos lowest level.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from test_little_group import block_spectrum, model_2x2x4

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers.ed.little_group import SplitSolver
from localpairs.solvers.ed.sector_matrix import SectorMatrix
from localpairs.solvers.ed.sub_block_levels import complete_levels, first_level, levels_to_request
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos_lowest import KrylovRows, LowestRun, lowest_level

#: Lanczos levels against dense eigenvalues of matrices with ‖H‖ ~ 10–20 eV: every level is
#: converged to a relative residual 1e-10 (error ≤ 2e-9 eV, about residual²/gap away from
#: degeneracy).
LEVEL_TOL = 1e-8


def _simulate(spectra, n):
    """Run the request rule against exact sub-block spectra; return the levels and the number asked."""
    levels = [s[:1] for s in spectra]
    while todo := levels_to_request(levels, [s.size for s in spectra], n):
        for i in todo:
            assert levels[i].size < spectra[i].size  # never asks an exhausted sub-block
            levels[i] = spectra[i][: levels[i].size + 1]
    return levels


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [1, 4, 7])
def test_request_rule_gives_lowest_of_union(seed, n):
    """Random sub-block spectra with repeated values inside and across sub-blocks: the n lowest
    computed levels equal the n lowest of the union."""
    rng = np.random.default_rng(seed)
    pool = np.round(rng.uniform(-3, 0, 12), 1)  # few distinct values: many ties
    spectra = [np.sort(rng.choice(pool, size=rng.integers(1, 9))) for _ in range(rng.integers(1, 7))]
    levels = _simulate(spectra, n)
    union = np.sort(np.concatenate(spectra))
    np.testing.assert_array_equal(np.sort(np.concatenate(levels))[:n], union[:n])


def test_request_rule_asks_few_levels():
    """Eight sub-blocks, the block's four lowest in two of them: 12 levels, not 8 × 4 (a sub-block
    below the threshold adds one level at a time; the third sub-block's second level, 1.0, shows
    it out)."""
    spectra = [np.array([-10.0, -9.0, -8.0, -7.0, -6.0])] + [np.array([-9.5, -1.0, 0.0])] + [np.array([-5.0 + i, 1.0, 2.0]) for i in range(6)]
    levels = _simulate(spectra, 4)
    assert [lv.size for lv in levels] == [3, 2, 2, 1, 1, 1, 1, 1]
    np.testing.assert_array_equal(np.sort(np.concatenate(levels))[:4], [-10.0, -9.5, -9.0, -8.0])


def _planted(energies, seed):
    """A dense-in-sparse symmetric matrix with the given spectrum (random orthogonal basis)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(energies), len(energies))))
    return sp.csr_matrix((q * np.asarray(energies)) @ q.T)


def _part(matrix):
    return SectorMatrix(model=None, sector=Sector(1, 1), matrix=matrix, basis=None, form=None, estimate=None, hermiticity=0.0,
                        builder="compiled", seconds={})


def test_complete_levels_finds_degenerate_partners():
    """Sub-blocks with a doubly degenerate lowest level, a degenerate pair across sub-blocks and a
    sub-block entirely above the block's levels: Lanczos first levels, deflated Lanczos for more."""
    rng = np.random.default_rng(3)
    spectra = [np.r_[-5.0, -5.0, -3.0, rng.uniform(0, 5, 57)], np.r_[-4.0, -3.0, rng.uniform(0, 5, 48)],
               np.r_[-2.0, rng.uniform(0, 5, 39)], np.r_[-1.0, rng.uniform(0, 5, 44)]]
    parts = [first_level(_part(_planted(s, i)), 4, dense_threshold=0, tol=0.0) for i, s in enumerate(spectra)]
    assert [p.energies.size for p in parts] == [1, 1, 1, 1]
    complete_levels(parts, 4, tol=0.0)
    got = np.sort(np.concatenate([p.energies for p in parts]))[:4]
    np.testing.assert_allclose(got, [-5.0, -5.0, -4.0, -3.0], atol=LEVEL_TOL)
    assert parts[3].energies.size == 1  # never asked again: its level is above the threshold


@pytest.mark.parametrize(("shape", "spins", "k"), [("2x2x4", 2, (0, 0, 0)), ("2x2x4", 2, (0, 0, 1)), ("2x2x4", 2, (1, 1, 0)),
                                                   ((2, 2, 2), 2, (0, 0, 0)), ((2, 2, 2), 3, (1, 1, 1))])
@pytest.mark.parametrize("n", [1, 3, 6])
def test_split_block_equals_dense_unsplit_block(shape, spins, k, n):
    """SplitSolver's lowest n levels of a block (Lanczos paths forced: one level at a time where the
    block has ≥ n sub-blocks, eigsh per sub-block otherwise) against the dense spectrum of the
    unsplit block; the 2×2×2 blocks have levels degenerate across sub-blocks (−15.9288 eV twice at k = 0)."""
    model = model_2x2x4() if shape == "2x2x4" else extended_hubbard(make_cluster(shape, periodic=True), t=1.0, U=-2.5, V=0.3)
    labels = dict(zip(("kx", "ky", "kz"), k))
    whole = block_spectrum(model, labels, spins, spins, lookup=False)
    solver = SplitSolver(model, spins, spins, dict(n_states=n, tol=0.0, dense_threshold=0))
    levels, dimension, method, best = solver.solve_block(labels, split=True)
    assert dimension == whole.size and method == "lanczos"
    np.testing.assert_allclose(levels, whole[:n], atol=LEVEL_TOL)
    assert sum(solver.products.values()) > 0
    # the returned state is the block's lowest eigenvector: its energy is the lowest level
    assert best.energies[0] == pytest.approx(whole[0], abs=LEVEL_TOL)


def test_unsplit_block_with_degenerate_levels():
    """A block solved whole (one sub-block) whose levels come in degenerate pairs (−15.9288 and
    −10.1467 eV, each twice): eigsh at tolerance 0 finds both partners; dense spectrum as reference."""
    model = extended_hubbard(make_cluster((2, 2, 2), periodic=True), t=1.0, U=-2.5, V=0.3)
    labels = dict(kx=0, ky=0, kz=0)
    whole = block_spectrum(model, labels, 2, 2, lookup=False)
    assert whole[2] - whole[1] < 1e-10 and whole[4] - whole[3] < 1e-10  # the degeneracies this test is about
    solver = SplitSolver(model, 2, 2, dict(n_states=6, tol=0.0, dense_threshold=0))
    levels, _, _, _ = solver.solve_block(labels, split=False)
    np.testing.assert_allclose(levels, whole[:6], atol=LEVEL_TOL)


def test_lowest_level_and_its_vector():
    """Plain Lanczos lowest level against eigvalsh; the regenerated vector's residual ‖Hv − Ev‖ is small."""
    energies = np.r_[-7.0, -6.5, np.linspace(-6.0, 6.0, 298)]
    matrix = _planted(energies, 11)
    start = np.random.default_rng(1).standard_normal(300)
    level = lowest_level(matrix, start, tol=1e-12, m_max=300)
    assert level.energy == pytest.approx(-7.0, abs=1e-10)
    v = level.vector()
    assert np.linalg.norm(matrix @ v - level.energy * v) < 1e-9  # the residual bound the stop rule checks: 7e-12


def test_vector_without_kept_rows_equals_kept_one(monkeypatch):
    """A run whose kept vectors hit KrylovRows' limit goes on in a ring and regenerates its vector by a
    second pass: the same vector as from the kept rows (same recursion, same operations), at the cost
    of steps − 1 more products."""
    energies = np.r_[-7.0, -6.5, np.linspace(-6.0, 6.0, 398)]
    matrix = _planted(energies, 5)
    start = np.random.default_rng(2).standard_normal(400)
    kept = lowest_level(matrix, start, tol=1e-12, m_max=400, keep=True)
    monkeypatch.setattr(KrylovRows, "limit_bytes", KrylovRows._live_bytes + 20 * 400 * 8)  # room for one chunk of 16 rows
    ring = lowest_level(matrix, start, tol=1e-12, m_max=400, keep=True)
    assert ring.steps == kept.steps > 16 and not ring.rows.kept
    np.testing.assert_allclose(ring.vector(), kept.vector(), atol=1e-12)  # round-off of two orders of summation
    assert ring.products == 2 * ring.steps - 1 and kept.products == kept.steps


def test_certified_level_lies_above_threshold():
    """A level certified above T stops well before the energy rule, and the exact lowest eigenvalue
    does lie above T (dense reference: the planted spectrum); its energy is an upper bound."""
    energies = np.r_[-3.0, -2.6, np.linspace(-2.0, 6.0, 298)]
    matrix = _planted(energies, 8)
    start = np.random.default_rng(4).standard_normal(300)
    certified = LowestRun(matrix, start, m_max=300, keep=False)
    certified.advance(tol=1e-10, energy_error=1e-10, above=-3.5)
    converged = LowestRun(matrix, start, m_max=300, keep=False)
    converged.advance(tol=1e-10, energy_error=1e-10)
    assert certified.certified == -3.5 and converged.certified is None
    assert certified.steps < converged.steps
    assert certified.energy >= -3.0 > -3.5
    assert converged.energy == pytest.approx(-3.0, abs=1e-10)
