"""The exp(−⟨N⟩D) rule: the pair-tunnelling splitting through N fermionic sites, by ED."""

import numpy as np
import pytest

from localpairs.analysis.tunnelling_fit import fit_exponential_decay, two_fermion_decay_constant
from localpairs.errors import InputError
from localpairs.solvers.ed.pair_tunnelling import pair_tunnelling_splittings

#: With the N^−p prefactor fitted, D matches the closed form to ~1 % for N ≤ 9; allow 3 %.
SLOPE_REL_TOL = 0.03


@pytest.mark.parametrize("E_B", [-6.0, -8.0])
def test_splitting_decays_exponentially_with_the_two_fermion_rate(E_B):
    data = pair_tunnelling_splittings(list(range(1, 10)), t_F=1.0, g=0.5, E_B=E_B)
    fit = fit_exponential_decay(data["n"][2:], data["splitting"][2:], power_law=True)
    assert fit.max_residual < 0.01  # ln Δ = ln A − D N − p ln N describes the data
    reference = two_fermion_decay_constant(float(data["ground_energy"][-1]), 1.0)
    assert abs(fit.D - reference) / reference < SLOPE_REL_TOL
    # the splitting falls by orders of magnitude: the pair hopping is exponentially small in N
    assert data["splitting"][-1] < 1e-5 * data["splitting"][0]


def test_dimer_limit_closed_form():
    """N = 0 is impossible (bosons adjacent); N = 1: B F B with a single fermionic site.

    The fit is checked on exact exponential data instead: D and A come back exactly.
    """
    n = np.arange(1, 6)
    fit = fit_exponential_decay(n, 0.3 * np.exp(-1.7 * n))
    assert np.isclose(fit.D, 1.7) and np.isclose(fit.prefactor, 0.3) and fit.max_residual < 1e-12
    fit = fit_exponential_decay(n, 0.3 * np.exp(-1.7 * n) * n**-1.5, power_law=True)
    assert np.isclose(fit.D, 1.7) and np.isclose(fit.power, 1.5)
    with pytest.raises(InputError, match="splitting"):
        fit_exponential_decay(n, np.array([1.0, 0.5, 0.0, 0.1, 0.1]))
    with pytest.raises(InputError, match="energy"):
        two_fermion_decay_constant(-3.0, 1.0)


def test_decay_regime_fits_only_the_monotone_tail():
    """A rise then an exact exponential: only the falling tail is fitted and D comes back exactly;
    a tail that falls on fewer than three lengths gives no fit and says so."""
    from localpairs.analysis.tunnelling_fit import decay_regime

    n = np.arange(1, 7)
    d = 0.3 * np.exp(-1.1 * n)
    d[0] = 0.5 * d[1]  # N = 1 below N = 2: not monotone
    reg = decay_regime(n, d)
    assert reg.n_used == (2, 3, 4, 5, 6) and np.isclose(reg.fit.D, 1.1) and reg.fit.max_residual < 1e-12
    bad = decay_regime(n, np.array([1.0, 0.5, 0.25, 0.1, 0.2, 0.1]))
    assert bad.fit is None and "no exponential regime" in bad.reason and bad.n_used == (5, 6)


def test_decay_regime_on_ed_below_and_inside_the_continuum():
    """Below the continuum (E_B = −6 t_F) the ED splittings fall at every N and the regime carries the
    closed-form D; the study's default (E_B = +0.5 eV > −4 t_F) lies inside it and is said to."""
    from localpairs.analysis.tunnelling_fit import decay_regime

    deep = pair_tunnelling_splittings(list(range(1, 7)), t_F=1.0, g=0.5, E_B=-6.0)
    reg = decay_regime(deep["n"], deep["splitting"], ground_energy=float(deep["ground_energy"][-1]), t_f=1.0)
    assert reg.n_used == tuple(range(1, 7)) and reg.below_continuum and reg.reference_D > 0
    shallow = pair_tunnelling_splittings([1, 2, 3, 4], t_F=0.33, g=0.1, E_B=0.5)
    reg = decay_regime(shallow["n"], shallow["splitting"], ground_energy=float(shallow["ground_energy"][-1]), t_f=0.33)
    assert reg.below_continuum is False and "inside the two-fermion continuum" in reg.reason
    assert reg.n_used[0] > 1  # Δ(1) < Δ(2) on this chain: N = 1 is left out
