"""Time evolution: CFM4 + Lanczos against independent references (dense expm, eigendecomposition,
scipy's DOP853 at rtol 1e-12), its order of convergence, QuSpin's backend, and bad input.

Tolerances: the integrator's ``tol`` bounds the error of the final state (errors per unit step
add up to at most ``tol``), so results are compared with ``tol`` itself. References: dense
``expm``/``eigh`` are exact to ~1e-14; DOP853 with rtol 1e-12, atol 1e-14 on these 36-state
problems is accurate to ~1e-11, far below the tolerances tested (≥ 1e-9).
"""

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.integrate import solve_ivp

from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import Quench, drive, gaussian_pulse
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import CFM4Integrator, EvolutionOptions, evolve
from localpairs.solvers.dynamics.krylov import KrylovWorkspace, expm_lanczos, propagate_lanczos
from localpairs.units import HBAR_EV_FS

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1, J_p=0.05)


@pytest.fixture(scope="module")
def plaquette():
    """2×2×1 cluster, open x (single bonds) and periodic y (doubled bonds), 2↑2↓: 36 states."""
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, **PARAMS)
    basis = build_basis(model, sector(electrons=4))
    return model, basis


def pumped_ground_state(model, basis, polarization):
    """A 4 fs, 1.5 eV pulse along ``polarization``: its operator, the ground state and the pulse."""
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.1, polarization=polarization)
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    _, vecs = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())
    return op, vecs[:, 0].astype(complex), pulse


def dop853_reference(op, psi0, times):
    """ψ(times) by scipy's DOP853 at rtol 1e-12, atol 1e-14 (the independent reference)."""

    def rhs(t, y):
        return -1j / HBAR_EV_FS * (op.assemble(op.driven.coefficients(t)) @ y)

    return solve_ivp(rhs, (times[0], times[-1]), psi0, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=times).y


@pytest.fixture(scope="module")
def pulsed(plaquette):
    """A 4 fs pulse polarised in the xy plane, its operator, ground state and DOP853 reference."""
    op, psi0, pulse = pumped_ground_state(*plaquette, (1.0, 1.0, 0.0))
    times = np.linspace(0.0, 2 * pulse.center, 6)
    return op, psi0, times, dop853_reference(op, psi0, times)


def random_state(dim, seed=1):
    rng = np.random.default_rng(seed)
    psi = rng.standard_normal(dim) + 1j * rng.standard_normal(dim)
    return psi / np.linalg.norm(psi)


def test_lanczos_exponential_matches_expm():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((60, 60)) + 1j * rng.standard_normal((60, 60))
    h = (a + a.conj().T) / 10  # spectral radius ~2: τ‖H‖ ≤ 2 needs ~20 Lanczos vectors
    v = random_state(60)
    work = KrylovWorkspace(60, 40)
    for tau in (0.05, 0.3, 1.0):
        res = expm_lanczos(lambda x, out: np.matmul(h, x, out=out), v, tau, tol=1e-12, work=work)
        assert res.converged
        assert np.linalg.norm(res.vector - sla.expm(-1j * tau * h) @ v) < 1e-11


def test_static_hamiltonian_equals_eigendecomposition(plaquette):
    model, basis = plaquette
    op = DrivenOperator(drive(model), basis)
    h = hamiltonian_matrix(model, basis).toarray()
    evals, evecs = np.linalg.eigh(h)
    psi0 = random_state(basis.Ns)
    times = np.array([0.0, 3.0, 7.5, 20.0, 60.0])
    tol = 1e-9
    res = evolve(op, psi0, times, options=EvolutionOptions(tol=tol))
    for k, t in enumerate(times):
        exact = evecs @ (np.exp(-1j * evals * t / HBAR_EV_FS) * (evecs.conj().T @ psi0))
        assert np.linalg.norm(res.states[:, k] - exact) < tol
    norms = np.linalg.norm(res.states, axis=0)
    energies = [np.vdot(s, h @ s).real for s in res.states.T]
    assert np.max(np.abs(norms - 1)) < tol
    assert np.ptp(energies) < tol * np.abs(evals).max()


def test_quench_equals_piecewise_dense_expm(plaquette):
    model, basis = plaquette
    after = extended_hubbard(model.cluster, t=0.33, U=-0.4, V=0.0, breathing=0.0)
    t_q = 4.0
    op = DrivenOperator(drive(model, quench=Quench(after, t_q)), basis)
    ha, hb = hamiltonian_matrix(model, basis).toarray(), hamiltonian_matrix(after, basis).toarray()
    psi0 = random_state(basis.Ns, seed=2)
    times = np.array([0.0, 2.0, 4.0, 6.5, 12.0])
    tol = 1e-9
    res = evolve(op, psi0, times, options=EvolutionOptions(tol=tol))
    for k, t in enumerate(times):
        if t <= t_q:
            exact = sla.expm(-1j * ha * t / HBAR_EV_FS) @ psi0
        else:
            exact = sla.expm(-1j * hb * (t - t_q) / HBAR_EV_FS) @ sla.expm(-1j * ha * t_q / HBAR_EV_FS) @ psi0
        assert np.linalg.norm(res.states[:, k] - exact) < tol


