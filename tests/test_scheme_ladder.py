"""The scheme ladder (:mod:`localpairs.solvers.dynamics.scheme_ladder`) and its cheapest rung, CF2 (exponential midpoint).

Model: the 2×2×1 plaquette (x open, y periodic, 36 states at half filling), a 2 eV pulse of 10 fs
intensity FWHM and weak peak field (1e-3 V/Å) along x, evolved over [0, 2·centre] ≈ [0, 63] fs:
long weak-field tails where the carrier cap limits the CF6 steps, so the ladder goes down to CF2.

References and tolerances:
- DOP853 (scipy ``solve_ivp``) at rtol 1e-13, atol 1e-15: accurate to ~1e-12 on such a system (as
  in tests/test_cfet.py), far below the errors compared with it (≥ 1e-9);
- CF2's order by step halving against the product of dense ``scipy.linalg.expm`` midpoint
  exponentials (independent of Lanczos): the integrator's CF2 steps equal that product to 1e-11
  (Lanczos converged to 1e-14 per exponential and expm's round-off ~1e-14 per step, 256–1024 steps;
  measured 1.0e-12–3.9e-12), and the errors against DOP853 fall by 2² per halving (slope 2 ± 0.3,
  as for the other schemes in tests/test_cfet.py; measured 1.99, 2.00 for errors 1.4e-4 … 8.7e-6);
- the reference itself: CFM4 at tol 1e-10 agrees with it to 3.5e-12.
"""

import math

import numpy as np
import pytest
from plaquette_reference import pumped_plaquette
from scipy.linalg import expm

from localpairs.errors import InputError
from localpairs.hamiltonians.driven_model import gaussian_pulse
from localpairs.solvers.dynamics.cfet import CF2, LADDERS
from localpairs.solvers.dynamics.evolution import CFM4Integrator, EvolutionOptions, IntegratorState, evolve
from localpairs.solvers.dynamics.field_free import STATIC_SHARE
from localpairs.solvers.dynamics.krylov import vector_norm
from localpairs.solvers.dynamics.scheme_ladder import LOWER_RUNG_SHARE, probe_wait
from localpairs.units import HBAR_EV_FS

from kill_resume import killed_then_resumed

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)
TOL = 1e-6  # loose enough that the ladder reaches CF2 in both tails (measured: 14 CF2, 12 CFM4, 99 CF6 steps)


@pytest.fixture(scope="module")
def weak():
    """Operator, ground state, window end and the DOP853 state at the window's end."""
    return pumped_plaquette(gaussian_pulse(photon_energy=2.0, duration=10.0, peak_field=0.001, polarization=(1.0, 0.0, 0.0)), **PARAMS)


def _accepted(op, psi0, t_end, options):
    integ = CFM4Integrator(op, t_start=0.0, t_end=t_end, options=options)
    return integ, list(integ.steps(IntegratorState(0.0, psi0, options.h_init)))


def test_cf2_is_the_exponential_midpoint_rule_of_order_two(weak):
    """Fixed CF2 steps equal the dense-expm midpoint product, and their error against DOP853 falls as h²."""
    op, psi0, t_end, ref = weak
    assert CF2.nodes == (0.5,) and CF2.weights == ((1.0,),) and CF2.order == 2 and CF2.symmetric
    errors = []
    for n in (256, 512, 1024):  # h ≈ 0.25, 0.12, 0.06 fs: at 0.5 fs and longer the slope is not yet 2 (measured 3.6 from 1 fs)
        h = t_end / n
        dense = psi0
        for k in range(n):
            dense = expm(-1j * h / HBAR_EV_FS * op.assemble(op.driven.coefficients((k + 0.5) * h)).toarray()) @ dense
        # velocity gauge: the dense product above exponentiates the Peierls H(t); in the length gauge the
        # midpoint rule is another order-2 scheme (its order: tests/test_length_gauge.py)
        res = evolve(op, psi0, [0.0, t_end], options=EvolutionOptions(scheme="cf2", fixed_step=h * (1 + 1e-13), krylov_tol=1e-14, gauge="velocity"))
        assert np.linalg.norm(res.states[:, -1] - dense) < 1e-11
        errors.append(np.linalg.norm(dense - ref))
    slopes = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] > 1e-9  # 1000× above the reference's accuracy: the slope is the scheme's
    assert np.all(np.abs(slopes - CF2.order) < 0.3), (errors, slopes)


def test_ladder_reaches_the_reference_and_uses_every_rung(weak):
    """Adaptive CF6 with the ladder: final error below the tolerance against DOP853, every rung used,
    fewer matrix–vector products than without it (a count, not a time).

    Measured: final error 2.2e-9 with the ladder against 3.1e-9 without, 6,756 products against 7,318."""
    op, psi0, t_end, ref = weak
    options = EvolutionOptions(scheme="cf6", tol=TOL)
    assert options.ladder  # the default of the adaptive CF6 path
    _, steps = _accepted(op, psi0, t_end, options)
    used = {after.extra.get("scheme") for _, after in steps}
    assert {s.name for s in LADDERS["cf6"]} <= used
    assert np.linalg.norm(steps[-1][1].psi - ref) < TOL
    res = evolve(op, psi0, [0.0, t_end], options=options)
    np.testing.assert_array_equal(res.states[:, -1], steps[-1][1].psi)  # evolve takes the same steps
    without = evolve(op, psi0, [0.0, t_end], options=EvolutionOptions(scheme="cf6", tol=TOL, scheme_ladder=False))
    assert np.linalg.norm(without.states[:, -1] - ref) < TOL
    assert res.stats["matvecs"] < without.stats["matvecs"]


