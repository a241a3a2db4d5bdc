"""The XFEL nuisance scan: the per-point adapter against the study's probe, the doping shift against the dimer in
closed form, the Dask task runner (failures recorded, others finish), per-point checkpoints and the scan's spec."""

import json
import math
import re
import typing
from pathlib import Path

import numpy as np
import pytest

from localpairs.analysis.experiment import load_reference
from localpairs.solvers.spectra.xas import CORE_HOLES
from localpairs.spec import SpecError, parse_spec, spec_data
from localpairs.studies import check_study
from localpairs.studies.common import Checkpoints, build_system
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import dxas_points, pumped_scenario
from localpairs.studies.xfel_scan import EVOLVED_LATTICES, box_rows, run_scan
from localpairs.studies.xfel_scan_points import doping_shift, evolve_model, prepare_model, scan_point
from localpairs.studies.xfel_spec import CoreHolePlacement
from localpairs.sweep import run_tasks, task_client

T = 0.33
FIT = {"U": -1.0, "V": 0.15, "breathing": 0.3, "E_G": 1.0}
SCAN = {"U_c": [-1.0, 0.0], "Gamma": [0.1, 0.2], "U_unpaired": [0.5, 2.0], "doping_x": 1.0, "workers": 0}
BASE = {"title": "scan", "study": "xfel", "cluster": {"shape": "dimer", "periodic": False},
        "model": {"kind": "extended_hubbard", "t": T, "V": 0.15, "U": -1.0, "breathing": 0.3},
        "xfel": {"fit": {"max_nfev": 8}, "pump": {"delays": [0.0, 5.0], "fluence": 1e-3, "duration": 10.0, "evolution_tol": 1e-4},
                 "probe": {"omega_step": 0.02, "lanczos_steps": 30}, "scan": SCAN}}
# Same poles summed two ways (continued fraction vs pole list): round-off only.
ROUND_OFF = 1e-10


def data(**scan):
    return spec_data(parse_spec({**BASE, "xfel": {**BASE["xfel"], "scan": {**SCAN, **scan}}}), exclude_none=True)


def test_scan_point_is_dxas_points_of_the_prepared_model():
    """prepare_model → JSON → scan_point on a worker gives what xfel_points.dxas_points gives on the scenario computed
    in place (same fit, α calibrated to the same target): the scan carries the one pumped-state path, it does not redo it."""
    spec = parse_spec(data())
    kw = {"U_c": -1.0, "core_hole": "both", "lattice": "unrelaxed"}
    res = 0.1
    prepared = prepare_model(data(), scenario="paired", U=FIT["U"], fit={**FIT, "photon_energy": FIT["E_G"]}, targets={}, photon_energy=1.96,
                             alpha_target=0.05)
    prepared = json.loads(json.dumps(prepared))  # what the checkpoint holds
    assert prepared["pumped"]["alpha"] == pytest.approx(0.05, rel=1e-6)  # linear response: α ∝ F, one evaluation calibrates it
    got = scan_point(data(), prepared, gammas=[0.2, 0.1], probe="long", resolution_fwhm=res, **kw)
    direct = dxas_points(scenario=pumped_scenario(spec, FIT, alpha=0.05), Gammas=[0.2, 0.1], probe_model="long", resolution_fwhm=res, **kw)
    for g, d in zip(got, direct):
        assert d["found"] == 1.0 and g["A"] is not None and g["B"] is not None
        # same state (the JSON round trip of float64 is exact), same chains: equal to round-off
        assert g["A"]["energy"] == pytest.approx(d["A_energy"], abs=ROUND_OFF) and g["B"]["energy"] == pytest.approx(d["B_energy"], abs=ROUND_OFF)
        assert g["A"]["amplitude"] == pytest.approx(d["A_amplitude"], rel=1e-8) and g["offset"] == pytest.approx(d["offset"], abs=ROUND_OFF)
    # the instrument's resolution is in the line: without it the spectrum (hence a feature) differs
    bare = dxas_points(scenario=pumped_scenario(spec, FIT, alpha=0.05), Gammas=[0.1], probe_model="long", **kw)[0]
    assert abs(bare["A_amplitude"] - got[1]["A"]["amplitude"]) > 1e-3 * abs(bare["A_amplitude"])


