"""Independent Lanczos chains advanced together (solvers.dynamics.parallel_chains) against one chain at a time and the dense resolvent.

Tolerances:
- COEFFICIENT_TOL = 1e-10 eV: the block runs each column's three-term recursion with the same
  operations as lanczos_chain up to the summation order of the sparse product; without
  reorthogonalization the two drift apart from round-off (1e-16) by the growth of the loss of
  orthogonality over 80 steps, measured ≤ 1e-12 on the ring below.
- RESOLVENT_TOL = 1e-10 of the peak: an exhausted, fully reorthogonalized chain is the exact
  continued fraction; round-off only.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from localpairs.errors import InputError
from localpairs.solvers.dynamics.parallel_chains import parallel_chains
from localpairs.solvers.dynamics.probe_components import SpectrumConvergence, check_points
from localpairs.solvers.lanczos import lanczos_chain

COEFFICIENT_TOL = 1e-10
RESOLVENT_TOL = 1e-10
GAMMA = 0.2


def ring(n, seed):
    """Tight-binding ring with random on-site energies in [−1, 1] (real symmetric)."""
    rng = np.random.default_rng(seed)
    hop = sp.diags([np.ones(n - 1), np.ones(n - 1)], [1, -1]) + sp.coo_matrix(([1.0, 1.0], ([0, n - 1], [n - 1, 0])), shape=(n, n))
    return sp.csr_matrix(hop + sp.diags(rng.uniform(-1, 1, n)))


def starts(n, k, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))


@pytest.mark.parametrize("group", [64, 7])
def test_chains_equal_one_chain_at_a_time(group):
    """1500-site ring, 20 complex starts, a diagonal, 80 steps without reorthogonalization: the same coefficients."""
    h, phi = ring(1500, 3), starts(1500, 20, 4)
    diag = np.random.default_rng(5).uniform(-0.5, 0.5, 1500)
    block = parallel_chains(h, phi, n_steps=80, diagonal=diag, reorthogonalize=False, group=group)
    for j, chain in enumerate(block):
        one = lanczos_chain(h, phi[:, j], n_steps=80, diagonal=diag, reorthogonalize=False)
        assert chain.n_steps == one.n_steps == 80
        np.testing.assert_allclose(chain.alpha, one.alpha, rtol=0, atol=COEFFICIENT_TOL)
        np.testing.assert_allclose(chain.beta, one.beta, rtol=0, atol=COEFFICIENT_TOL)
        assert chain.norm2 == pytest.approx(one.norm2, rel=1e-14)


def test_exhausted_reorthogonalized_chains_are_the_dense_resolvent():
    """60 states, 100 steps: every chain ends on an exhausted Krylov space (fewer steps than 100) and equals −Im⟨φ|(z − H)^{-1}|φ⟩/π."""
    h, phi = ring(60, 7), starts(60, 9, 8)
    block = parallel_chains(h, phi, n_steps=100)
    e, v = np.linalg.eigh(h.toarray())
    omega = np.linspace(-4.0, 4.0, 401)
    for j, chain in enumerate(block):
        assert chain.reorthogonalized and chain.exhausted and chain.n_steps <= 60
        w = np.abs(v.T @ phi[:, j]) ** 2
        exact = (w[None, :] * (GAMMA / math.pi) / ((omega[:, None] - e[None, :]) ** 2 + GAMMA**2)).sum(axis=1)
        curve = -chain.greens_function(omega + 1j * GAMMA).imag / math.pi
        assert np.abs(curve - exact).max() <= RESOLVENT_TOL * exact.max()


def test_convergence_rule_stops_each_column_within_its_tolerance():
    """The vectorized rule on 12 columns: every chain stops early, on a check step, within the rule's tolerance of the dense resolvent."""
    h, phi = ring(1500, 2), starts(1500, 12, 9)
    omega = np.linspace(-4.0, 4.0, 801)
    e, v = np.linalg.eigh(h.toarray())
    norm2 = np.einsum("ij,ij->j", phi.conj(), phi).real
    tol = 1e-6 * norm2.max() / (math.pi * GAMMA)
    z = check_points(omega, GAMMA) + 1j * GAMMA
    rule = SpectrumConvergence(np.repeat(z[:, None], 12, axis=1), norm2=norm2, tol=tol)
    block = parallel_chains(h, phi, n_steps=200, until=rule)
    for j, chain in enumerate(block):
        assert chain.n_steps < 200 and chain.n_steps % 10 == 0
        w = np.abs(v.T @ phi[:, j]) ** 2
        exact = (w[None, :] * (GAMMA / math.pi) / ((omega[:, None] - e[None, :]) ** 2 + GAMMA**2)).sum(axis=1)
        assert np.abs(-chain.greens_function(omega + 1j * GAMMA).imag / math.pi - exact).max() <= tol


@pytest.mark.parametrize("field, call", [
    ("matrix", lambda h, phi: parallel_chains(sp.csr_matrix(h * (1 + 0j)), phi, n_steps=5)),
    ("starts", lambda h, phi: parallel_chains(h, phi[:-1], n_steps=5)),
    ("starts", lambda h, phi: parallel_chains(h, np.zeros_like(phi), n_steps=5)),
    ("n_steps", lambda h, phi: parallel_chains(h, phi, n_steps=0)),
    ("until", lambda h, phi: parallel_chains(h, phi, n_steps=5, group=2, until=SpectrumConvergence(np.ones((3, 4)), norm2=1.0, tol=1.0))),
])
def test_bad_input_names_the_field(field, call):
    h, phi = ring(30, 1), starts(30, 4, 2)
    with pytest.raises(InputError, match=field):
        call(h, phi)
