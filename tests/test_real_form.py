"""Complex momentum blocks solved as real symmetric matrices (solvers/hilbert/real_form.py,
solvers/hilbert/standing_wave_matrix.py).

References: the complex block matrix built by the compiled builder (itself equal to QuSpin's,
tests/test_momentum_blocks.py), diagonalized densely; the explicit product U† H U; and, for the
directly built real form, the two-stage construction (complex H, then ``real_matrix``).
"""

import numpy as np
import pytest

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.model import hopping, merge_terms
from localpairs.solvers import sector, solve
from localpairs.solvers.ed.blas_threads import single_threaded_blas
from localpairs.solvers.hilbert.block_matrix import Representatives, block_matrix
from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks
from localpairs.solvers.hilbert.real_form import RealForm, real_matrix, reflection_for, standing_wave_form
from localpairs.solvers.hilbert.standing_wave_matrix import standing_wave_matrix

#: Dense eigenvalues of matrices of ≤ 5,000 states with ‖H‖ ~ 10: round-off ~1e-13.
EIG_TOL = 1e-10
#: Matrix elements are sums of a few products of couplings, roots of unity and 1/√2.
ELEMENT_TOL = 1e-13
#: Lanczos (eigsh at machine-precision tolerance) against dense eigenvalues.
LANCZOS_TOL = 1e-9


def hubbard(shape):
    return extended_hubbard(make_cluster(shape, periodic=True), t=1.0, U=-2.5, V=0.3, J_p=0.1, mu=0.2)


@pytest.mark.parametrize(
    "shape, blocks, n_up, n_down",
    [
        ((4, 1, 1), dict(kx=1), 2, 1),
        ((2, 2, 3), dict(kx=0, ky=1, kz=1), 2, 3),
        ((2, 2, 4), dict(kx=1, ky=1, kz=1, dxy=1), 2, 2),  # with the diagonal mirror
        ((3, 3, 1), dict(kx=1, ky=2), 2, 2),  # two complex axes: R = px py
        ((2, 2, 4), dict(kx=0, ky=1, kz=3), 3, 2),
    ],
)
def test_real_form_is_real_symmetric_with_the_block_spectrum(shape, blocks, n_up, n_down):
    m = hubbard(shape)
    reps = Representatives(resolve_blocks(m, blocks), n_sites=m.n_sites, n_up=n_up, n_down=n_down)
    basis = reps.block(blocks, np.complex128)
    h = block_matrix(m, reps, basis)
    form = standing_wave_form(reps, basis, reflection_for(m, blocks))
    u = form.unitary
    assert abs(u.conj().T @ u - np.eye(basis.Ns)).max() < ELEMENT_TOL  # unitary
    real = real_matrix(h, form)
    assert real.dtype == np.float64 and abs(real - real.T).max() < ELEMENT_TOL
    assert abs(real - (u.conj().T @ h @ u)).max() < ELEMENT_TOL
    assert np.allclose(np.linalg.eigvalsh(real.toarray()), np.linalg.eigvalsh(h.toarray()), atol=EIG_TOL)


@pytest.mark.parametrize(
    "shape, blocks, n_up, n_down",
    [
        ((4, 1, 1), dict(kx=1), 2, 1),
        ((2, 2, 3), dict(kx=0, ky=1, kz=1), 2, 3),  # characters e^{2πi/3}: round-off elements dropped
        ((3, 3, 1), dict(kx=1, ky=2), 2, 2),  # two complex axes
        ((2, 2, 4), dict(kx=0, ky=1, kz=3), 3, 2),
        ((2, 2, 4), dict(kx=1, ky=1, kz=1, dxy=1, sf=0), 2, 2),  # the 16-site scan's little group
        ((2, 2, 4), dict(kx=0, ky=0, kz=1, dxy=0, sf=1), 3, 3),
    ],
)
def test_direct_real_form_equals_the_two_stage_construction(shape, blocks, n_up, n_down):
    """Built from half the columns of H and the antiunitary A, against U† H U of the whole complex H."""
    m = hubbard(shape)
    reps = Representatives(resolve_blocks(m, blocks), n_sites=m.n_sites, n_up=n_up, n_down=n_down)
    basis = reps.block(blocks, np.complex128)
    form = standing_wave_form(reps, basis, reflection_for(m, blocks))
    direct, reference = standing_wave_matrix(m, reps, basis, form), real_matrix(block_matrix(m, reps, basis), form)
    assert direct.dtype == np.float64 and direct.has_sorted_indices
    assert abs(direct - reference).max() < ELEMENT_TOL
    assert abs(direct - direct.T).max() < ELEMENT_TOL
    assert direct.nnz <= reference.nnz  # no round-off elements kept that the reference drops


