"""The pump study's probe models, fluence calibration and regime verdict, against independent constructions.

On the 4-site plaquette of tests/test_pump_xas.py (2×2×1, y periodic, 4 electrons, dimension 36).

Tolerances:
- PROBE_RTOL = 1e-6 of max XAS (as tests/test_pump_xas.py): the study's ψ(t) and the independently
  evolved one are each within their integrator tolerance (1e-9, 1e-10) of the exact state; XAS is
  quadratic in ψ. The windowed probe runs with halving_tol = 1e-9 and reorthogonalized chains
  longer than every final sector (24 states): its own error is round-off.
- FIRST_ORDER_RTOL = 1e-6: α⁽¹⁾ from two linear-response calls that converge their Lanczos
  coefficients to 1e-10 (relative).
- LINEAR_RATIO_TOL = 0.05: evolved/first-order α at α ≈ 0.01 differs from 1 by O(α) (resonant
  saturation sin²√α/α ≈ 1 − α/3) plus the two-photon part; a wrong fluence scale (e.g. √ instead
  of linear) would be off by a factor ≥ 3.
"""

import json
import math

import numpy as np
import pytest
import xarray as xr
from eigenlevel_reference import per_eigenlevel_xas
from test_pump_xas import reference_system, spec_dict, split_xas

from localpairs.analysis.fluence_calibration import calibrated_fluence
from localpairs.errors import InputError
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import hamiltonian_matrix
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.solvers.dynamics.finite_probe import finite_probe_xas, probe_grid
from localpairs.solvers.dynamics.linear_response import linear_response_state
from localpairs.solvers.spectra.xas import xas
from localpairs.spec import SpecError, parse_spec

PROBE_RTOL = 1e-6
FIRST_ORDER_RTOL = 1e-6
LINEAR_RATIO_TOL = 0.05
DELAYS = [-3.0, 0.0, 16.0]  # the last one after the pulse (centre 12.6 fs + 6σ = 27 fs ≤ 28.6 fs)


def run(tmp_path, name, **changes):
    from localpairs.studies import run_study

    data = spec_dict(**{"t_end": 30.0, "xas_delays": DELAYS, **changes})
    report = run_study(parse_spec(data, source="t.toml"), tmp_path / name, resume=False)
    return report.read_text(), xr.load_dataset(report.parent / "results.nc", engine="h5netcdf"), xr.load_dataset(
        report.parent / "results.nc", engine="h5netcdf", group="summary")


def static_offset(model, sec, psi0, e0):
    """The ground-state XAS maximum at 529 eV, located on a 5 meV grid (as the study)."""
    grid = np.linspace(-20.0, 20.0, 8001)
    located = xas(model, sec, psi0, grid, U_c=-1.0, Gamma=0.2, e_ref=e0)["total"].values
    return 529.0 - grid[int(np.argmax(located))]


def evolved(model, basis, psi0, times, pulse):
    return evolve(DrivenOperator(drive(model, pulse=pulse), basis), psi0, np.concatenate([[0.0], times]), options=EvolutionOptions(tol=1e-10)).states[:, 1:]


@pytest.mark.slow
def test_long_probe_is_the_per_eigenlevel_sum_of_the_evolved_state(tmp_path):
    """Default probe (long): XAS[ψ(t)] = Σ_E ‖P_E ψ(t)‖² XAS[P_E ψ; E], ψ(t) evolved independently, H
    diagonalized densely, each level probed by solvers.xas.xas from its own energy."""
    # 30 Lanczos steps exhaust the 24-state final sectors: exact continued fractions, as in the reference
    text, ds, summary = run(tmp_path, "long", xas={"n_omega": 181, "halving_tol": 1e-9, "reorthogonalize": True, "lanczos_steps": 30})
    model, sec, basis, e0, psi0 = reference_system()
    energies, vecs = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.05, polarization=(1.0, 0.0, 0.0))
    states = evolved(model, basis, psi0, pulse.center + np.array(DELAYS), pulse)
    offset, omega = static_offset(model, sec, psi0, e0), 529.0 + np.linspace(-3.0, 6.0, 181)
    scale = ds["xas_ground"].values.max()
    single_error = 0.0
    for k in (1, 2):  # during (α = 0.004) and after the pulse
        psi = states[:, k] / np.linalg.norm(states[:, k])
        ref = per_eigenlevel_xas(lambda phi, e: xas(model, sec, phi, omega, U_c=-1.0, Gamma=0.2, offset=offset, e_ref=e, reorthogonalize=True,
                                                    n_steps=30, basis=basis)["total"].values, energies, vecs, psi)
        assert np.max(np.abs(ds["xas"].values[k] - ref)) < PROBE_RTOL * scale, k
        single = split_xas(model, sec, basis, states[:, k], psi0, omega, offset, e0)
        single_error = max(single_error, float(np.max(np.abs(single - ref))))
    assert single_error > 100 * PROBE_RTOL * scale  # the single reference is measurably off: not a vacuous test
    assert np.all(ds["xas_halving_change"].values <= 1e-9) and np.all(ds["xas_window_width"].values <= 0.05 + 1e-12)
    assert summary.attrs["probe_model"] == "long" and summary.attrs["reorthogonalized"] == 1
    assert "**Probe: long**" in text and "change when halved" in text and "exact" not in text


