"""Dimension and memory estimates, and the guard that refuses too-large problems before allocating."""

import time
import tracemalloc
from math import comb

import pytest

from localpairs.errors import InputError, TooLargeError
from localpairs.hamiltonians import doping_config, extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.solvers import build_basis, estimate_memory, hamiltonian_matrix, sector, solve
from localpairs.solvers.hilbert.memory import BUDGET_ENV, default_budget_gb

#: The non-zero estimate is a mean-field count; within this factor of the true count is useful.
NNZ_FACTOR = 1.6


@pytest.mark.parametrize("shape, periodic, n", [("cube", True, 8), ("cube", False, 6), ("2x2x3", False, 8), ("plaquette", True, 4)])
def test_estimate_counts_and_nnz(shape, periodic, n):
    cl = make_cluster(shape, periodic=periodic)
    m = extended_hubbard(cl, t=1.0, U=-2.0, V=0.2)
    sec = sector(electrons=n)
    est = estimate_memory(m, sec)
    assert est.dimension == comb(cl.n_sites, sec.n_up) * comb(cl.n_sites, sec.n_down)
    nnz = hamiltonian_matrix(m, build_basis(m, sec)).nnz
    assert nnz / NNZ_FACTOR <= est.nnz <= nnz * NNZ_FACTOR


def test_fermi_bose_estimate_counts_constrained_states():
    cl = make_cluster("2x2x3", periodic=True)
    m = fermi_bose_mixture(cl, doping_config(cl, x=0.0), t_B=0.1, t_F=0.3, g=0.2)
    sec = sector(electrons=12)
    assert estimate_memory(m, sec).dimension == build_basis(m, sec).Ns


def test_guard_refuses_16_site_half_filling_without_allocating():
    cl = make_cluster("2x2x4", periodic=True)
    m = extended_hubbard(cl, t=0.33, U=-1.2)
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(TooLargeError) as err:
        solve(m, sector(electrons=16), memory_budget_gb=12.0)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert err.value.dimension == comb(16, 8) ** 2 == 165_636_900
    msg = str(err.value)
    assert "165,636,900" in msg and "GB" in msg and "budget" in msg
    assert peak < 5e6 and elapsed < 2.0  # nothing of the sector's size was allocated


def test_budget_from_environment(monkeypatch):
    monkeypatch.setenv(BUDGET_ENV, "0.001")
    assert default_budget_gb() == 0.001
    m = extended_hubbard(make_cluster("cube", periodic=True), t=1.0, U=-1.0)
    with pytest.raises(TooLargeError):
        solve(m, sector(electrons=8))
    monkeypatch.setenv(BUDGET_ENV, "lots")
    with pytest.raises(InputError, match=BUDGET_ENV):
        default_budget_gb()


def test_sector_outside_cluster_is_refused():
    m = extended_hubbard(make_cluster("dimer"), t=1.0)
    with pytest.raises(InputError, match=r"sector\.n_up"):
        solve(m, sector(n_up=3, n_down=0))
