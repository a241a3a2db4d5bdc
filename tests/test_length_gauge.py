"""Driven steps in the length gauge (solvers/dynamics/length_gauge.py).

References and tolerances:
- the gauge identity G†H(0)G = H(A) is checked with scipy's sparse products on the assembled
  matrices (a construction independent of the compiled check); exact up to the round-off of the
  phases, ~1e-15 eV on entries of ~0.3 eV: bound 1e-12 eV. The opposite sign must fail by > 0.1 eV
  (entries t·|e^{2iφ} − 1| with φ ≈ 0.3 rad on the x hops), so the check can fail.
- evolutions are compared with scipy's DOP853 at rtol 1e-12, atol 1e-14 on the velocity-gauge
  H(t) (the independent reference, error ≲ 1e-11), at integrator tolerance 1e-10: each final error
  is asserted below 1e-9 (the tolerance bounds the final error; 10× left for the reference).
- orders by step halving at fixed steps against DOP853 at rtol 1e-13: slopes p ± 0.3 as in
  tests/test_cfet.py (CFM4 4, CF6 6).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.hamiltonians.oxygen_lattice import oxygen_lattice
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.cfet import CF6, CFM4, CommutatorFreeScheme
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import CFM4Integrator, EvolutionOptions, evolve
from localpairs.solvers.dynamics.length_gauge import LengthGauge, length_gauge
from localpairs.units import HBAR_EV_FS

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1, J_p=0.05)
PULSE = dict(photon_energy=1.5, duration=4.0, peak_field=0.1)


def _operator(shape, periodic, polarization, electrons):
    model = extended_hubbard(make_cluster(shape, periodic=periodic), **PARAMS)
    basis = build_basis(model, sector(electrons=electrons))
    pulse = gaussian_pulse(**PULSE, polarization=polarization)
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    psi0 = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())[1][:, 0].astype(complex)
    return op, psi0


def _dop853(op, psi0, times, rtol=1e-12, segment=None):
    def rhs(t, y):
        coefs = op.driven.coefficients(t) if segment is None else op.driven.coefficients_at(op.driven.vector_potential(t), segment)
        return -1j / HBAR_EV_FS * (op.assemble(coefs) @ y)

    return solve_ivp(rhs, (times[0], times[-1]), psi0, method="DOP853", rtol=rtol, atol=rtol * 1e-2, t_eval=times).y


@pytest.fixture(scope="module")
def open_plaquette():
    """2×2×1, x open and y periodic, 4 electrons (36 states), a 4 fs pulse along x."""
    op, psi0 = _operator((2, 2, 1), [False, True, False], (1.0, 0.0, 0.0), 4)
    t_end = 2 * op.driven.pulse.center
    return op, psi0, t_end


def test_gauge_identity_on_the_cube_matrices():
    """2×2×2, x open: G(A)†H(0)G(A) = H(A) entry by entry at the pulse's peak potential, with G = e^{+iAD/ħ}."""
    model = extended_hubbard(make_cluster("2x2x2", periodic=[False, True, True]), **PARAMS)
    pulse = gaussian_pulse(photon_energy=2.0, duration=30.0, fluence=8.0, polarization=(1.0, 0.0, 0.0))
    op = DrivenOperator(drive(model, pulse=pulse), build_basis(model, sector(electrons=8)))
    gauge = length_gauge(op)
    assert isinstance(gauge, LengthGauge)
    h0 = op.hamiltonian(-1e6)  # far before the pulse: A = 0 to round-off
    a = float(np.abs([pulse.vector_potential(t) for t in np.linspace(80.0, 110.0, 61)]).max())
    ha = op.assemble(op.driven.coefficients_at(a))
    x = np.asarray(model.cluster.positions[:, 0], dtype=float)
    dipole = op.site_occupations @ (x - x.mean())
    for sign, bound in ((+1.0, None), (-1.0, 0.1)):
        g = sp.diags(np.exp(sign * 1j * a * dipole / HBAR_EV_FS))
        deviation = abs(g.conj() @ h0 @ g - ha).max()
        if bound is None:
            assert deviation < 1e-12
        else:
            assert deviation > bound
    np.testing.assert_allclose(gauge.dipole, dipole, atol=1e-12)
    psi = np.exp(1j * np.arange(op.dim))
    np.testing.assert_allclose(gauge.to_velocity(gauge.to_length(psi, a), a), psi, atol=1e-14)