@pytest.mark.slow
def test_finite_probe_is_the_two_time_formula_on_the_evolved_state(tmp_path):
    """probe = finite: each delay is finite_probe_xas on ψ(t) evolved independently on the probe grid; the
    ground reference is the same probe on the unpumped e^{−iE0t/ħ}ψ0."""
    fwhm, dt, delays = 2.0, 0.2, [0.0, 10.0]  # dt = 0.2 fs: Nyquist band ±10 eV around ⟨H⟩, the plaquette's spectrum spans 6.3 eV
    text, ds, summary = run(tmp_path, "finite", xas_delays=delays, xas={"n_omega": 61, "probe": "finite", "probe_fwhm": fwhm, "probe_dt": dt,
                                                                        "lanczos_steps": 30})
    model, sec, basis, e0, psi0 = reference_system()
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.05, polarization=(1.0, 0.0, 0.0))
    offset, omega = static_offset(model, sec, psi0, e0), 529.0 + np.linspace(-3.0, 6.0, 61)
    kw = dict(fwhm=fwhm, U_c=-1.0, Gamma=0.2, offset=offset, n_steps=30)
    scale = ds["xas_ground"].values.max()
    for k, t_p in enumerate(pulse.center + np.array(delays)):
        grid = probe_grid(t_p, fwhm, dt=dt)
        ref = finite_probe_xas(model, sec, evolved(model, basis, psi0, grid, pulse).T, grid, omega, t_probe=t_p, **kw)["total"].values
        assert np.max(np.abs(ds["xas"].values[k] - ref)) < PROBE_RTOL * scale, k
    grid = probe_grid(0.0, fwhm, dt=dt)
    still = psi0[None, :] * np.exp(-1j * e0 * grid / 0.6582119569509066)[:, None]
    ground = finite_probe_xas(model, sec, still, grid, omega, t_probe=0.0, **kw)["total"].values
    assert np.max(np.abs(ds["xas_ground"].values - ground)) < PROBE_RTOL * scale
    assert np.max(np.abs(ds["dxas"].values[0])) > 1e-4 * scale and np.all(np.isnan(ds["xas_window_width"].values))
    assert "**Probe: finite**" in text and summary.attrs["probe_bandwidth_eV"] == pytest.approx(4 * math.log(2) * 0.6582119569509066 / fwhm)


@pytest.mark.slow
def test_calibrated_fluence_gives_the_target_alpha_and_the_linear_verdict(tmp_path):
    """alpha_target = 0.01 on a resonant 10 fs pulse: the fluence is nominal × 0.01/α⁽¹⁾(nominal) with α⁽¹⁾
    from an independent linear-response call; the evolved α after the pulse is 0.01 to first order and
    the report calls the run linear. alpha_target = 0.5: Rabi regime, flagged NONLINEAR with α(t)."""
    pump = dict(photon_energy="optical_gap", duration=10.0, peak_field=0.05, t_end=90.0, xas_delays=[0.0, 50.0], xas={"n_omega": 61, "probe": "instantaneous"})
    text, ds, summary = run(tmp_path, "linear", alpha_target=0.01, **pump)
    model, _sec, basis, e0, psi0 = reference_system()
    photon = float(ds.attrs["photon_energy_eV"])
    nominal = gaussian_pulse(photon_energy=photon, duration=10.0, peak_field=0.05, polarization=(1.0, 0.0, 0.0))
    a1 = linear_response_state(model, basis, psi0, e0, nominal, t=nominal.center + 6 * nominal.sigma).alpha
    used = json.loads(ds.attrs["pulse"])
    assert used["fluence_mJ_per_cm2"] == pytest.approx(nominal.fluence * 0.01 / a1, rel=FIRST_ORDER_RTOL)
    assert summary.attrs["lr_alpha"] == pytest.approx(0.01, rel=FIRST_ORDER_RTOL)
    alpha_after = float(ds["xas_excited_population"].values[-1])
    assert abs(alpha_after / 0.01 - 1) < LINEAR_RATIO_TOL and summary.attrs["lr_ratio"] == pytest.approx(alpha_after / 0.01, rel=1e-5)
    assert summary.attrs["regime"] == "linear" and "**Linear (one-photon) regime**" in text and "NONLINEAR" not in text
    assert "Fluence calibrated to α = 0.01" in text
    text, ds, summary = run(tmp_path, "rabi", alpha_target=0.5, **pump)
    assert summary.attrs["regime"] == "nonlinear" and summary.attrs["alpha_after"] > 0.1
    line = next(x for x in text.splitlines() if x.startswith("**NONLINEAR (Rabi/multiphoton) regime: α(t) = "))
    assert f"{ds['xas_excited_population'].values[-1]:.3f}" in line


