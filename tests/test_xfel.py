"""The XFEL comparison study: spec validation, the forward model of the fits against the Hubbard
dimer in closed form, the split of a pumped state for the probe, and a small end-to-end run."""

import math
import re
import time

import numpy as np
import pytest

from localpairs.analysis.spectral_edges import merge_poles
from localpairs.errors import InputError
from localpairs.solvers import solve
from localpairs.solvers.spectra.xas import excited_part, xas
from localpairs.spec import SpecError, parse_spec
from localpairs.studies import run_study
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context, fit_scenario
from localpairs.studies.xfel_probe import check_pump_axis
from localpairs.studies.xfel_summary import ab_rows, shift_rows

T = 0.33
BASE = {
    "title": "xfel smoke",
    "study": "xfel",
    "cluster": {"shape": "dimer", "periodic": False},
    "model": {"kind": "extended_hubbard", "t": T, "V": 0.15, "U": -1.0, "breathing": 0.3},
}

SMALL = {
    "fit": {"max_nfev": 8},
    "pump": {"delays": [0.0, 5.0], "fluence_factors": [1.0, 2.0], "fluence": 1e-3, "duration": 10.0, "evolution_tol": 1e-4},
    "probe": {"omega_step": 0.1, "lanczos_steps": 30},
    "percolation": {"sizes": [4, 6, 8], "samples": 10},
    "tunnelling": {"sites": [1, 2, 3]},
    "tc": {"x": [0.4, 0.45]},
    "scan": {"U_c": [-1.0, 0.0], "Gamma": [0.1, 0.2], "U_unpaired": [0.5], "workers": 0},  # a small box, no Dask: the CI run stays fast
}

# Energies from 3×3 matrices and closed forms are exact up to the eigensolver: round-off only.
EXACT = 1e-9
# The fits stop at xtol = 1e-3 (relative step) on smooth residuals: the targets are met to ~1e-3 eV.
FIT_TOL = 5e-3


def spec(**xfel):
    return parse_spec({**BASE, "xfel": xfel})


def dimer_ctx(**xfel) -> Context:
    s = spec(**xfel)
    return Context(s, build_system(s))


def test_defaults_validate():
    s = spec()
    assert s.xfel.probe.Gamma == 0.2 and s.xfel.fit.targets == ["E_G", "E_a"] and s.xfel.peaks.min_amplitude == 0.05


@pytest.mark.parametrize("bad, key", [
    ({"fluence_typo": 1.0}, "xfel.fluence_typo"),
    ({"fluence_scan": [8.0, 16.0]}, "xfel.fluence_scan"),  # replaced by fluence_factors
    ({"pump": {"fluence_scan": [8.0, 16.0]}}, "xfel.pump.fluence_scan"),
    ({"fluence": 0.01}, "xfel.fluence is now xfel.pump.fluence"),  # the former flat key points to its table
    ({"probe": {"Gamma": -0.1}}, "xfel.probe.Gamma"),
    ({"pump": {"delays": [10.0, 5.0]}}, "xfel.pump.delays"),
    ({"fit": {"U_guess": 1.0}}, "xfel.fit.U_guess"),
    ({"fit": {"U_guess": -7.0}}, "xfel.fit.U_min"),
    ({"fit": {"U_unpaired": 0.5}}, "xfel.fit.U_unpaired is replaced by xfel.fit.U_guess_unpaired"),
    ({"fit": {"paired_targets": ["E_G"]}}, "xfel.fit.paired_targets is replaced by xfel.fit.targets"),
    ({"fit": {"U_guess_unpaired": -0.5}}, "xfel.fit.U_guess_unpaired"),
    ({"fit": {"U_guess_unpaired": 3.0, "U_max": 2.0}}, "xfel.fit.U_max"),
    ({"fit": {"breathing_guess_unpaired": 1.5}}, "xfel.fit.breathing_guess_unpaired"),
    ({"peaks": {"window": [5.0, 1.0]}}, "xfel.peaks.window"),
    ({"peaks": {"window": [-3.0, 9.0]}}, "xfel.peaks.window"),  # beyond xfel.probe.omega_span
    ({"probe": {"omega_span": [2.0, 1.0]}}, "xfel.probe.omega_span"),
    ({"pump": {"fluence": "8"}}, "xfel.pump.fluence"),
    ({"peaks": {"min_amplitude": 1.5}}, "xfel.peaks.min_amplitude"),
    ({"fit": {"targets": ["E_G", "E_x"]}}, "xfel.fit.targets"),
    ({"fit": {"targets": ["E_G", "E_G"]}}, "xfel.fit.targets"),
    ({"pump": {"max_probe_excitation": 0.0}}, "xfel.pump.max_probe_excitation"),
    ({"pump": {"fluence_factors": [1.0, 1.0]}}, "xfel.pump.fluence_factors"),
    ({"percolation": {"sizes": [8, 8]}}, "xfel.percolation.sizes"),
    ({"probe": {"probe_model": "exact"}}, "xfel.probe.probe_model"),
    ({"probe": {"probe_model": "finite"}}, "xfel.probe.probe_fwhm"),  # the finite probe needs its FWHM
    ({"probe": {"probe_fwhm": 10.0}}, "xfel.probe.probe_fwhm"),  # the others take none
    ({"probe": {"probe_model": "finite", "probe_fwhm": 10.0, "core_hole": "site"}}, "xfel.probe.core_hole"),
    ({"probe": {"core_hole": "middle"}}, "xfel.probe.core_hole"),
    ({"probe": {"core_hole": [1.0]}}, "xfel.probe.core_hole"),
])
def test_bad_spec_names_key(bad, key):
    with pytest.raises(SpecError, match=re.escape(key)):
        spec(**bad)


