"""Pump pulses: units and fluence, Peierls bookkeeping (gauge, bond orientation), the current as
−∂H/∂A, energy absorption against field work, validity limits, run specs, and resuming a killed
trajectory or study.

Tolerances: finite differences of ⟨H(A)⟩ with step 1e-4 V·fs/Å are exact to ~1e-9 relative
(central differences, O(δ²)); the field work is integrated by Simpson's rule on a 0.04 fs grid, extrapolated
from the 0.08 fs grid (6th order, error ~1e-8 relative) from states accurate to 1e-9; resumed runs must agree
to 1e-12 (they agree bit for bit).
"""

import math

import numpy as np
import pytest
import xarray as xr
from scipy.integrate import simpson

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import (
    PumpWarning,
    Quench,
    drive,
    field_to_fluence,
    fluence_to_field,
    gaussian_pulse,
    model_bandwidth,
    split_hopping,
)
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, IntegratorState
from localpairs.solvers.dynamics.trajectory import observe, run_trajectory
from localpairs.solvers.ed.observables import measure
from localpairs.spec import SpecError, parse_spec
from localpairs.units import C_LIGHT_M_S, EPS0_F_M

from kill_resume import killed_then_resumed

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1, J_p=0.05)


@pytest.fixture(scope="module")
def plaquette():
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, **PARAMS)
    return model, build_basis(model, sector(electrons=4))


def ground_state(model, basis):
    _, vecs = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())
    return vecs[:, 0].astype(complex)


def test_field_is_minus_time_derivative_and_units():
    pulse = gaussian_pulse(photon_energy=1.96, duration=30.0, fluence=8.0)
    t = np.linspace(pulse.center - 40, pulse.center + 40, 2001)
    dt = 1e-4
    numeric = -(pulse.vector_potential(t + dt) - pulse.vector_potential(t - dt)) / (2 * dt)
    assert np.max(np.abs(numeric - pulse.electric_field(t))) < 1e-7 * pulse.peak_field  # O((ω·dt)²/6) = 1.5e-8
    # σ from the intensity FWHM; period 2πħ/E; |A(0)| = 1e-6 A0 at the default centre
    assert pulse.sigma == pytest.approx(30.0 / (2 * math.sqrt(math.log(2))))
    assert 2 * math.pi / pulse.omega == pytest.approx(2.11, abs=0.005)
    assert abs(pulse.vector_potential(0.0)) <= 1.000001e-6 * pulse.amplitude  # envelope 1e-6 times the carrier
    # 8 mJ/cm² in 30 fs: E0 = 0.137 V/Å (hand calculation with F = ½ c ε0 E0² σ √π)
    assert pulse.peak_field == pytest.approx(0.1372, abs=2e-4)


def test_fluence_formula_against_numerical_integral():
    pulse = gaussian_pulse(photon_energy=1.5, duration=20.0, peak_field=0.05, refractive_index=2.0)
    t = np.linspace(pulse.center - 12 * pulse.sigma, pulse.center + 12 * pulse.sigma, 400001)
    e_si = pulse.electric_field(t) * 1e10
    fluence = C_LIGHT_M_S * EPS0_F_M * 2.0 * simpson(e_si**2, x=t * 1e-15) / 10.0  # c ε0 n ∫E² dt, mJ/cm²
    assert pulse.fluence == pytest.approx(fluence, rel=1e-3)  # cycle average vs instantaneous: O(1/(ωσ)²)
    assert fluence_to_field(field_to_fluence(0.05, 7.0), 7.0) == pytest.approx(0.05, rel=1e-12)


def test_hopping_split_and_orientation():
    cube = make_cluster("cube", periodic=True)
    model = extended_hubbard(cube, **PARAMS)
    static, channels = split_hopping(model)
    assert {op for op, _ in static} == {"n|n", "nn|", "|nn", "n|", "|n"}
    assert set(channels) == {(a, q) for a in range(3) for q in (1, 2)}
    # the doubled bonds of a periodic length-2 axis: one forward 0←1 and one forward 1←0 per pair
    forward_x = [tuple(c[1:]) for op, cs in channels[(0, 1)][0] if op == "+-|" for c in cs]
    assert sorted(forward_x) == sorted([(b.i, b.j) for b in cube.bonds if b.axis == 0])
    assert model_bandwidth(model) == pytest.approx(2 * 6 * (0.33 + 0.05))