def test_every_accepted_step_passed_its_own_doubling_estimate(weak):
    """Each accepted driven step's doubling estimate, recomputed outside the policy with the scheme it
    names, is the one recorded and is at most its rung's target (the top's: tol·h/field span with the
    field-free share removed; a lower rung's: LOWER_RUNG_SHARE of it). Fails if the policy kept a
    rejected probe, or judged a cheap rung by the top's looser target."""
    op, psi0, t_end, _ = weak
    options = EvolutionOptions(scheme="cf6", tol=TOL)
    integ, steps = _accepted(op, psi0, t_end, options)
    checked = {"cf2": 0, "cfm4": 0, "cf6": 0}
    for before, after in steps:
        name = after.extra.get("scheme")
        if name is None:  # a field-free Lanczos step
            continue
        scheme = next(s for s in integ.ladder if s.name == name)
        h = after.t - before.t
        target = (1.0 - 2.0 * STATIC_SHARE) * TOL * h / integ.field_span * (1.0 if name == "cf6" else LOWER_RUNG_SHARE)
        ktol = max(options.krylov_fraction * target / (1.0 if name == "cf6" else LOWER_RUNG_SHARE), 1e-15)
        richardson = 2.0**scheme.order - 1.0
        full = integ.step(before.t, before.psi, h, ktol=ktol * richardson / 4.0, scheme=scheme)[0]
        half = integ.step(before.t, before.psi, 0.5 * h, ktol=ktol, scheme=scheme)[0]
        two = integ.step(before.t + 0.5 * h, half, 0.5 * h, ktol=ktol, scheme=scheme)[0]
        estimate = float(vector_norm(two - full)) / richardson
        assert estimate == pytest.approx(after.last_error, rel=1e-9)
        assert estimate <= target, (before.t, name, estimate, target)
        checked[name] += 1
    assert min(checked.values()) > 0, checked


def test_killed_and_resumed_run_with_the_ladder_is_bit_identical(weak, tmp_path):
    """A trajectory killed while the ladder is below its top rung (or waiting) resumes bit for bit."""
    from localpairs.solvers.dynamics.trajectory import run_trajectory

    op, psi0, t_end, _ = weak
    times = np.linspace(0.0, t_end, 9)
    options = EvolutionOptions(scheme="cf6", tol=TOL)
    _, steps = _accepted(op, psi0, t_end, options)
    at = next(a.steps for _, a in steps if a.steps > 5 and ((a.rung != -1 and a.rung < 2) or a.ladder_wait > 0) and a.t > 40.0)
    kwargs = dict(options=options, progress=False, checkpoint_every=1, key="k")
    full = run_trajectory(op, psi0, times, **kwargs)
    path = tmp_path / "traj.npz"
    resumed = killed_then_resumed(op, psi0, times, path=path, at_step=at, **kwargs)
    assert resumed.attrs["steps"] == full.attrs["steps"] and resumed.attrs["matvecs"] == full.attrs["matvecs"]
    for name in full.data_vars:
        np.testing.assert_array_equal(resumed[name].values, full[name].values, err_msg=name)


def test_ladder_state_round_trips_through_the_checkpoint_arrays():
    state = IntegratorState(1.0, np.ones(3, complex), 0.5, rung=1, ladder_wait=7)
    back = IntegratorState.from_arrays(state.arrays())
    assert (back.rung, back.ladder_wait) == (1, 7)


def test_probe_wait_grows_with_the_miss():
    """ceil(8·ln q) accepted steps, at least 1 and at most 64."""
    assert probe_wait(1.0) == 1 and probe_wait(math.e) == 8 and probe_wait(1e3) == 56 and probe_wait(1e9) == 64


@pytest.mark.parametrize("options", [
    EvolutionOptions(scheme="cf6", error_control="embedded", scheme_ladder=True),
    EvolutionOptions(scheme="cf2", scheme_ladder=True),
    EvolutionOptions(scheme="cf6", scheme_ladder="yes"),
])
def test_bad_ladder_settings_are_refused_naming_the_field(weak, options):
    op, psi0, _, _ = weak
    with pytest.raises(InputError) as err:
        evolve(op, psi0, [0.0, 1.0], options=options)
    assert err.value.field == "scheme_ladder"


def test_defaults_and_switch_off():
    """On by default for adaptive CF6 with step doubling only; ``scheme_ladder=False`` switches it off."""
    assert EvolutionOptions(scheme="cf6").ladder and not EvolutionOptions(scheme="cf6", scheme_ladder=False).ladder
    assert not EvolutionOptions().ladder and not EvolutionOptions(scheme="cf6", error_control="embedded").ladder
    assert EvolutionOptions(scheme="cfm4", scheme_ladder=True).validate().ladder
