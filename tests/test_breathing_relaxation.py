"""Breathing relaxed on an excited surface: against a direct minimisation on 2 sites (H(Δ) built as the
breathing model itself, forces by finite differences of eigenvalues, a scalar minimiser), the ground
state held at the fitted Δ, and the relaxed model against the breathing model at Δ*."""

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.oxygen_lattice import oxygen_lattice
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.breathing_relaxation import relax_breathing

T, U, V, D = 0.33, -1.0, 0.1, 0.3
LARGE = [True, False]
#: Two routes to one minimum: the scalar minimiser's xatol (1e-12 Å) and the BFGS/Newton force
#: tolerance (1e-10 eV/Å over a curvature ≥ 10 eV/Å²) are far below this.
U_TOL = 1e-8


def dimer(breathing):
    return extended_hubbard(make_cluster("dimer", periodic=False), t=T, U=U, V=V, breathing=breathing)


def levels(breathing):
    m = dimer(breathing)
    return np.linalg.eigh(hamiltonian_matrix(m, build_basis(m, sector(n_up=1, n_down=1))).toarray())


def direct_minimum(weights, u0):
    """u* of B[(u/u_w)² − 1]² + Σ w_n E_n(Δ u/u0), u_w from the ground state's force at u0 by finite differences."""
    B = oxygen_lattice(make_cluster("dimer", periodic=False), coupling=1.0).barrier  # one oxygen, 500 K

    def e_n(u):
        return levels(D * u / u0)[0]

    h = 1e-6 * u0
    force0 = -(e_n(u0 + h)[0] - e_n(u0 - h)[0]) / (2 * h)  # outward electronic force on the ground surface

    def balance(uw):
        x = u0 / uw
        return 4 * B * x * (x * x - 1) / uw - force0

    uw = brentq(balance, u0 / 8, 8 * u0, xtol=1e-16)

    def surface(u):
        return B * ((u / uw) ** 2 - 1) ** 2 + float(weights @ e_n(u)[: weights.size])

    # the basin the lattice starts in (u > 0; the surface of the dimer's excited states is symmetric in u)
    res = minimize_scalar(surface, bounds=(0.0, 2 * u0), method="bounded", options={"xatol": 1e-13})
    return res.x, uw


@pytest.mark.parametrize("mix", [(0.0, 1.0, 0.0), (0.0, 0.6, 0.4)])
def test_relaxed_breathing_equals_a_direct_minimisation_on_two_sites(mix):
    _, vecs = levels(D)
    psi0 = vecs[:, 0].astype(complex)
    chi = vecs[:, 1:4] @ np.sqrt(np.asarray(mix, float))
    m0 = dimer(0.0)
    basis = build_basis(m0, sector(n_up=1, n_down=1))
    r = relax_breathing(m0, basis, LARGE, D, psi0=psi0, state=chi, force_tol=1e-10)
    weights = np.concatenate([[0.0], np.asarray(mix, float)])
    u_direct, uw = direct_minimum(weights, r.u0)
    assert r.u == pytest.approx(u_direct, abs=U_TOL)
    assert r.well_minimum == pytest.approx(uw, rel=1e-6)
    assert r.relaxed_breathing == pytest.approx(D * u_direct / r.u0, abs=D * U_TOL / r.u0)
    assert r.captured == pytest.approx(1.0, abs=1e-12) and r.energy_gain >= 0
    # the relaxed model is the breathing model at Δ*: same spectrum
    got = np.linalg.eigvalsh(hamiltonian_matrix(r.relaxed_model, basis).toarray())
    np.testing.assert_allclose(got, levels(r.relaxed_breathing)[0], atol=1e-10)


def test_ground_state_stays_at_the_fitted_breathing():
    """The wells are centred so that the ground state's surface has its minimum at the fitted Δ."""
    _, vecs = levels(D)
    m0 = dimer(0.0)
    basis = build_basis(m0, sector(n_up=1, n_down=1))
    r = relax_breathing(m0, basis, LARGE, D, psi0=vecs[:, 0], state=vecs[:, 0], force_tol=1e-10)
    assert r.relaxed_breathing == pytest.approx(D, abs=1e-9) and abs(r.force_u0) < 1e-9
    assert r.well_minimum < r.u0  # the ground state's electrons push the oxygens outwards: the bare wells sit inside


def test_populations_below_the_threshold_are_dropped_from_the_surface_and_the_kept_part():
    """χ̂ with 97 % on the first excited state and 3 % on the third, threshold 5 %: the surface is that of the first excited
    state alone (direct minimisation with weights (0, 1, 0)), the captured weight is 0.97, and the kept part is the dense
    projection of χ̂ onto that eigenvector (round-off: dense eigenvectors of a 4-state sector against ARPACK's)."""
    _, vecs = levels(D)
    chi = vecs[:, 1:4] @ np.sqrt([0.97, 0.0, 0.03])
    m0 = dimer(0.0)
    r = relax_breathing(m0, build_basis(m0, sector(n_up=1, n_down=1)), LARGE, D, psi0=vecs[:, 0], state=chi, captured_tol=0.05, force_tol=1e-10)
    assert r.captured == pytest.approx(0.97, abs=1e-12) and r.n_levels == 1
    assert r.u == pytest.approx(direct_minimum(np.array([0.0, 1.0]), r.u0)[0], abs=U_TOL)
    kept = r.kept_part(3.0 * chi)  # any norm
    expected = vecs[:, 1] * (vecs[:, 1] @ chi)
    np.testing.assert_allclose(kept, expected, atol=1e-12)
