"""The cluster-size convergence rows (issue 12 item 5): A − B from the normalised χ̂ does not depend on
the pump's strength in the linear regime (against the full evolution at two fields), the resonance
fraction against the dimer's single transition in closed form, and the row verdicts."""

import math

import numpy as np
import pytest
import scipy.linalg as la
from test_xfel import BASE, SMALL

from localpairs.hamiltonians.driven_model import drive
from localpairs.solvers import solve
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.linear_response import _perturbation_vector
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.spec import parse_spec
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import LR_PROBE_FLUENCE, _pulse, dxas_point, pumped_scenario
from localpairs.studies.xfel_sizes import NOT_COMPUTED, convergence_table
from localpairs.units import HBAR_EV_FS

FIT = {"U": -1.0, "V": 0.15, "breathing": 0.3}
#: Largest |ΔA−B| per unit α between the evolved state and the linear-response χ̂ (eV). The evolved
#: state differs from χ⁽¹⁾ at second order in the field, i.e. by O(α) in χ̂ and so in the peak
#: positions; measured 0.084–0.090 eV/α on the dimer and 0.023 eV/α on the 2×2×1 plaquette
#: (α = 0.01 and 0.05): a margin of 2 over the dimer. At the measured α = 0.05 that is ≤ 0.01 eV.
SEPARATION_PER_ALPHA = 0.2
#: Dense projections against the Krylov (Ritz) weights of an exhausted 4-state Krylov space: round-off.
FRACTION_TOL = 1e-8


def _envelope(pulse, eps):
    """|Ã(ε)| up to the constant A₀σ√(π/2): the two Gaussians at ±ħω (ε in eV)."""
    k = np.asarray(eps) / HBAR_EV_FS
    return np.exp(-0.5 * (pulse.sigma * (k - pulse.omega)) ** 2) + np.exp(-0.5 * (pulse.sigma * (k + pulse.omega)) ** 2)


def _setup(shape: str):
    s = parse_spec({**BASE, "cluster": {"shape": shape, "periodic": False}, "xfel": SMALL})
    return s, {**FIT, "E_G": Context(s, build_system(s)).evaluate(**FIT)["E_G"]}


@pytest.mark.parametrize("shape", ["dimer", pytest.param("2x2x1", marks=pytest.mark.slow)])
def test_separation_from_chi_hat_does_not_depend_on_the_field(shape):
    """A − B of the evolved pumped state at α ≈ 0.01 and α ≈ 0.05 equals that of the linear-response χ̂ to O(α)."""
    s, fit = _setup(shape)
    kw = {"U_c": -1.0, "Gamma": 0.2, "probe_model": "long", "resolution_fwhm": 0.1}
    lr = pumped_scenario(s, fit, fluence=LR_PROBE_FLUENCE)
    ref = dxas_point(scenario=lr, **kw)
    assert ref["found"] == 1.0 and lr.validity["linear_regime"]
    f_05 = LR_PROBE_FLUENCE * 0.05 / lr.alpha  # α ∝ F at first order
    for factor in (0.2, 1.0):
        ev = pumped_scenario(s, fit, fluence=factor * f_05, state="evolved")
        got = dxas_point(scenario=ev, **kw)
        assert 0.5 * factor * 0.05 < ev.alpha < 2.0 * factor * 0.05 and got["found"] == 1.0
        assert abs(got["separation"] - ref["separation"]) <= SEPARATION_PER_ALPHA * ev.alpha


def test_resonance_fraction_against_dense_projections():
    """‖χ‖/(‖φ‖ sup|Ã|/ħ) from |⟨n|φ⟩|² of dense eigenvectors and the pulse's envelope at E_n − E₀; fluence-independent."""
    s, fit = _setup("dimer")
    ctx = Context(s, build_system(s))
    m = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(m, ctx.system.sector)
    psi0 = gs.ground_state.astype(np.complex128)
    e, v = la.eigh(SectorCache(m).matrix(ctx.system.sector).toarray())
    for detuning in (0.0, 0.3):
        pumped = {**fit, "E_G": fit["E_G"] + detuning}
        a, b = (pumped_scenario(s, pumped, fluence=f) for f in (LR_PROBE_FLUENCE, 100 * LR_PROBE_FLUENCE))
        pulse = _pulse(s, pumped, LR_PROBE_FLUENCE)
        phi = _perturbation_vector(DrivenOperator(drive(m, pulse=pulse), gs.basis), psi0, gs.ground_energy, 0)
        weights = np.abs(v.conj().T @ phi) ** 2
        expected = math.sqrt(float(np.sum(weights * _envelope(pulse, e - gs.ground_energy) ** 2)) / float(np.sum(weights)))
        expected /= float(_envelope(pulse, pulse.omega * HBAR_EV_FS))
        assert a.validity["resonance_fraction"] == pytest.approx(expected, rel=FRACTION_TOL)
        assert b.validity["resonance_fraction"] == pytest.approx(a.validity["resonance_fraction"], rel=1e-12)
    assert 0.0 < expected < 1.0


def test_rows_converged_not_converged_and_the_12_site_record():
    """|Δ| ≤ tolerance: converged; beyond: not converged; the 12-site record rides along (and where its χ̂ is first order);
    off: the switch is named."""
    rec = {"separation": -1.2, "reason": "", "alpha_per_fluence": 1e-9, "resonance_fraction": 1e-4, "linear_regime": True}
    rows = convergence_table({"paired": {8: -1.0, 12: -1.2}, "unpaired": {8: -2.0, 12: -1.5}},
                             {"paired": rec, "unpaired": {**rec, "separation": -1.5}}, tolerance=0.3, enabled=True)
    assert [r["verdict"] for r in rows] == ["converged", "not converged"]
    assert rows[0]["change"] == pytest.approx(-0.2) and rows[1]["change"] == pytest.approx(0.5)
    assert rows[0]["points_12"] is rec and "first-order" not in rows[0]["note"]
    beyond = {**rec, "linear_regime": False, "linear_fluence_max": 2e-11, "two_photon_ratio": 2000.0, "fluence": 0.01}
    note = convergence_table({"paired": {8: -1.0, 12: -1.2}}, {"paired": beyond}, tolerance=0.3, enabled=True)[0]["note"]
    assert "only below 2e-11 mJ/cm²" in note and "2e+03 at 0.01 mJ/cm²" in note
    off = convergence_table({"paired": {8: -1.0}}, {}, tolerance=0.3, enabled=False)
    assert off[0]["verdict"] == NOT_COMPUTED
