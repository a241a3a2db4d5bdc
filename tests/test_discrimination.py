"""The discrimination verdict on synthetic scan tables whose answer is known by construction."""

import itertools
import math

import numpy as np
import pytest

from localpairs.analysis.discrimination import (
    Experiment,
    Feature,
    ScanPoint,
    ab_map,
    consistent,
    convergence_rows,
    discrimination_verdict,
    distribution,
    margin,
    point_tolerance,
)
from localpairs.errors import InputError

EXP = Experiment(separation=-1.0, photon_energy=1.96, resolution_fwhm=0.1)
UCS = (0.0, -1.0, -2.0)
GAMMAS = (0.1, 0.2)
# Peak-position uncertainty of every synthetic feature (eV): small against the separations built in,
# so that only the cases made to overlap overlap.
SIGMA = 0.05


def point(scenario, U_c, Gamma, sep, *, U=None, probe="long", lattice="unrelaxed", sites=8, sigma=SIGMA, hw=1.96, found=True):
    """A point whose B sits at 529 eV and A at 529 + sep (sep < 0: the experiment's pattern)."""
    U = (-2.5 if scenario == "paired" else 0.5) if U is None else U
    A = Feature(529.0 + sep, sigma, 0.3) if found else None
    B = Feature(529.0, sigma, -0.5)
    return ScanPoint(scenario, U_c, Gamma, U, probe, lattice, sites, hw, A, B)


def table(paired, unpaired, **kw):
    """Both scenarios over UCS × GAMMAS with A − B = paired(U_c, Γ), unpaired(U_c, Γ)."""
    return [point(s, uc, g, f(uc, g), **kw) for s, f in (("paired", paired), ("unpaired", unpaired)) for uc, g in itertools.product(UCS, GAMMAS)]


def test_separated_box_is_discriminating_with_the_margin_by_hand():
    pts = table(lambda uc, g: -1.0 + 0.1 * uc, lambda uc, g: -2.0 + 0.1 * uc + g)
    v = discrimination_verdict(pts)
    # paired A − B ∈ [−1.2, −1.0], unpaired ∈ [−2.1, −1.8]; widened by √2 σ each
    assert v.discriminating and v.label == "discriminating"
    assert v.margin == pytest.approx((-1.2 - math.sqrt(2) * SIGMA) - (-1.8 + math.sqrt(2) * SIGMA), abs=1e-12)
    assert v.deciding == "U_c" and v.swings["U_c"] == pytest.approx(0.2) and v.swings["Gamma"] == pytest.approx(0.1)
    assert "apart over the whole box" in v.text and "U_c (0.20 eV)" in v.text


def test_identical_scenarios_are_not_discriminating_and_no_parameter_decides():
    pts = table(lambda uc, g: -1.0 + 0.3 * uc, lambda uc, g: -1.0 + 0.3 * uc)
    v = discrimination_verdict(pts)
    assert not v.discriminating and v.label == "not discriminating"
    assert "fixing any single nuisance parameter does not separate" in v.text and v.margin < 0


@pytest.mark.parametrize("name", ["U_c", "Gamma"])
def test_one_parameter_decides(name):
    """A − B moves by 0.6 eV per unit of one parameter in both scenarios, which stay 1 eV apart at fixed value:
    over the box they overlap, with that parameter fixed they separate."""
    if name == "U_c":
        pts = table(lambda uc, g: -1.0 + 0.6 * uc, lambda uc, g: -2.0 + 0.6 * uc)
    else:  # Γ ∈ {0.1, 0.2}: 12 eV per eV of Γ moves A − B by 1.2 eV
        pts = table(lambda uc, g: -1.0 - 12 * (g - 0.1), lambda uc, g: -2.0 - 12 * (g - 0.1))
    v = discrimination_verdict(pts)
    assert not v.discriminating and v.deciding == name
    assert "decided by " + {"U_c": "U_c", "Gamma": "Γ"}[name] in v.text


def test_unpaired_U_decides_when_its_values_fall_on_both_sides():
    pts = [point("paired", uc, 0.1, -1.0) for uc in UCS]
    pts += [point("unpaired", uc, 0.1, sep, U=u) for uc in UCS for u, sep in ((0.5, -0.3), (2.0, -2.0))]
    v = discrimination_verdict(pts)
    assert not v.discriminating and v.deciding == "U" and "the unpaired model's U" in v.text


