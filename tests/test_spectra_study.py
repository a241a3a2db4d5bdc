"""The spectra study: strict [spectra] validation, an end-to-end run on the dimer, resume, gap helpers."""

import json

import numpy as np
import pytest
import xarray as xr

from localpairs.analysis.pair_binding import gap_table
from localpairs.analysis.spectral_edges import EnergyScales, merge_poles, scales_from_energies, spectral_edge
from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import charge_ladder
from localpairs.spec import SpecError, load_spec, parse_spec
from localpairs.studies import run_study
from localpairs.studies.spectra_spec import spectra_section

BASE = {
    "title": "dimer spectra",
    "study": "spectra",
    "cluster": {"shape": "dimer", "periodic": False},
    "model": {"kind": "extended_hubbard", "t": 1.0, "U": -3.0, "breathing": 0.2},
    "solver": {"n_states": 1},
    "spectra": {"n_omega": 60, "lanczos_steps": 20, "twists": 1, "xas_lanczos_steps": 20},
}


def with_spectra(**changes):
    data = json.loads(json.dumps(BASE))
    data["spectra"].update(changes)
    return data


@pytest.mark.parametrize(
    "changes, text",
    [
        (dict(eta=-0.1), "spectra.eta"),
        (dict(eta=0.0), "spectra.eta"),
        (dict(Gamma=-0.2), "spectra.Gamma"),
        (dict(n_omega=3), "spectra.n_omega"),
        (dict(omega_min=2.0, omega_max=1.0), "omega_min = 2.0 must be below"),
        (dict(compute=["single_particle", "raman"]), "spectra.compute"),
        (dict(compute=[]), "spectra.compute"),
        (dict(polarization=[0.0, 0.0, 0.0]), "spectra.polarization"),
        (dict(xas_window=[2.0, 1.0]), "spectra.xas_window"),
        (dict(twists=0), "spectra.twists"),
        (dict(etaa=0.1), "unknown key spectra.etaa"),
        (dict(lanczos_steps="many"), "spectra.lanczos_steps"),
    ],
)
def test_bad_spectra_sections(changes, text):
    with pytest.raises(SpecError) as err:
        parse_spec(with_spectra(**changes), source="s.toml")
    assert text in str(err.value)


def test_run_spec_in_repo_is_valid():
    spec = load_spec("runs/babio3_spectra.toml")
    assert spec.study == "spectra" and spec.spectra.twists == 8 and spec.model.U == -1.2


def test_dimer_study_end_to_end(tmp_path):
    spec = parse_spec(BASE)
    report = run_study(spec, tmp_path)
    text = report.read_text()
    for needle in ("single-particle gap Δ1", "E_b + 2E_a", "1.96 eV", "Sum rules"):
        assert needle in text
    for name in ("charge_spectra.png", "optical_conductivity.png", "xas.png", "results.nc"):
        assert (tmp_path / name).stat().st_size > 0
    root = xr.open_dataset(tmp_path / "results.nc", engine="h5netcdf")
    # Δ1 from the spectra equals the ground-state-energy definition of analysis.gaps
    assert np.isclose(root.attrs["single_particle_gap_eV"], root.attrs["single_particle_gap_from_energies_eV"], atol=1e-10)
    assert np.isclose(root.attrs["two_particle_gap_eV"], root.attrs["two_particle_gap_from_energies_eV"], atol=1e-10)
    add = xr.open_dataset(tmp_path / "results.nc", group="electron_addition", engine="h5netcdf")
    assert add.sizes["channel"] == 4 and np.allclose(add["m0"], add["m0_expected"], atol=1e-12)
    xas = xr.open_dataset(tmp_path / "results.nc", group="xas", engine="h5netcdf")
    peak = float(xas["omega"].values[np.argmax(xas["total"].values)])
    assert abs(peak - 529.0) < 0.2  # the main σ* peak is placed at pre_edge_eV (grid step 0.15 eV)
    root.close(), add.close(), xas.close()
    # resume: a second run reads every spectrum from its checkpoint
    mtime = (tmp_path / "checkpoints" / "spectra_xas.nc").stat().st_mtime
    run_study(spec, tmp_path)
    assert (tmp_path / "checkpoints" / "spectra_xas.nc").stat().st_mtime == mtime


def test_edges_and_energy_scales():
    m = extended_hubbard(make_cluster("plaquette"), t=1.0, U=-2.0, V=0.2, breathing=0.3)
    ladder = charge_ladder(m, 4)
    table = gap_table(ladder, 4)
    s = scales_from_energies(ladder, 4, optical=2.0)
    assert np.isclose(s.single_particle_gap, table.single_particle_gap) and np.isclose(s.E_b_plus_2E_a, s.single_particle_gap)
    assert np.isclose(s.E_b, -(table.pair_binding + (ladder[2] + ladder[4] - 2 * ladder[3])) / 2)  # mean e- and h-pair binding
    assert np.isclose(2 * s.E_a, table.two_particle_gap)
    assert EnergyScales(1.0, 0.5).optical_gap is None
    # merging and thresholds
    e, w = merge_poles([1.0, 1.0 + 1e-9, 2.0, 0.5], [0.2, 0.3, 0.5, 1e-5])
    assert np.allclose(e, [0.5, 1.0, 2.0]) and np.allclose(w, [1e-5, 0.5, 0.5])
    assert spectral_edge([1.0, 2.0, 0.5], [0.5, 0.5, 1e-5]) == 1.0  # 1e-5 of the weight is below 1e-3
    assert spectral_edge([1.0, 2.0, 0.5], [0.5, 0.5, 1e-5], rel_threshold=1e-6) == 0.5
    with pytest.raises(InputError):
        spectral_edge([], [])


def test_spectra_section_is_the_parsed_section_or_an_error_naming_it():
    spec = parse_spec(BASE)
    assert spectra_section(spec) is spec.spectra
    ground = parse_spec({k: v for k, v in BASE.items() if k != "spectra"} | {"study": "ground_state"})
    with pytest.raises(InputError, match=r"^spectra = None is not allowed: a \[spectra\] section \(study = 'ground_state'\)"):
        spectra_section(ground)