def test_refuses_pump_along_periodic_axis_of_length_two(tmp_path):
    """On the fully periodic cube the x current vanishes: refused before any work, with the reason."""
    s = parse_spec({**BASE, "cluster": {"shape": "cube", "periodic": True}, "xfel": SMALL})
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match=r"cluster\.periodic") as err:
        run_study(s, tmp_path)
    assert time.perf_counter() - t0 < 30.0  # no fit, no evolution
    assert "opposite Peierls" in str(err.value) and "[false, true, true]" in str(err.value)
    open_x = build_system(parse_spec({**BASE, "cluster": {"shape": "cube", "periodic": [False, True, True]}})).cluster
    check_pump_axis(open_x)  # x open: accepted
    with pytest.raises(InputError, match="axis y"):
        check_pump_axis(open_x, (0.0, 1.0, 0.0))


# ---------------------------------------------------------------- forward model vs the dimer
def dimer_reference(U: float, V: float, D: float, fraction: float = 0.1) -> dict[str, float]:
    """E_G, E_a, E_b of the two-site extended Hubbard model with site energies ∓D, by hand.

    Two electrons, singlet basis (|20⟩, |02⟩, |S⟩): H = [[U − 2D, 0, −√2t], [0, U + 2D, −√2t],
    [−√2t, −√2t, V]]; the forward hop K (site 1 → 0) has ⟨20|K|S⟩ = ⟨S|K|02⟩ = √2 and the current
    is ∝ i(K − K†). One electron: −√(D² + t²); three: U + 2V − √(D² + t²); zero and four: 0, 2U + 4V.
    E_G: lowest pole with ≥ ``fraction`` of Σ|⟨n|j|0⟩|²/ω_n.
    """
    r2 = math.sqrt(2.0)
    H = np.array([[U - 2 * D, 0, -r2 * T], [0, U + 2 * D, -r2 * T], [-r2 * T, -r2 * T, V]])
    K = np.array([[0, 0, r2], [0, 0, 0], [0, r2, 0]])
    j = 1j * (K - K.T)
    w, v = np.linalg.eigh(H)
    amp = np.abs(v.conj().T @ j @ v[:, 0]) ** 2
    omega = w - w[0]
    weight = np.where(omega > 1e-9, amp / np.where(omega > 1e-9, omega, 1.0), 0.0)
    e_g = float(omega[np.flatnonzero(weight >= fraction * weight.sum())[0]])
    e1 = -math.sqrt(D * D + T * T)
    energies = {0: 0.0, 1: e1, 2: w[0], 3: U + 2 * V + e1, 4: 2 * U + 4 * V}
    d1 = energies[3] + energies[1] - 2 * energies[2]
    d2 = 0.5 * (energies[4] + energies[0] - 2 * energies[2])
    return {"E_G": e_g, "E_a": d2 / 2, "E_b": d1 - d2}


