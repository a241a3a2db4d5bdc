"""Error control of the driven steps against a dense time-ordered reference on a 4-site chain with a strong carrier.

Model: open 4-site chain along the pump axis, 2↑2↓ (36 states), a 1.5 eV pulse of 4 fs intensity FWHM
and 0.3 V/Å peak field (the model's limit e·E0·a ≤ W; Peierls phase up to ≈ 0.9 rad: far beyond linear response). Reference: the
time-ordered product of exact exponentials (dense ``eigh``) of the exponential midpoint rule at
δ = 0.004 fs and δ/2, Richardson-extrapolated (the rule is symmetric: error δ², δ⁴, … → the
combination is O(δ⁴)); its own accuracy is checked against δ/2, δ/4 (< 3e-11 on the first quarter), below every
error compared with it here (≥ 1e-10).

Tolerances and factors, each measured and named where it is asserted:
- orders by step halving: slope within ±0.3 of the order (as in tests/test_cfet.py);
- the embedded estimate ‖ψ_CF6 − ψ_CF4‖ is the companion's local error to a factor within
  [1/1.5, 1.5] and over-estimates the kept CF6 error by ≥ 3× (the estimate is safe);
- the step-doubling estimate ‖ψ_{h/2,h/2} − ψ_h‖/(2⁶ − 1) is the two half steps' local error to
  within a factor 5 (Richardson's asymptotic relation, not yet reached in this strong field);
- the blind spot: a step of ~3.3 carrier periods, where step doubling misses the error by more
  than 10× (the embedded estimate does not), stays excluded by the carrier cap in adaptive runs.
"""

import itertools
import math

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.cfet import CF4_ON_CF6_NODES, CF6
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import CFM4Integrator, EvolutionOptions, IntegratorState, evolve
from localpairs.units import HBAR_EV_FS

from kill_resume import killed_then_resumed

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)


def _midpoint_product(op, psi, t0, t1, n):
    """ψ(t1) by n exponential-midpoint steps, each an exact (dense) exponential."""
    d = op.driven
    h = (t1 - t0) / n
    for k in range(n):
        evals, evecs = np.linalg.eigh(op.assemble(d.coefficients(t0 + (k + 0.5) * h)).toarray())
        psi = evecs @ (np.exp(-1j * evals * h / HBAR_EV_FS) * (evecs.conj().T @ psi))
    return psi


def exact(op, psi, t0, t1, delta=0.004):
    """Time-ordered reference from ``psi`` at t0 to t1: Richardson of the midpoint products at δ and δ/2."""
    n = max(1, math.ceil((t1 - t0) / delta))
    return (4.0 * _midpoint_product(op, psi, t0, t1, 2 * n) - _midpoint_product(op, psi, t0, t1, n)) / 3.0


@pytest.fixture(scope="module")
def chain():
    cluster = make_cluster((4, 1, 1), periodic=[False, False, False])
    model = extended_hubbard(cluster, **PARAMS)
    basis = build_basis(model, sector(electrons=4))
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.3, polarization=(1.0, 0.0, 0.0))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    psi0 = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())[1][:, 0].astype(complex)
    return op, psi0, pulse


@pytest.fixture(scope="module")
def reference(chain):
    """ψ at 0, centre/2, …, 2·centre (4 intervals) and the reference's self-check."""
    op, psi0, pulse = chain
    times = np.linspace(0.0, 2.0 * pulse.center, 5)
    states = [psi0]
    for a, b in itertools.pairwise(times):
        states.append(exact(op, states[-1], a, b))
    finer = exact(op, psi0, 0.0, times[1], delta=0.002)
    return times, np.array(states).T, float(np.linalg.norm(finer - states[1]))


def test_reference_is_converged(chain, reference):
    """The strong carrier really is strong (peak Peierls phase > 0.5 rad) and the reference is accurate to < 3e-11."""
    op, _, pulse = chain
    phase = op.driven.model.cluster.lattice_constant * abs(pulse.vector_potential(np.linspace(0, 2 * pulse.center, 2001))).max() / HBAR_EV_FS
    assert phase > 0.5
    assert reference[2] < 3e-11


@pytest.mark.parametrize("control, tol", [("embedded", 1e-8), ("embedded", 1e-10), ("doubling", 1e-10)])
def test_adaptive_cf6_matches_the_time_ordered_reference(chain, reference, control, tol):
    """The tolerance bounds the error at every output time (errors per unit step add up to at most tol)."""
    op, psi0, _ = chain
    times, ref, _ = reference
    res = evolve(op, psi0, times, options=EvolutionOptions(scheme="cf6", tol=tol, error_control=control))
    assert np.linalg.norm(res.states - ref, axis=0).max() < tol
    # without extrapolation every step is a product of Lanczos exponentials: unitary to the Lanczos error
    assert np.max(np.abs(np.linalg.norm(res.states, axis=0) - 1.0)) < tol


def _fixed(integ, scheme, psi, t0, t1, n):
    h = (t1 - t0) / n
    for k in range(n):
        psi, _, _ = integ.exponentials(scheme, integ.node_values(t0 + k * h, h, None, None, 0), psi, h, 1e-14)
    return psi


