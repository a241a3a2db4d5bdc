"""The study shape: studies never import each other; `check` refuses what `run` would; the charge ladder solver."""

import ast
from pathlib import Path

import numpy as np
import pytest

from localpairs.cli import main
from localpairs.errors import TooLargeError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import estimate_memory
from localpairs.solvers.ed.charge_ladder import ladder_electrons, ladder_sector, solve_ladder
from localpairs.spec import SpecError, parse_spec
from localpairs.studies import STUDIES, check_study

STUDIES_DIR = Path(__file__).resolve().parents[1] / "localpairs" / "studies"
SHARED = {"common", "framework"}  # modules every study may import (and every *_spec section module)


def family(module: str) -> str | None:
    """The study a module of localpairs/studies belongs to (``spectra_summary`` → ``spectra``), or None."""
    owners = [name for name in STUDIES if module == name or module.startswith(name + "_")]
    return max(owners, key=len) if owners else None


def foreign_study_imports(module: str, source: str) -> list[str]:
    """Modules of other studies that ``source`` (the text of localpairs/studies/<module>.py) imports."""
    imported = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
            if node.module == "localpairs.studies":
                imported += [f"localpairs.studies.{a.name}" for a in node.names]
    out = []
    for name in imported:
        parts = name.split(".")
        if parts[:2] != ["localpairs", "studies"] or len(parts) < 3:
            continue
        other = parts[2]
        if other in SHARED or other.endswith("_spec") or family(other) is None or family(other) == family(module):
            continue
        out.append(other)
    return out


def test_the_import_check_catches_a_study_importing_another():
    assert foreign_study_imports("spectra", "from localpairs.studies.ground_state import checkpointed_ladder\n") == ["ground_state"]
    assert foreign_study_imports("xfel", "from localpairs.studies import pump\n") == ["pump"]
    source = "from localpairs.studies.spectra_summary import validate\nfrom localpairs.studies.pump_spec import PumpSpec\n"
    assert foreign_study_imports("spectra", source) == []


def test_studies_never_import_each_other():
    offenders = {}
    for path in sorted(STUDIES_DIR.glob("*.py")):
        found = foreign_study_imports(path.stem, path.read_text(encoding="utf-8"))
        if found and path.stem != "__init__":
            offenders[path.name] = found
    assert offenders == {}, "move what two studies need into localpairs.solvers or localpairs.analysis"


def test_every_study_module_exposes_its_study():
    import importlib

    for name in ("ground_state", "spectra"):
        study = importlib.import_module(f"localpairs.studies.{name}").STUDY
        assert study.name == name


# --- the charge ladder (moved from the ground-state study into solvers) ------------------------


def dimer_energies(t: float, U: float) -> dict[int, float]:
    """Closed-form ground energies of the Hubbard dimer (hopping t, on-site U) for N = 0 … 4."""
    return {0: 0.0, 1: -abs(t), 2: U / 2 - np.sqrt(U**2 / 4 + 4 * t**2), 3: U - abs(t), 4: 2 * U}


def test_solve_ladder_matches_the_dimer_closed_form_and_uses_its_callbacks():
    t, U = 0.7, -2.3
    model = extended_hubbard(make_cluster("dimer"), t=t, U=U)
    electrons = ladder_electrons(2, [-2, -1, 1, 2, 3], model.n_sites)
    assert electrons == [0, 1, 3, 4]  # N = 5 does not exist on two sites
    solved = []
    energies = solve_ladder(model, electrons, stored=lambda n: -99.0 if n == 0 else None, on_solved=lambda n, e: solved.append((n, e)))
    exact = dimer_energies(t, U)
    assert energies[0] == -99.0 and [n for n, _ in solved] == [1, 3, 4]  # a stored value is not solved again
    for n, e in solved:
        assert energies[n] == e
        assert e == pytest.approx(exact[n], abs=1e-12)  # dense eigh of a ≤ 4-state sector: round-off only
    assert ladder_sector(3).n_up == 2 and ladder_sector(3).n_down == 1


# --- `check` refuses what `run` would refuse ------------------------------------------------------

