"""The one optical-gap definition (analysis.spectral_edges.optical_gap) and its three users.

A hand-made pole list with a known answer: E_G is the lowest merged pole above the zero-frequency
cut-off whose absorption is at least ``fraction`` of the total absorption of those poles. The
pump study's photon energy, the spectra study's E_G and the XFEL fit's E_G are computed by their
own code paths from the same poles and must all give that answer.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from localpairs.analysis.spectral_edges import MERGE_TOL, conductivity_gap, optical_gap
from localpairs.errors import InputError
from localpairs.solvers.spectra.optical_transitions import ZERO_FREQUENCY, OpticalTransitions
from localpairs.studies.pump import photon_energy
from localpairs.studies.pump_spec import PumpSpec
from localpairs.studies.spectra import _gaps
from localpairs.studies.spectra_spec import SpectraSpec
from localpairs.studies.xfel_fit import model_numbers

# Poles (eV) and their integrated absorption ∝ |<n|j|0>|²/ω_n. The first is zero-frequency weight
# (the ground state itself): large, below the cut-off, never part of the total. The two poles at
# 1.5 eV lie closer than MERGE_TOL and count as one pole of absorption 0.10. The rest sum to 1.
OMEGA = np.array([0.1 * ZERO_FREQUENCY, 0.8, 1.5, 1.5 + 0.5 * MERGE_TOL, 2.0])
ABSORPTION = np.array([50.0, 0.03, 0.05, 0.05, 0.87])
# fraction → E_G in closed form: shares of the total are 0.03 (0.8 eV), 0.10 (1.5 eV), 0.87 (2.0 eV).
# 0.033: 0.8 eV fails, 1.5 eV passes only merged. (Relative to the strongest pole, 0.033 × 0.87 =
# 0.029 would pick 0.8 eV: the test tells the two conventions apart.) 0.5: only 2.0 eV (were the
# zero-frequency pole counted, it would carry 50/51 of the total and be the "gap").
CASES = [(0.02, 0.8), (0.033, 1.5), (0.07, 1.5), (0.11, 2.0), (0.5, 2.0), (1e-3, 0.8)]


@pytest.mark.parametrize(("fraction", "expected"), CASES)
def test_optical_gap_of_a_hand_made_pole_list(fraction, expected):
    assert optical_gap(OMEGA, ABSORPTION, fraction=fraction) == expected


def test_optical_gap_does_not_depend_on_how_the_strongest_pole_splits():
    # the 2.0 eV pole split in two halves (2.0 and 2.5 eV): the total is the same, so E_G is too;
    # a threshold relative to the strongest pole would halve and pick 0.8 eV at fraction 0.033
    omega = np.append(OMEGA, 2.5)
    absorption = np.append(ABSORPTION[:-1], [0.435, 0.435])
    assert optical_gap(omega, absorption, fraction=0.033) == 1.5
    assert optical_gap(omega, absorption, fraction=0.11) == 2.0


def test_optical_gap_refuses_bad_input():
    with pytest.raises(InputError, match="fraction"):
        optical_gap(OMEGA, ABSORPTION, fraction=0.0)
    with pytest.raises(InputError, match="fraction"):
        optical_gap(OMEGA, ABSORPTION, fraction=1.5)
    with pytest.raises(InputError, match="absorption"):
        optical_gap(OMEGA, ABSORPTION[:-1], fraction=0.1)
    with pytest.raises(InputError, match="spectrum"):  # only zero-frequency weight
        optical_gap(OMEGA[:1], ABSORPTION[:1], fraction=0.1)


def _conductivity(twist_weights: list[float]) -> xr.Dataset:
    """A σ(ω) Dataset as optical_conductivity returns it, every twist holding the hand-made poles."""
    n = len(twist_weights)
    omega = np.linspace(0.1, 3.0, 30)
    return xr.Dataset(
        {
            "sigma": (("omega",), np.ones(omega.size)),
            "pole_energy": (("twist", "pole"), np.tile(OMEGA, (n, 1))),
            "sigma_weight": (("twist", "pole"), np.tile(ABSORPTION, (n, 1))),
            "twist_weight": (("twist",), np.array(twist_weights)),
        },
        coords={"omega": omega},
    )


@pytest.mark.parametrize("twist_weights", [[1.0], [0.25, 0.75]])
def test_conductivity_gap_weights_the_twists(twist_weights):
    ds = _conductivity(twist_weights)
    for fraction, expected in CASES:
        assert conductivity_gap(ds, fraction=fraction) == expected


@pytest.mark.parametrize(("fraction", "expected"), CASES)
def test_pump_spectra_and_xfel_take_the_gap_from_the_one_definition(fraction, expected):
    # the same poles through the three studies' own code paths
    transitions = OpticalTransitions(OMEGA, ABSORPTION * OMEGA)  # absorption = weight/ω
    gap, photon = photon_energy(PumpSpec(peak_field=0.01, optical_gap_fraction=fraction), transitions)
    assert gap == photon == expected
    assert photon_energy(PumpSpec(peak_field=0.01, photon_energy=1.96, optical_gap_fraction=fraction), transitions) == (expected, 1.96)
    ladder = {2: 0.0, 3: -1.0, 4: -3.0, 5: -3.5, 6: -3.8}  # E(N) for N = n − 2 … n + 2 (eV); only E_G is compared
    spectra_gap = _gaps(SpectraSpec(optical_threshold=fraction), {"optical": _conductivity([1.0])}, ladder, 4)["optical_gap"]
    xfel_gap = model_numbers(ladder, 4, _conductivity([1.0]), optical_gap_fraction=fraction)["E_G"]
    assert spectra_gap == xfel_gap == expected
