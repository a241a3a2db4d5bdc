"""Sizing rules of the finite probe (solvers.dynamics.probe_components) and lanczos_chain's ``until`` rule.

Tolerances:
- FFT length: the periodization images summed by brute force (exact lags |τ + mMh|, images up to
  |m| = 20, the rest < e^{−20ΓMh/ħ}) must stay below the requested tol; the rule's bound uses
  |m|Mh − |τ| ≤ |τ + mMh|, so it can only overestimate them.
- Stopped chains: the convergence rule compares the spectrum between checks 10 steps apart,
  which overestimates the remaining error where it falls geometrically (measured: the change is
  ≈ 2× the error); the test allows the rule's tolerance itself against the dense resolvent.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from localpairs.solvers.dynamics.probe_components import CHECK_EVERY, SpectrumConvergence, check_points, fft_length
from localpairs.solvers.lanczos import lanczos_chain
from localpairs.units import HBAR_EV_FS

GAMMA = 0.2


def images(norms, h, m, gamma=GAMMA, orders=20):
    """Σ_{k,l} n_k n_l Σ_{0<|j|≤orders} e^{−Γ|t_k − t_l + j m h|/ħ} / Σ n_k², by brute force."""
    lag = (np.arange(norms.size)[:, None] - np.arange(norms.size)[None, :]) * h
    pair = np.outer(norms, norms)
    total = sum(np.sum(pair * np.exp(-gamma * np.abs(lag + j * m * h) / HBAR_EV_FS)) for j in range(-orders, orders + 1) if j)
    return float(total / (norms @ norms))


@pytest.mark.parametrize("fwhm, h", [(10.0, 0.2), (2.0, 0.05), (40.0, 0.5)])
def test_envelope_fft_length_bounds_the_periodization_and_is_shorter_than_the_window(fwhm, h):
    t = h * np.arange(-math.ceil(3 * fwhm / h), math.ceil(3 * fwhm / h) + 1)
    norms = np.exp(-2 * math.log(2) * t**2 / fwhm**2) * (1.0 + 0.3 * np.cos(t))  # envelope × a varying ‖Dψ‖
    tol = 1e-10
    m = fft_length(norms, h=h, Gamma=GAMMA, tol=tol)
    assert m >= norms.size
    assert images(norms, h, m) <= tol
    assert m < fft_length(norms, h=h, Gamma=GAMMA, tol=tol, padding="window")


def test_flat_norms_need_the_whole_window_plus_the_kernel_decay():
    """No envelope: the bound reduces to the first rule's window + ħ ln(1/tol)/Γ (up to ln(2S) and rounding)."""
    h, n, tol = 0.1, 400, 1e-10
    m = fft_length(np.ones(n), h=h, Gamma=GAMMA, tol=tol)
    window = n + HBAR_EV_FS * math.log(1 / tol) / GAMMA / h
    assert window <= m <= window + HBAR_EV_FS * math.log(4 * n) / GAMMA / h + 64
    assert images(np.ones(n), h, m) <= tol


def test_check_points_are_spaced_by_a_quarter_gamma():
    omega = np.linspace(-3.0, 6.0, 901)
    pts = check_points(omega, GAMMA)
    assert np.all(np.isin(pts, omega))
    assert np.diff(pts).min() >= GAMMA / 4 - 1e-12 and np.diff(pts).max() <= GAMMA / 4 + 0.02
    assert pts[0] == omega[0] and pts[-1] >= omega[-1] - GAMMA / 4


def random_hermitian(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return sp.csr_matrix((a + a.conj().T) / 2), rng.standard_normal(n) + 1j * rng.standard_normal(n)


def test_until_stops_the_chain_and_keeps_its_first_steps():
    """``until`` only truncates: the coefficients are the plain chain's first m."""
    h, phi = random_hermitian(300, 1)
    calls = []

    def stop_at_37(alpha, beta):
        calls.append((alpha.size, beta.size))
        return alpha.size == 37

    short = lanczos_chain(h, phi, n_steps=120, until=stop_at_37)
    full = lanczos_chain(h, phi, n_steps=120)
    assert short.n_steps == 37 and calls[-1] == (37, 36) and not short.exhausted
    np.testing.assert_allclose(short.alpha, full.alpha[:37], rtol=0, atol=1e-12)
    np.testing.assert_allclose(short.beta, full.beta[:36], rtol=0, atol=1e-12)


def disordered_chain(n, seed):
    """Tight-binding ring with random on-site energies in [−1, 1] (spectrum ≈ [−3, 3], 1/n level spacing ≪ Γ) and a random start."""
    rng = np.random.default_rng(seed)
    hop = sp.diags([np.ones(n - 1), np.ones(n - 1)], [1, -1]) + sp.coo_matrix(([1.0, 1.0], ([0, n - 1], [n - 1, 0])), shape=(n, n))
    return sp.csr_matrix(hop + sp.diags(rng.uniform(-1, 1, n))), rng.standard_normal(n) + 1j * rng.standard_normal(n)


@pytest.mark.parametrize("tol", [1e-4, 1e-7])
def test_converged_chain_matches_the_dense_resolvent(tol):
    """Disordered 1500-site ring: the stopped chain's spectrum against −Im⟨φ|(z − H)^{-1}|φ⟩/π (dense)."""
    h, phi = disordered_chain(1500, 2)
    omega = np.linspace(-4.0, 4.0, 801)
    e, v = np.linalg.eigh(h.toarray())
    w = np.abs(v.conj().T @ phi) ** 2
    exact = (w[None, :] * (GAMMA / math.pi) / ((omega[:, None] - e[None, :]) ** 2 + GAMMA**2)).sum(axis=1)
    norm2 = float(np.vdot(phi, phi).real)
    scale = tol * norm2 / (math.pi * GAMMA)  # the rule's tolerance: tol × the spectrum's peak bound
    z = check_points(omega, GAMMA) + 1j * GAMMA
    rule = SpectrumConvergence(z, norm2=norm2, tol=scale)
    chain = lanczos_chain(h, phi, n_steps=200, until=rule)
    assert chain.n_steps < 200 and chain.n_steps % CHECK_EVERY == 0
    curve = -chain.greens_function(omega + 1j * GAMMA).imag / math.pi
    assert np.abs(curve - exact).max() <= scale  # measured 0.16 and 0.06 of it; 10 steps earlier 0.76 and 0.29
    np.testing.assert_allclose(rule.greens_function(), chain.greens_function(z), rtol=1e-10)  # forward (Wallis) = backward evaluation