@pytest.mark.parametrize("U_c", [0.0, -1.0])
def test_doping_shift_of_the_dimer_in_closed_form(U_c):
    """Parent: two electrons, site 0 large (−Δ), site 1 small (+Δ); its lowest addition pole with the core hole on both sites
    (three electrons feel U_c) is U + 2V + 3U_c − √(Δ² + t²) − E₂. Doped (x = 1): no electron, both sites small (+Δ), lowest
    pole Δ + U_c − t. Tolerance 1e-3 eV: parabola refinement on the 0.005 eV grid and the pull of the other pole (Γ⁴/d³)."""
    U, V, D = FIT["U"], FIT["V"], FIT["breathing"]
    r2 = math.sqrt(2.0)
    e2 = np.linalg.eigvalsh(np.array([[U - 2 * D, 0, -r2 * T], [0, U + 2 * D, -r2 * T], [-r2 * T, -r2 * T, V]]))[0]
    parent = U + 2 * V + 3 * U_c - math.sqrt(D * D + T * T) - e2
    doped = D + U_c - T
    out = doping_shift(data(), FIT, x=1.0, U_c=U_c, gammas=[0.05], core_hole="both", resolution_fwhm=0.0)[0]
    assert out["parent"] == pytest.approx(parent, abs=1e-3) and out["doped"] == pytest.approx(doped, abs=1e-3)
    assert out["shift"] == pytest.approx(doped - parent, abs=2e-3)


def _maybe_fail(x: float) -> float:
    if x < 0:
        raise ValueError(f"negative {x}")
    return 2 * x


@pytest.mark.parametrize("workers", [0, 1])
def test_run_tasks_records_failures_and_finishes_the_others(workers):
    got = {}
    with task_client(workers=workers) as client:
        errors = run_tasks(client, _maybe_fail, {"a": {"x": 1.0}, "b": {"x": -1.0}, "c": {"x": 3.0}}, on_result=got.__setitem__, desc="t")
    assert got == {"a": 2.0, "c": 6.0}
    assert list(errors) == ["b"] and "ValueError: negative -1.0" in errors["b"]


def test_scan_checkpointed_per_point_and_resumed(tmp_path):
    """A scan on the dimer; a rerun computes nothing; a lost point is the only one recomputed, to the same numbers."""
    spec = parse_spec({**BASE})
    ctx = Context(spec, build_system(spec))
    cp = Checkpoints(tmp_path, "key")
    kw = {"fits": {"paired": FIT, "unpaired": {**FIT, "U": 0.5, "breathing": 0.6}},
          "ref": load_reference(), "measured": {"E_G": 1.96, "E_a": 0.24}}
    first = run_scan(ctx, cp, **kw)
    # model × U_c × lattice × Γ for the linear-response state, and the lattices of EVOLVED_LATTICES for the evolved one
    assert not first["failed"] and len(first["points"]) == 3 * 2 * 2 * 2 + 3 * 2 * len(EVOLVED_LATTICES) * 2 and len(first["doping"]) == 3 * 2 * 2
    assert sum(p["pumped_state"] == "evolved" for p in first["points"]) == 3 * 2 * len(EVOLVED_LATTICES) * 2
    assert {p["lattice"] for p in first["points"] if p["pumped_state"] == "evolved"} == set(EVOLVED_LATTICES)
    assert all(m["evolved"] is not None and m["evolved"]["overlap"] > 0.9 for m in first["models"].values())  # weak pump: χ_ev ≈ χ⁽¹⁾
    assert first["models"]["unpaired_U2"]["fitted_here"] and not first["models"]["unpaired_U0.5"]["fitted_here"]
    again = run_scan(ctx, cp, **kw)
    assert all(k.startswith("scan: 0 of") for k in again["seconds"]) and again["points"] == first["points"]
    lost = sorted((tmp_path / "checkpoints").glob("scan_point_paired_Uc-1_relaxed_long.json"))
    assert len(lost) == 1
    lost[0].unlink()
    third = run_scan(ctx, cp, **kw)
    assert sum(not k.startswith("scan: 0 of") for k in third["seconds"]) == 1 and third["points"] == first["points"]


