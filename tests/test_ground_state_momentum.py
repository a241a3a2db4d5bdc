"""The ground-state study with ``[sector] momentum = "scan"`` against the same study without symmetry."""

import json

import numpy as np
import pytest
import xarray as xr

from localpairs.cli import main
from localpairs.spec import SpecError, parse_spec
from localpairs.studies.checkpoints import Checkpoints
from localpairs.studies.common import build_system

#: Dense and Lanczos energies of ≤ 400-state sectors, two ways: round-off only.
ENERGY_TOL = 1e-9
#: Observables from the same (non-degenerate) ground state, two ways.
OBS_TOL = 1e-8

# x periodic (length 2), z open (length 3): site charges vary along z, so the averages are tested.
SPEC = """title = "ladder"
study = "ground_state"
[cluster]
shape = [2, 1, 3]
periodic = [true, false, false]
[model]
kind = "extended_hubbard"
t = 1.0
U = -3.0
V = 0.4
[sector]
electrons = 4
momentum = "{momentum}"
[solver]
n_states = 3
[ground_state]
ladder = [-1, 1, 2]
"""


def run(tmp_path, momentum):
    path = tmp_path / f"{momentum}.toml"
    path.write_text(SPEC.format(momentum=momentum))
    out = tmp_path / momentum
    assert main(["run", str(path), "--out", str(out)]) == 0
    return out, xr.load_dataset(out / "results.nc", engine="h5netcdf")


def test_scan_matches_the_unsymmetrized_study(tmp_path):
    _, plain = run(tmp_path, "none")
    out, scan = run(tmp_path, "scan")
    assert list(scan["n_electrons"].values) == [3, 4, 5, 6]
    assert np.allclose(scan["ground_energy_vs_N"], plain["ground_energy_vs_N"], atol=ENERGY_TOL)
    assert scan.attrs["pair_binding_eV"] == pytest.approx(plain.attrs["pair_binding_eV"], abs=ENERGY_TOL)
    assert scan.attrs["single_particle_gap_eV"] == pytest.approx(plain.attrs["single_particle_gap_eV"], abs=ENERGY_TOL)
    assert np.isclose(scan["kblock_energy"].min(), plain["energy"][0], atol=ENERGY_TOL)
    assert np.ptp(plain["site_charge"].values) > 0.01  # ends and middle differ along the open axis
    for name in ("site_charge", "double_occupancy", "charge_correlation"):
        assert np.allclose(scan[name], plain[name], atol=OBS_TOL), name
    assert scan.attrs["lpdw_order"] == pytest.approx(plain.attrs["lpdw_order"], abs=OBS_TOL)
    report = (out / "report.md").read_text()
    assert "E(N, k)" in report and "Pair correlations" in report and "degeneracy" in report


def test_blocks_are_checkpointed_and_reused(tmp_path):
    out, _ = run(tmp_path, "scan")
    ckpt = sorted((out / "checkpoints").glob("kblock_N5_*.json"))
    assert len(ckpt) == 2  # kx = 0 and kx = 1
    data = json.loads(ckpt[0].read_text())
    data["value"]["block"]["energies"] = [-123.0]
    Checkpoints(out, data["spec_hash"]).save(ckpt[0].stem, data["value"])  # a valid checkpoint (checksum) of another value
    _, again = run(tmp_path, "scan")
    assert -123.0 in again["ground_energy_vs_N"].values


def test_scan_refused_when_translations_are_broken():
    spec = parse_spec({"title": "t", "study": "ground_state", "cluster": {"shape": "cube"}, "sector": {"momentum": "scan"},
                       "model": {"kind": "extended_hubbard", "U": -1.0, "breathing": 0.1}}, source="t.toml")
    with pytest.raises(SpecError, match="does not commute"):
        build_system(spec, source="t.toml")
    spec = parse_spec({"title": "t", "study": "ground_state", "cluster": {"shape": "cube", "periodic": False}, "sector": {"momentum": "scan"},
                       "model": {"kind": "extended_hubbard", "U": -1.0}}, source="t.toml")
    with pytest.raises(SpecError, match="periodic axis"):
        build_system(spec, source="t.toml")


def test_ladder_offsets_are_validated():
    with pytest.raises(SpecError, match=r"ground_state\.ladder"):
        parse_spec({"title": "t", "study": "ground_state", "model": {"kind": "extended_hubbard"}, "ground_state": {"ladder": [0, 1]}})
