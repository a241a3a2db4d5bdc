import re
import time

import pytest

from localpairs.spec import SpecError, parse_spec
from localpairs.studies import run_study

BASE = {
    "title": "xfel smoke",
    "study": "xfel",
    "cluster": {"shape": "dimer", "periodic": False},
    "model": {"kind": "extended_hubbard", "t": 0.33, "V": 0.15, "U": -1.0, "breathing": 0.3},
}

SMALL = {
    "fit_max_nfev": 2, "delays": [0.0, 5.0], "omega_step": 0.1, "xas_steps": 30, "fluence_scan": [1.0, 2.0], "fluence": 2.0,
    "percolation_sizes": [4, 6], "percolation_samples": 10, "tunnelling_sites": [1, 2, 3], "tc_x": [0.4, 0.45], "duration": 10.0, "evolution_tol": 1e-4,
}


def spec(**xfel):
    return parse_spec({**BASE, "xfel": xfel})


def test_defaults_validate():
    s = spec()
    assert s.xfel.fluence == 8.0 and s.xfel.Gamma == 0.2


@pytest.mark.parametrize("bad, key", [
    ({"fluence_typo": 1.0}, "xfel.fluence_typo"),
    ({"Gamma": -0.1}, "xfel.Gamma"),
    ({"delays": [10.0, 5.0]}, "delays"),
    ({"U_guess": 1.0}, "xfel.U_guess"),
    ({"U_unpaired": -0.5}, "xfel.U_unpaired"),
    ({"pre_edge_window": [5.0, 1.0]}, "pre_edge_window"),
    ({"fluence": "8"}, "xfel.fluence"),
])
def test_bad_spec_names_key(bad, key):
    with pytest.raises(SpecError, match=re.escape(key)):
        spec(**bad)


def test_smoke_run_and_resume(tmp_path):
    s = spec(**SMALL)
    t0 = time.perf_counter()
    report = run_study(s, tmp_path)
    first = time.perf_counter() - t0
    text = report.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| A−B separation")]
    assert len(rows) == 4
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        float(cells[1].split()[0])  # model number
        assert cells[5] in ("consistent", "inconsistent")
    assert (tmp_path / "results.nc").is_file() and (tmp_path / "dxas_paired.png").is_file()
    assert (tmp_path / "checkpoints" / "fit_paired.json").is_file()
    # a rerun with nothing changed reuses every checkpoint: none is rewritten
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "checkpoints").iterdir()}
    assert stamps and first > 0
    run_study(s, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "checkpoints").iterdir()} == stamps
