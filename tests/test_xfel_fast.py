"""The XFEL study's cheaper pieces against independent constructions: the fit's cached matrices
against QuSpin's full build, a fit evaluation against charge_ladder + optical_conductivity, the
linear-response state rescaled in fluence against a direct evaluation, the free evolution after
the pulse against dense diagonalization, the 12-site spec and the convergence rows' wording."""

import numpy as np
import pytest
import scipy.linalg as la
from test_xfel import SMALL, spec

from localpairs.hamiltonians import doping_config, extended_hubbard
from localpairs.hamiltonians.cluster import make_cluster
from localpairs.solvers import charge_ladder, solve
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.linear_response import linear_response
from localpairs.solvers.ed.observables import occupations
from localpairs.solvers.hilbert.basis import build_basis, hamiltonian_matrix
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.conductivity import optical_conductivity
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import SIGMA_ETA, SIGMA_OMEGA, Context, model_numbers
from localpairs.studies.xfel_fit_ed import FitMatrices, number_diagonal
from localpairs.studies.xfel_points import _pulse, pumped_scenario, scaled_response
from localpairs.studies.xfel_pumped import free_states
from localpairs.studies.xfel_sizes import NOT_COMPUTED, convergence_table, twelve_site_spec
from localpairs.units import HBAR_EV_FS

#: Matrix elements from two constructions of the same operator (sums of the same couplings in another order): round-off.
ROUNDOFF = 1e-12
#: Ground energies from two Lanczos runs (eigsh to machine precision) on the same matrix entries: round-off of 1e-10 relative.
ENERGY_TOL = 1e-9
#: E_G is a pole of two 200-step Lanczos chains built on identical matrices and start vectors up to round-off.
POLE_TOL = 1e-7


def _model(U, V, D):
    cl = make_cluster((2, 2, 1), periodic=(False, True, False))
    return extended_hubbard(cl, t=0.33, U=U, V=V, breathing=D, doping=doping_config(cl, x=0.0, placement="rock_salt"))


def test_number_diagonal_equals_quspins_diagonal():
    """The diagonal of the number-operator terms from occupations is QuSpin's diagonal of the same terms."""
    m = _model(-1.3, 0.2, 0.4)
    sec = Sector(n_up=2, n_down=2)
    b = build_basis(m, sec)
    up, dn = occupations(b, m.n_sites)
    diag = [t for t in m.static_list() if set(t[0]) <= {"n", "|"}]
    assert diag, "the model has number-operator terms"
    ref = hamiltonian_matrix(m.with_terms(tuple(t for t in m.terms if set(t.opstr) <= {"n", "|"})), b).diagonal()
    np.testing.assert_allclose(number_diagonal(diag, up, dn), ref, atol=ROUNDOFF)
    with pytest.raises(ValueError, match="number operators"):
        number_diagonal([["+-|", [[1.0, 0, 1]]]], up, dn)


@pytest.mark.parametrize("point", [(-1.3, 0.2, 0.4), (0.0, 0.0, 0.0), (2.5, 0.05, 1.1)])
def test_cached_matrix_equals_the_full_build_at_every_point(point):
    """One FitMatrices (built at the first point) gives QuSpin's full matrix at other U, V, Δ: H is off-diagonal + diagonal(U, V, Δ)."""
    fm = FitMatrices(_model(-1.0, 0.1, 0.2))
    for sec in (Sector(n_up=2, n_down=2), Sector(n_up=2, n_down=1)):
        for p in [(-1.0, 0.1, 0.2), point]:
            m = _model(*p)
            h, b = fm.matrix(m, sec)
            assert abs(h - hamiltonian_matrix(m, b)).max() <= ROUNDOFF
    assert fm.builds == 2  # one hopping matrix per sector, reused at every point


def test_fit_evaluation_equals_the_direct_one():
    """Context.evaluate (cached matrices) against charge_ladder + optical_conductivity building everything anew."""
    s = spec(**SMALL)
    ctx = Context(s, build_system(s))
    for p in [(-1.0, 0.15, 0.3), (0.8, 0.15, 0.6)]:
        new = ctx.evaluate(*p)
        m = ctx.model(*p)
        cond = optical_conductivity(m, ctx.system.sector, SIGMA_OMEGA, eta=SIGMA_ETA, polarization=(1.0, 0.0, 0.0))
        old = model_numbers(charge_ladder(m, ctx.n, spread=2), ctx.n, cond, optical_gap_fraction=s.xfel.fit.optical_gap_fraction)
        for k in ("E_a", "E_b", "delta1", "delta2"):
            assert new[k] == pytest.approx(old[k], abs=ENERGY_TOL)
        assert new["E_G"] == pytest.approx(old["E_G"], abs=POLE_TOL)