def test_core_hole_reaches_the_probe():
    """core_hole = site_i: the probe's ground XAS is solvers.xas.xas with that placement (and differs from both)."""
    from localpairs.studies.common import build_system
    from localpairs.studies.pump_xas import make_xas_probe

    spec = parse_spec(spec_dict(xas={"n_omega": 61, "core_hole": "site_i"}), source="t.toml")
    system = build_system(spec)
    model, sec, basis, e0, psi0 = reference_system()
    probe = make_xas_probe(system, DrivenOperator(drive(system.model), basis), spec, psi0=psi0, e_ground=e0)
    kw = dict(U_c=-1.0, Gamma=0.2, offset=probe.offset, e_ref=e0, basis=basis)
    site = xas(model, sec, psi0, probe.omega, core_hole="site_i", **kw)["total"].values
    both = xas(model, sec, psi0, probe.omega, **kw)["total"].values
    assert np.max(np.abs(probe.ground - site)) < 1e-12 * site.max() and np.max(np.abs(site - both)) > 1e-3 * site.max()


@pytest.mark.parametrize(
    "changes, text",
    [
        (dict(xas={"probe": "sudden"}), "pump.xas.probe = 'sudden'"),
        (dict(xas={"probe": "finite"}), "probe = 'finite' needs probe_fwhm > 0"),
        (dict(xas={"core_hole": "middle"}), "pump.xas.core_hole"),
        (dict(xas={"core_hole": [1.0, float("inf")]}), "pump.xas.core_hole"),
        (dict(xas={"core_hole": "receiving", "coherence": "coherent"}), "core_hole = 'receiving' needs coherence = 'incoherent'"),
        (dict(xas={"energy_reference": "ground"}), "energy_reference = 'ground' is a single-reference probe"),
        (dict(xas={"halving_tol": 0.0}), "pump.xas.halving_tol = 0.0"),
        (dict(xas={"reorthogonalize": "sometimes"}), "pump.xas.reorthogonalize"),
        (dict(alpha_target=0.7), "pump.alpha_target = 0.7"),
        (dict(alpha_target=0.05, quench={"time": 0.0}), "alpha_target = 0.05 is not allowed with a [pump.lattice] or [pump.quench]"),
        (dict(alpha_target=0.05, xas={"excited_fraction": 0.05}), "alpha_target = 0.05 with pump.xas.excited_fraction = 0.05"),
    ],
)
def test_bad_probe_specs_are_refused_by_the_schema(changes, text):
    with pytest.raises(SpecError) as err:
        parse_spec(spec_dict(**changes), source="t.toml")
    assert text in str(err.value) and len(str(err.value).splitlines()) == 1


def test_check_refuses_a_finite_probe_outside_the_output_window():
    """±3 FWHM around every delay must lie in [0, t_end]: refused by `localpairs check` before any work."""
    from localpairs.studies import check_study

    data = spec_dict(xas={"probe": "finite", "probe_fwhm": 4.0})  # delays −3 … 5 fs around 12.6 fs, ±12 fs: outside [0, 20]
    with pytest.raises(SpecError, match=r"pump\.xas\.probe_fwhm = 4 is not allowed .* allowed delays: \[-0\.6\d*, -4\.6\d*\] fs"):
        check_study(parse_spec(data, source="t.toml"), source="t.toml")


def test_calibrated_fluence_closed_form_and_refusals():
    assert calibrated_fluence(8.0, 5.0, 0.05, field="pump.fluence") == pytest.approx(0.08, rel=1e-15)
    assert calibrated_fluence(2.0, 0.01, 0.05, field="f", max_alpha=0.02) == pytest.approx(10.0, rel=1e-15)
    for args, kw in (((8.0, 0.0, 0.05), {}), ((8.0, 0.5, 0.05), {"max_alpha": 0.1}), ((-1.0, 0.5, 0.05), {})):
        with pytest.raises(InputError) as err:
            calibrated_fluence(*args, field="pump.fluence", **kw)
        assert err.value.field == "pump.fluence"
    with pytest.raises(InputError) as err:
        calibrated_fluence(8.0, 0.5, 1.5, field="pump.fluence")
    assert err.value.field == "alpha_target"


def test_shipped_pump_run_is_calibrated_and_probed_long():
    """runs/babio3_pump.toml: nominal 8 mJ/cm² calibrated to the experiment's α = 0.05, long probe, XAS delays after the pulse."""
    from pathlib import Path

    from localpairs.spec import load_spec

    ps = load_spec(Path(__file__).parents[1] / "runs" / "babio3_pump.toml").pump
    assert ps.fluence == 8.0 and ps.alpha_target == 0.05 and ps.xas_settings.probe == "long" and ps.xas_settings.excited_fraction == 1.0
    pulse = gaussian_pulse(photon_energy=2.0, duration=ps.duration, duration_kind=ps.duration_kind, fluence=ps.fluence)
    assert pulse.center + ps.xas_delays[-1] >= pulse.center + 6 * pulse.sigma  # α after the pulse is sampled: the regime is decided
