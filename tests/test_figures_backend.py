"""The library never chooses a matplotlib backend: importing it keeps the caller's (a notebook's);
the command line selects Agg; figures still save headless."""

import os
import subprocess
import sys

IMPORT_ALL = (
    "import localpairs.analysis.figures, localpairs.analysis.xfel_figures, localpairs.analysis.dynamics_figures,"
    " localpairs.analysis.spectra_figures, localpairs.studies, localpairs.studies.xfel, localpairs.studies.pump,"
    " localpairs.studies.spectra, localpairs.studies.ground_state;"
)


def _python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean | env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_keeps_the_callers_backend():
    # svg is a non-default, non-interactive backend: any matplotlib.use("Agg") at import would show
    code = IMPORT_ALL + "import matplotlib.pyplot as plt, matplotlib; plt.figure(); print(matplotlib.get_backend())"
    assert _python(code, MPLBACKEND="svg") == "svg"


def test_import_keeps_a_backend_chosen_with_use():
    code = "import matplotlib; matplotlib.use('pdf');" + IMPORT_ALL + "print(matplotlib.get_backend())"
    assert _python(code) == "pdf"


def test_command_line_selects_agg_and_figures_save_headless(tmp_path):
    # no display, no MPLBACKEND: the CLI picks Agg itself and a figure is written as PNG
    png = tmp_path / "ladder.png"
    code = (
        "import matplotlib; matplotlib.use('svg'); import sys; from localpairs.cli import main;"
        f"main(['check', {str(tmp_path / 'missing.toml')!r}]);"
        "from localpairs.analysis.figures import ladder_figure, save_figure;"
        f"save_figure(ladder_figure({{0: 0.0, 1: -1.0, 2: -3.0}}, 1), {str(png)!r});"
        "print(matplotlib.get_backend())"
    )
    assert _python(code).lower() == "agg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