@pytest.mark.parametrize("scheme, n0", [(CF6, 20), (CF4_ON_CF6_NODES, 40)])
def test_orders_by_step_halving(chain, reference, scheme, n0):
    """CF6 and its companion at fixed steps over the pulse (n0, 2n0, 4n0 steps).

    The companion's error falls by 2⁴ per halving (measured slopes 3.94, 3.97; ± 0.3 asserted).
    CF6's slopes in this strong, short pulse are 6.6 and 7.4 (the step grid's phase against the
    carrier makes the error constant oscillate with n: 4.7–9.7 between n = 10 and 80), so here
    only "at least order 6" is asserted; the clean order-6 slope is pinned in tests/test_cfet.py.
    """
    op, psi0, _ = chain
    times, ref, _ = reference
    integ = CFM4Integrator(op, t_start=times[0], t_end=times[-1], options=EvolutionOptions(scheme="cf6"))
    errors = [np.linalg.norm(_fixed(integ, scheme, psi0, times[0], times[-1], n) - ref[:, -1]) for n in (n0, 2 * n0, 4 * n0)]
    slopes = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] > 1e-8  # far above the reference's accuracy: the slope is the scheme's
    if scheme is CF6:
        assert np.all(slopes > scheme.order - 0.3), (errors, slopes)
    else:
        assert np.all(np.abs(slopes - scheme.order) < 0.3), (errors, slopes)


def _local_errors(chain, reference, h):
    op, _, _ = chain
    times, ref, _ = reference
    t0, psi = times[2], ref[:, 2]  # the pulse maximum
    integ = CFM4Integrator(op, t_start=times[0], t_end=times[-1], options=EvolutionOptions(scheme="cf6"))
    truth = exact(op, psi, t0, t0 + h)
    values = integ.node_values(t0, h, None, None, 0)
    main = integ.exponentials(CF6, values, psi, h, 1e-14)[0]
    low = integ.exponentials(CF4_ON_CF6_NODES, values, psi, h, 1e-14)[0]
    full = _fixed(integ, CF6, psi, t0, t0 + h, 1)
    two = _fixed(integ, CF6, psi, t0, t0 + h, 2)
    return dict(
        embedded=np.linalg.norm(main - low), cf4=np.linalg.norm(low - truth), cf6=np.linalg.norm(main - truth),
        doubling=np.linalg.norm(two - full) / (2**CF6.order - 1), two_halves=np.linalg.norm(two - truth),
    )


@pytest.mark.parametrize("periods", [0.125, 0.25])
def test_estimates_track_the_local_error_on_the_carrier(chain, reference, periods):
    """One step at the pulse maximum of 1/8 and 1/4 carrier period (the cap is 1/4 for CF6).

    Factors: the embedded estimate is the companion's true local error within 1.5 (measured
    0.995 at 1/8 period) and over-estimates the kept CF6 error by ≥ 3× (measured 130× at 1/8
    period); the step-doubling estimate is the true error of the two half steps within a factor
    5 (measured 3.8× over at 1/8 period: the strong field is not yet in Richardson's asymptotic range).
    """
    _, _, pulse = chain
    e = _local_errors(chain, reference, periods * 2 * math.pi / pulse.omega)
    assert e["cf6"] > 1e-12  # resolved above the reference's and Lanczos' accuracy
    assert 1 / 1.5 < e["embedded"] / e["cf4"] < 1.5, e
    assert e["embedded"] > 3 * e["cf6"], e  # safe: the estimate bounds the kept state's error
    assert 1 / 5 < e["doubling"] / e["two_halves"] < 5, e


def test_blind_spot_of_long_steps_is_kept_out_by_the_carrier_cap(chain, reference):
    """A step of 3.3 carrier periods at the pulse maximum: the step-doubling estimate misses the true
    error of its two half steps by more than 10× (measured 0.0185 against ~0.9: both step sizes
    average the carrier out alike), while the embedded estimate stays within 5× of CF6's true error
    (measured 0.31 against 0.87). Adaptive embedded runs at a loose tolerance keep the carrier cap
    anyway (steps ≤ period/4)."""
    op, psi0, pulse = chain
    period = 2 * math.pi / pulse.omega
    e = _local_errors(chain, reference, 3.3 * period)
    assert e["doubling"] < 0.1 * e["two_halves"], e
    assert e["embedded"] > 0.2 * e["cf6"], e
    times, _, _ = reference
    options = EvolutionOptions(scheme="cf6", tol=1e-4, error_control="embedded")
    integ = CFM4Integrator(op, t_start=times[0], t_end=times[-1], options=options)
    lo, hi = integ.field_window
    inside = [a.t - b.t for b, a in integ.steps(IntegratorState(times[0], psi0, options.h_init)) if b.t >= lo and a.t <= hi]
    assert len(inside) > 10 and max(inside) <= period / CF6.steps_per_cycle * (1 + 1e-12)


@pytest.mark.parametrize("control", ["embedded", "doubling"])
def test_killed_and_resumed_run_is_bit_identical(chain, tmp_path, control):
    """A trajectory killed at accepted step 25 and resumed from its checkpoint repeats the uninterrupted one bit for bit."""
    op, psi0, pulse = chain
    times = np.linspace(0.0, 2.0 * pulse.center, 25)
    kwargs = dict(options=EvolutionOptions(scheme="cf6", tol=1e-8, error_control=control), progress=False, checkpoint_every=5, key="k")
    from localpairs.solvers.dynamics.trajectory import run_trajectory

    full = run_trajectory(op, psi0, times, **kwargs)
    resumed = killed_then_resumed(op, psi0, times, path=tmp_path / "traj.npz", at_step=25, **kwargs)
    assert full.attrs["steps"] > 25 and resumed.attrs["steps"] == full.attrs["steps"]
    for name in full.data_vars:
        np.testing.assert_array_equal(resumed[name].values, full[name].values, err_msg=name)


@pytest.mark.parametrize("options", [EvolutionOptions(error_control="embedded"), EvolutionOptions(scheme="cf6", error_control="richardson")])
def test_embedded_control_needs_a_companion(chain, options):
    """CFM4 has no embedded companion; unknown controls are refused, naming the field."""
    op, psi0, _ = chain
    with pytest.raises(InputError) as err:
        evolve(op, psi0, [0.0, 1.0], options=options)
    assert err.value.field == "error_control"
