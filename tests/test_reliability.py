"""Issue 13's cases as regression tests: every input gives exit 0 with a result or exit 2 with one
line naming the file and the key; checkpoints cannot lie; the output folder is checked, locked and
tied to one spec; outputs follow the umask; stale temp files are removed."""

import errno
import fcntl
import json
import math
import os
import shutil
import stat
from pathlib import Path

import pytest
import xarray as xr

from localpairs.cli import main
from localpairs.io import write_text_atomic
from localpairs.spec import SpecError, load_spec, parse_spec
from localpairs.studies.checkpoints import CheckpointError, Checkpoints

REPO = Path(__file__).resolve().parents[1]
DIMER = 'title = "dimer"\nstudy = "ground_state"\n[cluster]\nshape = "dimer"\nperiodic = false\n[model]\nkind = "extended_hubbard"\nt = 1.0\nU = -4.0\n'


def cli(argv, capsys):
    """Exit status and the stderr lines of ``localpairs ARGV`` run in-process (``run`` with ``-q``: no progress lines)."""
    capsys.readouterr()  # drop the output of earlier calls
    argv = [str(a) for a in argv]
    code = main([*argv[:1], "-q", *argv[1:]] if argv[0] == "run" else argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    # messages only: progress bars (tqdm, drawn with carriage returns) are not messages
    return code, [line for line in err.splitlines() if line.startswith(("localpairs:", "[localpairs]"))]


def one_clear_line(code, lines, *words):
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("localpairs: error: "), lines
    assert "Traceback" not in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


def shipped(name, old, new):
    text = (REPO / "runs" / name).read_text()
    assert old in text, old
    return text.replace(old, new)


NONSENSE = {  # issue 13: check passed (or run gave nonsense) for all of these
    "U_huge": (shipped("babio3_ground_state.toml", "U = -1.2", "U = 9.2e18"), "model.U"),
    "U_nan": (shipped("babio3_ground_state.toml", "U = -1.2", "U = nan"), "model.U"),
    "t_huge": (shipped("babio3_ground_state.toml", "t = 0.33", "t = 1e308"), "model.t"),
    "fluence_inf": (shipped("babio3_pump.toml", "fluence = 8.0", "fluence = inf"), "pump.fluence"),
    "center_nan": (shipped("babio3_pump.toml", "fluence = 8.0", "fluence = 8.0\ncenter = nan"), "pump.center"),
    "times_nan": (shipped("babio3_pump.toml", "t_end = 250.0", "times = [0.0, 30.0, nan]"), "pump.times"),
    "pump_without_section": (shipped("babio3_pump.toml", "[pump]", "[pumpx]").split("[pumpx]")[0], "[pump]"),
    "xas_window_huge": (shipped("babio3_spectra.toml", "xas_window = [-3.0, 6.0]", "xas_window = [-3.0, 1e30]"), "spectra.xas_window[1] = 1e+30"),
    "xfel_without_study": (shipped("babio3_xfel.toml", 'study = "xfel"', ""), "study"),
    "pump_in_ground_state": (shipped("babio3_ground_state.toml", "[solver]", "[pump]\nfluence = 1.0\n[solver]"), "[pump]"),
    "seed_negative": (DIMER + '[doping]\nx = 0.5\nplacement = "random"\nseed = -5\n', "doping.seed"),
    "n_up_too_many": (DIMER + "[sector]\nn_up = 3\nn_down = 0\n", "sector.n_up"),
    "integer_of_5000_digits": (DIMER.replace("U = -4.0", "U = " + "9" * 5000), "4300"),
    "nested_500_deep": ('title = "x"\nstudy = "ground_state"\nU = ' + "[" * 500 + "]" * 500 + "\n", "nested"),
}


@pytest.mark.parametrize("name", sorted(NONSENSE))
def test_nonsense_is_refused_by_check_with_one_line(name, tmp_path, capsys):
    text, key = NONSENSE[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    one_clear_line(*cli(["check", path], capsys), str(path), key)


@pytest.mark.parametrize(
    "content, words",
    [
        (b'title = "\xff\xfe"\nstudy = "ground_state"\n', ["not UTF-8", "line 1"]),
        (b"x = [1, 2\n", ["not valid TOML"]),
    ],
)
def test_unreadable_spec_text_gives_one_line(content, words, tmp_path, capsys):
    path = tmp_path / "spec.toml"
    path.write_bytes(content)
    one_clear_line(*cli(["check", path], capsys), str(path), *words)


def test_utf8_bom_is_accepted_as_the_same_spec(tmp_path):
    plain, bom = tmp_path / "plain.toml", tmp_path / "bom.toml"
    plain.write_text(DIMER)
    bom.write_bytes(b"\xef\xbb\xbf" + DIMER.encode())
    assert load_spec(bom) == load_spec(plain)


def test_folder_missing_file_and_permission_denied(tmp_path, capsys, monkeypatch):
    one_clear_line(*cli(["check", tmp_path], capsys), str(tmp_path), "is a folder")
    one_clear_line(*cli(["check", tmp_path / "none.toml"], capsys), "no such run spec file")
    path = tmp_path / "locked.toml"
    path.write_text(DIMER)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr("localpairs.spec.open", denied, raising=False)  # root ignores chmod 000
    one_clear_line(*cli(["check", path], capsys), str(path), "Permission denied")


def test_bad_out_scheduler_and_bench_options_are_refused_before_any_work(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "dimer.toml"
    spec.write_text(DIMER)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    one_clear_line(*cli(["run", spec, "--out", a_file], capsys), str(a_file), "is an existing file")
    one_clear_line(*cli(["run", spec, "--out", a_file / "sub"], capsys), "is a file, not a folder")
    one_clear_line(*cli(["run", spec, "--scheduler", "not a url", "--out", tmp_path / "o"], capsys), "--scheduler", "'not a url'")
    one_clear_line(*cli(["bench", "--repeat", "0"], capsys), "bench --repeat = 0", "≥ 1")
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr("localpairs.outdir.shutil.disk_usage", lambda path: usage._replace(free=10_000_000))  # 10 MB left
    one_clear_line(*cli(["run", spec, "--out", tmp_path / "full"], capsys), "10.0 MB free")
    monkeypatch.setattr("localpairs.outdir.os.access", lambda path, mode: False)  # a read-only folder (root may write anywhere)
    one_clear_line(*cli(["run", spec, "--out", tmp_path / "ro"], capsys), "is not writable")
    assert not any((tmp_path / name).exists() for name in ("ro", "o", "full"))  # nothing was written


def test_a_failed_write_names_the_file(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "dimer.toml"
    spec.write_text(DIMER)
    real_replace = os.replace

    def disk_full(src, dst):
        if str(dst).endswith("results.nc"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr("localpairs.io.os.replace", disk_full)
    one_clear_line(*cli(["run", spec, "--out", tmp_path / "out"], capsys), "results.nc", "No space left on device")
    assert not list((tmp_path / "out").rglob("*.tmp"))


# --- checkpoints -------------------------------------------------------------------------------


def test_checkpoints_refuse_damaged_edited_and_non_finite_values(tmp_path):
    cp = Checkpoints(tmp_path, "abc")
    cp.save("e", -1.5)
    path = tmp_path / "checkpoints" / "e.json"
    assert cp.load("e", expect=float) == -1.5
    with pytest.raises(CheckpointError, match="holds a float, not the expected"):
        cp.load("e", expect=list)
    record = json.loads(path.read_text())
    for forged, problem in [(-999.0, "checksum"), (float("nan"), "non-finite")]:
        path.write_text(json.dumps({**record, "value": forged}))
        with pytest.raises(CheckpointError, match=f"{path}.*{problem}.*--no-resume"):
            cp.load("e")
    path.write_text(json.dumps(record)[:25])  # a truncated file
    with pytest.raises(CheckpointError, match="damaged"):
        cp.load("e")
    path.write_text(json.dumps({**record, "localpairs_version": "0.0.0"}))  # another version: recomputed, not refused
    assert cp.load("e") is None
    assert Checkpoints(tmp_path, "abc", enabled=False).load("e") is None


def test_dataset_checkpoints_refuse_edited_or_truncated_files(tmp_path):
    cp = Checkpoints(tmp_path, "abc")
    ds = cp.dataset("d", lambda: xr.Dataset({"z": ("i", [1.0, 2.0])}))
    path = tmp_path / "checkpoints" / "d.nc"
    edited = xr.load_dataset(path, engine="h5netcdf")
    edited["z"] = ("i", [1.0, -999.0])
    edited.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(CheckpointError, match="checksum"):
        cp.dataset("d", lambda: pytest.fail("recomputed"))
    write_text_atomic(path, "CDF")  # truncated
    with pytest.raises(CheckpointError, match=r"damaged.*--no-resume"):
        cp.dataset("d", lambda: ds)


def test_a_forged_checkpoint_stops_the_run_and_no_resume_recovers(tmp_path, capsys):
    spec = tmp_path / "dimer.toml"
    spec.write_text(DIMER)
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out)]) == 0
    reference = xr.load_dataset(out / "results.nc", engine="h5netcdf")["ground_energy_vs_N"].values
    ckpt = out / "checkpoints" / "ground_energy_N3.json"
    ckpt.write_text(json.dumps({**json.loads(ckpt.read_text()), "value": -999.0}))  # forged, checksum left as it was
    one_clear_line(*cli(["run", spec, "--out", out], capsys), str(ckpt), "--no-resume")
    assert main(["run", str(spec), "--out", str(out), "--no-resume"]) == 0
    again = xr.load_dataset(out / "results.nc", engine="h5netcdf")["ground_energy_vs_N"].values
    assert (again == reference).all()  # the same computation, bit for bit


# --- output folder -----------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_outputs_follow_the_umask(tmp_path, mask):
    spec = tmp_path / "dimer.toml"
    spec.write_text(DIMER)
    old = os.umask(mask)
    try:
        assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
        plain = tmp_path / "plain"
        plain.write_text("x")  # an ordinary file, the reference mode
    finally:
        os.umask(old)
    expected = stat.S_IMODE(plain.stat().st_mode)
    written = [tmp_path / "out" / n for n in ("results.nc", "report.md")] + list((tmp_path / "out" / "checkpoints").iterdir())
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {p.name: expected for p in written}


def test_stale_temp_files_of_a_killed_run_are_removed_and_nothing_else(tmp_path):
    spec = tmp_path / "dimer.toml"
    spec.write_text(DIMER)
    out = tmp_path / "out"
    (out / "checkpoints").mkdir(parents=True)
    stale = [out / ".results.nc.k2j_9xq0.tmp", out / "checkpoints" / ".ground_energy_N3.json.a1b2c3d4.tmp"]
    kept = [out / "notes.tmp", out / ".results.nc.SHORT.tmp"]
    for p in stale + kept:
        p.write_text("half")
    assert main(["run", str(spec), "--out", str(out)]) == 0
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in kept] == [True, True]


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path, capsys):
    spec = tmp_path / "dimer.toml"
    spec.write_text(DIMER)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".localpairs.lock", "a+") as held:  # another run holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        one_clear_line(*cli(["run", spec, "--out", out], capsys), "in use by another localpairs run")
    assert not (out / "results.nc").exists()
    assert main(["run", str(spec), "--out", str(out)]) == 0  # released: runs