def test_uncertainty_widening_matters():
    """Raw ranges 0.1 eV apart but each point ±0.1 eV: the widened ranges overlap (no verdict from noise)."""
    pts = table(lambda uc, g: -1.0, lambda uc, g: -1.1, sigma=0.1)
    assert margin(pts[:6], pts[6:]) == pytest.approx(0.1 - 2 * math.sqrt(2) * 0.1)
    assert not discrimination_verdict(pts).discriminating
    sharp = table(lambda uc, g: -1.0, lambda uc, g: -1.1, sigma=0.01)
    assert discrimination_verdict(sharp).discriminating


def test_scenario_without_features():
    pts = [point("paired", uc, 0.1, -1.0) for uc in UCS] + [point("unpaired", uc, 0.1, -2.0, found=False) for uc in UCS]
    v = discrimination_verdict(pts)
    assert not v.discriminating and v.margin is None and "unpaired scenario shows no pair" in v.text
    with pytest.raises(InputError, match="both scenarios"):
        discrimination_verdict(pts[:3])


def test_tolerance_and_consistency_by_hand():
    p = point("paired", 0.0, 0.1, -1.2)
    tol = math.sqrt(2 * SIGMA**2 + 2 * 0.05**2)  # σ_exp = 0.1 / 2
    assert point_tolerance(p, EXP) == pytest.approx(tol)
    assert not consistent(p, EXP)  # |−1.2 + 1.0| = 0.2 > 0.1
    assert consistent(point("paired", 0.0, 0.1, -1.0 - 0.99 * tol), EXP)
    assert not consistent(point("paired", 0.0, 0.1, +1.0), EXP)  # |A − B| = 1 eV but A above B: not the experiment's pattern


def test_distribution_counts_and_units():
    pts = [point("paired", uc, 0.1, sep, hw=2.0) for uc, sep in zip(UCS, (-1.0, -1.05, +0.9))]
    pts.append(point("paired", 1.0, 0.1, -1.0, found=False))
    pts.append(point("unpaired", 0.0, 0.1, -2.0))
    d = distribution(pts, "paired", EXP)
    assert (d.n_points, d.n_found, d.n_pattern, d.n_consistent) == (4, 3, 2, 2)
    assert d.fraction_consistent == 0.5 and d.fraction_pattern == 0.5
    np.testing.assert_allclose(d.separations_hw, np.array([-1.0, -1.05, 0.9]) / 2.0)
    s = d.summary()
    assert s["min_eV"] == pytest.approx(-1.05) and s["max_eV"] == pytest.approx(0.9) and s["median_hw"] == pytest.approx(-0.5)


def test_ab_map_grid_and_refusals():
    pts = table(lambda uc, g: uc + 10 * g, lambda uc, g: -2.0)
    pts[0] = point("paired", 0.0, 0.1, 1.0, found=False)
    ucs, gs, grid = ab_map(pts, "paired")
    assert ucs == [-2.0, -1.0, 0.0] and gs == [0.1, 0.2]
    assert math.isnan(grid[2, 0]) and grid[0, 1] == pytest.approx(0.0) and grid[1, 0] == pytest.approx(0.0)
    both = pts + [point("paired", uc, g, -1.0, lattice="relaxed") for uc, g in itertools.product(UCS, GAMMAS)]
    with pytest.raises(InputError, match="lattice"):
        ab_map(both, "paired")
    assert ab_map(both, "paired", select={"lattice": "relaxed"})[2][0, 0] == pytest.approx(-1.0)
    with pytest.raises(InputError, match="select"):
        ab_map(both, "paired", select={"U_c": 0.0})


def test_convergence_rows():
    rows = convergence_rows({"paired": {8: -1.0, 12: -1.1}, "unpaired": {8: -2.0, 12: -1.5}, "x": {8: -1.0}}, tolerance=0.2)
    assert [r["verdict"] for r in rows] == ["converged", "not converged", "not computed"]  # was "not available" (issue 12: say what is missing)
    assert rows[1]["change"] == pytest.approx(0.5) and "only [8] sites" in rows[2]["note"]
    told = convergence_rows({"x": {8: -1.0}, "y": {8: None, 12: -1.0}}, tolerance=0.2, missing="not computed (enable with s = true)")
    assert [r["verdict"] for r in told] == ["not computed (enable with s = true)", "no A − B at one size"]
    assert told[0]["change"] is None and "8 sites" in told[1]["note"]