@pytest.mark.parametrize(("periodic", "polarization"), [([False, True, False], (1.0, 1.0, 0.0)), ([False, True, False], (0.0, 1.0, 0.0))])
def test_periodic_axis_along_the_polarization_is_refused(periodic, polarization):
    """A polarization component along the periodic y axis: no position operator, velocity gauge (auto) or an InputError (length)."""
    op, _ = _operator((2, 2, 1), periodic, polarization, 4)
    assert length_gauge(op) is None
    assert CFM4Integrator(op, t_start=0.0, t_end=1.0).gauge is None
    with pytest.raises(InputError) as err:
        CFM4Integrator(op, t_start=0.0, t_end=1.0, options=EvolutionOptions(gauge="length"))
    assert err.value.field == "gauge" and "periodic" in str(err.value)


def test_no_pulse_and_bad_values_are_refused(open_plaquette):
    op, _, _ = open_plaquette
    static = DrivenOperator(drive(op.driven.model), op.basis)
    assert length_gauge(static) is None
    with pytest.raises(InputError) as err:
        EvolutionOptions(gauge="coulomb").validate()
    assert err.value.field == "gauge"


@pytest.mark.parametrize("scheme", ["cfm4", "cf6"])
def test_length_and_velocity_agree_with_dop853(open_plaquette, scheme):
    """Adaptive at tol 1e-10, outputs inside steps included: both gauges within 1e-9 of DOP853."""
    op, psi0, t_end = open_plaquette
    times = np.linspace(0.0, t_end, 7)
    ref = _dop853(op, psi0, times)
    runs = {g: evolve(op, psi0, times, options=EvolutionOptions(tol=1e-10, scheme=scheme, gauge=g)) for g in ("length", "velocity")}
    for res in runs.values():
        assert np.linalg.norm(res.states - ref, axis=0).max() < 1e-9
    # the length gauge is in use: different steps, so not the same bits
    assert runs["length"].stats != runs["velocity"].stats


@pytest.mark.parametrize(("scheme", "steps"), [(CFM4, (64, 128, 256)), (CF6, (56, 112, 224))])
def test_order_by_step_halving_in_the_length_gauge(open_plaquette, scheme, steps):
    """Fixed steps: the final error falls by 2^p per halving (slope p ± 0.3). Measured: CFM4 6.2e-5, 3.9e-6,
    2.5e-7 (slopes 3.98, 4.00; velocity gauge 8.7e-5 … 3.4e-7); CF6 2.2e-7, 3.6e-9, 5.7e-11 (5.93, 5.97;
    velocity 5.6e-7 … 1.3e-10). CF6 from 56 steps: at 32 the slope is pre-asymptotic (9.4)."""
    op, psi0, t_end = open_plaquette
    ref = _dop853(op, psi0, np.array([0.0, t_end]), rtol=1e-13)[:, -1]
    errors = []
    for n in steps:
        h = t_end / n * (1 + 1e-13)
        res = evolve(op, psi0, [0.0, t_end], options=EvolutionOptions(scheme=scheme.name, fixed_step=h, krylov_tol=1e-14, gauge="length"))
        errors.append(np.linalg.norm(res.states[:, -1] - ref))
    slopes = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] > 3e-11  # well above the reference's accuracy: the slope is the scheme's
    assert np.all(np.abs(slopes - scheme.order) < 0.3), (errors, slopes)


def test_an_exponent_of_zero_total_weight(open_plaquette):
    """g = (1/2, −1/2): the exponent is (E(t₁) − E(t₂))/2·D only; against the dense exponential of that generator."""
    op, psi0, _ = open_plaquette
    integ = CFM4Integrator(op, t_start=0.0, t_end=20.0)
    scheme = CommutatorFreeScheme("zero", 2, CFM4.nodes, ((0.5, -0.5),), True, 16, 0.9)
    t, h = op.driven.pulse.center - 0.7, 0.9
    values = integ.node_values(t, h, None, None, 0, scheme=scheme)
    out, _, _ = integ.exponentials(scheme, values, psi0, h, 1e-14)
    gauge = integ.gauge
    f = 0.5 * (values.fields[0] - values.fields[1])
    exact = gauge.to_velocity(np.exp(-1j * h * f * gauge.dipole / HBAR_EV_FS) * gauge.to_length(psi0, values.potentials[0]), values.potentials[1])
    assert np.linalg.norm(out - exact) < 1e-12
    assert abs(f) > 1e-3  # a non-trivial exponent