@pytest.mark.parametrize("U, V, D", [(-1.0, 0.0, 0.0), (-1.2, 0.1, 0.2), (0.5, 0.05, 0.6), (-2.5, 0.0, 0.36)])
def test_evaluate_matches_dimer_by_hand(U, V, D):
    got = dimer_ctx().evaluate(U, V, D)
    ref = dimer_reference(U, V, D)
    for k in ("E_G", "E_a", "E_b"):
        assert got[k] == pytest.approx(ref[k], abs=EXACT), k


def test_evaluate_closed_form_at_zero_breathing():
    """PHYSICS.md: E2 = (U+V)/2 − √((U−V)²/4 + 4t²); the odd doublon state at U is the optical one."""
    U, V = -1.0, 0.1
    e2 = (U + V) / 2 - math.sqrt((U - V) ** 2 / 4 + 4 * T * T)
    got = dimer_ctx().evaluate(U, V, 0.0)
    assert got["E_G"] == pytest.approx(U - e2, abs=EXACT)
    assert got["E_a"] == pytest.approx((U + 2 * V - e2) / 2, abs=EXACT)
    assert got["E_b"] == pytest.approx(-2 * T - e2, abs=EXACT)


def test_fits_reach_reachable_targets():
    """Targets made by hand at known parameters are met by both fits, which are alike (same fitted
    parameters, targets and fixed V). The fitted point reproduces the targets in the closed-form
    dimer (an independent evaluation); it need not be the point the targets were made at: on the
    U > 0 dimer (U, Δ) = (0.5, 0.6) and (1.18, …) give the same E_G and E_a."""
    ctx = dimer_ctx(fit={"U_guess": -1.5, "breathing_guess": 0.1, "U_guess_unpaired": 0.8, "breathing_guess_unpaired": 0.3, "V": 0.1})
    for name, (U, D) in (("paired", (-1.2, 0.2)), ("unpaired", (0.5, 0.6))):
        truth = dimer_reference(U, 0.1, D)
        fit = fit_scenario(ctx, name, {k: truth[k] for k in ("E_G", "E_a")})
        assert fit["converged"] and fit["fitted"] == ["U", "breathing"] and fit["fixed"]["V"] == 0.1, name
        for k, r in fit["residuals"].items():
            assert abs(r) < FIT_TOL, (name, k, r)
        again = dimer_reference(fit["U"], 0.1, fit["breathing"])
        for k in ("E_G", "E_a"):
            assert again[k] == pytest.approx(truth[k], abs=FIT_TOL), (name, k)
        assert (fit["U"] < 0) == (name == "paired")
        assert fit["bounds_needed"] == [], name


def test_fit_at_fixed_U_fits_breathing_alone():
    """fit_scenario(U=...): U held where asked, Δ alone fitted (one free parameter). E_G made by hand at (U, Δ) on the dimer
    is met, and the fitted Δ reproduces it in the closed form; with two targets one parameter leaves the E_a residual
    the closed form gives at the fitted point. A U outside the scenario's bounds is refused, naming the field."""
    ctx = dimer_ctx(fit={"breathing_guess_unpaired": 0.3, "V": 0.1})
    truth = dimer_reference(1.0, 0.1, 0.6)
    fit = fit_scenario(ctx, "unpaired", {"E_G": truth["E_G"]}, U=1.0)
    assert fit["U"] == 1.0 and fit["fitted"] == ["breathing"] and fit["fixed"]["U"] == 1.0 and list(fit["bounds"]) == ["breathing"]
    assert fit["converged"] and abs(fit["residuals"]["E_G"]) < FIT_TOL
    assert dimer_reference(1.0, 0.1, fit["breathing"])["E_G"] == pytest.approx(truth["E_G"], abs=FIT_TOL)
    both = fit_scenario(ctx, "unpaired", {"E_G": truth["E_G"], "E_a": truth["E_a"] + 0.3}, U=1.0)  # E_a unreachable together
    again = dimer_reference(1.0, 0.1, both["breathing"])
    assert both["residuals"]["E_a"] == pytest.approx(again["E_a"] - truth["E_a"] - 0.3, abs=EXACT) and abs(both["residuals"]["E_a"]) > 0.05
    with pytest.raises(InputError, match="U of the unpaired scenario"):
        fit_scenario(ctx, "unpaired", {"E_G": 1.0}, U=-0.5)