def test_scaled_response_equals_a_direct_evaluation_at_the_other_fluence():
    """χ⁽¹⁾ ∝ √F: the rescaled state is linear_response run at the other fluence (same Krylov space, round-off)."""
    s = spec(**SMALL)
    ctx = Context(s, build_system(s))
    fit = {"U": -1.0, "V": 0.15, "breathing": 0.3, "E_G": 1.2}
    m = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(m, ctx.system.sector)
    psi0 = gs.ground_state.astype(np.complex128)
    lo, hi = _pulse(s, fit, 0.01), _pulse(s, fit, 0.37)
    t = hi.center + 6.0 * hi.sigma
    from localpairs.hamiltonians.driven_model import drive

    direct = linear_response(DrivenOperator(drive(m, pulse=hi), gs.basis), psi0, gs.ground_energy, t=t)
    scaled = scaled_response(linear_response(DrivenOperator(drive(m, pulse=lo), gs.basis), psi0, gs.ground_energy, t=t), hi)
    assert scaled.alpha == pytest.approx(direct.alpha, rel=1e-10) and scaled.alpha == pytest.approx(37.0 * (scaled.alpha / 37.0), rel=0)
    np.testing.assert_allclose(scaled.chi, direct.chi, atol=1e-10 * np.abs(direct.chi).max())
    assert scaled.validity()["two_photon_ratio"] == pytest.approx(direct.validity()["two_photon_ratio"], rel=1e-10)
    with pytest.raises(Exception, match="pulse"):
        scaled_response(direct, _pulse(s, {**fit, "E_G": 1.5}, 0.37))


def test_free_states_against_dense_propagation():
    """ψ(t) after the pulse: χ propagated with e^{−iH(t − t₁)/ħ} from dense diagonalization, ψ₀ with its phase; α kept."""
    s = spec(**SMALL)
    sc = pumped_scenario(s, {"U": -1.0, "V": 0.15, "breathing": 0.3, "E_G": 1.2}, alpha=0.05)
    _, cache, _ = sc.model("unrelaxed")
    e, v = la.eigh(cache.matrix(sc.context.system.sector).toarray())
    times = np.array([sc.time - 7.0, sc.time, sc.time + 40.0])
    got = free_states(sc, times)
    for k, t in enumerate(times):
        chi = v @ (np.exp(-1j * e * (t - sc.time) / HBAR_EV_FS) * (v.conj().T @ sc.chi))
        ref = np.sqrt(1 - sc.alpha) * np.exp(-1j * sc.e0 * t / HBAR_EV_FS) * sc.psi0 + chi
        np.testing.assert_allclose(got[:, k], ref, atol=1e-10)
        assert 1 - abs(np.vdot(sc.psi0, got[:, k])) ** 2 == pytest.approx(sc.alpha, rel=1e-9)


def test_twelve_site_spec_and_the_not_computed_row():
    """The 12-site spec is 3×2×2 with one oxygen per pair and half filling; without the switch the row names it."""
    s12 = twelve_site_spec(spec(**SMALL))
    system = build_system(s12)
    assert system.cluster.n_sites == 12 and system.sector.n_electrons == 12
    assert list(system.cluster.periodic) == [False, True, True] and s12.cluster.bond_multiplicity == 1
    assert "xfel.scan.twelve_sites = true" in NOT_COMPUTED and spec(**SMALL).xfel.scan.twelve_sites is False


def test_convergence_table_says_why_a_row_has_no_verdict():
    """Off: "not computed" with the switch; on: the change against the tolerance, or the reason a 12-site point is missing."""
    off = convergence_table({"paired": {8: -1.0}}, {}, tolerance=0.3, enabled=False)
    assert off[0]["verdict"] == NOT_COMPUTED and off[0]["points_12"] is None
    on = convergence_table({"paired": {8: -1.0, 12: -1.5}, "unpaired": {8: -2.0, 12: None}},
                           {"paired": {"separation": -1.5, "reason": ""}, "unpaired": {"separation": None, "reason": "no absorption at ħω"}},
                           tolerance=0.3, enabled=True)
    assert on[0]["verdict"] == "not converged" and on[0]["change"] == pytest.approx(-0.5)
    assert on[1]["verdict"] == "not computed on 12 sites" and on[1]["note"] == "no absorption at ħω"