def test_with_a_lattice_both_gauges_converge_to_one_solution(open_plaquette):
    """Coupled oxygens (site shifts on the diagonal): fixed steps h, h/2 in both gauges; their gap falls ≥ 10× per halving
    (both are of order 4 and converge to the same solution; measured ratio ~16)."""
    op, psi0, _ = open_plaquette
    lat = oxygen_lattice(op.driven.model.cluster, coupling=0.5)
    u0 = np.full(lat.n_bonds, 0.5 * lat.u0)
    times = [op.driven.pulse.center - 4.0, op.driven.pulse.center + 4.0]
    gaps = []
    for h in (0.4, 0.2):
        options = [EvolutionOptions(fixed_step=h, gauge=g, krylov_tol=1e-14) for g in ("length", "velocity")]
        states = [evolve(op, psi0, times, options=o, lattice=lat, u0=u0) for o in options]
        gaps.append(np.linalg.norm(states[0].states[:, -1] - states[1].states[:, -1]) + np.abs(states[0].u[-1] - states[1].u[-1]).max() / lat.u0)
    assert gaps[1] > 1e-12 and gaps[0] / gaps[1] > 10.0, gaps


def test_dense_check_of_one_step(open_plaquette):
    """One CF6 step in the length gauge against the dense product of its five exponentials of H(0) + E D."""
    op, psi0, _ = open_plaquette
    integ = CFM4Integrator(op, t_start=0.0, t_end=20.0, options=EvolutionOptions(scheme="cf6"))
    t, h = op.driven.pulse.center - 0.3, 0.5
    values = integ.node_values(t, h, None, None, 0)
    out, _, _ = integ.exponentials(CF6, values, psi0, h, 1e-14)
    h0 = integ.gauge.statics[0].toarray()
    d = np.diag(integ.gauge.dipole)
    psi = integ.gauge.to_length(psi0, values.potentials[0])
    for g in CF6.weights:
        gen = sum(g) * h0 + float(np.dot(g, values.fields)) * d
        psi = sla.expm(-1j * h / HBAR_EV_FS * gen) @ psi
    assert np.linalg.norm(out - integ.gauge.to_velocity(psi, values.potentials[1])) < 1e-12


def test_threaded_static_product_is_the_real_product():
    """From SERIAL_MATVEC_MAX_DIM states on, QuSpin's kernel multiplies the real matrix: equal to scipy's product to round-off."""
    from localpairs.solvers.dynamics.driven_operator import SERIAL_MATVEC_MAX_DIM
    from localpairs.solvers.dynamics.length_gauge import static_operator

    n, rng = SERIAL_MATVEC_MAX_DIM + 1, np.random.default_rng(5)
    rows, cols = np.repeat(np.arange(n), 6), rng.integers(0, n, 6 * n)
    matrix = sp.csr_matrix((rng.standard_normal(6 * n), (rows, cols)), shape=(n, n))
    product = static_operator(matrix)
    small = matrix[:100, :100].tocsr()
    assert callable(product) and static_operator(small) is small  # below the threshold: the recursion's serial kernel
    x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    out = product(x, np.full(n, np.nan, dtype=complex))
    assert np.abs(out - matrix @ x).max() < 1e-12  # six terms of O(1): round-off ~1e-15


def test_a_quench_during_the_pulse(open_plaquette):
    """A quench at the pulse's centre: H(0) of each segment checked and used; within 1e-9 of DOP853 (restarted at the quench)."""
    from localpairs.hamiltonians.driven_model import Quench

    op0, psi0, t_end = open_plaquette
    model = op0.driven.model
    after = extended_hubbard(model.cluster, t=0.33, U=-0.4, V=0.0, breathing=0.0)
    op = DrivenOperator(drive(model, pulse=op0.driven.pulse, quench=Quench(after, op0.driven.pulse.center)), op0.basis)
    integ = CFM4Integrator(op, t_start=0.0, t_end=t_end, options=EvolutionOptions(gauge="length"))
    assert set(integ.gauge.statics) == {0, 1}
    t_q = op0.driven.pulse.center
    mid = _dop853(op, psi0, np.array([0.0, t_q]), segment=0)[:, -1]
    ref = _dop853(op, mid, np.array([t_q, t_end]), segment=1)[:, -1]
    res = evolve(op, psi0, [0.0, t_q, t_end], options=EvolutionOptions(tol=1e-10, gauge="length"))
    assert np.linalg.norm(res.states[:, -1] - ref) < 1e-9
