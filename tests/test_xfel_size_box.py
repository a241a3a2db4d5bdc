"""The cluster-size axis of the XFEL box (issue 12 item 5 over the box): the 12-site code path on a small stand-in cluster.

- one set of chains per (model, U_c), its poles broadened for every Γ, equals a fresh computation at each Γ, and the
  Voigt broadening from the poles equals the continued-fraction Lorentzian convolved numerically with the resolution;
- the N + 1 hopping matrix built once plus the core hole as a diagonal equals the matrix rebuilt with the core-hole term
  (dense), both Hermitian, and their Lanczos chains give the same spectrum;
- the spec: ``twelve_sites_U_c`` validated by the schema (so ``localpairs check`` refuses it), the U_c run;
- checkpoints per (model, U_c): a rerun builds no state; the rows and verdicts from synthetic points.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from test_xfel import BASE, SMALL

from localpairs.analysis.discrimination import Experiment, Feature, ScanPoint
from localpairs.analysis.size_figures import ab_vs_core_hole
from localpairs.cli import main as cli_main
from localpairs.hamiltonians.model import Term
from localpairs.solvers import build_basis, hamiltonian_matrix
from localpairs.solvers.lanczos import broadened_spectrum, lanczos_chain
from localpairs.solvers.lanczos_chain import FWHM_PER_SIGMA
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.xas import _hole_diagonal, _hole_fields
from localpairs.spec import SpecError, parse_spec
from localpairs.studies.checkpoints import Checkpoints
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import dxas_point, pumped_scenario
from localpairs.studies.xfel_probe_models import ground_chains
from localpairs.studies.xfel_size_box import box_point, point_name, run_size_box, twelve_site_model, twelve_site_U_c
from localpairs.studies.xfel_size_verdict import size_rows, size_verdicts

RUNS = Path(__file__).resolve().parents[1] / "runs"
FIT = {"U": -1.0, "V": 0.15, "breathing": 0.3}
GAMMAS = [0.075, 0.1, 0.2]
RES = 0.106  # the instrument's resolution FWHM at 529 eV (eV)
#: The same chains broadened twice: only the summation order differs (round-off of the spectra).
SAME_CHAINS = 1e-9
#: Riemann-sum convolution on a 1 meV grid against the exact Voigt: the Gaussian (σ = 45 meV) is sampled 45 times per σ,
#: the Lorentzian tails beyond ±6 eV hold Γ/(π 6 eV) ≈ 1 % of a line's weight spread flat (below 1e-3 of the peak).
CONVOLUTION_TOL = 2e-3
#: Dense matrices of the same operator built two ways: round-off only.
EXACT = 1e-12


def _small(**scan):
    """The stand-in: the 2×2×1 plaquette (open), the study's [xfel] at small settings, the pump at the model's E_G."""
    s = parse_spec({**BASE, "cluster": {"shape": "2x2x1", "periodic": False},
                    "xfel": {**SMALL, "scan": {**SMALL["scan"], "Gamma": GAMMAS, **scan}}})
    return s, {**FIT, "E_G": Context(s, build_system(s)).evaluate(**FIT)["E_G"]}


def test_poles_once_then_broaden_equals_a_fresh_computation_per_gamma():
    """box_point (one chain set, every Γ) gives the features that a fresh scenario computes at each Γ on its own."""
    s, fit = _small()
    sc, rec = twelve_site_model(s, fit, alpha_target=0.05)
    assert rec["dimension"] == sc.psi0.size and rec["alpha_per_fluence"] > 0
    got = box_point(sc, U_c=-1.0, gammas=GAMMAS, core_hole="both", resolution_fwhm=RES)
    assert not [k for k in sc._cache if isinstance(k, tuple) and k[0] in ("ground", "excited")]  # the U_c's chains are freed
    assert [p["Gamma"] for p in got["points"]] == GAMMAS and any(p["separation"] is not None for p in got["points"])
    for p in got["points"]:
        fresh = dxas_point(scenario=pumped_scenario(s, fit, fluence=sc.fluence), U_c=-1.0, Gamma=p["Gamma"], core_hole="both",
                           probe_model="long", resolution_fwhm=RES)
        assert bool(fresh["found"]) == (p["separation"] is not None)
        if p["separation"] is not None:
            assert p["separation"] == pytest.approx(fresh["separation"], abs=SAME_CHAINS)
            for side in ("A", "B"):
                assert p[side]["energy"] == pytest.approx(fresh[f"{side}_energy"], abs=SAME_CHAINS)
                assert p[side]["amplitude"] == pytest.approx(fresh[f"{side}_amplitude"], rel=SAME_CHAINS)


def test_voigt_from_poles_equals_the_lorentzian_convolved_with_the_resolution():
    """Each Γ from the poles found once: the continued fraction at Γ convolved numerically with the Gaussian is the same spectrum."""
    s, fit = _small()
    sc, _ = twelve_site_model(s, fit, alpha_target=0.05)
    m, cache, _ = sc.model("unrelaxed")
    chains = ground_chains(m, sc.context.system.sector, sc.psi0, e0=sc.e0, U_c=-1.0, core_hole="both", n_steps=30, cache=cache)
    h = 1e-3
    fine = np.arange(-12.0, 16.0, h)
    omega = np.arange(-2.0, 6.0, 0.05)
    sigma = RES / FWHM_PER_SIGMA
    kernel = np.exp(-0.5 * (np.arange(-8 * sigma, 8 * sigma + h / 2, h) / sigma) ** 2)
    kernel /= kernel.sum()
    for g in GAMMAS:
        voigt = chains.spectrum(omega, Gamma=g, gaussian_fwhm=RES)
        lorentz = chains.spectrum(fine, Gamma=g)
        convolved = np.interp(omega, fine, np.convolve(lorentz, kernel, mode="same"))
        assert np.abs(voigt - convolved).max() <= CONVOLUTION_TOL * voigt.max()
    assert all(c._poles for c in chains.chains if c.n_steps)  # poles found once and kept


def test_shared_n_plus_1_matrix_plus_core_hole_diagonal_equals_the_rebuilt_matrix():
    """H(N + 1) built once + U_c(n_i + n_j) as a diagonal = the matrix of the model with the core-hole term (dense), Hermitian;
    the Lanczos chains of both give the same spectrum."""
    s, _ = _small()
    ctx = Context(s, build_system(s))
    m = ctx.model(**FIT)
    sec = ctx.system.sector
    tsec = replace(sec, n_up=sec.n_up + 1)
    cache = SectorCache(m)
    shared = cache.matrix(tsec)
    bond = m.cluster.bonds[0]
    i, j = bond.i, bond.j
    (field, _), = _hole_fields(i, j, i, "both")
    phi = np.random.default_rng(3).standard_normal(shared.shape[0])
    omega = np.linspace(-3.0, 8.0, 300)
    for U_c in (-1.0, -3.0):
        assert cache.matrix(tsec) is shared  # built once for every U_c
        with_diagonal = shared.toarray() + np.diag(_hole_diagonal(U_c, field, cache.occupation(tsec)))
        hole = tuple(Term(op, tuple((U_c * w, site) for site, w in field)) for op in ("n|", "|n"))
        rebuilt_model = replace(m, terms=(*m.terms, *hole))
        rebuilt = hamiltonian_matrix(rebuilt_model, build_basis(rebuilt_model, tsec)).toarray()
        assert np.abs(with_diagonal - rebuilt).max() <= EXACT * np.abs(rebuilt).max()
        for h in (with_diagonal, rebuilt):
            assert np.linalg.norm(h - h.conj().T) <= EXACT * np.linalg.norm(h)
        a = lanczos_chain(shared, phi, n_steps=40, diagonal=_hole_diagonal(U_c, field, cache.occupation(tsec)), reorthogonalize=True)
        b = lanczos_chain(sp.csr_matrix(rebuilt), phi, n_steps=40, reorthogonalize=True)
        sa, sb = (broadened_spectrum(c, omega, e_ref=0.0, eta=0.1) for c in (a, b))
        assert np.abs(sa - sb).max() <= 1e-9 * sa.max()


@pytest.mark.parametrize("scan, message", [
    ({"twelve_sites": True, "twelve_sites_U_c": [-0.5]}, "twelve_sites_U_c"),
    ({"twelve_sites": False, "twelve_sites_U_c": [-1.0]}, "twelve_sites = true"),
    ({"twelve_sites": True, "twelve_sites_U_c": [-1.0, -1.0]}, "distinct"),
    ({"twelve_sites": True, "twelve_sites_U_c": []}, "twelve_sites_U_c"),
])
def test_spec_refuses_twelve_site_U_c_outside_the_box(scan, message):
    """Values not in U_c, the list without the switch, repeats, an empty list: refused by the schema."""
    with pytest.raises(SpecError, match=message):
        parse_spec({**BASE, "xfel": {**SMALL, "scan": {**SMALL["scan"], **scan}}})


@pytest.mark.parametrize("line, switch", [("twelve_sites_U_c = [-0.7]", "true"), ("twelve_sites_U_c = [-1.0]", "false")])
def test_check_refuses_what_run_refuses(line, switch, tmp_path, capsys):
    """``localpairs check`` on the shipped spec with a bad twelve_sites_U_c: refused, naming the key."""
    text = (RUNS / "babio3_xfel.toml").read_text()
    shipped = "twelve_sites = true\ntwelve_sites_U_c = [-3.0, -2.0, -1.0, 0.0]"
    assert shipped in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(shipped, f"twelve_sites = {switch}\n{line}"))
    assert cli_main(["check", str(path)]) != 0
    assert "twelve_sites_U_c" in capsys.readouterr().err
    good = tmp_path / "good.toml"
    good.write_text(text)
    assert cli_main(["check", str(good)]) == 0


def test_the_U_c_run_on_twelve_sites():
    """Default: every U_c of the box; a subset gets the headline U_c added; off: none."""
    box = [-1.0, 0.0]
    on = parse_spec({**BASE, "xfel": {**SMALL, "scan": {**SMALL["scan"], "twelve_sites": True}}}).xfel.scan
    assert twelve_site_U_c(on, -1.0) == box
    sub = parse_spec({**BASE, "xfel": {**SMALL, "scan": {**SMALL["scan"], "twelve_sites": True, "twelve_sites_U_c": [0.0]}}}).xfel.scan
    assert twelve_site_U_c(sub, -1.0) == box and twelve_site_U_c(sub, None) == [0.0]
    assert twelve_site_U_c(parse_spec({**BASE, "xfel": SMALL}).xfel.scan, -1.0) == []


def test_points_are_checkpointed_and_a_rerun_builds_no_state(tmp_path, monkeypatch):
    """Every (model, U_c) is one checkpoint; the second run reads them all and never builds a 12-site state."""
    s, fit = _small()
    models = {"paired": {"scenario": "paired", "U": FIT["U"], "fit": fit}}
    kw = {"U_cs": [-1.0, 0.0], "resolution_fwhm": RES, "alpha_target": 0.05, "photon_energy": fit["E_G"]}
    first = run_size_box(s, Checkpoints(tmp_path, "k"), models, **kw)
    assert first["computed"] == 2 and (tmp_path / "checkpoints" / f"{point_name('paired', 0.0)}.json").exists()

    def refuse(*args, **kwargs):
        raise AssertionError("a rerun from checkpoints built a state")
    monkeypatch.setattr("localpairs.studies.xfel_size_box.twelve_site_model", refuse)
    again = run_size_box(s, Checkpoints(tmp_path, "k"), models, **kw)
    assert again["computed"] == 0 and again["models"] == first["models"]


def _point(scenario, U_c, sep, sites, *, U=-1.0, lattice="unrelaxed", err=0.05, pumped_state="linear_response"):
    A, B = Feature(528.0 + sep, err, 1.0), Feature(528.0, err, -1.0)
    return ScanPoint(scenario, U_c, 0.1, U, "long", lattice, sites, 2.0, A, B, pumped_state=pumped_state)


def test_rows_compare_like_with_like_pumped_states():
    """The 12-site points are linear-response states: an 8-site evolved-state point at the same (model, U_c, Γ) is neither
    their twin in the rows nor replaced by them (the merged box once compared 12-site χ̂⁽¹⁾ with the 8-site evolved state)."""
    exp = Experiment(separation=-1.0, photon_energy=1.96, resolution_fwhm=0.1)
    p8 = [_point("paired", -1.0, -1.0, 8), _point("paired", -1.0, -3.0, 8, pumped_state="evolved"), _point("unpaired", -1.0, -2.0, 8, U=0.5)]
    p12 = [_point("paired", -1.0, -1.05, 12)]
    rows = size_rows(p8, p12, exp)
    assert len(rows) == 1 and rows[0]["sep8"] == pytest.approx(-1.0) and rows[0]["verdict"] == "converged"
    assert rows[0]["change"] == pytest.approx(-0.05)
    # in "12 sites replacing 8" the evolved 8-site point stays and the linear-response one is replaced
    replaced = size_verdicts(p8, p12, exp)["blocks"]["12 sites replacing 8"]
    assert replaced is not None and replaced["distributions"]["paired"]["min_eV"] == pytest.approx(-3.0)


def test_rows_say_not_converged_beyond_the_tolerance_and_the_verdict_change():
    """|Δ| within the larger point tolerance: converged, beyond it not; the verdict over the box changes when 12 sites overlap."""
    exp = Experiment(separation=-1.0, photon_energy=1.96, resolution_fwhm=0.1)  # tolerance sqrt(2·0.05² + 2·0.05²) = 0.1 eV
    p8 = [_point("paired", -1.0, -1.0, 8), _point("unpaired", -1.0, -2.0, 8, U=0.5), _point("paired", -1.0, -1.1, 8, lattice="relaxed")]
    p12 = [_point("paired", -1.0, -1.05, 12), _point("unpaired", -1.0, -1.0, 12, U=0.5)]
    rows = size_rows(p8, p12, exp)
    assert [(r["scenario"], r["verdict"]) for r in rows] == [("paired", "converged"), ("unpaired", "not converged")]
    assert rows[1]["change"] == pytest.approx(1.0) and rows[0]["tolerance"] == pytest.approx(0.1)
    v = size_verdicts(p8, p12, exp)
    assert v["labels"]["8 sites"] == "discriminating" and v["labels"]["12 sites replacing 8"] == "not discriminating"
    assert v["changed"] is True


def test_figure_has_labelled_axes():
    panels = [{"title": "paired, U = -1.00 eV", "U_c": [-1.0, 0.0], "curves": [
        {"sites": n, "Gamma": g, "values": [-1.0 + 0.1 * n / 12, None]} for n in (8, 12) for g in (0.1, 0.2)]}]
    fig = ab_vs_core_hole(panels, measured=-1.0, title="t")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "core-hole potential U_c (eV)" and ax.get_ylabel() == "A − B (eV)" and len(ax.lines) == 5


@pytest.mark.slow
def test_study_reports_the_cluster_size_axis(tmp_path, monkeypatch):
    """The whole study on the dimer with the 2×2×1 plaquette standing in for 12 sites: the axis table, the verdicts with and
    without it, the figures; a rerun rewrites no checkpoint."""
    from localpairs.studies import run_study

    small = parse_spec({**BASE, "cluster": {"shape": "2x2x1", "periodic": False}, "xfel": SMALL})
    monkeypatch.setattr("localpairs.studies.xfel_size_verdict.twelve_site_spec", lambda spec: spec.model_copy(update={"cluster": small.cluster}))
    s = parse_spec({**BASE, "xfel": {**SMALL, "scan": {**SMALL["scan"], "twelve_sites": True, "twelve_sites_U_c": [0.0]}}})
    text = run_study(s, tmp_path).read_text()
    assert "### Cluster-size axis: 12 sites over U_c × Γ" in text and "Cluster-size axis (12 sites at U_c = -1, 0 eV" in text
    rows = re.findall(r"^\| (?:un)?paired \| [-+\d.]+ \| (?:-1|0) \| 0\.[12] \| .*$", text, re.M)
    assert len(rows) == 8  # 2 models × 2 U_c (0 asked for, −1 the headline's) × 2 Γ
    assert all(line.rstrip(" |").rsplit("|", 1)[1].strip().startswith(("converged", "not converged", "no A − B")) for line in rows)
    assert "| 12 sites replacing 8 |" in text and "| cluster size (sites) | 2, 12 |" in text
    assert all((tmp_path / f"ab_sizes_{sc}.png").is_file() for sc in ("paired", "unpaired"))
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "checkpoints").iterdir()}
    assert f"{point_name('paired', 0.0)}.json" in stamps
    run_study(s, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "checkpoints").iterdir()} == stamps


def test_twelve_site_spec_caps_the_lanczos_steps():
    """12 sites: at most TWELVE_SITE_LANCZOS_STEPS per chain (the measured need of Γ ≥ 0.075 eV), the spec's own when smaller."""
    from localpairs.studies.xfel_sizes import TWELVE_SITE_LANCZOS_STEPS, twelve_site_spec

    long_chains = parse_spec({**BASE, "xfel": {**SMALL, "probe": {**SMALL["probe"], "lanczos_steps": 150}}})
    assert twelve_site_spec(long_chains).xfel.probe.lanczos_steps == TWELVE_SITE_LANCZOS_STEPS == 100
    assert twelve_site_spec(parse_spec({**BASE, "xfel": SMALL})).xfel.probe.lanczos_steps == SMALL["probe"]["lanczos_steps"]


