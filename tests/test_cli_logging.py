"""The command line shows the library's logging messages on stderr (``[localpairs] …``), results
on stdout; ``--quiet`` keeps only warnings and errors; the library itself configures no logging."""

import logging
import subprocess
import sys

import pytest

from localpairs.cli import main

DIMER = 'title = "dimer"\nstudy = "ground_state"\n[cluster]\nshape = "dimer"\nperiodic = false\n[model]\nkind = "extended_hubbard"\nt = 1.0\nU = -4.0\n'


@pytest.fixture
def dimer(tmp_path):
    path = tmp_path / "dimer.toml"
    path.write_text(DIMER)
    return path


def test_run_messages_on_stderr_result_on_stdout(dimer, tmp_path, capsys):
    assert main(["run", str(dimer), "--out", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "out" / "report.md")  # the result: the report path only
    lines = err.strip().splitlines()
    assert any(line.startswith("[localpairs] ground state: E0 =") for line in lines), err
    assert "[localpairs] wrote " in err
    assert logging.getLogger("localpairs").handlers == []  # main removes what it installed


@pytest.mark.parametrize("argv", [["-q", "run"], ["run", "--quiet"]])
def test_quiet_hides_progress(dimer, tmp_path, capsys, argv):
    assert main([*argv, str(dimer), "--out", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert "report.md" in out
    assert "[localpairs]" not in err


def test_errors_keep_their_prefix_when_quiet(tmp_path, capsys):
    assert main(["--quiet", "check", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("localpairs: error: ") and "missing.toml" in err


def test_library_configures_no_logging():
    # importing every layer and running a study step must not attach handlers anywhere
    code = (
        "import logging, localpairs.studies, localpairs.studies.common as c, localpairs.analysis.figures;"
        "c.progress('x');"
        "print(logging.getLogger().handlers, logging.getLogger('localpairs').handlers)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"
    assert done.stderr == ""  # INFO without a configured handler is not shown