def test_unreachable_target_is_reported_not_hidden():
    """An E_G beyond what U ≤ U_max and Δ ≤ breathing_max can give: the fit stops at the bounds,
    says so and says what it would need beyond them (linearised), with finite residuals."""
    ctx = dimer_ctx(fit={"breathing_max": 0.8, "breathing_guess_unpaired": 0.5, "U_guess_unpaired": 0.2, "U_max": 0.5, "V": 0.0})
    fit = fit_scenario(ctx, "unpaired", {"E_G": 5.0})
    assert any(text.startswith("breathing = upper bound 0.8 (the fit would need breathing ≈") for text in fit["at_bound"]), fit["at_bound"]
    needed = {b["parameter"]: b for b in fit["bounds_needed"]}
    assert needed["breathing"]["needs"] > 0.8
    assert fit["residuals"]["E_G"] < -1.0 and math.isfinite(fit["residuals"]["E_G"])


def test_beyond_bounds_is_the_unconstrained_solution_of_a_linear_problem():
    """For linear residuals r = J x − y one Gauss–Newton step from the bound point is the exact
    unconstrained least-squares solution: the reported 'needs' is that solution's coordinate."""
    from localpairs.studies.xfel_fit import beyond_bounds

    J = np.array([[1.0, 0.5], [0.2, 2.0]])
    y = np.array([-0.7, 1.0])
    exact = np.linalg.solve(J, y)  # x = (−1.0…, 0.6…): the first coordinate wants U < 0
    x = np.array([0.0, 0.4])  # at the lower bound of the first parameter
    out = beyond_bounds(x, J, J @ x - y, [0.0, 0.0], [6.0, 2.0], ["U", "breathing"])
    assert len(out) == 1 and out[0]["parameter"] == "U" and out[0]["side"] == "lower"
    assert out[0]["needs"] == pytest.approx(exact[0], abs=EXACT) and out[0]["residual_norm"] == pytest.approx(0.0, abs=EXACT)
    inward = beyond_bounds(np.array([0.0, 0.4]), J, J @ np.array([0.0, 0.4]) - J @ np.array([0.3, 0.5]), [0.0, 0.0], [6.0, 2.0], ["U", "breathing"])
    assert inward[0]["needs"] is None  # the optimum lies inside: at the bound, but nothing needed beyond


def test_fit_out_of_evaluations_is_flagged():
    """A budget too small to converge: converged False with scipy's reason, finite numbers, no NaN."""
    ctx = dimer_ctx(fit={"max_nfev": 2})
    fit = fit_scenario(ctx, "paired", dimer_reference(-1.2, 0.1, 0.2))
    assert not fit["converged"] and "evaluations" in fit["message"]
    assert all(math.isfinite(v) for v in fit["residuals"].values())


