"""The scaled partial refill of a driven operator (``DrivenOperator.assemble_scaled``) and the compiled
Taylor exponential of the Lanczos matrix, each against an independent construction.

- ``assemble_scaled`` refills only the field's entries of the shared matrix with the base at weight 1
  and returns the base's weight w; w × matrix must equal the generator built from the separate
  piece matrices (``static_matrix``, ``piece_matrix``) and the diagonal, whatever was filled
  before (a full assembly, a diagonal, a retargeted copy sharing the buffer). Tolerance 1e-13
  relative to the largest entry: a few roundings of (c/w)·value·w.
- ``_exp_tridiagonal`` (Taylor for small |τ|‖T‖, LAPACK above) against ``scipy.linalg.expm`` of
  the dense matrix; measured worst difference 3e-15 on unit vectors, asserted 1e-13.
"""

import numpy as np
import pytest
import scipy.linalg as sla

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import build_basis, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.krylov import _exp_tridiagonal, _exp_tridiagonal_taylor

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)


@pytest.fixture(scope="module")
def operator():
    cluster = make_cluster((4, 1, 1), periodic=[False, False, False])
    model = extended_hubbard(cluster, **PARAMS)
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.3, polarization=(1.0, 0.0, 0.0))
    driven = drive(model, pulse=pulse)
    return DrivenOperator(driven, build_basis(model, sector(electrons=4))), driven


def _generator(op, coefs, diag=None):
    """Σ_k coefs[k] P_k (+ diag) from the separate piece matrices: the independent construction."""
    d = op.driven
    total = op.static_matrix(0).toarray() * coefs[d.constant.nonzero()[0][0]]
    for k in np.flatnonzero(~d.constant):
        total = total + coefs[k] * op.piece_matrix(int(k)).toarray()
    return total + (np.diag(diag) if diag is not None else 0.0)


def _combination(op, weights, times):
    """The scheme-like coefficients Σ_m g_m c(t_m) (constant pieces get Σ_m g_m)."""
    return sum(g * op.driven.coefficients(t) for g, t in zip(weights, times))


def _check(op, coefs, diag=None):
    w = op.assemble_scaled(coefs, diag)
    want = _generator(op, coefs, diag)
    assert np.abs(w * op.matrix.toarray() - want).max() < 1e-13 * np.abs(want).max()
    return w


def test_scaled_refill_equals_the_generator_whatever_was_filled_before(operator):
    op, _ = operator
    assert op._refillable  # the chain's hops are distinct off-diagonal entries: the one-pass refill is exercised
    rng = np.random.default_rng(4)
    diag = op.shift_diagonal(rng.standard_normal(op.driven.model.n_sites) * 0.05)
    cases = [((0.2, 0.3), (1.0, 2.0)), ((-0.09, 0.01), (2.5, 3.1)), ((0.5, 0.5), (0.3, 4.0))]
    for n, (weights, times) in enumerate(cases):
        w = _check(op, _combination(op, weights, times), diag if n == 1 else None)  # a diagonal added, then removed
        assert w == pytest.approx(sum(weights))
    op.assemble(2.0 * op.driven.coefficients(1.0))  # a full assembly at base weight 2 in between
    _check(op, _combination(op, (0.4, -0.1), (1.5, 2.5)))


def test_retargeted_copy_shares_the_buffer_and_its_fill_state(operator):
    op, driven = operator
    other = op.retarget(driven)
    assert other.matrix is op.matrix
    _check(op, _combination(op, (0.2, 0.3), (1.0, 2.0)))
    other.assemble(3.0 * driven.coefficients(2.0))  # overwrites the shared buffer, base weight 3
    _check(op, _combination(op, (0.3, 0.1), (1.2, 2.2)))
    _check(other, _combination(other, (0.1, 0.1), (0.5, 0.7)))


def test_complex_base_weight_falls_back_to_full_assembly(operator):
    op, _ = operator
    coefs = (0.3 + 0.1j) * op.driven.coefficients(1.7)
    assert op.assemble_scaled(coefs) == 1.0
    want = _generator(op, coefs)
    assert np.abs(op.matrix.toarray() - want).max() < 1e-13 * np.abs(want).max()


@pytest.mark.parametrize("tau", [0.02, -0.15, 0.4, 3.0])  # 3.0 needs more than TAYLOR_MAX_SUBSTEPS: the LAPACK branch
def test_tridiagonal_exponential_matches_dense_expm(tau):
    rng = np.random.default_rng(7)
    taylor = []
    for m in (2, 5, 9, 17):
        alpha, beta = rng.standard_normal(m) * 3.0, rng.random(m - 1) * 3.0
        dense = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        y = _exp_tridiagonal(alpha, beta, tau)
        assert np.abs(y - sla.expm(-1j * tau * dense)[:, 0]).max() < 1e-13
        taylor.append(_exp_tridiagonal_taylor(alpha, beta, tau, np.empty(m, dtype=np.complex128)))
    assert all(taylor) if abs(tau) < 0.1 else (not all(taylor) if tau == 3.0 else True)  # both branches are exercised
