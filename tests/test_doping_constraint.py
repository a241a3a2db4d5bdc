"""The static pre-edge shift against doping and the U_c range it allows; the peak helpers it rests on."""

import math

import numpy as np
import pytest
from scipy.special import voigt_profile

from localpairs.analysis.doping_constraint import READING_TOLERANCE, allowed_core_hole, pre_edge_shift, shift_tolerance
from localpairs.analysis.xas_peaks import pre_edge_extremum, strongest_extrema, voigt_fwhm
from localpairs.errors import InputError

GRID = np.arange(-3.0, 3.0, 0.005)


def lorentzians(poles, weights, gamma=0.05):
    return sum(w * (gamma / np.pi) / ((GRID - e) ** 2 + gamma**2) for e, w in zip(poles, weights))


def test_pre_edge_shift_of_known_poles():
    """Two-pole spectra: the pre-edge is the lower pole (weight above 10 % of the maximum); a weak pole below it does not count.
    Tolerance 2e-3 eV: parabola refinement on a 0.005 eV grid and the pull of the neighbour 0.9 eV away (Γ⁴/d³ ~ 1e-5)."""
    parent = lorentzians([0.4, 1.3, -1.5], [1.0, 0.8, 0.02])  # the pole at −1.5 carries 2 % of the maximum: ignored
    doped = lorentzians([-0.7, 0.2], [0.6, 1.0])
    sh = pre_edge_shift(GRID, parent, doped, broadening_fwhm=0.1)
    assert sh.parent == pytest.approx(0.4, abs=2e-3) and sh.doped == pytest.approx(-0.7, abs=2e-3)
    assert sh.shift == pytest.approx(-1.1, abs=3e-3)
    assert sh.error == pytest.approx(math.hypot(*2 * [math.sqrt(0.005**2 / 12 + 0.05**2)]), rel=1e-9)


def test_pre_edge_needs_an_inner_maximum():
    with pytest.raises(InputError, match="xas"):
        pre_edge_extremum(GRID, np.exp(GRID))  # rises to the grid's edge


def test_allowed_core_hole_range():
    u = [0.0, -0.5, -1.0, -1.5, -2.0]
    shifts = [0.8, 0.2, -0.45, -1.1, -1.8]
    out = allowed_core_hole(u, shifts, [0.1] * 5, measured=-1.0)
    tol = math.hypot(READING_TOLERANCE, 0.1)
    assert out["tolerances"] == pytest.approx([tol] * 5)
    # |−0.45 + 1| = 0.55 ≤ 0.51? no; |−1.1 + 1| = 0.1 yes; |−1.8 + 1| = 0.8 no
    assert out["allowed"] == [False, False, False, True, False] and out["range"] == [-1.5, -1.5] and out["contiguous"]
    wide = allowed_core_hole(u, shifts, [0.3] * 5, measured=-1.0)  # tol = 0.583: −0.45 now in
    assert wide["values"] == [-1.5, -1.0] and wide["range"] == [-1.5, -1.0]
    gap = allowed_core_hole(u, [-1.0, 0.0, -1.0, 0.0, 0.0], [0.0] * 5, measured=-1.0)
    assert gap["values"] == [-1.0, 0.0] and not gap["contiguous"]
    assert allowed_core_hole(u, [5.0] * 5, [0.0] * 5, measured=-1.0)["range"] is None
    assert shift_tolerance(0.0) == READING_TOLERANCE
    with pytest.raises(InputError, match="shifts"):
        allowed_core_hole(u, shifts[:3], [0.1] * 3, measured=-1.0)


def test_strongest_extrema_imposes_no_order_and_keeps_a_lone_feature():
    y = lorentzians([0.5], [1.0]) - lorentzians([-0.5], [0.6])  # positive above negative: the reverse of the experiment
    a, b = strongest_extrema(GRID, y, window=(-2.0, 2.0))
    assert a.energy == pytest.approx(0.5, abs=2e-3) and b.energy == pytest.approx(-0.5, abs=2e-3) and a.amplitude > 0 > b.amplitude
    a, b = strongest_extrema(GRID, lorentzians([0.5], [1.0]), window=(-2.0, 2.0))
    assert a is not None and b is None


@pytest.mark.parametrize("fl, fg", [(0.2, 0.0), (0.0, 0.1), (0.2, 0.106), (0.4, 0.05)])
def test_voigt_fwhm_against_the_profile(fl, fg):
    """Against the half-maximum points of scipy's Voigt profile (the approximation is good to 0.02 %; 1e-3 relative
    covers it and the 1e-5 eV grid)."""
    x = np.arange(0.0, 2.0, 1e-5)
    y = voigt_profile(x, fg / 2.3548200450309493, fl / 2)
    half = x[np.argmin(np.abs(y - y[0] / 2))]
    assert voigt_fwhm(fl, fg) == pytest.approx(2 * half, rel=1e-3)
