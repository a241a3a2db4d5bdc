"""The 12-site construction path (benchmarks/bench_12_sites.py, runs/babio3_pump_12.toml) on small
clusters: sector dimensions against binomials, the isotropic pump cluster against the open graph it
equals, and the real-arithmetic paths (linear response, windowed XAS) against the complex ones.

Tolerances: dense eigenvalues of 400-state matrices with O(1) entries agree to round-off (~1e-14
× dimension factors): 1e-12. Lanczos in real and in complex arithmetic run the same recursion
with different round-off: coefficients and vectors agree to ~1e-13 relative, 1e-11 allowed.
"""

from math import comb

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.cluster import pump_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, sector_dimension
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.krylov_function import lanczos_function
from localpairs.solvers.dynamics.linear_response import linear_response
from localpairs.solvers.real_arithmetic import real_form
from localpairs.solvers.spectra.equivalent_channels import symmetries
from localpairs.solvers.spectra.windowed_xas import windowed_xas
from localpairs.solvers.spectra.xas import xas
from localpairs.units import HBAR_EV_FS

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)
#: Eigenvalues of the same graph built two ways (see the module docstring).
EIG_TOL = 1e-12
#: Real against complex Lanczos arithmetic (see the module docstring).
ARITH_TOL = 1e-11


def test_twelve_site_cluster_and_its_sectors():
    """3×2×2: x open, y and z periodic with one oxygen per pair (isotropic: every hop −t), 20 oxygens;
    the dimensions the issue quotes are C(12, 6)² and C(12, 7)·C(12, 6) (counted, nothing allocated)."""
    cl = pump_cluster("3x2x2")
    assert cl.periodic == (False, True, True) and cl.bond_multiplicity == (1, 1, 1) and cl.n_bonds == 20
    assert sorted(b.axis for b in cl.bonds).count(0) == 8
    model = extended_hubbard(cl, **PARAMS)
    assert sector_dimension(model, sector(n_up=6, n_down=6)) == comb(12, 6) ** 2 == 853_776
    assert sector_dimension(model, sector(n_up=7, n_down=6)) == comb(12, 7) * comb(12, 6) == 731_808


@pytest.mark.parametrize("shape", ["3x2x1", "3x1x2"])
def test_small_pump_cluster_bases_have_binomial_dimensions(shape):
    model = extended_hubbard(pump_cluster(shape), **PARAMS)
    for n_up, n_down in ((3, 3), (4, 3), (3, 2), (4, 4)):
        assert build_basis(model, sector(n_up=n_up, n_down=n_down)).Ns == comb(6, n_up) * comb(6, n_down)


def _spectrum(cluster):
    model = extended_hubbard(cluster, **PARAMS)
    return np.linalg.eigvalsh(hamiltonian_matrix(model, build_basis(model, sector(n_up=3, n_down=3))).toarray())


def test_pump_cluster_is_the_open_graph_and_axis_symmetric():
    """With one oxygen per pair the periodic length-2 axis has the bonds of an open one: the 3×2×1
    pump cluster equals the open 3×2×1 cluster, and 3×1×2 (axes relabelled) has the same spectrum."""
    e = _spectrum(pump_cluster("3x2x1"))
    assert np.max(np.abs(e - _spectrum(make_cluster("3x2x1", periodic=False)))) <= EIG_TOL
    assert np.max(np.abs(e - _spectrum(pump_cluster("3x1x2")))) <= EIG_TOL
    assert pump_cluster("3x1x1").periodic == (False, False, False)


def test_lanczos_function_real_arithmetic_equals_complex():
    """A real symmetric matrix and a phase times a real start vector: the float64 recursion gives the
    complex one's ``f(H)φ`` (a narrow Gaussian window and an exponential); a complex matrix runs in
    complex arithmetic, and forcing real arithmetic on it is refused."""
    rng = np.random.default_rng(3)
    a = sp.random(300, 300, density=0.05, random_state=4)
    h = sp.csr_matrix(a + a.T)
    phi = np.exp(0.4j) * rng.standard_normal(300)

    def window(x):
        return np.exp(-0.5 * ((x - 0.3) / 0.2) ** 2) + 0j

    def propagator(x):
        return np.exp(-2.0j * x)

    kw = dict(steps=300, tol=1e-12, g_max=1.0, resolved=lambda theta: True, also=(propagator,))
    real = lanczos_function(h, phi, window, **kw)
    cplx = lanczos_function(h, phi, window, real_arithmetic=False, **kw)
    assert real.real_arithmetic and not cplx.real_arithmetic and real.converged
    evals, evecs = np.linalg.eigh(h.toarray())
    for k, f in enumerate((window, propagator)):
        dense = evecs @ (f(evals) * (evecs.T @ phi))
        assert np.linalg.norm(real.vectors[k] - cplx.vectors[k]) <= ARITH_TOL * np.linalg.norm(dense)
        assert np.linalg.norm(real.vectors[k] - dense) <= 1e-9 * np.linalg.norm(dense)  # Lanczos converged to tol 1e-12
    twisted = sp.csr_matrix(h.astype(complex) + 1e-3j * (sp.triu(h, 1) - sp.tril(h, -1)))
    assert not lanczos_function(twisted, phi, window, **kw).real_arithmetic
    with pytest.raises(ValueError, match="real_arithmetic"):
        lanczos_function(twisted, phi, window, real_arithmetic=True, **kw)