@pytest.mark.parametrize("bad, key", [
    ({"U_c": [0.5]}, "xfel.scan.U_c"),
    ({"Gamma": [0.1, 0.1]}, "xfel.scan.Gamma"),
    ({"U_unpaired": [-1.0]}, "xfel.scan.U_unpaired"),
    ({"probes": ["sudden"]}, "xfel.scan.probes"),
    ({"lattices": []}, "xfel.scan.lattices"),
    ({"workers": -1}, "xfel.scan.workers"),
    ({"pumped_states": []}, "xfel.scan.pumped_states"),
    ({"pumped_states": ["evolved", "evolved"]}, "xfel.scan.pumped_states"),
])
def test_bad_scan_spec_names_key(bad, key):
    with pytest.raises(SpecError, match=re.escape(key)):
        parse_spec({**BASE, "xfel": {"scan": bad}})


@pytest.mark.parametrize("scan, text", [
    ({"probes": ["finite"]}, "xfel.scan.probes"),
    ({"doping_x": 0.25}, "xfel.scan.doping_x"),  # on 2 sites x = 0.25 keeps the one large octahedron
])
def test_check_refuses_what_the_scan_cannot_do(scan, text):
    with pytest.raises(SpecError, match=re.escape(text)):
        check_study(parse_spec({**BASE, "xfel": {"scan": {**SCAN, **scan}}}), source="x.toml")
    check_study(parse_spec({**BASE, "xfel": {"scan": {**SCAN, "doping_x": 1.0}}}))
    check_study(parse_spec({**BASE, "xfel": {"scan": {**SCAN, **scan, "enabled": False}}}))  # no scan: nothing to refuse


def test_core_hole_choices_are_the_solver_ones():
    assert typing.get_args(CoreHolePlacement) == CORE_HOLES


def test_default_box_matches_the_toml():
    """runs/babio3_xfel.toml states the default box explicitly; it must parse and keep probe models this build computes."""
    import tomllib

    spec = parse_spec(tomllib.loads((Path(__file__).resolve().parents[1] / "runs" / "babio3_xfel.toml").read_text()))
    assert spec.xfel.scan.enabled and spec.xfel.scan.probes == ["long"] and len(spec.xfel.scan.U_c) >= 5


def _raw():
    """A hand-made scan: paired A − B = −1.0 + 0.5 U_c, unpaired −2.0 + 0.5 U_c (U_c ∈ {0, −1, −2}); the doping shift
    equals U_c for the paired model and U_c − 1 for the unpaired one, so doping allows U_c = −1 (paired) and 0 (unpaired)."""
    models = {"paired": {"scenario": "paired", "U": -2.5, "fit": {"E_G": 2.0}}, "unpaired_U0.5": {"scenario": "unpaired", "U": 0.5, "fit": {"E_G": 2.0}}}
    feat = lambda e: {"energy": e, "energy_error": 0.05, "amplitude": 1.0 if e < 529 else -1.0, "at_edge": False}  # noqa: E731
    points, doping = [], []
    for mid, base, dshift in (("paired", -1.0, 0.0), ("unpaired_U0.5", -2.0, -1.0)):
        for uc in (0.0, -1.0, -2.0):
            doping.append({"model": mid, "U_c": uc, "Gamma": 0.1, "parent": 0.0, "doped": uc + dshift, "shift": uc + dshift, "error": 0.0})
            for g in (0.1, 0.2):
                points.append({"model": mid, "U_c": uc, "lattice": "unrelaxed", "probe": "long", "Gamma": g, "reason": "",
                               "A": feat(529.0 + base + 0.5 * uc), "B": feat(529.0)})
    return {"models": models, "points": points, "doping": doping, "failed": [], "resolution_fwhm": 0.1, "seconds": {}, "n_sites": 8,
            "electrons": 8, "doped_electrons": 6, "large": 4, "doped_large": 3, "doping_x": 0.25}