def test_direct_real_form_refuses_inconsistent_phases():
    """One pair's phase turned by i: not the phases of an antiunitary symmetry, imaginary elements remain."""
    m = hubbard((2, 2, 3))
    blocks = dict(kx=0, ky=1, kz=1)
    reps = Representatives(resolve_blocks(m, blocks), n_sites=m.n_sites, n_up=2, n_down=3)
    basis = reps.block(blocks, np.complex128)
    form = standing_wave_form(reps, basis, reflection_for(m, blocks))
    j = int(np.flatnonzero(form.partner > np.arange(basis.Ns))[0])
    phase = form.phase.copy()
    phase[[j, form.partner[j]]] *= 1j
    standing_wave_matrix(m, reps, basis, form)  # the consistent form passes
    with pytest.raises(ValueError, match="imaginary"):
        standing_wave_matrix(m, reps, basis, RealForm(form.unitary, form.partner, phase))


def test_solve_returns_block_eigenvectors_through_the_real_form():
    m = hubbard((2, 2, 3))
    sec = sector(n_up=2, n_down=3, kx=1, ky=0, kz=2)
    real, old = solve(m, sec, n_states=3, dense_threshold=0), solve(m, sec, n_states=3, dense_threshold=0, real_form=False)
    assert np.allclose(real.energies, old.energies, atol=LANCZOS_TOL)
    reps = Representatives(resolve_blocks(m, sec.blocks), n_sites=m.n_sites, n_up=2, n_down=3)
    h = block_matrix(m, reps, reps.block(sec.blocks, np.complex128))
    for e, psi in zip(real.energies, real.states.T):  # eigenvectors of the complex block
        assert psi.dtype == np.complex128
        assert np.linalg.norm(h @ psi - e * psi) < 1e-7 * np.linalg.norm(psi)


def test_no_real_form_for_complex_couplings_or_real_blocks():
    base = hubbard((4, 1, 1))
    assert reflection_for(base, dict(kx=2)) is None  # k = π is real already
    assert reflection_for(base, dict(kx=1)) is not None
    terms = [t for t in base.terms if t.opstr not in ("+-|", "|+-")]
    for bond in base.cluster.bonds:
        terms += hopping(bond, np.exp(0.3j))
    assert reflection_for(base.with_terms(merge_terms(terms)), dict(kx=1)) is None


def test_wrong_reflection_is_refused():
    """A permutation that does not turn k into −k (the identity) leaves complex phases: refused."""
    m = hubbard((4, 1, 1))
    reps = Representatives(resolve_blocks(m, dict(kx=1)), n_sites=4, n_up=2, n_down=1)
    basis = reps.block(dict(kx=1), np.complex128)
    with pytest.raises(ValueError):
        real_matrix(block_matrix(m, reps, basis), standing_wave_form(reps, basis, np.arange(4)))


def test_single_threaded_blas_pins_and_restores_the_thread_counts():
    from localpairs.solvers.ed.blas_threads import _loaded_openblas, _openblas_controls

    controls = _openblas_controls(_loaded_openblas())
    before = [get() for _, get in controls]
    with single_threaded_blas() as pinned:
        assert pinned == len(controls)
        assert all(get() == 1 for _, get in controls)
    assert [get() for _, get in controls] == before
