"""Time-resolved O K-edge XAS of the pump study: the probe against an independent construction,
a stationary state, the probe-duration convolution, the excited-fraction scaling and bad inputs.

All on the 4-site plaquette (2×2×1, y periodic, 4 electrons, dimension 36).

Tolerances:
- PROBE_RTOL = 1e-6 of max XAS: the study's state and the reference state are each within their
  integrator tolerance (1e-9, 1e-10) of the exact ψ(t); XAS is quadratic in ψ, so they differ
  by ≲ 2‖δψ‖ × (Σ channel norms)/(πΓ) ≈ 1e-8 of max XAS. A wrong time, offset, state or
  Hamiltonian changes XAS by > 1e-3 of its maximum.
- SAME_RTOL = 1e-12: the same state through the probe object and through ``xas`` directly (only
  summation order may differ).
- STATIONARY_RTOL = 1e-10 of max XAS: a stationary state is ψ0 times a phase plus the
  eigenvector residual and integration round-off (~1e-13); XAS does not depend on the phase.
- ROUND_OFF = 1e-12: exact identities of the convolution in floating point.
- FWHM_RTOL = 1e-9: on a uniform grid with spacing h ≪ σ the trapezoid sum of a Gaussian equals
  its integral up to exp(−2π²σ²/h²) (< 1e-100 here), so away from the edges the normalization
  is constant and the response to one delay row is the Gaussian itself.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from localpairs.analysis.probe import dxas_extrema, probe_convolution, reported_dxas, trapezoid_weights
from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.solvers.spectra.xas import xas
from localpairs.spec import SpecError, parse_spec
from localpairs.studies.pump_spec import XasProbeSpec
from localpairs.studies.spectra_spec import SpectraSpec

PROBE_RTOL = 1e-6
SAME_RTOL = 1e-12
STATIONARY_RTOL = 1e-10
ROUND_OFF = 1e-12
FWHM_RTOL = 1e-9

MODEL = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)
PUMP = {"photon_energy": 1.5, "duration": 4.0, "peak_field": 0.05, "t_end": 20.0, "output_step": 0.5, "tolerance": 1e-9,
        "pair_correlations": False, "xas_delays": [-3.0, 0.0, 5.0], "xas": {"n_omega": 181, "excited_fraction": 0.05, "probe": "instantaneous"}}


def spec_dict(**pump_changes):
    return {
        "title": "pump xas test", "study": "pump",
        "cluster": {"shape": [2, 2, 1], "periodic": [False, True, False]},
        "model": {"kind": "extended_hubbard", **MODEL},
        "sector": {"electrons": 4},
        "pump": {k: v for k, v in {**PUMP, **pump_changes}.items() if v is not None},
    }


@pytest.fixture(scope="module")
def pumped(tmp_path_factory):
    from localpairs.studies import run_study

    out = tmp_path_factory.mktemp("pump_xas")
    report = run_study(parse_spec(spec_dict(), source="t.toml"), out, resume=False)
    return report, xr.load_dataset(out / "results.nc", engine="h5netcdf")


def split_xas(model, sec, basis, psi, psi0, omega, offset, e0):
    """Independent long-probe XAS: (1 − α) XAS[ψ0; E0] + α XAS[χ̂; ⟨χ̂|H|χ̂⟩], χ = ψ − ⟨ψ0|ψ⟩ψ0."""
    h = hamiltonian_matrix(model, basis).toarray()
    psi = psi / np.linalg.norm(psi)
    chi = psi - np.vdot(psi0, psi) * psi0
    alpha = np.vdot(chi, chi).real
    chi = chi / np.sqrt(alpha)
    ground = xas(model, sec, psi0, omega, U_c=-1.0, Gamma=0.2, offset=offset, e_ref=e0)["total"].values
    part = xas(model, sec, chi, omega, U_c=-1.0, Gamma=0.2, offset=offset, e_ref=np.vdot(chi, h @ chi).real)["total"].values
    return (1 - alpha) * ground + alpha * part


def reference_system():
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, **MODEL)
    sec = sector(electrons=4)
    basis = build_basis(model, sec)
    energies, vecs = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())
    return model, sec, basis, float(energies[0]), vecs[:, 0].astype(complex)


def test_probe_equals_xas_of_independently_evolved_state(pumped):
    """results.nc `xas(delay)` = solvers.xas.xas of ψ(t) from solvers.evolution.evolve, built here
    from scratch (model, ground state, pulse, offset), at pulse centre + delay."""
    report, ds = pumped
    model, sec, basis, e0, psi0 = reference_system()
    pulse = gaussian_pulse(photon_energy=1.5, duration=4.0, peak_field=0.05, polarization=(1.0, 0.0, 0.0))
    times = pulse.center + np.array(PUMP["xas_delays"])
    assert np.allclose(ds["probe_time"].values, times, rtol=0, atol=1e-12)
    res = evolve(DrivenOperator(drive(model, pulse=pulse), basis), psi0, np.concatenate([[0.0], times]), options=EvolutionOptions(tol=1e-10))
    # the offset places the ground-state XAS maximum at 529 eV (located on a 5 meV grid)
    grid = np.linspace(-20.0, 20.0, 8001)
    located = xas(model, sec, psi0, grid, U_c=-1.0, Gamma=0.2, e_ref=e0)["total"].values
    offset = 529.0 - grid[int(np.argmax(located))]
    omega = 529.0 + np.linspace(-3.0, 6.0, 181)
    assert np.allclose(ds["omega"].values, omega, rtol=0, atol=1e-9)
    ground = xas(model, sec, psi0, omega, U_c=-1.0, Gamma=0.2, offset=offset, e_ref=e0)["total"].values
    scale = ground.max()
    assert np.max(np.abs(ds["xas_ground"].values - ground)) < PROBE_RTOL * scale
    for k in range(times.size):
        direct = split_xas(model, sec, basis, res.states[:, k + 1], psi0, omega, offset, e0)
        assert np.max(np.abs(ds["xas"].values[k] - direct)) < PROBE_RTOL * scale, k
    # the pump does something at these delays (the comparison above is not trivially zero)
    assert np.max(np.abs(ds["dxas"].values[-1])) > 1e-4 * scale
    assert np.allclose(ds["dxas"].values, ds["xas"].values - ds["xas_ground"].values, rtol=0, atol=ROUND_OFF * scale)
    # probe_fwhm = 0, α = 0.05: the reported map is 0.05 × the raw one
    assert np.allclose(ds["dxas_reported"].values, 0.05 * ds["dxas"].values, rtol=0, atol=ROUND_OFF * scale)
    assert ds["omega"].attrs["units"] == "eV" and ds["delay"].attrs["units"] == "fs" and ds["dxas"].attrs["units"] == "1/eV"
    assert ds.attrs["xas"] == "recorded" and not any(str(v).startswith("probe_xas") for v in ds.data_vars)
    text = report.read_text()
    assert "Chen et al., PRB 99, 104306 (2019)" in text and "static" in text and "hook" not in text
    for name in ("dxas_map.png", "dxas_reported_map.png", "xas_delays.png"):
        assert (report.parent / name).is_file(), name


def test_probe_object_equals_direct_xas():
    """make_xas_probe(...)(t, ψ) is the long-probe split of solvers.xas.xas with the ground state's
    offset (default), or xas of all of ψ from E_0 (energy_reference = "ground")."""
    from localpairs.studies import pump_xas as study
    from localpairs.studies.common import build_system

    spec = parse_spec(spec_dict(), source="t.toml")
    system = build_system(spec)
    model, sec, basis, e0, psi0 = reference_system()
    op = DrivenOperator(drive(system.model), basis)
    probe = study.make_xas_probe(system, op, spec, psi0=psi0, e_ground=e0)
    rng = np.random.default_rng(3)
    psi = psi0 + 0.3 * (rng.standard_normal(psi0.size) + 1j * rng.standard_normal(psi0.size)) / math.sqrt(psi0.size)
    psi /= np.linalg.norm(psi)
    got = probe(7.0, psi)
    direct = split_xas(model, sec, basis, psi, psi0, probe.omega, probe.offset, e0)
    assert np.max(np.abs(got["total"] - direct)) < SAME_RTOL * direct.max()
    # energy_reference = "ground": all of ψ measured from E0
    fixed = study.make_xas_probe(system, op, parse_spec(spec_dict(xas={"n_omega": 181, "energy_reference": "ground", "probe": "instantaneous"}),
                                                        source="t.toml"), psi0=psi0, e_ground=e0)
    plain = xas(model, sec, psi, probe.omega, U_c=-1.0, Gamma=0.2, offset=probe.offset, e_ref=e0)["total"].values
    assert np.max(np.abs(fixed(7.0, psi)["total"] - plain)) < SAME_RTOL * plain.max()
    # the two references differ by the excited part's shift: not a test that cannot fail
    assert np.max(np.abs(plain - direct)) > 1e-3 * direct.max()
    assert got["excited_population"] == pytest.approx(1 - abs(np.vdot(psi0, psi)) ** 2, abs=1e-14)
    h = hamiltonian_matrix(model, basis)
    assert got["excess_energy"] == pytest.approx(np.vdot(psi, h @ psi).real - e0, abs=1e-12)
    # a phase and the normalization do not matter
    again = probe(7.0, 2.0 * np.exp(0.7j) * psi)["total"]
    assert np.max(np.abs(again - got["total"])) < SAME_RTOL * direct.max()


def test_stationary_state_gives_zero_dxas(tmp_path):
    """No field (a quench to the same model, no pulse): ψ(t) = e^{−iE0t/ħ}ψ0 and ΔXAS vanishes to
    round-off at every delay (delays count from t = 0 without a pulse)."""
    from localpairs.studies import run_study

    data = spec_dict(peak_field=None, quench={"time": 0.0}, xas_delays=[0.0, 4.0, 19.5])
    report = run_study(parse_spec(data, source="t.toml"), tmp_path / "still", resume=False)
    ds = xr.load_dataset(report.parent / "results.nc", engine="h5netcdf")
    scale = ds["xas_ground"].values.max()
    assert np.allclose(ds["probe_time"].values, [0.0, 4.0, 19.5])
    assert np.max(np.abs(ds["dxas"].values)) < STATIONARY_RTOL * scale
    assert np.max(np.abs(ds["xas_excited_population"].values)) < 1e-12
    assert np.all(np.isnan(ds["dxas_positive_energy"].values)) and "| — |" in report.read_text()


# ---------------------------------------------------------------- probe-duration convolution


def test_convolution_zero_fwhm_is_identity_and_small_fwhm_tends_to_it():
    delay = np.array([-10.0, 0.0, 5.0, 20.0, 21.0])
    rng = np.random.default_rng(1)
    z = rng.standard_normal((delay.size, 7))
    assert np.array_equal(probe_convolution(delay, z, fwhm=0.0), z)
    # off-diagonal weights exp(−4 ln2 (Δτ/w)²) at Δτ ≥ 1 fs, w = 0.05 fs: below 1e-300
    assert np.max(np.abs(probe_convolution(delay, z, fwhm=0.05) - z)) < ROUND_OFF
    assert np.max(np.abs(probe_convolution(delay, z, fwhm=0.3) - z)) < 1e-9  # exp(−4 ln2/0.09) ≈ 4e-14 × O(1)


def test_convolution_keeps_a_map_constant_in_delay():
    delay = np.linspace(-50.0, 150.0, 81)  # 2.5 fs steps
    spectrum = np.sin(np.linspace(0.0, 3.0, 11))
    z = np.tile(spectrum, (delay.size, 1))
    out = probe_convolution(delay, z, fwhm=30.0)
    inner = (delay > delay[0] + 60) & (delay < delay[-1] - 60)
    assert np.max(np.abs(out[inner] - z[inner])) < ROUND_OFF
    assert np.max(np.abs(out - z)) < ROUND_OFF  # renormalized at the edges too (module docstring)
    # non-uniform grid: still constant
    t = np.sort(np.random.default_rng(2).uniform(-50.0, 150.0, 40))
    assert np.max(np.abs(probe_convolution(t, np.ones((t.size, 3)), fwhm=25.0) - 1.0)) < ROUND_OFF


def test_convolution_of_one_delay_row_is_a_gaussian_of_the_given_fwhm():
    h, fwhm = 0.5, 12.0
    delay = np.arange(-100.0, 100.0 + h / 2, h)
    k = int(np.argmin(np.abs(delay)))
    z = np.zeros((delay.size, 2))
    z[k] = [1.0, -2.0]
    out = probe_convolution(delay, z, fwhm=fwhm)
    near = np.abs(delay) < 3 * fwhm
    expected = h * np.exp(-4 * math.log(2) * (delay / fwhm) ** 2) / (fwhm / 2 * math.sqrt(math.pi / math.log(2)))
    assert np.max(np.abs(out[near, 0] - expected[near])) < FWHM_RTOL * expected.max()
    assert np.allclose(out[:, 1], -2 * out[:, 0], rtol=0, atol=ROUND_OFF)
    # the half maximum at ±FWHM/2 (grid points at ±6 fs)
    half = out[np.isclose(delay, fwhm / 2), 0][0] / out[k, 0]
    assert half == pytest.approx(0.5, rel=FWHM_RTOL)
    # trapezoid weights of a uniform grid: h inside, h/2 at the ends
    w = trapezoid_weights(delay)
    assert w[0] == w[-1] == h / 2 and np.all(w[1:-1] == h)


def test_excited_fraction_scales_linearly():
    delay = np.array([0.0, 10.0, 20.0, 30.0])
    z = np.random.default_rng(4).standard_normal((4, 5))
    for fwhm in (0.0, 15.0):
        one = reported_dxas(delay, z, probe_fwhm=fwhm, excited_fraction=1.0)
        assert np.allclose(one, probe_convolution(delay, z, fwhm=fwhm), rtol=0, atol=ROUND_OFF)
        for a in (0.05, 0.3, 1.0):
            assert np.allclose(reported_dxas(delay, z, probe_fwhm=fwhm, excited_fraction=a), a * one, rtol=0, atol=ROUND_OFF)
        a, b = 0.2, 0.7
        assert np.allclose(reported_dxas(delay, a * z, probe_fwhm=fwhm, excited_fraction=b), b * a * one, rtol=0, atol=ROUND_OFF)


def test_extrema_of_a_synthetic_difference_map():
    """A positive Gaussian line at 530.2 eV and a negative one at 529.0 eV (growing with delay);
    a delay with no signal gives NaN (below the floor). Positions to 1e-3 eV: parabolic
    refinement of a Gaussian of σ = 0.2 eV on a 10 meV grid is accurate to ~h²/σ·(h/σ)² ≈ 1e-5 eV."""
    omega = np.linspace(526.0, 535.0, 901)
    delay = np.array([-10.0, 0.0, 10.0])
    line = lambda e0: np.exp(-0.5 * ((omega - e0) / 0.2) ** 2)  # noqa: E731
    z = np.array([0.0 * omega, 0.5 * (line(530.2) - 2 * line(529.0)), line(530.2) - 2 * line(529.0)])
    ext = dxas_extrema(omega, delay, z, broadening_fwhm=0.4, floor=1e-9)
    assert np.isnan(ext["positive_energy"][0]) and np.isnan(ext["negative_amplitude"][0])
    assert np.allclose(ext["positive_energy"][1:], 530.2, atol=1e-3) and np.allclose(ext["negative_energy"][1:], 529.0, atol=1e-3)
    assert np.allclose(ext["positive_amplitude"][1:], [0.5, 1.0], rtol=1e-3) and np.allclose(ext["negative_amplitude"][1:], [-1.0, -2.0], rtol=1e-3)


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(xas={"probe_fwhm": -1.0}), "pump.xas.probe_fwhm = -1.0"),
        (dict(xas={"excited_fraction": 0.0}), "pump.xas.excited_fraction = 0.0"),
        (dict(xas={"excited_fraction": 1.5}), "pump.xas.excited_fraction = 1.5"),
        (dict(xas={"window": [2.0, -1.0]}), "pump.xas.window"),
        (dict(xas={"probe_fwhm": 5.0}, xas_delays=[]), "xas_delays is empty"),
        (dict(lattice={"coupling": 0.3}), "xas_delays with a [pump.lattice]"),
    ],
)
def test_bad_xas_specs(changes, field):
    with pytest.raises(SpecError) as err:
        parse_spec(spec_dict(**changes), source="t.toml")
    assert field in str(err.value) and len(str(err.value).splitlines()) == 1


def test_delays_outside_the_time_window_are_refused_before_any_work(tmp_path):
    from localpairs.studies import run_study

    for delays in ([-20.0, 0.0], [0.0, 9.0]):  # centre 12.6 fs, window [0, 20] fs
        with pytest.raises(SpecError, match=r"pump\.xas_delays = .* delays in \[-12\.6\d*, 7\.3\d*\] fs") as err:
            run_study(parse_spec(spec_dict(xas_delays=delays), source="t.toml"), tmp_path / "bad", resume=False)
        assert len(str(err.value).splitlines()) == 1
    assert not (tmp_path / "bad" / "checkpoints").exists()


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: probe_convolution([0.0, 1.0], np.zeros((2, 3)), fwhm=-1.0), "fwhm"),
        (lambda: probe_convolution([0.0, 1.0], np.zeros((2, 3)), fwhm=float("nan")), "fwhm"),
        (lambda: probe_convolution([1.0, 0.0], np.zeros((2, 3)), fwhm=1.0), "delay"),
        (lambda: probe_convolution([0.0, 1.0], np.zeros((3, 3)), fwhm=1.0), "dxas"),
        (lambda: reported_dxas([0.0, 1.0], np.zeros((2, 3)), excited_fraction=1.5), "excited_fraction"),
        (lambda: reported_dxas([0.0, 1.0], np.zeros((2, 3)), excited_fraction=0.0), "excited_fraction"),
        (lambda: reported_dxas([0.0, 1.0], np.zeros((2, 3)), probe_fwhm=-2.0), "probe_fwhm"),
    ],
)
def test_bad_convolution_inputs(call, field):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field


def test_xas_settings_share_the_spectra_defaults():
    probe, spectra = XasProbeSpec(), SpectraSpec()
    pairs = {"U_c": "U_c", "Gamma": "Gamma", "gaussian_fwhm": "xas_gaussian_fwhm", "offset_eV": "offset_eV", "pre_edge_eV": "pre_edge_eV",
             "window": "xas_window", "lanczos_steps": "xas_lanczos_steps", "coherence": "coherence", "use_symmetry": "use_symmetry",
             "core_hole": "core_hole"}
    for mine, theirs in pairs.items():
        assert getattr(probe, mine) == getattr(spectra, theirs), mine
    assert probe.probe_fwhm == 0.0 and probe.excited_fraction == 1.0


def test_run_spec_records_xas_within_its_window():
    """runs/babio3_pump.toml asks for XAS delays inside [0, t_end] around the default pulse centre."""
    from localpairs.spec import load_spec

    spec = load_spec(Path(__file__).parents[1] / "runs" / "babio3_pump.toml")
    ps = spec.pump
    center = gaussian_pulse(photon_energy=1.0, duration=ps.duration, duration_kind=ps.duration_kind, peak_field=1e-3).center
    assert ps.xas_delays and 0.0 <= center + ps.xas_delays[0] and center + ps.xas_delays[-1] <= ps.end_time