def test_scan_summary_applies_the_doping_constraint():
    from localpairs.studies.xfel_verdict import points_of_dataset, scan_dataset, scan_points, scan_summary

    raw, ref = _raw(), load_reference()
    cfg = parse_spec({**BASE, "xfel": {"probe": {"U_c": -1.0, "Gamma": 0.1}}}).xfel
    out = scan_summary(raw, ref, cfg, box=[])
    # whole box: paired −2.0 … −1.0, unpaired −3.0 … −2.0 → overlap at −2; at fixed U_c 1 eV apart: U_c decides
    assert out["full"]["label"] == "not discriminating" and out["full"]["deciding"] == "U_c"
    assert out["doping"]["allowed"] == {"paired": {"values": [-1.0], "range": [-1.0, -1.0]}, "unpaired_U0.5": {"values": [0.0], "range": [0.0, 0.0]}}
    # allowed part: paired −1.5 (U_c = −1), unpaired −2.0 (U_c = 0): separated
    c = out["constrained"]
    assert c["label"] == "discriminating" and c["distributions"]["paired"]["median_eV"] == pytest.approx(-1.5)
    assert c["distributions"]["unpaired"]["max_eV"] == pytest.approx(-2.0)
    assert "does not separate" in out["headline"] and "Restricted to the U_c that reproduce" in out["headline"]
    assert out["headline_points"]["paired"]["separation"] == pytest.approx(-1.5)
    assert points_of_dataset(scan_dataset(raw, ref)) == scan_points(raw)


def _weak_pair(alpha: float):
    """The dimer's paired model pumped at its own E_G (resonant) and calibrated to ``alpha``: the prepared (linear-response)
    and the evolved record, each through JSON as the checkpoints hold them."""
    spec = parse_spec(data())
    fit = {**FIT, "E_G": Context(spec, build_system(spec)).evaluate(U=FIT["U"], V=FIT["V"], breathing=FIT["breathing"])["E_G"]}
    prepared = json.loads(json.dumps(prepare_model(data(), scenario="paired", U=FIT["U"], fit={**fit, "photon_energy": fit["E_G"]}, targets={},
                                                   photon_energy=fit["E_G"], alpha_target=alpha)))
    return prepared, json.loads(json.dumps(evolve_model(data(), prepared)))


def test_evolved_state_tends_to_the_linear_response_state_for_a_weak_resonant_pulse():
    """Resonant pump, α → 0: the full evolution's excited part tends to χ⁽¹⁾. The overlap deficit 1 − |⟨χ̂⁽¹⁾|χ̂_ev⟩| is
    ‖χ⁽³⁾-type corrections‖²-like, O(α): 100× less α must give at least 30× less deficit (a factor 3 of margin on the
    expected 100); the absorbed energy per excitation tends to ħω (one photon each); and the scan point of the evolved
    state equals that of the linear-response state (features moved by far less than the 0.02 eV grid step)."""
    deficits = []
    for alpha in (1e-2, 1e-4):
        prepared, evolved = _weak_pair(alpha)
        c = evolved["check"]
        assert evolved["pumped"]["state"] == "evolved" and c["alpha_lr"] == pytest.approx(alpha, rel=1e-6)
        assert c["alpha_evolved"] == pytest.approx(alpha, rel=5 * alpha)  # saturation ∝ α
        deficits.append(1.0 - c["overlap"])
    assert 0.0 <= deficits[1] < deficits[0] / 30.0 and deficits[1] < 1e-4
    assert c["absorbed_per_photon"] == pytest.approx(1.0, abs=1e-3)  # one ħω per excitation up to O(α) (6.7e-5 at α = 1e-4)
    kw = {"U_c": -1.0, "gammas": [0.1, 0.2], "probe": "long", "lattice": "unrelaxed", "core_hole": "both", "resolution_fwhm": 0.1}
    for lr, ev in zip(scan_point(data(), prepared, **kw), scan_point(data(), evolved, **kw)):
        assert lr["A"] is not None and ev["A"] is not None
        assert ev["A"]["energy"] == pytest.approx(lr["A"]["energy"], abs=1e-3) and ev["B"]["energy"] == pytest.approx(lr["B"]["energy"], abs=1e-3)


