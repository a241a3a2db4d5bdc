"""Tests of localpairs.analysis.xas_peaks on synthetic ΔXAS with known peaks."""

from __future__ import annotations

import numpy as np
import pytest

from localpairs.analysis.xas_peaks import find_ab_peaks, peak_a_vs_delay, pre_edge_peak
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


# ---------------------------------------------------------------- relative threshold and noise
SIGMA_LINE = 0.3  # eV, Gaussian line width of the synthetic peaks below
H_NOISE = 0.05  # eV grid step of the noisy spectra
NOISE = 0.02  # uniform noise amplitude ε, relative to the A peak height 1 (below the 5 % default threshold)


def noisy_tol(amplitude: float) -> float:
    """Bound on the position error of a peak of height ``amplitude`` under noise |ε| ≤ NOISE.

    The highest grid point can be any point where the line has dropped by less than 2ε, i.e.
    within σ·sqrt(4ε/amplitude) of the true peak; the parabola vertex then moves by at most one
    grid step h (it is clipped to the neighbours); 0.005 eV covers the shift of the extrema by the
    overlap of the A and B lines. A wrong feature (a noise wiggle) would be ≥ 0.5 eV off.
    """
    return SIGMA_LINE * np.sqrt(4 * NOISE / amplitude) + H_NOISE + 0.005


def gauss(e: np.ndarray, centre: float, amplitude: float) -> np.ndarray:
    return amplitude * np.exp(-((e - centre) ** 2) / (2 * SIGMA_LINE**2))


def noisy(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = np.arange(525.0, 535.0, H_NOISE)
    return e, NOISE * (2 * rng.random(e.size) - 1)


@pytest.mark.parametrize("seed", range(5))
def test_noisy_peaks_found_at_known_positions(seed: int) -> None:
    e, noise = noisy(seed)
    y = gauss(e, E_A, 1.0) - gauss(e, E_B, 0.6) + noise
    pair = find_ab_peaks(e, y, window=(526.0, 532.0))
    assert pair.a.energy == pytest.approx(E_A, abs=noisy_tol(1.0))
    assert pair.b.energy == pytest.approx(E_B, abs=noisy_tol(0.6))
    assert abs(pair.separation - (E_A - E_B)) <= noisy_tol(1.0) + noisy_tol(0.6)


@pytest.mark.parametrize("seed", range(5))
def test_noise_never_reported_as_peak(seed: int) -> None:
    """Without a threshold the deepest noise wiggle would be B; with the default one it is refused."""
    e, noise = noisy(seed)
    y = gauss(e, E_A, 1.0) + noise  # a real peak A, only noise below zero
    assert find_ab_peaks(e, y, min_amplitude=0.0).b.amplitude < 0  # the old behaviour: a noise "peak B"
    with pytest.raises(InputError, match="no peak above threshold") as err:
        find_ab_peaks(e, y)
    assert "peak B" in str(err.value)
    with pytest.raises(InputError, match="peak A"):  # mirror image: only a dip, noise above zero
        find_ab_peaks(e, -y)


def test_threshold_is_relative_to_window_maximum() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    y = cap(e, E_A, 10.0) - cap(e, E_B, 0.4)  # B is 4 % of A: below 5 %, above 3 %
    with pytest.raises(InputError, match="no peak above threshold"):
        find_ab_peaks(e, y)
    assert find_ab_peaks(e, y, min_amplitude=0.03).b.energy == pytest.approx(E_B, abs=EXACT_TOL)
    for scale in (1e-6, 1.0, 1e6):  # relative: independent of the units of ΔXAS
        assert find_ab_peaks(e, scale * y, min_amplitude=0.03).b.energy == pytest.approx(E_B, abs=EXACT_TOL)


def test_window_without_peak_is_an_error_not_nan() -> None:
    """A window on the flank of a peak holds large values but no peak: an error naming the threshold."""
    e = np.arange(525.0, 535.0, 0.1)
    y = gauss(e, E_A, 1.0) - gauss(e, E_B, 0.6)
    with pytest.raises(InputError, match="no peak above threshold") as err:
        find_ab_peaks(e, y, window=(530.5, 534.0))  # only the decaying tail of B, rising to zero
    assert err.value.field == "dxas"


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2.0])
def test_bad_min_amplitude(bad: float) -> None:
    e = np.arange(525.0, 535.0, 0.1)
    with pytest.raises(InputError) as err:
        find_ab_peaks(e, cap(e, E_A, 1.0) - cap(e, E_B, 0.6), min_amplitude=bad)
    assert err.value.field == "min_amplitude"


def test_track_threshold_relative_to_whole_map() -> None:
    """A delay with only noise (before time zero) has no peak A, even though its own maximum is positive."""
    e, noise = noisy(11)
    delay = np.array([-0.1, 0.2, 0.5])
    z = np.stack([noise, gauss(e, E_A, 1.0) + noise, gauss(e, E_A + 0.2, 0.8) + noise], axis=1)
    track = peak_a_vs_delay(e, delay, z, window=(526.0, 532.0), skip_missing=True)
    assert list(track.found) == [False, True, True]
    np.testing.assert_allclose(track.energy[1:], [E_A, E_A + 0.2], atol=noisy_tol(0.8))


def test_a_below_b_selects_the_low_energy_peak() -> None:
    """A derivative-like positive lobe above B (a shifted line) is larger, but A of the experiment lies below B."""
    e = np.arange(525.0, 535.0, 0.05)
    y = gauss(e, E_A, 0.5) - gauss(e, E_B, 1.0) + gauss(e, E_B + 0.6, 0.8)
    assert find_ab_peaks(e, y).a.energy > E_B  # largest positive peak anywhere: above B
    pair = find_ab_peaks(e, y, a_below_b=True)
    assert pair.a.energy == pytest.approx(E_A, abs=GAUSS_TOL + 0.01)  # 0.01 eV: tails of the other lines
    assert pair.separation < 0
    with pytest.raises(InputError, match="below B"):
        find_ab_peaks(e, -gauss(e, E_B, 1.0) + gauss(e, E_B + 0.6, 0.8), a_below_b=True)


def test_missing_b_message_gives_the_minimum() -> None:
    e = np.arange(525.0, 535.0, 0.1)
    with pytest.raises(InputError) as err:
        find_ab_peaks(e, cap(e, E_A, 1.0) - cap(e, E_B, 0.01))
    assert "min -0.00996" in str(err.value) and "peak B" in str(err.value)  # the cap sampled off-centre


def test_pre_edge_peak_is_the_lowest_strong_maximum() -> None:
    """A wiggle below 10 % of the maximum is skipped; the lowest strong local maximum is returned
    (a grid point: the lines are centred on grid points, so the answer is exact); without an inner
    maximum the arg-max is returned."""
    e = np.round(np.arange(525.0, 535.0, 0.05), 10)
    line = lambda c, a: a * np.exp(-0.5 * ((e - c) / 0.2) ** 2)  # noqa: E731
    y = line(526.0, 0.05) + line(529.0, 0.4) + line(532.0, 1.0)
    assert pre_edge_peak(e, y) == pytest.approx(529.0, abs=1e-12)
    assert pre_edge_peak(e, y, fraction=0.01) == pytest.approx(526.0, abs=1e-12)
    assert pre_edge_peak(e, e - 525.0) == pytest.approx(e[-1], abs=1e-12)  # rising: no inner maximum
