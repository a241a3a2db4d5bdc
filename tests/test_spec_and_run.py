"""Run specs: strict validation with clear errors; the ground-state study end to end."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from localpairs.cli import main
from localpairs.errors import InputError
from localpairs.io import write_with
from localpairs.spec import SpecError, load_spec, parse_spec
from localpairs.studies.common import build_model, build_system

REPO = Path(__file__).resolve().parents[1]

BASE = {
    "title": "dimer test",
    "study": "ground_state",
    "cluster": {"shape": "dimer", "periodic": False},
    "model": {"kind": "extended_hubbard", "t": 1.0, "U": -4.0},
    "solver": {"n_states": 2},
}


def spec_with(**changes):
    data = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        node = data
        for p in path:
            node = node.setdefault(p, {})
        node[key] = value
    return data


@pytest.mark.parametrize(
    "changes, key, value_text",
    [
        ({"model__Ufoo": 1.0}, "model.Ufoo", "1.0"),  # unknown key
        ({"model__U": "strong"}, "model.U", "'strong'"),  # wrong type
        ({"cluster__lattice_constant": -4.35}, "cluster.lattice_constant", "-4.35"),
        ({"cluster__periodic": [True, False, True]}, "cluster.periodic[2]", "True"),  # axis of length 1
        ({"sector__electrons": 5}, "sector.electrons", "5"),  # more than 2 × 2 sites
        ({"doping__x": 1.2}, "doping.x", "1.2"),
        ({"doping__placement": "random"}, "doping.seed", "None"),
        ({"solver__n_states": 0}, "solver.n_states", "0"),
        ({"model__kind": "holstein"}, "model", "holstein"),
        ({"study": "everything"}, "study", "'everything'"),
    ],
)
def test_bad_specs_give_one_clear_error(changes, key, value_text):
    with pytest.raises(SpecError) as err:
        build_system(parse_spec(spec_with(**changes), source="t.toml"))
    msg = str(err.value)
    assert key in msg and value_text in msg
    assert "Traceback" not in msg


def test_bad_spec_fails_before_any_work(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('title = "x"\nstudy = "ground_state"\n[cluster]\nshape = "cube"\n[model]\nkind = "extended_hubbard"\nU = -1\nt = "big"\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "model.t" in err and "'big'" in err
    assert not (tmp_path / "out").exists()


def test_shipped_specs_are_valid():
    for path in sorted((REPO / "runs").glob("*.toml")):
        build_system(load_spec(path))


def test_ground_state_run_end_to_end(tmp_path):
    path = tmp_path / "dimer.toml"
    path.write_text(
        'title = "dimer"\nstudy = "ground_state"\n[cluster]\nshape = "dimer"\nperiodic = false\n'
        '[model]\nkind = "extended_hubbard"\nt = 1.0\nU = -4.0\n[sector]\nelectrons = 2\n'
    )
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 0
    for name in ("results.nc", "report.md", "cluster.png", "site_charge.png", "charge_ladder.png"):
        assert (out / name).stat().st_size > 0
    ds = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    prov = json.loads(ds.attrs["provenance"])
    assert prov["versions"]["quspin"] != "not installed" and "localpairs" in prov["versions"]
    assert prov["resolved"]["model"]["U"] == -4.0
    # dimer closed forms: E(0)=0, E(1)=−t, E(2)=U/2−√(U²/4+4t²), E(3)=U−t, E(4)=2U
    U, t = -4.0, 1.0
    e = {0: 0.0, 1: -t, 2: U / 2 - np.sqrt(U**2 / 4 + 4 * t**2), 3: U - t, 4: 2 * U}
    assert np.allclose(ds["ground_energy_vs_N"].values, [e[n] for n in ds["n_electrons"].values], atol=1e-10)
    assert np.isclose(ds.attrs["pair_binding_eV"], e[4] + e[2] - 2 * e[3], atol=1e-10)
    assert "pair binding" in (out / "report.md").read_text()


def test_resume_reuses_checkpoints(tmp_path):
    path = tmp_path / "dimer.toml"
    path.write_text('title = "dimer"\nstudy = "ground_state"\n[cluster]\nshape = "dimer"\n[model]\nkind = "extended_hubbard"\nU = -4.0\n')
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 0
    ckpt = out / "checkpoints" / "ground_energy_N3.json"
    data = json.loads(ckpt.read_text())
    data["value"] = 123.0  # a resumed run must take the stored value instead of recomputing
    ckpt.write_text(json.dumps(data))
    assert main(["run", str(path), "--out", str(out)]) == 0
    ds = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    assert 123.0 in ds["ground_energy_vs_N"].values
    assert main(["run", str(path), "--out", str(out), "--no-resume"]) == 0
    ds = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    assert 123.0 not in ds["ground_energy_vs_N"].values


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "results.nc"
    target.write_text("old complete result")

    def crashing_writer(tmp):
        tmp.write_text("half a resu")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_with(target, crashing_writer)
    assert target.read_text() == "old complete result"
    assert list(tmp_path.iterdir()) == [target]


def test_command_line_entry_point(tmp_path):
    path = tmp_path / "dimer.toml"
    path.write_text('title = "dimer"\nstudy = "ground_state"\n[cluster]\nshape = "dimer"\n[model]\nkind = "fermi_bose"\nt_F = 1.0\n')
    done = subprocess.run([sys.executable, "-m", "localpairs.cli", "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "fermi_bose" in done.stdout


def test_unknown_model_kind_is_refused_by_the_builder():
    """A spec whose model kind has no builder (here slipped past validation) is refused, not
    built as another model."""
    spec = parse_spec(spec_with(), source="t.toml")
    system = build_system(spec)
    assert build_model(spec, system.cluster, system.doping).kind == "extended_hubbard"
    odd = spec.model_copy(update={"model": spec.model.model_copy(update={"kind": "holstein"})})
    with pytest.raises(InputError) as err:
        build_model(odd, system.cluster, system.doping)
    assert "model.kind" in str(err.value) and "holstein" in str(err.value) and "fermi_bose" in str(err.value)
