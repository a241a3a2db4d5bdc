"""Damped Ehrenfest dynamics: the energy balance E_el + E_lat + W_diss = E(0) + W_pump.

W_diss = ∫γΣp²/M dt is integrated step by step (corrected trapezoid, local error O(h⁵)) from the
momenta of the accepted steps, independently of the energies it must balance. Tolerances:
on the 2×2×1 plaquette with λ = 0.5 eV/Å over 30 fs the undamped scheme's own energy error at
fixed steps 0.2 / 0.1 fs is 5e-8 / 3e-9 eV (4th order), the damped residual 4e-8 / 2.4e-9 eV,
against W_diss ≈ 1e-3 eV: a missing or wrong W_diss fails by 5 orders of magnitude.
"""

import numpy as np
import pytest
from scipy.integrate import simpson

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.hamiltonians.oxygen_lattice import lpdw_displacements, oxygen_lattice
from localpairs.solvers import build_basis, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions
from localpairs.solvers.dynamics.trajectory import run_trajectory

from kill_resume import killed_then_resumed


@pytest.fixture(scope="module")
def plaquette():
    """2×2×1 plaquette (open x, periodic y), breathing provided by the lattice only."""
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, t=0.33, U=-1.2, V=0.15)
    return cluster, model, build_basis(model, sector(electrons=4))


def damped_run(plaquette, *, damping, step, span=30.0, pulse=None):
    """Electrons relaxed for 0.3 × the LPDW displacements, oxygens released at the LPDW: things move."""
    cluster, model, basis = plaquette
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    lat = oxygen_lattice(cluster, coupling=0.5, damping=damping)
    u0 = lpdw_displacements(cluster, [bool(s == 0) for s in cluster.sublattice], lat.u0)
    psi0 = np.linalg.eigh(op.hamiltonian(0.0, lat.site_shifts(0.3 * u0)).toarray())[1][:, 0].astype(complex)
    times = np.linspace(0.0, span, round(span / step) + 1)
    return run_trajectory(op, psi0, times, options=EvolutionOptions(fixed_step=step), lattice=lat, u0=u0,
                          pair_correlations=False, progress=False)


def balance(ds):
    """E(t) + W_diss(t) − E(0): zero without a pump (up to the integrator's error)."""
    e = ds.total_energy.values
    return e + ds.dissipated_energy.values - e[0]


def test_zero_damping_dissipates_nothing(plaquette):
    ds = damped_run(plaquette, damping=0.0, step=0.1)
    assert np.all(ds.dissipated_energy.values == 0.0)
    assert np.max(np.abs(balance(ds))) < 1e-8  # the existing Ehrenfest conservation: measured 3e-9 eV


def test_damped_energy_balance_is_fourth_order(plaquette):
    coarse, fine = (damped_run(plaquette, damping=0.02, step=h) for h in (0.2, 0.1))
    w = fine.dissipated_energy.values
    assert w[-1] > 1e-3 and np.all(np.diff(w) >= 0)  # γ = 0.02/fs removes 1.4e-3 eV in 30 fs, monotonically
    assert np.max(np.abs(balance(fine))) < 1e-8  # measured 2.4e-9 eV, vs W_diss 1.4e-3 eV
    ratio = np.max(np.abs(balance(coarse))) / np.max(np.abs(balance(fine)))
    assert 12.0 < ratio < 20.0  # 2⁴ = 16 for a 4th-order scheme with a 4th-order W_diss (measured 16.0)
    # the dissipation itself converges: W_diss at h = 0.2 and 0.1 fs agree to O(h⁴)
    assert abs(coarse.dissipated_energy.values[-1] - w[-1]) < 1e-7


def test_damped_balance_with_a_pump_equals_the_field_work(plaquette):
    """E(T) + W_diss(T) − E(0) = ∫ j·E dt after a pulse (x open: one-photon coupling)."""
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.05, polarization=[1.0, 0.0, 0.0], center=10.0)
    ds = damped_run(plaquette, damping=0.02, step=0.05, pulse=pulse)
    t = ds.time.values
    work = simpson(ds.current.values * ds.electric_field.values, x=t)  # 600 intervals: even, plain Simpson
    assert work > 1e-3 and ds.dissipated_energy.values[-1] > 1e-4
    # Simpson at 0.05 fs on j·E (frequency 2ω = 4.6/fs): relative error ~ (h·2ω)⁴/180 ≈ 2e-5 of W_pump
    # ≈ 1e-7 eV, an upper bound; measured 2.2e-9 eV
    assert balance(ds)[-1] == pytest.approx(work, abs=1e-7)


def test_killed_damped_trajectory_resumes_with_its_dissipated_work(plaquette, tmp_path):
    """W_diss is checkpointed: a killed and resumed damped run repeats the uninterrupted one (to 1e-12)."""
    cluster, model, basis = plaquette
    op = DrivenOperator(drive(model), basis)
    lat = oxygen_lattice(cluster, coupling=0.5, damping=0.02)
    u0 = lpdw_displacements(cluster, [bool(s == 0) for s in cluster.sublattice], lat.u0)
    psi0 = np.linalg.eigh(op.hamiltonian(0.0, lat.site_shifts(0.3 * u0)).toarray())[1][:, 0].astype(complex)
    times = np.linspace(0.0, 10.0, 21)
    kwargs = dict(options=EvolutionOptions(fixed_step=0.1), lattice=lat, u0=u0, pair_correlations=False, progress=False,
                  checkpoint_every=7, key="damped")
    full = run_trajectory(op, psi0, times, **kwargs)

    path = tmp_path / "damped.npz"
    resumed = killed_then_resumed(op, psi0, times, path=path, at_step=50, **kwargs)
    assert full.dissipated_energy.values[-1] > 1e-5  # something to lose on resume
    for name in full.data_vars:
        assert np.max(np.abs(resumed[name].values - full[name].values)) <= 1e-12, name
