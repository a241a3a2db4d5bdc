"""The verdict scan's point function on the dimer: features against a dense per-eigenlevel ΔXAS (both
parts diagonalized, the same offset rule and peak search), chains reused across Γ, the
linear-response state against the evolved one, bad input and pickling."""

import math
import pickle

import numpy as np
import pytest
from test_windowed_xas import dense_long_probe
from test_xfel import SMALL, spec

from localpairs.analysis.xas_peaks import find_ab_peaks, pre_edge_peak
from localpairs.errors import InputError
from localpairs.solvers.spectra.xas import excited_part
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import dxas_point, dxas_points, pumped_scenario

FIT = {"U": -1.0, "V": 0.15, "breathing": 0.3}
#: Peak positions from two constructions of the same curve (Lanczos exhausted on 4-state sectors
#: vs dense eigenvectors): round-off moves a parabola vertex by far less than this (eV).
POSITION_TOL = 1e-6


@pytest.fixture(scope="module")
def scenario():
    s = spec(**SMALL)
    fit = {**FIT, "E_G": Context(s, build_system(s)).evaluate(**FIT)["E_G"]}
    return pumped_scenario(s, fit, name="paired")


def dense_features(sc, Gamma, U_c=-1.0):
    """A/B of α(I_long[χ̂] − I[ψ0]) with both spectra from dense diagonalization (test_windowed_xas)."""
    ctx = sc.context
    m, sec, p = ctx.model(FIT["U"], FIT["V"], FIT["breathing"]), ctx.system.sector, sc.spec.xfel.probe
    rel = np.arange(p.omega_span[0] - 4.0, p.omega_span[1], p.omega_step)
    omega = p.pre_edge_peak + np.arange(p.omega_span[0], p.omega_span[1] + 1e-9, p.omega_step)
    offset = p.pre_edge_peak - pre_edge_peak(rel, dense_long_probe(m, sec, sc.psi0, rel, U_c=U_c, Gamma=Gamma)[0])
    alpha, chi_hat = excited_part(sc.psi0, sc.psi0 + sc.chi)  # χ ⟂ ψ0 already: α = ‖χ‖²
    assert alpha == pytest.approx(sc.alpha, rel=1e-12)
    d = alpha * (dense_long_probe(m, sec, chi_hat, omega - offset, U_c=U_c, Gamma=Gamma)[0]
                 - dense_long_probe(m, sec, sc.psi0, omega - offset, U_c=U_c, Gamma=Gamma)[0])
    w = sc.spec.xfel.peaks.window
    return find_ab_peaks(omega, d, window=(p.pre_edge_peak + w[0], p.pre_edge_peak + w[1]), broadening_fwhm=2 * Gamma,
                         min_amplitude=sc.spec.xfel.peaks.min_amplitude)


def test_long_probe_features_equal_the_dense_construction_at_every_gamma(scenario):
    """Chains built at Γ = 0.1 eV, reused at 0.2 and 0.4 eV: the features of the dense ΔXAS at each Γ."""
    points = dxas_points(scenario=scenario, U_c=-1.0, Gammas=[0.4, 0.1, 0.2], probe_model="long")
    for Gamma, p in zip([0.4, 0.1, 0.2], points):
        ref = dense_features(scenario, Gamma)
        assert p["found"] == 1.0
        assert p["A_energy"] == pytest.approx(ref.a.energy, abs=POSITION_TOL) and p["B_energy"] == pytest.approx(ref.b.energy, abs=POSITION_TOL)
        assert p["A_amplitude"] == pytest.approx(ref.a.amplitude, rel=1e-6) and p["separation_error"] == pytest.approx(ref.separation_error)
        assert p["a_below_b"] == float(ref.separation < 0) and p["halving_change"] <= 1e-3
    assert all(isinstance(v, float) for p in points for v in p.values())


def test_relaxed_and_instantaneous_points_are_plain_floats(scenario):
    for probe_model in ("instantaneous", "long"):
        p = dxas_point(scenario=scenario, U_c=-1.0, Gamma=0.2, core_hole="site", probe_model=probe_model, lattice="relaxed")
        assert all(isinstance(v, float) for v in p.values()) and p["found"] in (0.0, 1.0)
        assert p["breathing"] == pytest.approx(scenario.relaxation.relaxed_breathing) and math.isfinite(p["offset"])
        assert (probe_model == "long") == math.isfinite(p["window_width"])


def test_linear_response_state_against_the_evolved_state(scenario):
    """α at the calibrated fluence: linear response 0.05, the evolution within O(α²) (saturation α(1 − α/3) and higher)."""
    assert scenario.alpha == pytest.approx(0.05, rel=1e-9) and scenario.validity["linear_regime"]
    evolved = pumped_scenario(scenario.spec, scenario.fit, fluence=scenario.fluence, state="evolved")
    assert abs(evolved.alpha - scenario.alpha) <= scenario.alpha**2
    overlap = abs(np.vdot(scenario.chi, evolved.chi)) / math.sqrt(scenario.alpha * evolved.alpha)
    assert overlap > 1 - scenario.alpha  # the same excited part up to O(α)


@pytest.mark.parametrize("kw, field", [({"probe_model": "finite"}, "probe_model"), ({"lattice": "sudden"}, "lattice"),
                                       ({"Gamma": 0.0}, "Gamma"), ({"core_hole": "middle"}, "core_hole"), ({"U_c": float("nan")}, "U_c")])
def test_bad_point_names_the_field(scenario, kw, field):
    args = {"U_c": -1.0, "Gamma": 0.2, **kw}
    with pytest.raises(InputError, match=f"^{field} = "):
        dxas_point(scenario=scenario, **args)


def test_scenario_pickles_without_its_caches(scenario):
    dxas_point(scenario=scenario, U_c=-1.0, Gamma=0.2)
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy._cache == {} and np.array_equal(copy.chi, scenario.chi)
    assert dxas_point(scenario=copy, U_c=-1.0, Gamma=0.2)["A_energy"] == pytest.approx(dxas_point(scenario=scenario, U_c=-1.0, Gamma=0.2)["A_energy"])
