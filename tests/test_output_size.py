"""Issue 13, point 4: ``--out`` needs free space for what the study will write, estimated from the
spec before any work; ``check --out`` checks the same; the estimate is measured against real runs."""

import shutil
from pathlib import Path

import pytest
from test_pump import with_pump
from test_reliability import cli, one_clear_line

from localpairs.output_size import FREE_RESERVE_BYTES, OutputEstimate, file_bytes, megabytes
from localpairs.spec import parse_spec
from localpairs.studies import check_study, run_study, study_output

# The estimate is meant to be at least what a run writes (so that a run it lets through cannot fill
# the disk) and at most 2.5× that: figures are counted at 120 kB each (35–150 kB measured), the
# trajectory checkpoint twice (old and new copy during its atomic rewrite; the finished run keeps
# one), the lattice's values per output time with or without a lattice. Measured: 1.6–1.8.
LOW, HIGH = 1.0, 2.5


def disk_usage(folder: Path) -> int:
    """Bytes the files below ``folder`` occupy (allocated blocks, as ``du``)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def toml(data: dict) -> str:
    import json

    lines = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += [f"[{key}]", *(f"{k} = {json.dumps(v)}" for k, v in value.items())]
    return "\n".join(lines) + "\n"


def test_too_little_free_space_is_refused_naming_the_estimate(tmp_path, capsys, monkeypatch):
    data = with_pump(t_end=40.0, output_step=0.1)
    spec_path = tmp_path / "pump.toml"
    spec_path.write_text(toml(data))
    spec = parse_spec(data, source="t.toml")
    estimate = study_output(spec, check_study(spec))
    usage = shutil.disk_usage(tmp_path)
    needed = estimate.total + FREE_RESERVE_BYTES
    monkeypatch.setattr("localpairs.outdir.shutil.disk_usage", lambda path: usage._replace(free=needed - 1))
    out = tmp_path / "out"
    words = [str(out), f"only {megabytes(needed - 1)} free", megabytes(estimate.total), "pump.output_step"]
    one_clear_line(*cli(["run", spec_path, "--out", out], capsys), *words)
    one_clear_line(*cli(["check", spec_path, "--out", out], capsys), *words)
    assert not out.exists()  # refused before any work
    monkeypatch.setattr("localpairs.outdir.shutil.disk_usage", lambda path: usage._replace(free=needed))
    assert cli(["check", spec_path, "--out", out], capsys)[0] == 0


def test_check_reports_the_estimate(tmp_path, capsys):
    path = tmp_path / "dimer.toml"
    data = {"title": "d", "study": "ground_state", "cluster": {"shape": "dimer", "periodic": False},
            "model": {"kind": "extended_hubbard", "t": 1.0, "U": -4.0}}
    path.write_text(toml(data))
    capsys.readouterr()
    from localpairs.cli import main

    assert main(["check", str(path)]) == 0
    spec = parse_spec(data, source="t.toml")
    assert f"writes {study_output(spec, check_study(spec)).describe()}" in capsys.readouterr().out


def test_the_estimate_grows_with_what_the_spec_asks_for():
    """Ten times the output times, ten times the trajectory (in results.nc and the checkpoint)."""
    short, long = (study_output(s, check_study(s)) for s in (parse_spec(with_pump(t_end=10.0, output_step=0.1), source="t"),
                                                               parse_spec(with_pump(t_end=100.0, output_step=0.1), source="t")))
    grown = long.parts["results.nc"] - short.parts["results.nc"]
    # counted by hand: 12 scalars + 3 lattice scalars, 2 site arrays (4 sites), 3 site-pair arrays, 2 bond arrays (6 bonds)
    per_time = 8 * (15 + 2 * 4 + 3 * 16 + 2 * 6)
    assert abs(grown - 900 * per_time) <= 2 * 4096  # block rounding of the two files


def test_plus_sums_parts_by_name():
    a = OutputEstimate({"results.nc": 10, "figures": 5}, hint="x")
    b = OutputEstimate({"results.nc": 1, "checkpoints": 2}, hint="y")
    assert a.plus(b).parts == {"results.nc": 11, "figures": 5, "checkpoints": 2} and a.plus(b).hint == "x; y"
    assert file_bytes(1) == file_bytes(4096) == 4096 and file_bytes(4097) == 8192


@pytest.mark.parametrize("name", ["pump", "ground_state"])
def test_the_estimate_is_within_its_factor_of_what_a_small_run_writes(name, tmp_path):
    data = with_pump(t_end=40.0, output_step=0.1) if name == "pump" else {
        "title": "d", "study": "ground_state", "cluster": {"shape": "dimer", "periodic": False},
        "model": {"kind": "extended_hubbard", "t": 1.0, "U": -4.0}}
    spec = parse_spec(data, source="t.toml")
    estimate = study_output(spec, check_study(spec))
    written = disk_usage(run_study(spec, tmp_path / name, resume=False).parent)
    assert LOW <= estimate.total / written <= HIGH, (estimate.describe(), written)


@pytest.mark.slow
def test_the_state_vector_term_on_a_4900_state_sector(tmp_path):
    """2×2×2 at half filling (4,900 states): the trajectory checkpoint is dominated by the state
    vector (dimension × 16 B); the estimate counts it twice (atomic rewrite) plus the small JSON
    checkpoints. 20 % covers the npz container and the observables' rounding."""
    data = {**with_pump(t_end=2.0, output_step=0.5, pair_correlations=False),
            "cluster": {"shape": "cube", "periodic": [False, True, True]}, "sector": {"electrons": 8}}
    spec = parse_spec(data, source="t.toml")
    estimate = study_output(spec, check_study(spec))
    out = run_study(spec, tmp_path / "cube", resume=False).parent
    npz = (out / "checkpoints" / "trajectory.npz").stat().st_size
    assert npz > 4900 * 16
    others = sum(file_bytes(p.stat().st_size) for p in (out / "checkpoints").glob("*.json"))
    assert 1.0 <= estimate.parts["checkpoints"] / (2 * npz + others) <= 1.2
    assert LOW <= estimate.total / disk_usage(out) <= HIGH
