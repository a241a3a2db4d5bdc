"""XAS chains kept and reused for another broadening: equal to a fresh ``xas`` / ``windowed_xas`` call
at that broadening, and the long-probe chains against the dense per-eigenlevel sum at a Γ other
than the one the windows were built at."""

import numpy as np
import pytest
from test_windowed_xas import dense_long_probe, lpdw, rel, spread_state

from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.windowed_chains import windowed_xas_chains
from localpairs.solvers.spectra.windowed_xas import windowed_xas
from localpairs.solvers.spectra.xas import xas
from localpairs.solvers.spectra.xas_chains import xas_chains

#: The same chains evaluated by the same continued fraction: round-off only.
EXACT_TOL = 1e-12
OMEGA = np.linspace(-8.0, 12.0, 401)


@pytest.mark.parametrize("core_hole", ["both", "site", (1.0, 0.5)])
def test_chains_reused_for_every_gamma_equal_a_fresh_xas(core_hole):
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 10, seed=4)
    cache = SectorCache(m)
    kept = xas_chains(m, sec, psi, U_c=-1.3, core_hole=core_hole, cache=cache)
    for Gamma, fwhm, offset in [(0.1, 0.0, 0.0), (0.2, 0.0, 529.0), (0.4, 0.15, 3.0)]:
        fresh = xas(m, sec, psi, OMEGA + offset, U_c=-1.3, Gamma=Gamma, gaussian_fwhm=fwhm, offset=offset, core_hole=core_hole, cache=SectorCache(m))
        got = kept.spectrum(OMEGA + offset, Gamma=Gamma, gaussian_fwhm=fwhm, offset=offset)
        assert rel(got, fresh["total"].values) <= EXACT_TOL
        ds = kept.dataset(OMEGA + offset, Gamma=Gamma, gaussian_fwhm=fwhm, offset=offset)
        np.testing.assert_allclose(ds["pole_energy"].values, fresh["pole_energy"].values, atol=1e-12)
        assert ds.attrs["Gamma_eV"] == Gamma and ds.attrs["offset_eV"] == offset and ds.attrs["core_hole"] == fresh.attrs["core_hole"]


def test_windowed_chains_at_another_gamma_equal_a_fresh_windowed_xas():
    """The same windows (fixed width, no halving) built at Γ = 0.1 and evaluated at 0.3 eV: a fresh
    windowed_xas at 0.3 eV with that width gives the same numbers."""
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 35, seed=5)
    opts = dict(U_c=-1.0, width=0.05, max_halvings=0, halving_tol=1e-9, n_steps=300, reorthogonalize=True)
    kept = windowed_xas_chains(m, sec, psi, OMEGA, Gamma=0.1, cache=SectorCache(m), **opts)
    fresh = windowed_xas(m, sec, psi, OMEGA, Gamma=0.3, cache=SectorCache(m), **opts)
    assert rel(kept.spectrum(OMEGA, Gamma=0.3), fresh["total"].values) <= EXACT_TOL
    assert kept.halving_change(OMEGA, Gamma=0.3) == pytest.approx(fresh.attrs["halving_change"], abs=EXACT_TOL)


def test_windowed_chains_converged_at_small_gamma_hold_at_larger_gamma():
    """Windows converged at Γ = 0.1 eV, evaluated at Γ = 0.1 and 0.4 eV, against the dense per-eigenlevel
    sum at each Γ (independent reference): within the issue's 1e-6 of the peak at both."""
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 35, seed=6)
    kept = windowed_xas_chains(m, sec, psi, OMEGA, U_c=-1.0, Gamma=0.1, halving_tol=1e-8, n_steps=300, reorthogonalize=True)
    for Gamma in (0.1, 0.4):
        ref, _ = dense_long_probe(m, sec, psi, OMEGA, U_c=-1.0, Gamma=Gamma)
        assert rel(kept.spectrum(OMEGA, Gamma=Gamma), ref) <= 1e-6
        assert kept.halving_change(OMEGA, Gamma=Gamma) <= 1e-8