def test_periodic_length_two_axis_has_no_linear_current(plaquette):
    """The two bonds between a pair on a periodic length-2 axis (y here) carry opposite Peierls
    phases: H depends on A only through cos(eAa/ħ) and the current operator at A = 0 vanishes
    (on the fully periodic 2×2×2 cube this holds along every axis)."""
    model, basis = plaquette
    psi = ground_state(model, basis)
    for pol, zero in (((0, 1, 0), True), ((1, 0, 0), False)):
        pulse = gaussian_pulse(photon_energy=1.0, duration=5.0, peak_field=1e-3, polarization=pol)
        if zero:
            with pytest.warns(PumpWarning, match="no one-photon absorption"):
                driven = drive(model, pulse=pulse)
        else:
            driven = drive(model, pulse=pulse)
        assert driven.info["linear_coupling"] is not zero
        op = DrivenOperator(driven, basis)
        j = op.assemble(op.driven.current_coefficients_at(0.0))
        assert (abs(j).max() < 1e-14) == zero
        assert op.expectation(op.driven.coefficients_at(0.0), psi).real == pytest.approx(op.energy(0.0, psi), abs=1e-12)


def test_static_vector_potential_is_a_gauge_on_an_open_cluster():
    """On an open cluster a uniform static A is a gauge transformation: the spectrum is unchanged."""
    cluster = make_cluster((2, 2, 1), periodic=False)
    model = extended_hubbard(cluster, **PARAMS)
    basis = build_basis(model, sector(electrons=4))
    pulse = gaussian_pulse(photon_energy=1.0, duration=5.0, peak_field=1e-3, polarization=(1.0, 0.3, 0.0))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    e0 = np.linalg.eigvalsh(op.assemble(op.driven.coefficients_at(0.0)).toarray())
    e1 = np.linalg.eigvalsh(op.assemble(op.driven.coefficients_at(0.7)).toarray())
    assert np.max(np.abs(e0 - e1)) < 1e-12
    assert np.allclose(op.assemble(op.driven.coefficients_at(0.0)).toarray(), hamiltonian_matrix(model, basis).toarray(), atol=1e-14)


def test_current_equals_minus_dH_dA(plaquette):
    model, basis = plaquette
    pulse = gaussian_pulse(photon_energy=1.0, duration=5.0, peak_field=1e-3, polarization=(1.0, 0.5, 0.2))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    rng = np.random.default_rng(5)
    psi = rng.standard_normal(basis.Ns) + 1j * rng.standard_normal(basis.Ns)
    psi /= np.linalg.norm(psi)
    d = op.driven
    delta = 1e-4
    for A in (0.0, 0.13, -0.4):
        fd = -(op.expectation(d.coefficients_at(A + delta), psi).real - op.expectation(d.coefficients_at(A - delta), psi).real) / (2 * delta)
        j = op.expectation(d.current_coefficients_at(A), psi).real
        assert j == pytest.approx(fd, rel=1e-7, abs=1e-10)


def test_absorbed_energy_equals_field_work(plaquette):
    model, basis = plaquette
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.1, polarization=(1.0, 1.0, 0.0))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    n = 4 * int(np.ceil(2 * pulse.center / 0.04 / 4))
    times = np.linspace(0.0, 2 * pulse.center, n + 1)
    ds = run_trajectory(op, ground_state(model, basis), times, options=EvolutionOptions(tol=1e-9), pair_correlations=False, progress=False)
    power = ds["current"].values * ds["electric_field"].values
    fine, coarse = simpson(power, x=times), simpson(power[::2], x=times[::2])
    work = (16 * fine - coarse) / 15  # Richardson on Simpson's rule: 6th order
    absorbed = ds["absorbed_energy"].values[-1]
    assert absorbed > 1e-3
    assert absorbed == pytest.approx(work, rel=1e-6)
    assert np.max(np.abs(ds["norm"].values - 1)) < 1e-9


def test_trajectory_observables_match_measure(plaquette):
    model, basis = plaquette
    op = DrivenOperator(drive(model), basis)
    rng = np.random.default_rng(9)
    psi = rng.standard_normal(basis.Ns) + 1j * rng.standard_normal(basis.Ns)
    psi /= np.linalg.norm(psi)
    values = observe(op, IntegratorState(0.0, psi, 0.1))
    ref = measure(model, basis, psi)
    pairs = values["pair_correlation_real"] + 1j * values["pair_correlation_imag"]
    assert np.max(np.abs(pairs - ref.pair_correlations)) < 1e-13
    assert values["lpdw_order"] == pytest.approx(ref.lpdw_order) and values["unpaired"] == pytest.approx(ref.unpaired)
    assert values["energy"] == pytest.approx(np.vdot(psi, hamiltonian_matrix(model, basis) @ psi).real, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(duration=0.0), "pump.duration"),
        (dict(duration=-5.0), "pump.duration"),
        (dict(photon_energy=0.0), "pump.photon_energy"),
        (dict(polarization=(0.0, 0.0, 0.0)), "pump.polarization"),
        (dict(fluence=None), "pump.fluence/peak_field"),
        (dict(peak_field=0.1), "pump.fluence/peak_field"),
        (dict(fluence=-1.0), "pump.fluence"),
        (dict(refractive_index=0.5), "pump.refractive_index"),
    ],
)
def test_bad_pulse_input(kwargs, field):
    args = dict(photon_energy=1.5, duration=10.0, fluence=1.0)
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        gaussian_pulse(**args)
    assert err.value.field == field


