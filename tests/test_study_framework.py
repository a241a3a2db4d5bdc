"""The study framework: execute's shared output tail on a tiny fake study, and the Checkpoints helper."""

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from localpairs.io import versions
from localpairs.spec import SpecError, parse_spec
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.framework import Results, RunContext, Study, execute, prepare, render

SPEC = {
    "title": "fake study",
    "study": "ground_state",
    "cluster": {"shape": "dimer", "periodic": False},
    "model": {"kind": "extended_hubbard", "t": 1.0, "U": -4.0},
}


def fake_study(calls: dict[str, int], *, fail_compute: bool = False) -> Study:
    """A study whose compute counts its (checkpointed) work and returns a root and one group."""

    def validate(spec, system: System) -> None:
        if spec.description == "refuse":
            raise SpecError("description = 'refuse' is not allowed: anything else")

    def compute(ctx: RunContext) -> Results:
        if fail_compute:
            raise RuntimeError("compute failed")

        def small() -> dict:
            calls["json"] += 1
            return {"sites": ctx.system.cluster.n_sites, "e": [0.1, 1 / 3]}

        def big() -> xr.Dataset:
            calls["dataset"] += 1
            return xr.Dataset({"x": ("i", np.arange(4) / 7.0)}, attrs={"label": "group"})

        value = ctx.checkpoints.json("small", small)
        group = ctx.checkpoints.dataset("big", big)
        root = xr.Dataset({"e": ("k", np.array(value["e"]))}, attrs={"sites": value["sites"], "total": float(group["x"].sum())})
        return Results(root, {"big": group})

    def figures(results: Results, outdir: Path, title: str) -> list[str]:
        (outdir / "fake.png").write_bytes(b"png")
        return ["fake.png"]

    def report(results: Results) -> str:
        return f"# {results.root.attrs['title']}\n\ntotal {results.root.attrs['total']:.6f} over {results.root.attrs['sites']} sites\n"

    return Study("ground_state", None, validate, compute, figures, report)


def test_execute_writes_results_figures_report_and_reuses_checkpoints(tmp_path):
    spec = parse_spec(SPEC)
    calls = {"json": 0, "dataset": 0}
    report = execute(fake_study(calls), spec, tmp_path)
    assert report == tmp_path / "report.md"
    with xr.open_dataset(tmp_path / "results.nc", engine="h5netcdf") as root, xr.open_dataset(tmp_path / "results.nc", engine="h5netcdf", group="big") as big:
        np.testing.assert_array_equal(root["e"].values, [0.1, 1 / 3])  # exact: JSON keeps float64 repr
        np.testing.assert_array_equal(big["x"].values, np.arange(4) / 7.0)
        prov = json.loads(root.attrs["provenance"])
        assert root.attrs["title"] == "fake study" and root.attrs["sites"] == 2
    assert prov["spec"]["title"] == "fake study" and prov["resolved"]["cluster"]["shape"] == [2, 1, 1]
    text = report.read_text()
    assert text.startswith("# fake study\n\ntotal 0.857143 over 2 sites\n")  # 6/7 = sum(0..3)/7
    assert "## Figures\n![fake](fake.png)" in text
    assert "netCDF groups big" in text
    assert "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ". Wall time" in text
    assert calls == {"json": 1, "dataset": 1}

    execute(fake_study(calls), spec, tmp_path)  # same spec: both checkpoints reused
    assert calls == {"json": 1, "dataset": 1}
    execute(fake_study(calls), spec, tmp_path, resume=False)  # recomputed
    assert calls == {"json": 2, "dataset": 2}
    other = parse_spec({**SPEC, "title": "another"})  # another spec hash: checkpoints not reused
    execute(fake_study(calls), other, tmp_path)
    assert calls == {"json": 3, "dataset": 3}
    assert not list(tmp_path.rglob("*.tmp")), "no temporary files left behind"


def test_a_failed_run_leaves_the_previous_outputs_whole(tmp_path):
    spec = parse_spec(SPEC)
    execute(fake_study({"json": 0, "dataset": 0}), spec, tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "results.nc", tmp_path / "report.md")}
    with pytest.raises(RuntimeError, match="compute failed"):
        execute(fake_study({}, fail_compute=True), spec, tmp_path)
    assert {p.name: p.read_bytes() for p in (tmp_path / "results.nc", tmp_path / "report.md")} == before
    assert not list(tmp_path.rglob("*.tmp"))


def test_prepare_runs_the_study_checks_and_names_the_file():
    calls: dict[str, int] = {}
    system = prepare(fake_study(calls), parse_spec(SPEC), source="runs/x.toml")
    assert system.cluster.n_sites == 2
    with pytest.raises(SpecError, match=r"^runs/x\.toml: description = 'refuse' is not allowed"):
        prepare(fake_study(calls), parse_spec({**SPEC, "description": "refuse"}), source="runs/x.toml")
    with pytest.raises(SpecError, match=r"runs/x\.toml: study = 'spectra'"):
        prepare(fake_study(calls), parse_spec({**SPEC, "study": "spectra"}), source="runs/x.toml")
    assert calls == {}  # nothing computed


def test_checkpoints_return_what_a_resumed_run_would_read(tmp_path):
    cp = Checkpoints(tmp_path, "abc")
    fresh = cp.json("v", lambda: {"a": np.array([1.5, 2.5]), "b": (1, 2)})
    assert fresh == {"a": [1.5, 2.5], "b": [1, 2]}  # JSON types, as read back on resume
    assert cp.json("v", lambda: pytest.fail("recomputed")) == fresh
    ds = cp.dataset("d", lambda: xr.Dataset({"z": ("i", [1.0, 2.0])}, attrs={"polarization": [1.0, 0.0, 0.0]}))
    assert isinstance(ds.attrs["polarization"], np.ndarray) and "checkpoint_spec_hash" not in ds.attrs
    again = cp.dataset("d", lambda: pytest.fail("recomputed"))
    xr.testing.assert_identical(ds, again)
    assert Checkpoints(tmp_path, "other").load("v") is None


def test_render_filters_format_numbers_and_missing_values(tmp_path):
    (tmp_path / "t").mkdir()
    root = xr.Dataset(attrs={"gap": 0.123456, "missing": "none", "provenance": json.dumps({"versions": {"b": "1", "a": "2"}})})
    text = render("shared_tail.md.j2", Results(root), figures=[], seconds=1.26)
    assert "Versions: b 1, a 2. Wall time 1.3 s." in text  # order as stored
    from localpairs.studies.framework import fmt, fmt_list

    assert fmt(0.123456, "+.4f", suffix=" eV") == "+0.1235 eV"
    assert fmt("none", "+.4f") == fmt(None) == fmt(float("nan")) == "n/a"
    assert fmt_list(np.array([1.0, 0.5]), ".3f") == "1.000, 0.500"
