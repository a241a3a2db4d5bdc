"""Tests of the packaged experimental reference data (localpairs.analysis.experiment)."""

from __future__ import annotations

import dataclasses

import pytest

from localpairs.analysis.experiment import load_reference, parse_reference
from localpairs.errors import InputError, LocalPairsError

# Values as printed in the review (Menushenkov & Kagan 2026, Secs. 4–7); compared exactly.
EXPECTED = {
    "pump_wavelength": (633.0, "nm"), "pump_photon_energy": (1.96, "eV"), "pump_duration": (30.0, "fs"),
    "fluence_main": (8.0, "mJ/cm^2"), "fluence_max": (32.0, "mJ/cm^2"), "film_thickness": (90.0, "nm"),
    "probe_range": ((525.0, 550.0), "eV"), "pre_edge": (529.0, "eV"), "shoulder_range": ((531.0, 533.0), "eV"),
    "main_peak_range": ((533.0, 535.0), "eV"), "delays": ((-0.1, 0.0, 0.2, 1.0, 2.0, 5.0, 10.0, 60.0), "ps"),
    "ab_separation": (1.0, "eV"), "a_shift": (0.2, "eV"), "a_shift_window": ((0.1, 0.8), "ps"),
    "tau1": (0.15, "ps"), "tau2": (0.24, "ps"), "tau3": (1.5, "ps"), "alpha_at_8": (0.05, ""),
    "alpha_at_32": (0.27, ""), "optical_gap": (1.96, "eV"), "activation_energy": (0.24, "eV"),
    "pair_binding_energy": (1.5, "eV"), "x_percolation": (0.37, ""), "tc_measured_x04": (30.0, "K"),
    "tc_estimate_x04": (50.0, "K"), "omega0": (200.0, "K"), "barrier_height": (500.0, "K"),
    "barrier_width": (0.07, "angstrom"), "oxygen_mass": (16.0, "u"),
}
# E_G = E_b + 2E_a holds for the stored, rounded values to within the rounding of E_b (1.48 → 1.5).
GAP_SUM_TOL = 0.03


@pytest.mark.parametrize(("name", "expected"), list(EXPECTED.items()))
def test_values_and_units(name: str, expected: tuple) -> None:
    q = load_reference()[name]
    assert (q.value, q.unit) == expected


def test_every_quantity_is_cited() -> None:
    ref = load_reference()
    assert len(ref) >= len(EXPECTED)
    for name, q in ref.items():
        assert q.citation and q.where, name
        assert any(s in q.citation for s in ("Phys. Rev. Research", "Usp. Fiz. Nauk", "J. Phys.: Condens. Matter"))
    assert "10.3367/UFNe.2025.09.040028" in ref.citation("tau1")
    assert "6, 023307 (2024)" in ref.sources["prr2024"].citation


def test_internal_consistency() -> None:
    ref = load_reference()
    assert ref.value("optical_gap") == pytest.approx(ref.value("pair_binding_energy") + 2 * ref.value("activation_energy"),
                                                     abs=GAP_SUM_TOL)
    assert ref.value("pump_photon_energy") == ref.value("optical_gap")
    lo, hi = ref.value("probe_range")
    assert lo < ref.value("pre_edge") < hi and lo < ref.value("trace_photon_energy") < hi


def test_reference_is_read_only() -> None:
    ref = load_reference()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref["tau1"].value = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        ref.quantities["tau1"] = None  # type: ignore[index]


def test_unknown_name() -> None:
    with pytest.raises(InputError) as err:
        load_reference()["tau4"]
    assert err.value.field == "name"


def test_parse_rejects_bad_documents() -> None:
    src = {"s": {"citation": "X"}}
    with pytest.raises(LocalPairsError, match="not one of"):
        parse_reference({"sources": src, "quantities": {"a": {"value": 1, "unit": "", "source": "t", "where": "w"}}})
    with pytest.raises(LocalPairsError, match="lacks"):
        parse_reference({"sources": src, "quantities": {"a": {"value": 1, "source": "s"}}})
    with pytest.raises(LocalPairsError, match="not a number"):
        parse_reference({"sources": src, "quantities": {"a": {"value": "x", "unit": "", "source": "s", "where": "w"}}})


def test_number_is_a_single_value_and_refuses_a_range() -> None:
    ref = load_reference()
    assert ref["optical_gap"].number == EXPECTED["optical_gap"][0]
    with pytest.raises(InputError, match=r"^reference probe_range = \(525\.0, 550\.0\) is not allowed: a single number"):
        _ = ref["probe_range"].number