def test_field_beyond_model_validity_is_refused(plaquette):
    model, _ = plaquette
    width = model_bandwidth(model)
    ok = width / model.cluster.lattice_constant * 0.99
    drive(model, pulse=gaussian_pulse(photon_energy=1.5, duration=10.0, peak_field=ok))
    with pytest.raises(InputError) as err:
        drive(model, pulse=gaussian_pulse(photon_energy=1.5, duration=10.0, fluence=5000.0))
    assert err.value.field == "pump.peak_field" and "band width" in str(err) and "mJ/cm²" in str(err)


def test_quench_needs_the_same_cluster(plaquette):
    model, _ = plaquette
    other = extended_hubbard(make_cluster("dimer"), t=1.0)
    with pytest.raises(InputError):
        drive(model, quench=Quench(other, 1.0))


BASE = {
    "title": "pump test", "study": "pump",
    "cluster": {"shape": [2, 2, 1], "periodic": [False, True, False]},
    "model": {"kind": "extended_hubbard", "t": 0.33, "U": -1.2, "V": 0.15, "breathing": 0.1},
    "sector": {"electrons": 4},
    "pump": {"photon_energy": 1.5, "duration": 4.0, "peak_field": 0.05, "t_end": 12.0, "output_step": 0.5, "tolerance": 1e-7, "checkpoint_every": 5},
}


def with_pump(**changes):
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    data["pump"] = {**BASE["pump"], **changes}
    return data


@pytest.mark.parametrize(
    "changes, text",
    [
        (dict(duration=0.0), "pump.duration"),
        (dict(tolerance=0.0), "pump.tolerance"),
        (dict(polarization=[0.0, 0.0, 0.0]), "not all zero"),
        (dict(times=[0.0, 2.0, 1.0]), "goes backwards"),
        (dict(fluence=1.0), "not both"),
        (dict(pulse_energy=1.0), "unknown key pump.pulse_energy"),
    ],
)
def test_bad_pump_specs(changes, text):
    with pytest.raises(SpecError) as err:
        parse_spec(with_pump(**changes), source="t.toml")
    assert text in str(err.value)


def test_killed_trajectory_resumes_to_the_same_result(plaquette, tmp_path):
    model, basis = plaquette
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.1, polarization=(1.0, 1.0, 0.0))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    psi0 = ground_state(model, basis)
    times = np.linspace(0.0, 15.0, 31)
    kwargs = dict(options=EvolutionOptions(tol=1e-7), progress=False, checkpoint_every=7, key="k1")
    full = run_trajectory(op, psi0, times, **kwargs)

    path = tmp_path / "traj.npz"
    resumed = killed_then_resumed(op, psi0, times, path=path, at_step=30, **kwargs)
    assert resumed.attrs["steps"] == full.attrs["steps"]
    for name in full.data_vars:
        assert np.max(np.abs(resumed[name].values - full[name].values)) <= 1e-12, name
    # another key ignores the checkpoint and starts afresh
    fresh = run_trajectory(op, psi0, times, checkpoint=path, **{**kwargs, "key": "other"})
    assert np.max(np.abs(fresh["energy"].values - full["energy"].values)) <= 1e-12


def test_pump_study_killed_and_resumed(tmp_path, monkeypatch):
    from localpairs.studies import pump as study
    from localpairs.studies import run_study

    spec = parse_spec(with_pump(), source="t.toml")
    clean = run_study(spec, tmp_path / "clean", resume=False)
    real = study.run_trajectory

    def killed_after_12_steps(*args, **kwargs):
        def stop(state):
            if state.steps == 12:
                raise KeyboardInterrupt

        return real(*args, **{**kwargs, "on_step": stop})

    monkeypatch.setattr(study, "run_trajectory", killed_after_12_steps)
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path / "resumed")
    monkeypatch.setattr(study, "run_trajectory", real)
    resumed = run_study(spec, tmp_path / "resumed")
    a = xr.load_dataset(clean.parent / "results.nc", engine="h5netcdf")
    b = xr.load_dataset(resumed.parent / "results.nc", engine="h5netcdf")
    for name in a.data_vars:
        assert np.max(np.abs(a[name].values - b[name].values)) <= 1e-12, name
    assert (resumed.parent / "dynamics.png").is_file() and "Absorbed energy" in resumed.read_text()