@pytest.mark.parametrize("tol", [1e-6, 1e-8])
def test_pulse_matches_dop853_reference(pulsed, tol):
    op, psi0, times, ref = pulsed
    res = evolve(op, psi0, times, options=EvolutionOptions(tol=tol))
    errors = np.linalg.norm(res.states - ref, axis=0)
    assert errors.max() < tol
    assert np.max(np.abs(np.linalg.norm(res.states, axis=0) - 1)) < tol


def test_fourth_order_convergence(pulsed):
    """Fixed steps h, h/2, h/4: the final error falls by 2⁴ = 16 per halving (measured 15.9–16.1)."""
    op, psi0, times, ref = pulsed
    grid = times[[0, -1]]
    errors = []
    for h in (0.2, 0.1, 0.05):
        res = evolve(op, psi0, grid, options=EvolutionOptions(fixed_step=h, krylov_tol=1e-14))
        errors.append(np.linalg.norm(res.states[:, -1] - ref[:, -1]))
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(14.0 < r < 18.0 for r in ratios), (errors, ratios)


def test_quspin_backend_agrees(pulsed):
    op, psi0, times, ref = pulsed
    res = evolve(op, psi0, times, backend="quspin", rtol=1e-11, atol=1e-11)
    assert np.linalg.norm(res.states - ref, axis=0).max() < 1e-8


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(times=[0.0, 2.0, 1.0]), "times"),
        (dict(times=[0.0, 1.0, 1.0]), "times"),
        (dict(options=EvolutionOptions(tol=0.0)), "tolerance"),
        (dict(options=EvolutionOptions(tol=-1e-8)), "tolerance"),
        (dict(options=EvolutionOptions(fixed_step=-0.1)), "fixed_step"),
        (dict(psi0_scale=2.0), "psi0"),
        (dict(backend="rk4"), "backend"),
    ],
)
def test_bad_input_is_one_clear_error_before_evolving(plaquette, kwargs, field):
    model, basis = plaquette
    op = DrivenOperator(drive(model), basis)
    psi0 = random_state(basis.Ns) * kwargs.pop("psi0_scale", 1.0)
    times = kwargs.pop("times", [0.0, 1.0])
    with pytest.raises(InputError) as err:
        evolve(op, psi0, times, **kwargs)
    assert err.value.field == field


def test_lanczos_propagator_dense_output_matches_expm():
    """One Lanczos basis serves every time inside its step: exp(−isH)v against dense expm."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((80, 80)) + 1j * rng.standard_normal((80, 80))
    h = (a + a.conj().T) / 10
    v = random_state(80, seed=4)
    work = KrylovWorkspace(80, 30)
    rate = 1e-12
    prop = propagate_lanczos(lambda x, out: np.matmul(h, x, out=out), v, 50.0, error_rate=rate, work=work)
    assert 0.5 < prop.tau < 50.0  # 30 vectors cannot reach τ‖H‖ ≈ 100; they do reach more than ~1
    for s in np.linspace(0.0, prop.tau, 7):
        # the a-posteriori estimate is sharp once converged: allow 10× it plus round-off
        assert np.linalg.norm(prop.vector(s) - sla.expm(-1j * s * h) @ v) < 10 * rate * max(s, 1e-3) + 1e-13
    expm_lanczos(lambda x, out: np.matmul(h, x, out=out), v, 0.1, tol=1e-12, work=work)
    with pytest.raises(LocalPairsError):
        prop.vector(0.5 * prop.tau)  # the basis was overwritten


def test_field_sensitivity_bounds_the_field_term(pulsed):
    """‖H(A) − H(0)‖₂ ≤ S·|A| for the bound S used to find field-free stretches (dense norms)."""
    op, *_ = pulsed
    d = op.driven
    h0 = op.assemble(d.coefficients_at(0.0)).toarray()
    sens = op.field_sensitivity()
    for A in (1e-4, 1e-2, 0.1):
        diff = np.linalg.norm(op.assemble(d.coefficients_at(A)).toarray() - h0, 2)
        assert diff <= sens * A * (1 + 1e-12)
        assert diff > 0.05 * sens * A  # and not uselessly loose


def test_pulse_then_field_free_delays_match_dop853(plaquette):
    """Pulse followed by a long field-free stretch (Lanczos steps with dense output) against DOP853."""
    op, psi0, _ = pumped_ground_state(*plaquette, (1.0, 0.0, 0.0))
    times = np.linspace(0.0, 120.0, 241)
    ref = dop853_reference(op, psi0, times)
    tol = 1e-8
    integ = CFM4Integrator(op, t_start=times[0], t_end=times[-1], options=EvolutionOptions(tol=tol))
    assert integ.field_window[1] < 40.0  # most of the window is field-free
    res = evolve(op, psi0, times, options=EvolutionOptions(tol=tol))
    assert np.linalg.norm(res.states - ref, axis=0).max() < tol
