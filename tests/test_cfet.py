"""Higher-order commutator-free schemes (:mod:`localpairs.solvers.dynamics.cfet`): their order by step
halving against DOP853, agreement with CFM4 at tight tolerance, norm conservation and the carrier cap.

References and tolerances: scipy's DOP853 at rtol 1e-13, atol 1e-15 on the 36-state plaquette is
accurate to ~1e-12 (it agrees with CFM4 at tol 1e-10 to that level), below every error it is
compared with here (≥ 1e-10). Orders are measured as log2 of successive error ratios at fixed
steps h, h/2, h/4 with Lanczos converged to 1e-14.
"""

import math

import numpy as np
import pytest
from plaquette_reference import pumped_plaquette

from localpairs.errors import InputError
from localpairs.hamiltonians.driven_model import gaussian_pulse
from localpairs.solvers.dynamics.cfet import CF6, CFM4, SCHEMES
from localpairs.solvers.dynamics.evolution import CFM4Integrator, EvolutionOptions, IntegratorState, evolve

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1, J_p=0.05)


@pytest.fixture(scope="module")
def pumped():
    """2×2×1 plaquette (36 states), ground state, a 4 fs 1.5 eV pulse in the xy plane, and the
    DOP853 state at the end of [0, 2·centre]."""
    return pumped_plaquette(gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.1, polarization=(1.0, 1.0, 0.0)), **PARAMS)


def test_coefficient_tables_are_consistent():
    """Every exponent's node weights sum over all exponentials to the Gauss quadrature of ∫H (= 1 in
    units of h), nodes in (0, 1) and symmetric; the Legendre-table route used for CF6 rebuilds CFM4's
    closed form from its table (f = ((1/2, 1/3), (1/2, −1/3)), Alvermann & Fehske Eq. (61))."""
    from localpairs.solvers.dynamics.cfet import legendre_scheme

    for scheme in SCHEMES.values():
        assert math.isclose(float(np.sum(scheme.weights)), 1.0, rel_tol=1e-14)
        c = np.array(scheme.nodes)
        assert np.all((c > 0) & (c < 1)) and np.allclose(c + c[::-1], 1.0, atol=1e-15)
    rebuilt = legendre_scheme("cf4", [[0.5, 1 / 3], [0.5, -1 / 3]], order=4, n_nodes=2, steps_per_cycle=16, safety=0.9)
    np.testing.assert_allclose(rebuilt.weights, CFM4.weights, atol=1e-15)
    np.testing.assert_allclose(rebuilt.nodes, CFM4.nodes, atol=1e-15)
    assert CF6.exponentials == 5 and CF6.order == 6


def test_sixth_order_by_step_halving(pumped):
    """Fixed steps h = t_end/64, h/2, h/4 (≈ 0.39, 0.20, 0.10 fs): the final error falls by 2⁶ per
    halving (measured slopes 5.81, 5.96; errors 3.3e-7 … 9.6e-11; slope 6 ± 0.3 asserted)."""
    op, psi0, t_end, ref = pumped
    errors = []
    for n in (64, 128, 256):
        h = t_end / n * (1 + 1e-13)  # n equal steps (no short last step)
        res = evolve(op, psi0, [0.0, t_end], options=EvolutionOptions(scheme="cf6", fixed_step=h, krylov_tol=1e-14))
        errors.append(np.linalg.norm(res.states[:, -1] - ref))
    slopes = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] > 3e-11  # 30× above the reference's accuracy: the slope is the scheme's
    assert np.all(np.abs(slopes - CF6.order) < 0.3), (errors, slopes)


def test_agrees_with_cfm4_and_dop853_at_tight_tolerance(pumped):
    """Adaptive runs at tol 1e-10: the new scheme, CFM4 and DOP853 agree to 1e-9 (the tolerance
    bounds each integrator's final error; 1e-9 leaves 10× for the reference and CFM4)."""
    op, psi0, t_end, ref = pumped
    times = np.linspace(0.0, t_end, 5)
    new = evolve(op, psi0, times, options=EvolutionOptions(scheme="cf6", tol=1e-10))
    old = evolve(op, psi0, times, options=EvolutionOptions(tol=1e-10))
    assert np.linalg.norm(new.states - old.states, axis=0).max() < 1e-9
    assert np.linalg.norm(new.states[:, -1] - ref) < 1e-9
    # norm: exact exponentials are unitary; the Richardson combination drifts by far less than tol
    assert np.max(np.abs(np.linalg.norm(new.states, axis=0) - 1.0)) < 1e-10


def test_fixed_steps_conserve_the_norm(pumped):
    """Without extrapolation every step is a product of Lanczos exponentials: unitary to round-off."""
    op, psi0, t_end, _ = pumped
    res = evolve(op, psi0, np.linspace(0.0, t_end, 9), options=EvolutionOptions(scheme="cf6", fixed_step=0.5, krylov_tol=1e-14))
    assert np.max(np.abs(np.linalg.norm(res.states, axis=0) - 1.0)) < 1e-12


def test_steps_are_capped_by_the_carrier_while_the_field_is_on(pumped):
    """Inside the field window no accepted step exceeds 2π/(ω·steps_per_cycle) (4 per period for cf6),
    even at a loose tolerance where the step-doubling estimate alone would allow longer steps."""
    op, psi0, t_end, _ = pumped
    options = EvolutionOptions(scheme="cf6", tol=1e-4, h_init=0.01)
    integ = CFM4Integrator(op, t_start=0.0, t_end=t_end, options=options)
    period = 2 * math.pi / op.driven.pulse.omega
    assert integ.h_cycle == pytest.approx(period / CF6.steps_per_cycle)
    lo, hi = integ.field_window
    inside = [after.t - before.t for before, after in integ.steps(IntegratorState(0.0, psi0, options.h_init)) if before.t >= lo and after.t <= hi]
    assert len(inside) > 10 and max(inside) <= integ.h_cycle * (1 + 1e-12)
    assert max(inside) > 0.9 * integ.h_cycle  # the cap is what limits them here


def test_unknown_scheme_is_refused(pumped):
    op, psi0, _t_end, _ = pumped
    with pytest.raises(InputError) as err:
        evolve(op, psi0, [0.0, 1.0], options=EvolutionOptions(scheme="rk4"))
    assert err.value.field == "scheme"
