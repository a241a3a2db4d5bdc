"""The Lanczos recursion's serial product (solvers/matvec.py) against dense products, and the
bandwidth bench's byte count against a hand count."""

import numpy as np
import pytest
import scipy.sparse as sp

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.lanczos import lanczos_chain
from localpairs.solvers.matvec import serial_product


def random_hermitian(n: int, density: float, *, complex_values: bool, index_dtype, seed: int = 3) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    a = sp.random(n, n, density=density, random_state=rng, format="csr")
    if complex_values:
        a = a + 1j * sp.random(n, n, density=density, random_state=rng, format="csr")
    a = (a + a.conj().T).tocsr()
    a.indices, a.indptr = a.indices.astype(index_dtype), a.indptr.astype(index_dtype)
    return a


def random_vector(n: int, dtype, seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return (x + 1j * rng.standard_normal(n)).astype(dtype) if np.dtype(dtype).kind == "c" else x.astype(dtype)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("matrix_complex, x_dtype", [(False, np.complex128), (False, np.float64), (True, np.complex128)])
def test_serial_product_equals_the_dense_product(index_dtype, matrix_complex, x_dtype):
    a = random_hermitian(300, 0.05, complex_values=matrix_complex, index_dtype=index_dtype)
    x = random_vector(300, x_dtype)
    out = serial_product(a, np.dtype(x_dtype))(x, np.full(300, np.nan, dtype=x_dtype))
    dense = a.toarray() @ x
    # about 30 terms of O(1) per row: round-off ≤ 30 ε ≈ 7e-15 of the row's magnitude
    assert np.max(np.abs(out - dense)) <= 1e-13 * np.max(np.abs(dense))
    # the same real multiply–adds in the same order as SciPy's upcast product: equal to the bit
    assert np.array_equal(out, a.astype(np.result_type(a.dtype, x_dtype)) @ x)


def test_lanczos_chain_of_real_h_and_complex_start_is_unchanged():
    """The 2×2×2 sector Hamiltonian (real, 4,900 states) from a complex start: the chain through
    the split product equals the one through SciPy's complex copy of H (a matvec callable)."""
    model = extended_hubbard(make_cluster("cube", periodic=True), t=0.33, U=-1.2, V=0.15)
    h = sp.csr_matrix(hamiltonian_matrix(model, build_basis(model, sector(electrons=8))))
    assert not np.iscomplexobj(h.data)
    phi = random_vector(h.shape[0], np.complex128)
    hc = h.astype(np.complex128)

    def upcast(x, out):
        out[:] = hc @ x
        return out

    ours, ref = lanczos_chain(h, phi, n_steps=60), lanczos_chain(upcast, phi, n_steps=60)
    assert np.array_equal(ours.alpha, ref.alpha) and np.array_equal(ours.beta, ref.beta)


def test_product_bytes_counts_values_indices_pointers_and_vectors():
    from localpairs.bench_matvec import product_bytes

    a = random_hermitian(100, 0.1, complex_values=False, index_dtype=np.int32)
    # hand count: 8 B value + 4 B index per non-zero, 4 B per row pointer (n + 1), x read 16 B and y written 16 B per row
    assert product_bytes(a, np.complex128) == a.nnz * 12 + 101 * 4 + 100 * 32
    assert product_bytes(a, np.complex128, data_itemsize=16) == a.nnz * 20 + 101 * 4 + 100 * 32
