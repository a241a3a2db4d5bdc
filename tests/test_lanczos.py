"""The shared Lanczos recursion (solvers/lanczos.py) against dense linear algebra.

References: ``numpy.linalg.eigh`` of the dense matrix (exact to ~1e-14 at these sizes). The
recursion's own relations ``V†V = 1`` and ``V†HV = T`` hold to round-off (~1e-13 after 30
steps on norm-1 matrices of a few hundred states), so 1e-10 is a loose but failing-capable bound.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from localpairs.solvers import lanczos
from localpairs.solvers.lanczos import lanczos_chain, lanczos_recursion

#: Agreement with the dense references (round-off ~1e-13, see the module docstring).
DENSE_TOL = 1e-10


def random_hermitian(dim, *, complex_=False, seed=0, density=0.05):
    """A sparse Hermitian matrix of norm ~1 (CSR)."""
    rng = np.random.default_rng(seed)
    a = sp.random(dim, dim, density=density, random_state=rng, format="csr")
    if complex_:
        a = a + 1j * sp.random(dim, dim, density=density, random_state=rng, format="csr")
    h = (a + a.conj().T) * 0.5
    return sp.csr_matrix(h / abs(h).sum(axis=1).max())


@pytest.mark.parametrize("reorthogonalize", [False, True])
@pytest.mark.parametrize("complex_", [False, True])
def test_recursion_satisfies_the_lanczos_relation(complex_, reorthogonalize):
    """``H V_mᵀ = V_mᵀ T + β_m v_{m+1} e_mᵀ`` to round-off (with or without orthogonality);
    with reorthogonalization the vectors also stay orthonormal."""
    dim, m = 300, 30
    h = random_hermitian(dim, complex_=complex_)
    diag = np.linspace(-0.5, 0.5, dim)
    start = np.random.default_rng(1).standard_normal(dim).astype(h.dtype)
    start /= np.linalg.norm(start)
    vectors = np.empty((m + 1, dim), dtype=h.dtype)
    # alpha, beta: the recursion's coefficient buffers, complete after the loop
    for _j, alpha, beta, invariant in lanczos_recursion(h, start, m_max=m, vectors=vectors, diagonal=diag, reorthogonalize=reorthogonalize):  # noqa: B007
        assert not invariant
    full = h.toarray() + np.diag(diag)
    V = vectors[:m].T
    T = np.diag(alpha) + np.diag(beta[: m - 1], 1) + np.diag(beta[: m - 1], -1)
    residual = full @ V - V @ T
    residual[:, -1] -= beta[m - 1] * vectors[m]
    assert np.abs(residual).max() < DENSE_TOL
    if reorthogonalize:
        assert np.abs(V.conj().T @ V - np.eye(m)).max() < DENSE_TOL


def test_chain_to_exhaustion_reproduces_the_dense_greens_function():
    dim = 120
    h = random_hermitian(dim, complex_=True, seed=2, density=0.1)
    phi = np.random.default_rng(3).standard_normal(dim) + 0j
    chain = lanczos_chain(h, phi, n_steps=dim, reorthogonalize=True)
    e, u = np.linalg.eigh(h.toarray())
    weights = np.abs(u.conj().T @ phi) ** 2
    z = np.linspace(-1.2, 1.2, 37) + 0.05j
    ref = (weights[None, :] / (z[:, None] - e[None, :])).sum(axis=1)
    assert chain.exhausted
    assert np.abs(chain.greens_function(z) - ref).max() < DENSE_TOL * np.abs(ref).max()


def test_matrix_callable_and_threaded_kernel_give_the_same_chain(monkeypatch):
    """The three matrix–vector paths (SciPy CSR, a ``matvec`` callable, QuSpin's accumulating
    OpenMP kernel) compute the same recursion: the first two to the bit, the third to round-off."""
    dim = 400
    h = random_hermitian(dim, seed=4)
    phi = np.random.default_rng(5).standard_normal(dim)
    ref = lanczos_chain(h, phi, n_steps=60, reorthogonalize=False)
    via_callable = lanczos_chain(lambda x, out: np.copyto(out, h @ x) or out, phi, n_steps=60, reorthogonalize=False)
    assert np.array_equal(ref.alpha, via_callable.alpha) and np.array_equal(ref.beta, via_callable.beta)
    monkeypatch.setattr(lanczos, "PARALLEL_MATVEC_MIN_DIM", 10)
    threaded = lanczos_chain(h, phi, n_steps=60, reorthogonalize=False)
    assert np.abs(threaded.alpha[:20] - ref.alpha[:20]).max() < DENSE_TOL  # early steps: no loss of orthogonality yet


def test_reorthogonalization_needs_kept_vectors():
    h = random_hermitian(20)
    with pytest.raises(Exception, match="vectors"):
        next(lanczos_recursion(h, np.eye(20)[0], m_max=5, reorthogonalize=True))