def test_results_of_a_different_spec_are_kept_unless_force(tmp_path, capsys):
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text(DIMER)
    second.write_text(DIMER.replace("U = -4.0", "U = -3.0"))
    out = tmp_path / "out"
    assert main(["run", str(first), "--out", str(out)]) == 0
    before = (out / "results.nc").read_bytes()
    one_clear_line(*cli(["run", second, "--out", out], capsys), str(first), "--force")
    assert (out / "results.nc").read_bytes() == before
    assert main(["run", str(first), "--out", str(out)]) == 0  # the same spec again: fine
    assert main(["run", str(second), "--out", str(out), "--force"]) == 0
    assert json.loads(xr.load_dataset(out / "results.nc", engine="h5netcdf").attrs["provenance"])["spec"]["model"]["U"] == -3.0
    assert json.loads((out / ".localpairs-spec.json").read_text())["source"] == str(second)


def test_inf_and_nan_are_refused_anywhere_naming_the_key():
    with pytest.raises(SpecError, match=r"^t\.toml: model\.eps\[1\] = inf"):
        parse_spec({"title": "x", "study": "ground_state", "model": {"kind": "extended_hubbard", "eps": [0.0, float("inf")]}}, source="t.toml")


@pytest.mark.parametrize(
    "type_name, refused, accepted",
    [
        ("Energy", [100.5, -1e308, math.inf, math.nan], [-100.0, 0.0, 100.0]),
        ("WindowEnergy", [1e30, -101.0, math.nan], [-3.0, 100.0]),
        ("EdgeEnergy", [0.0, 2.5e5, math.inf], [529.0, 1e5]),
        ("Duration", [5e-324, 0.0, 1e308], [0.1, 30.0]),
        ("TimeFs", [2.0**70, -1e308, math.nan], [-40.0, 250.0]),
        ("Fluence", [0.0, 1e5, math.inf], [0.01, 8.0]),
        ("PhotonEnergy", [0.0, 1e308], [1.96]),
    ],
)
def test_shared_bounded_types_refuse_absurd_magnitudes(type_name, refused, accepted):
    from pydantic import TypeAdapter, ValidationError

    import localpairs.spec_base as base

    adapter = TypeAdapter(getattr(base, type_name))
    for value in accepted:
        assert adapter.validate_python(value) == value
    for value in refused:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