GS = {"title": "t", "study": "ground_state", "cluster": {"shape": "dimer", "periodic": False}, "model": {"kind": "extended_hubbard", "U": -2.0}}
SPECTRA = {**GS, "study": "spectra", "spectra": {"n_omega": 20, "lanczos_steps": 10, "xas_lanczos_steps": 10, "twists": 1}}


def check_cli(tmp_path, text: str, capsys) -> tuple[int, str]:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    code = main(["check", str(path)])
    return code, capsys.readouterr().err


def test_a_spec_without_study_is_refused_naming_the_file_and_the_choices(tmp_path, capsys):
    code, err = check_cli(tmp_path, 'title = "x"\n[model]\nkind = "extended_hubbard"\n', capsys)
    assert code == 2
    assert f"{tmp_path / 'spec.toml'}: key study is required: one of 'ground_state', 'spectra', 'pump', 'xfel'" in err


def test_a_section_the_study_does_not_read_is_refused(tmp_path, capsys):
    text = 'title = "x"\nstudy = "ground_state"\n[model]\nkind = "extended_hubbard"\n[pump]\nfluence = 1.0\n'
    code, err = check_cli(tmp_path, text, capsys)
    assert code == 2
    assert f"{tmp_path / 'spec.toml'}: section [pump] is not used by study = 'ground_state'" in err and "[ground_state]" in err
    with pytest.raises(SpecError, match=r"section \[ground_state\] is not used by study = 'xfel'"):
        parse_spec({**GS, "study": "xfel", "xfel": {}, "ground_state": {"ladder": [-1, 1]}})
    parse_spec({**SPECTRA, "ground_state": {"ladder": [-1, 1]}})  # the spectra study reads the ladder offsets


def test_spectra_checks_run_at_check_time():
    check_study(parse_spec(SPECTRA), source="s.toml")  # valid
    cases = [
        ({**GS, "study": "spectra"}, "needs a [spectra] section"),
        ({**SPECTRA, "ground_state": {"ladder": [-1, 1]}}, "spectra.compute = 'pair'"),
        ({**SPECTRA, "spectra": {**SPECTRA["spectra"], "twists": 2}}, "spectra.twists = 2"),  # open polarization axis
        ({**SPECTRA, "cluster": {"shape": [2, 1, 1], "periodic": [True, False, False]}, "sector": {"momentum": "scan"}}, "sector.momentum = 'scan'"),
    ]
    for data, message in cases:
        with pytest.raises(SpecError, match=r"^s\.toml: .*" + message.replace("[", r"\[").replace("]", r"\]")):
            check_study(parse_spec(data), source="s.toml")


def test_ladder_sectors_must_fit_the_memory_budget():
    """N₀ = 2 on the plaquette fits a budget between the estimates of N = 2 and N = 4; the ladder does not."""
    model = extended_hubbard(make_cluster("plaquette"), U=-2.0)
    small, large = (estimate_memory(model, ladder_sector(n)).total_gb for n in (2, 4))
    assert small < large  # 16 against 36 states
    budget = 0.5 * (small + large)
    data = {**GS, "cluster": {"shape": "plaquette", "periodic": False}, "sector": {"electrons": 2}, "solver": {"n_states": 1, "memory_budget_gb": budget}}
    with pytest.raises(TooLargeError, match=r"sector N=4 \(2↑2↓\).*memory budget"):
        check_study(parse_spec(data), source="s.toml")
    check_study(parse_spec({**data, "ground_state": {"pair_binding": False}}), source="s.toml")  # no ladder: fits


def test_shipped_specs_load_and_round_trip_through_spec_data():
    """Every spec in runs/ names its study; spec_data (used by sweeps) gives a dict parse_spec accepts again."""
    from localpairs.spec import load_spec, spec_data

    for path in sorted((STUDIES_DIR.parents[1] / "runs").glob("*.toml")):
        spec = load_spec(path)
        assert "study" in path.read_text() and spec.study in STUDIES
        assert parse_spec(spec_data(spec), source=str(path)) == spec, path.name