# ---------------------------------------------------------------- the probe: each part from its own energy
def test_excited_part_measured_from_its_own_energy():
    """ψ = √0.9 ψ0 + √0.1 e^{iφ} ψ1 on the dimer (U < 0, V = Δ = 0): χ̂ is ψ1, its energy is U (the odd
    doublon state), and with U_c = 0 its XAS lines sit at ±t (N = 3 energies U ∓ t measured from U),
    not at ±t + (U − E0) as a common reference E0 would put them."""
    U = -1.0
    ctx = dimer_ctx()
    model = ctx.model(U, 0.0, 0.0)
    res = solve(model, ctx.system.sector, n_states=6)
    e0 = res.energies[0]
    i1 = int(np.argmin(np.abs(res.energies - U)))
    assert res.energies[i1] == pytest.approx(U, abs=EXACT)
    psi0, psi1 = res.states[:, 0].astype(complex), res.states[:, i1].astype(complex)
    alpha, chi = excited_part(psi0, math.sqrt(0.9) * psi0 + math.sqrt(0.1) * np.exp(0.7j) * psi1)
    assert alpha == pytest.approx(0.1, abs=EXACT) and abs(np.vdot(psi1, chi)) == pytest.approx(1.0, abs=EXACT)
    ds = xas(model, ctx.system.sector, chi, np.linspace(-2, 2, 41), U_c=0.0, Gamma=0.1)  # e_ref = ⟨χ̂|H|χ̂⟩
    w = ds["pole_weight"].values * ds["weight"].values[:, None]
    e, wt = merge_poles(ds["pole_energy"].values, w, tol=1e-6)
    lines = e[wt > 1e-6 * wt.sum()]
    np.testing.assert_allclose(np.sort(lines), [-T, T], atol=1e-6)
    assert abs(U - e0) > 0.3  # the wrong reference would be off by more than Γ


def test_missing_peaks_give_reasons_not_nan():
    """Report tables built from a spectrum without peak B: 'not available' with the reason, no NaN."""
    from localpairs.analysis.experiment import load_reference

    ref = load_reference()
    ok = {"found": True, "reason": "", "A": 528.2, "B": 529.2, "A_amp": 1.0, "B_amp": -1.0, "separation": 1.0, "signed": -1.0, "A_anywhere": 528.2}
    bad = {"found": False, "reason": "no peak above threshold", "A": None, "B": None, "A_amp": None, "B_amp": None, "separation": None}
    sp = {"delays": [0.0, 60.0], "unrelaxed": {"peaks": [bad, ok]}, "relaxed": {"peaks": [ok, ok]}}
    spectra, fits = {"paired": sp, "unpaired": sp}, {"paired": {"E_G": 1.96}, "unpaired": {"E_G": 1.96}}
    cfg = spec().xfel
    table = ab_rows(ref, fits, spectra, cfg)
    numbers = [v for r in table for v in r.values() if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers) and "nan" not in str(table).lower()
    assert sum("no peak above threshold" in r["reason"] for r in table) == 2
    assert sum(r["verdict"] == r["verdict_hw"] == "consistent" for r in table) == 2  # the found rows: 1.0 eV = 0.51 ħω exactly
    rows = shift_rows(ref, spectra, cfg)
    assert rows[0].model is None and rows[0].verdict == "not available" and "no peak A" in rows[0].note