def test_pumped_state_axis_in_the_distribution_swings_and_headline():
    """The hand-made scan with an evolved copy of every point, A moved up by 0.8 eV: the axis is a shared parameter of the
    box, its swing is 0.8 eV in both scenarios, the distributions count both states, the headline A − B is given per state,
    the model's check and the relaxed lattice's cut effect (0.3 eV here) are carried to the report, the table keeps the axis."""
    from localpairs.studies.xfel_pumped_axis import pumped_state_sentence, pumped_state_summary
    from localpairs.studies.xfel_verdict import points_of_dataset, scan_dataset, scan_points, scan_summary

    raw, ref = _raw(), load_reference()
    evolved = [{**p, "pumped_state": "evolved", "A": {**p["A"], "energy": p["A"]["energy"] + 0.8}} for p in raw["points"]]
    relaxed = [{**p, "lattice": "relaxed", "kept_weight": 0.97, "kept_separation": p["A"]["energy"] - p["B"]["energy"] + 0.3} for p in evolved
               if p["model"] == "paired"]
    raw["points"] += evolved + relaxed
    check = {"two_photon_ratio": 2.5, "overlap": 0.14, "alpha_lr": 0.05, "alpha_evolved": 0.046}
    raw["models"]["paired"]["evolved"] = check
    cfg = parse_spec({**BASE, "xfel": {"probe": {"U_c": -1.0, "Gamma": 0.1}, "scan": {"pumped_states": ["linear_response", "evolved"]}}}).xfel
    out = scan_summary(raw, ref, cfg, box=[])
    assert out["n_points"] == {"paired": 18, "unpaired": 12} and out["full"]["distributions"]["paired"]["n_found"] == 18
    assert dict(out["full"]["swings"])["the pumped-state model"] == pytest.approx(0.8)
    ps = pumped_state_summary(raw, out, cfg)
    assert ps["values"] == ["linear_response", "evolved"] and ps["swing"] == pytest.approx({"paired": 0.8, "unpaired": 0.8})
    assert ps["headline"]["linear_response"]["paired"] == pytest.approx(-1.5) and ps["headline"]["evolved"]["paired"] == pytest.approx(-0.7)
    assert ps["headline"]["evolved"]["unpaired"] == pytest.approx(-2.5 + 0.8)
    [row] = ps["rows"]
    assert row["model"] == "paired" and row["overlap"] == 0.14 and row["kept_weight"] == 0.97
    assert row["cut_change_max"] == pytest.approx(0.3) and row["cut_compared"] == row["cut_points"] == 6
    table = scan_dataset(raw, ref)
    assert set(table["pumped_state"].values) == {"linear_response", "evolved"} and points_of_dataset(table) == scan_points(raw)
    sentence = pumped_state_sentence(ps)
    assert "paired −1.50 eV → −0.70 eV".replace("−", "-") in sentence and "unpaired 0.80 eV" in sentence
    assert pumped_state_sentence({**ps, "values": ["evolved"]}) == ""


def test_box_rows_name_the_pumped_state_axis():
    spec = parse_spec(data())
    rows = {r["parameter"]: r for r in box_rows(Context(spec, build_system(spec)), load_reference())}
    assert rows["pumped state"]["values"] == ["linear_response", "evolved"]
    assert "same calibrated fluence" in rows["pumped state"]["source"] and "dropped" in rows["pumped state"]["source"]


@pytest.mark.parametrize("bad", [["sudden"], ["linear"]])
def test_bad_pumped_state_names_the_field_the_value_and_what_is_allowed(bad):
    with pytest.raises(SpecError) as err:
        parse_spec({**BASE, "xfel": {"scan": {"pumped_states": bad}}})
    text = str(err.value)
    assert "xfel.scan.pumped_states" in text and repr(bad[0]) in text and "'linear_response'" in text and "'evolved'" in text
