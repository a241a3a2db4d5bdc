"""Tests of localpairs.analysis.xas_peaks on synthetic ΔXAS with known peaks."""

from __future__ import annotations

import numpy as np
import pytest

from localpairs.analysis.xas_peaks import find_ab_peaks, peak_a_vs_delay
from localpairs.errors import InputError

# Parabolic caps are exactly quadratic around their extremum, so the 3-point vertex is exact:
# only floating-point round-off (energies ~530 eV) remains.
EXACT_TOL = 1e-9
# Gaussian lines (σ = 0.3 eV) on a 0.05 eV grid: the parabola-vertex bias for σ/h = 6 is about
# 1e-3 h (measured 7e-5 eV for B); 2.5e-4 eV = 5e-3 h still fails for plain arg-max (0.021 eV here).
GAUSS_TOL = 2.5e-4
E_A, E_B = 528.23, 529.27  # A below B as in BaBiO3, separation −1.04 eV


def cap(e: np.ndarray, centre: float, amplitude: float, half_width: float = 0.5) -> np.ndarray:
    return amplitude * np.clip(1.0 - ((e - centre) / half_width) ** 2, 0.0, None)


def test_exact_positions_uniform_grid() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    y = cap(e, E_A, 1.0) - cap(e, E_B, 0.6)
    pair = find_ab_peaks(e, y, window=(527.0, 531.0))
    assert pair.a.energy == pytest.approx(E_A, abs=EXACT_TOL)
    assert pair.b.energy == pytest.approx(E_B, abs=EXACT_TOL)
    assert pair.a.amplitude == pytest.approx(1.0, abs=EXACT_TOL)
    assert pair.b.amplitude == pytest.approx(-0.6, abs=EXACT_TOL)
    assert pair.separation == pytest.approx(E_A - E_B, abs=2 * EXACT_TOL)
    assert pair.a.interpolated and not pair.a.at_edge


def test_exact_positions_nonuniform_grid() -> None:
    rng = np.random.default_rng(3)
    e = np.sort(525.0 + 10.0 * rng.random(150))
    y = cap(e, E_A, 2.0) - cap(e, E_B, 1.0)
    pair = find_ab_peaks(e, y)
    assert pair.a.energy == pytest.approx(E_A, abs=EXACT_TOL)
    assert pair.b.energy == pytest.approx(E_B, abs=EXACT_TOL)


def test_gaussian_peaks_within_interpolation_error() -> None:
    e = np.arange(525.0, 535.0, 0.05)
    y = np.exp(-((e - E_A) ** 2) / (2 * 0.3**2)) - 0.5 * np.exp(-((e - E_B) ** 2) / (2 * 0.3**2))
    pair = find_ab_peaks(e, y, window=(526.0, 532.0))
    # overlap of the two lines shifts the true extrema slightly; compare with a dense-grid argmax
    fine = np.arange(526.0, 532.0, 1e-5)
    yf = np.exp(-((fine - E_A) ** 2) / (2 * 0.3**2)) - 0.5 * np.exp(-((fine - E_B) ** 2) / (2 * 0.3**2))
    assert pair.a.energy == pytest.approx(fine[np.argmax(yf)], abs=GAUSS_TOL)
    assert pair.b.energy == pytest.approx(fine[np.argmin(yf)], abs=GAUSS_TOL)


def test_uncertainty_formula() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    y = cap(e, E_A, 1.0) - cap(e, E_B, 0.6)
    pair = find_ab_peaks(e, y, broadening_fwhm=0.2)
    expected = np.sqrt(0.1**2 / 12 + 0.1**2)
    assert pair.a.energy_error == pytest.approx(expected, rel=1e-9)
    assert pair.separation_error == pytest.approx(np.sqrt(2) * expected, rel=1e-9)


def test_window_selects_features() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    y = cap(e, E_A, 1.0) - cap(e, E_B, 0.6) + cap(e, 533.0, 3.0)  # a larger positive peak outside
    assert find_ab_peaks(e, y, window=(527.0, 530.0)).a.energy == pytest.approx(E_A, abs=EXACT_TOL)
    assert find_ab_peaks(e, y).a.energy == pytest.approx(533.0, abs=EXACT_TOL)


def test_peak_a_against_delay() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    delay = np.array([-0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.8])
    true = E_A + 0.2 * np.clip((delay - 0.1) / 0.7, 0.0, 1.0)
    z = np.stack([cap(e, c, 1.0) - cap(e, E_B, 0.5) for c in true], axis=1)
    z[:, 0] = 0.0  # before time zero: nothing
    with pytest.raises(InputError) as err:
        peak_a_vs_delay(e, delay, z, window=(527.0, 531.0))
    assert err.value.field == "dxas[:, 0]"
    track = peak_a_vs_delay(e, delay, z, window=(527.0, 531.0), skip_missing=True)
    assert not track.found[0] and np.isnan(track.energy[0])
    np.testing.assert_allclose(track.energy[1:], true[1:], atol=EXACT_TOL)
    np.testing.assert_allclose(track.shift(reference_delay=0.1)[-1], 0.2, atol=EXACT_TOL)


@pytest.mark.parametrize(
    ("energy", "dxas", "field"),
    [
        (np.arange(10.0), np.ones(9), "dxas"),  # mismatched lengths
        (np.arange(10.0)[::-1], np.sin(np.arange(10.0)), "energy"),  # unsorted
        (np.arange(10.0), np.where(np.arange(10) == 3, np.nan, np.sin(np.arange(10.0))), "dxas"),
        (np.array([0.0, 1.0, np.nan, 3.0]), np.array([0.0, 1.0, -1.0, 0.0]), "energy"),
    ],
)
def test_bad_arrays_name_field(energy: np.ndarray, dxas: np.ndarray, field: str) -> None:
    with pytest.raises(InputError) as err:
        find_ab_peaks(energy, dxas)
    assert err.value.field == field


def test_no_positive_or_negative_feature() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    with pytest.raises(InputError, match="peak A") as err:
        find_ab_peaks(e, -cap(e, E_B, 1.0))
    assert err.value.field == "dxas"
    with pytest.raises(InputError, match="peak B"):
        find_ab_peaks(e, cap(e, E_A, 1.0))
    with pytest.raises(InputError, match="peak B"):  # a negative dip only below the noise floor
        find_ab_peaks(e, cap(e, E_A, 1.0) - cap(e, E_B, 0.01), min_amplitude=0.05)


def test_bad_window() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    y = cap(e, E_A, 1.0) - cap(e, E_B, 0.6)
    for window in [(530.0, 529.0), (600.0, 610.0)]:
        with pytest.raises(InputError) as err:
            find_ab_peaks(e, y, window=window)
        assert err.value.field == "window"


def test_map_shape_checked() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    with pytest.raises(InputError) as err:
        peak_a_vs_delay(e, np.arange(3.0), np.ones((3, e.size)))
    assert err.value.field == "dxas"