def test_pump_study_with_lattice_and_relaxed_lattice_quench(tmp_path):
    """Ehrenfest oxygens relaxed to the Born–Oppenheimer equilibrium, then a quench to identical
    octahedra (breathing 0) during the pulse: the study runs and records the lattice."""
    from localpairs.studies import run_study

    data = with_pump(lattice={"coupling": 0.3}, quench={"time": 8.0, "relaxed_lattice": True}, tolerance=1e-6, pair_correlations=False)
    report = run_study(parse_spec(data, source="t.toml"), tmp_path / "lattice", resume=False)
    ds = xr.load_dataset(report.parent / "results.nc", engine="h5netcdf")
    u = ds["oxygen_displacement"].values
    assert u.shape == (ds.sizes["time"], 6) and np.all(np.isfinite(u))
    assert np.max(np.abs(ds["norm"].values - 1)) < 1e-6
    assert (report.parent / "lattice.png").is_file() and "Quench at t = 8 fs" in report.read_text()


@pytest.mark.slow
def test_cli_run_killed_by_signal_resumes_to_the_same_result(tmp_path):
    """``localpairs run`` killed with SIGKILL after its first trajectory checkpoint, then rerun
    (resume is the default): results equal those of an uninterrupted run to 1e-12."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    data = with_pump(t_end=40.0, tolerance=1e-9, checkpoint_every=20)
    spec = tmp_path / "pump.toml"
    lines = []
    for key, value in data.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {json.dumps(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in value.items()]
    spec.write_text("\n".join(lines) + "\n")
    cmd = [sys.executable, "-m", "localpairs.cli", "run", str(spec), "--out"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run([*cmd, str(tmp_path / "clean")], check=True, capture_output=True, env=env)
    proc = subprocess.Popen([*cmd, str(tmp_path / "killed")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    checkpoint = tmp_path / "killed" / "checkpoints" / "trajectory.npz"
    deadline = time.time() + 300
    while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before its first checkpoint: lengthen it"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "results.nc").exists()
    subprocess.run([*cmd, str(tmp_path / "killed")], check=True, capture_output=True, env=env)
    a = xr.load_dataset(tmp_path / "clean" / "results.nc", engine="h5netcdf")
    b = xr.load_dataset(tmp_path / "killed" / "results.nc", engine="h5netcdf")
    for name in a.data_vars:
        assert np.max(np.abs(a[name].values - b[name].values)) <= 1e-12, name


@pytest.mark.parametrize(
    "changes, text",
    [
        (dict(t_end=20.0, xas_delays=[0.0, 9.0]), "pump.xas_delays = [0.0, 9.0] is not allowed"),
        (dict(peak_field=None, fluence=5000.0), "pump.peak_field"),
        (dict(photon_energy="optical_gap", polarization=[0.0, 1.0, 0.0]), "pump.photon_energy = 'optical_gap' is not allowed"),
        (dict(quench={"time": 1.0, "model": {"no_such_parameter": 1.0}}), "pump.quench.model"),
        (None, "needs a [pump] section"),
    ],
)
def test_check_refuses_what_run_refuses(changes, text):
    """`localpairs check` (check_study) makes every check `run` makes, before any state is computed:
    probe delays outside the output window, a field beyond the model's validity, tuning to an optical
    gap along a periodic length-2 axis (y here: no linear current), a quench model that cannot be built."""
    from localpairs.studies import check_study

    data = with_pump(**changes) if changes is not None else {k: v for k, v in BASE.items() if k != "pump"}
    with pytest.raises(SpecError) as err:
        check_study(parse_spec(data, source="t.toml"), source="t.toml")
    assert text in str(err.value) and str(err.value).startswith("t.toml: ")
    check_study(parse_spec(with_pump(), source="t.toml"))  # the base spec passes


def test_pump_section_is_the_parsed_section_or_an_error_naming_it():
    from localpairs.studies.pump_spec import pump_section

    spec = parse_spec(with_pump(), source="t.toml")
    assert pump_section(spec) is spec.pump
    ground = parse_spec({k: v for k, v in BASE.items() if k != "pump"} | {"study": "ground_state"})
    with pytest.raises(InputError, match=r"^pump = None is not allowed: a \[pump\] section \(study = 'ground_state'\)"):
        pump_section(ground)