@pytest.fixture(scope="module")
def small_pump():
    """3×2×1 pump cluster at half filling (400 states): operator, dense eigenpairs, a weak resonant pulse."""
    model = extended_hubbard(pump_cluster("3x2x1"), **PARAMS)
    basis = build_basis(model, sector(n_up=3, n_down=3))
    pulse = gaussian_pulse(photon_energy=1.1, duration=10.0, fluence=1e-3)
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    energies, vecs = np.linalg.eigh(op.assemble(op.driven.coefficients_at(0.0)).toarray().real)  # H₀ = H(A = 0)
    return model, basis, op, energies, vecs, pulse


def test_linear_response_real_path_and_centred_state(small_pump):
    """χ⁽¹⁾ from a real ψ₀ runs in real arithmetic and equals the one from e^{iγ}ψ₀ times e^{iγ};
    the centred χ evolved with H₀ − E₀ from t₀ to t (dense expm) is χ, and it is a phase times a real vector."""
    _, _, op, energies, vecs, pulse = small_pump
    psi0, e0, t = vecs[:, 0], float(energies[0]), 2 * pulse.center
    res = linear_response(op, psi0.astype(complex), e0, t=t, keep_centred=True)
    turned = linear_response(op, np.exp(0.9j) * psi0, e0, t=t)
    assert res.real_arithmetic and turned.real_arithmetic and res.converged
    assert np.linalg.norm(turned.chi - np.exp(0.9j) * res.chi) <= ARITH_TOL * np.linalg.norm(res.chi)
    h0 = op.assemble(op.driven.coefficients_at(0.0)).toarray()
    forward = sla.expm(-1j * (h0 - e0 * np.eye(len(h0))) * (t - pulse.center) / HBAR_EV_FS) @ res.chi_centred
    assert np.linalg.norm(forward - res.chi) <= 1e-9 * np.linalg.norm(res.chi)  # expm and Lanczos at tol 1e-10
    assert real_form(res.chi_centred) is not None and real_form(res.chi) is None
    assert linear_response(op, psi0.astype(complex), e0, t=t).chi_centred is None


def test_xas_reuses_symmetries_and_probes_the_centred_state(small_pump):
    """xas with the symmetries found beforehand equals xas searching them. The long-probe XAS does not
    change under free evolution: windowed XAS of e^{iγ}χ_centred (probed as a real vector) equals
    that of χ(t) = e^{−iH₀(t − t₀)/ħ}χ_centred (complex arithmetic, no symmetry)."""
    model, basis, op, energies, vecs, pulse = small_pump
    sec, omega = sector(n_up=3, n_down=3), np.linspace(-2.0, 6.0, 161)
    psi = vecs[:, 0]
    found = symmetries(model, basis, psi, n_up=3, n_down=3)
    searched = xas(model, sec, psi, omega, U_c=-1.0, basis=basis)
    reused = xas(model, sec, psi, omega, U_c=-1.0, basis=basis, state_symmetries=found)
    assert reused.attrs["n_channels_computed"] == searched.attrs["n_channels_computed"] < searched.attrs["n_channels_all"]
    assert np.abs(reused["total"].values - searched["total"].values).max() <= 1e-12 * searched["total"].values.max()
    lr = linear_response(op, psi.astype(complex), float(energies[0]), t=2 * pulse.center, keep_centred=True)
    real = windowed_xas(model, sec, np.exp(1.3j) * lr.chi_centred, omega, U_c=-1.0, basis=basis)
    direct = windowed_xas(model, sec, lr.chi, omega, U_c=-1.0, basis=basis, use_symmetry=False)
    assert real.attrs["real_arithmetic"] == 1 and direct.attrs["real_arithmetic"] == 0
    assert real.attrs["n_channels_computed"] < direct.attrs["n_channels_computed"]
    # same Ritz values and windows in exact arithmetic; round-off of two decompositions ≲ 1e-12
    assert np.abs(real["total"].values - direct["total"].values).max() <= 1e-9 * direct["total"].values.max()


@pytest.mark.parametrize("complex_start", [False, True])
def test_lanczos_function_two_passes_equal_one(complex_start):
    """keep_vectors=False (three vectors, the recursion replayed) gives the one-pass f(H)φ: the replay repeats the same
    operations, so the vectors agree to round-off (1e-12 relative) and the coefficients replay bitwise (replay_change 0)."""
    rng = np.random.default_rng(6)
    a = sp.random(400, 400, density=0.03, random_state=7)
    h = sp.csr_matrix(a + a.T)
    phi = rng.standard_normal(400) + (1j * rng.standard_normal(400) if complex_start else 0.0)

    def window(x):
        return np.exp(-0.5 * ((x - 0.3) / 0.2) ** 2) + 0j

    def propagator(x):
        return np.exp(-2.0j * x)

    kw = dict(steps=120, tol=1e-12, g_max=1.0, resolved=lambda theta: True, also=(propagator,))
    one, two = lanczos_function(h, phi, window, **kw), lanczos_function(h, phi, window, keep_vectors=False, **kw)
    assert one.real_arithmetic != complex_start and two.steps == one.steps and two.replay_change == 0.0
    for x, y in zip(one.vectors, two.vectors):
        assert np.linalg.norm(x - y) <= 1e-12 * np.linalg.norm(x)