# ---------------------------------------------------------------- end to end
def test_smoke_run_and_resume(tmp_path):
    s = spec(**SMALL)
    report = run_study(s, tmp_path)
    text = report.read_text()
    assert not re.search(r"\bnan\b", text.lower())  # a NaN number (the word "Provenance" of the shared tail contains "nan")
    rows = [line for line in text.splitlines() if line.startswith(("| paired |", "| unpaired |"))]
    ab = [r for r in rows if "relaxed (" in r]
    assert len(ab) == 4  # two scenarios × (unrelaxed early, relaxed late)
    for line in ab:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert "ħω" in cells[5]
        assert cells[8].split(" (")[0] in ("consistent", "inconsistent", "not available")
    assert text.count("| A shift, ") == 2
    assert "| paired | E_G | 1.96 |" in text and "| unpaired | E_a | 0.24 |" in text  # fitted targets: inputs with residuals
    verdict_names = [line.split("|")[1].strip() for line in text.splitlines() if line.rstrip().endswith(("| consistent |", "| inconsistent |"))
                     or "| consistent |" in line or "| inconsistent |" in line]
    for fitted in ("E_G (paired)", "E_a (paired)", "E_G (unpaired)", "E_a (unpaired)", "α at 8 mJ/cm²"):
        assert not any(name.startswith(fitted) for name in verdict_names), fitted  # an input is never scored as a test
    assert "| E_b (paired) |" in text and "| E_b + 2E_a (unpaired) |" in text  # predictions are
    assert "absorbed / (α ħω)" in text
    # kinetics: the damped lattice against τ3, with its verdict over the γ scan (the dimer's swing is not a clean oscillation)
    assert "**The lattice time from a damped lattice (against τ3).**" in text and "| τ3 (lattice rearrangement), over the γ scan |" in text
    assert (tmp_path / "results.nc").is_file() and (tmp_path / "dxas_paired.png").is_file()
    assert (tmp_path / "checkpoints" / "fit_paired.json").is_file()
    # the nuisance scan: headline, honest peaks, the box with sources, the doping constraint, maps and distribution
    assert "**Headline (nuisance scan, section 4b).** Within the scanned box the ΔXAS A − B signature " in text
    assert "## 4a. Honest peaks" in text and "## 4b. Nuisance scan" in text and "| U_c (eV) | -1.0, 0.0 |" in text
    assert "Allowed U_c: paired:" in text and "review (Sec. 6, its refs. 25, 33, 58)" in text
    assert all((tmp_path / f).is_file() for f in ("ab_map_paired.png", "ab_map_unpaired.png", "ab_distribution.png"))
    assert (tmp_path / "checkpoints" / "scan_point_paired_Uc-1_relaxed_long.json").is_file()
    import xarray as xr

    with xr.open_dataset(tmp_path / "results.nc", group="scan", engine="h5netcdf") as table:  # 2 U_c × 2 Γ × 2 lattices × 2 pumped states per scenario
        assert table.sizes["point"] == 32 and sorted(set(table["scenario"].values.tolist())) == ["paired", "unpaired"]
        assert sorted(set(table["pumped_state"].values.tolist())) == ["evolved", "linear_response"]
        n_found = int((table["found_A"] & table["found_B"] & (table["scenario"] == "paired")).sum())
    assert re.search(rf"^\| paired \| 16 \| {n_found} \| ", text, re.M)  # the distribution row counts what the table holds
    # the pumped-state axis: its check per model, its swing and the headline A − B at both states
    assert "**The pumped-state axis** (linear_response, evolved)" in text and "| pumped state | linear_response, evolved |" in text
    assert "Swing of A − B along the pumped-state axis" in text and "the pumped-state model" in text
    assert re.search(r"^\| paired \| [0-9.e-]+ \| (yes|\*\*no\*\*) \| ", text, re.M)
    # a rerun with nothing changed reuses every checkpoint: none is rewritten
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "checkpoints").iterdir()}
    run_study(s, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "checkpoints").iterdir()} == stamps


@pytest.mark.parametrize("data, text", [
    ({**BASE, "cluster": {"shape": "cube", "periodic": True}, "xfel": {}}, "cluster.periodic"),
    ({**BASE}, "needs a [xfel] section"),
    ({**BASE, "model": {"kind": "fermi_bose"}, "xfel": {}}, "model.kind = 'extended_hubbard'"),
    ({**BASE, "xfel": {"kinetics": {"csv": "/nonexistent/trace.csv"}}}, "xfel.kinetics.csv = '/nonexistent/trace.csv' is not allowed"),
])
def test_check_refuses_what_run_refuses(data, text):
    """`localpairs check` (check_study) refuses, before any fit, what `run` would refuse later."""
    from localpairs.studies import check_study

    with pytest.raises(SpecError) as err:
        check_study(parse_spec(data), source="x.toml")
    assert text in str(err.value) and str(err.value).startswith("x.toml: ")
    check_study(spec())  # the defaults pass


def test_xfel_section_is_the_parsed_section_or_an_error_naming_it():
    from localpairs.studies.xfel_spec import xfel_section

    s = spec(**SMALL)
    assert xfel_section(s) is s.xfel
    ground = parse_spec({**BASE, "study": "ground_state"})
    with pytest.raises(InputError, match=r"^xfel = None is not allowed: an \[xfel\] section \(study = 'ground_state'\)"):
        xfel_section(ground)
