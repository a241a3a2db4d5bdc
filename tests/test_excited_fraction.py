"""Tests of localpairs.analysis.excited_fraction: α of a two-component mixture, α against fluence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from localpairs.analysis.excited_fraction import fit_alpha_vs_fluence, fit_excited_fraction
from localpairs.errors import InputError

# Noise-free data: α is recovered up to floating-point round-off.
EXACT_TOL = 1e-12
# Recovered α within 3 standard errors (deterministic seed).
N_SIGMA = 3.0
# Monte-Carlo check of the standard error with 400 repeats: the sample std has a relative error
# of 1/sqrt(2·399) ≈ 3.5 %; 15 % is > 4 of those and still catches a factor-√2 mistake.
STDERR_REL_TOL = 0.15


def spectra() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = np.linspace(526.0, 532.0, 241)
    ground = np.exp(-((e - 529.0) ** 2) / (2 * 0.4**2))
    excited = 0.8 * np.exp(-((e - 528.0) ** 2) / (2 * 0.5**2))  # pre-edge moved 1 eV down, broadened
    return e, ground, excited


def test_alpha_exact() -> None:
    _, g, x = spectra()
    res = fit_excited_fraction(0.73 * g + 0.27 * x, g, x)
    assert res.alpha == pytest.approx(0.27, abs=EXACT_TOL)
    assert res.stderr < 1e-12 and res.chi2 < 1e-25


def test_alpha_noisy_with_sigma_and_mask() -> None:
    e, g, x = spectra()
    rng = np.random.default_rng(5)
    sigma = 0.01
    y = 0.95 * g + 0.05 * x + rng.normal(0.0, sigma, g.size)
    res = fit_excited_fraction(y, g, x, sigma=sigma, mask=(e > 527.0) & (e < 530.5))
    assert abs(res.alpha - 0.05) < N_SIGMA * res.stderr
    assert res.absolute_sigma and res.dof == int(((e > 527.0) & (e < 530.5)).sum()) - 1


def test_alpha_stderr_matches_scatter() -> None:
    _, g, x = spectra()
    rng = np.random.default_rng(6)
    sigma = 0.02
    alphas, errs = [], []
    for _ in range(400):
        y = 0.8 * g + 0.2 * x + rng.normal(0.0, sigma, g.size)
        res = fit_excited_fraction(y, g, x)  # error from the residual scatter
        alphas.append(res.alpha)
        errs.append(res.stderr)
    assert np.std(alphas, ddof=1) == pytest.approx(np.mean(errs), rel=STDERR_REL_TOL)
    # and the absolute-σ error equals the same number
    res = fit_excited_fraction(0.8 * g + 0.2 * x, g, x, sigma=sigma)
    assert res.stderr == pytest.approx(np.mean(errs), rel=STDERR_REL_TOL)


def test_fluence_slope_hand_calculation() -> None:
    # the review's two points: 5 % at 8 mJ/cm², 27 % at 32 mJ/cm²
    res = fit_alpha_vs_fluence([8.0, 32.0], [0.05, 0.27])
    slope = (8 * 0.05 + 32 * 0.27) / (8**2 + 32**2)
    assert res.slope == pytest.approx(slope, rel=1e-14)
    resid = np.array([0.05 - 8 * slope, 0.27 - 32 * slope])
    assert res.stderr == pytest.approx(np.sqrt(np.sum(resid**2) / 1 / (8**2 + 32**2)), rel=1e-12)


def test_fluence_slope_recovered() -> None:
    rng = np.random.default_rng(7)
    f = np.array([4.0, 8.0, 16.0, 24.0, 32.0])
    err = np.full(f.size, 0.01)
    a = 0.0085 * f + rng.normal(0.0, 0.01, f.size)
    res = fit_alpha_vs_fluence(f, a, alpha_error=err)
    assert abs(res.slope - 0.0085) < N_SIGMA * res.stderr
    assert res.stderr == pytest.approx(0.01 / np.sqrt(np.sum(f**2)), rel=1e-12)
    np.testing.assert_allclose(res.predict(f), res.slope * f)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda g, x: fit_excited_fraction(g, g, g), "excited"),
        (lambda g, x: fit_excited_fraction(g, g[:-1], x), "ground"),
        (lambda g, x: fit_excited_fraction(np.where(g > 0.5, np.nan, g), g, x), "xas"),
        (lambda g, x: fit_excited_fraction(g, g, x, sigma=0.0), "sigma"),
        (lambda g, x: fit_excited_fraction(g, g, x, mask=np.zeros(g.size, bool)), "mask"),
        (lambda g, x: fit_alpha_vs_fluence([8.0], [0.05]), "fluence"),
        (lambda g, x: fit_alpha_vs_fluence([8.0, 32.0], [0.05]), "alpha"),
    ],
)
def test_bad_input_names_field(call, field: str) -> None:
    _, g, x = spectra()
    with pytest.raises(InputError) as err:
        call(g, x)
    assert err.value.field == field


def test_fluence_law_closed_forms():
    """Power law, one- plus two-photon and threshold data give back their parameters exactly;
    the review's 5 % at 8 and 27 % at 32 mJ/cm² is superlinear: exponent ln 5.4 / ln 4 = 1.2165."""
    from localpairs.analysis.excited_fraction import fluence_law

    law = fluence_law(2.0, 0.3 * 2.0**1.7, 5.0, 0.3 * 5.0**1.7)
    assert law.exponent == pytest.approx(1.7, rel=1e-12)
    law = fluence_law(1.0, 0.01 * 1.0 + 0.002 * 1.0, 3.0, 0.01 * 3.0 + 0.002 * 9.0)
    assert law.a == pytest.approx(0.01, rel=1e-12) and law.b == pytest.approx(0.002, rel=1e-12)
    assert law.two_photon_share[0] == pytest.approx(0.002 / 0.012, rel=1e-12)
    law = fluence_law(4.0, 0.5 * (4.0 - 1.5), 9.0, 0.5 * (9.0 - 1.5))
    assert law.threshold_fluence == pytest.approx(1.5, rel=1e-12) and law.threshold_slope == pytest.approx(0.5, rel=1e-12)
    review = fluence_law(8.0, 0.05, 32.0, 0.27)
    assert review.exponent == pytest.approx(math.log(5.4) / math.log(4.0), rel=1e-12) and review.exponent > 1.2
    assert review.ratio == pytest.approx(5.4) and review.linear_ratio == 4.0
    with pytest.raises(InputError):
        fluence_law(8.0, 0.05, 8.0, 0.27)