def test_chi_decomposition_shared_across_U_c_equals_a_fresh_one():
    """χ̂'s symmetries and Ritz decomposition do not depend on U_c: reused at U_c = −3 eV from the U_c = −1 eV chains, the
    long-probe spectrum equals a fresh computation (same arithmetic: round-off); another tolerance is refused."""
    from localpairs.errors import InputError
    from localpairs.solvers.spectra.windowed_chains import windowed_xas_chains

    s, fit = _small()
    sc, _ = twelve_site_model(s, fit, alpha_target=0.05)
    m, cache, chi_hat = sc.model("unrelaxed")
    sec, grid = sc.context.system.sector, np.arange(-4.0, 8.0, 0.05)
    kw = {"Gamma": 0.075, "n_steps": 30, "cache": cache}
    first = windowed_xas_chains(m, sec, chi_hat, grid, U_c=-1.0, **kw)
    shared = windowed_xas_chains(m, sec, chi_hat, grid, U_c=-3.0, prepared=first.prepared, **kw)
    fresh = windowed_xas_chains(m, sec, chi_hat, grid, U_c=-3.0, **kw)
    assert shared.prepared is first.prepared and fresh.prepared is not first.prepared
    a, b = (c.spectrum(grid, Gamma=0.1, gaussian_fwhm=RES) for c in (shared, fresh))
    assert np.abs(a - b).max() <= SAME_CHAINS * b.max()
    assert np.abs(a - first.spectrum(grid, Gamma=0.1, gaussian_fwhm=RES)).max() > 1e-3 * b.max()  # U_c does change the spectrum
    with pytest.raises(InputError, match="prepared"):
        windowed_xas_chains(m, sec, chi_hat, grid, U_c=-3.0, prepared=first.prepared, **{**kw, "Gamma": 0.2})
