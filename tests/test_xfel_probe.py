"""The XFEL study's probe step with each probe model on the dimer: the instantaneous model against the
pump study's split_xas (today's pipeline), the finite probe tending to the long probe (convolved with
the probe bandwidth) as the probe lengthens, and the relaxed rows on the relaxed model."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from test_xfel import SMALL, dimer_ctx

from localpairs.analysis.xas_peaks import pre_edge_peak
from localpairs.solvers.dynamics.finite_probe import probe_bandwidth
from localpairs.solvers.dynamics.transient_xas import XasSettings, ground_offset, split_xas, state_xas
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.studies.xfel_probe import probe_states, pump_states

FIT = {"U": -1.0, "V": 0.15, "breathing": 0.3}
FWHM_TO_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def run(probe_model, delays, **probe):
    ctx = dimer_ctx(**{**SMALL, "probe": {**SMALL["probe"], "probe_model": probe_model, **probe}, "pump": {**SMALL["pump"], "delays": delays}})
    fit = {**FIT, "E_G": ctx.evaluate(**FIT)["E_G"]}
    states = pump_states(ctx, fit, 0.03, probe_windows=probe_model == "finite")
    return ctx, fit, states, probe_states(ctx, fit, states)


def test_instantaneous_probe_is_the_split_xas_of_the_pump_study():
    ctx, _, states, got = run("instantaneous", [0.0, 5.0])
    p, sec = ctx.cfg.probe, ctx.system.sector
    cache = SectorCache(ctx.model(FIT["U"], FIT["V"], FIT["breathing"]))
    settings = XasSettings(U_c=p.U_c, Gamma=p.Gamma, n_steps=p.lanczos_steps, excited_probe="single_reference")  # the pump study's instantaneous probe
    psi0 = states["states"][:, 0]
    rel = np.arange(p.omega_span[0] - 4.0, p.omega_span[1], p.omega_step)
    offset = ground_offset(cache, sec, psi0, settings, e_ground=states["E0"], grid=rel, target=p.pre_edge_peak, feature=pre_edge_peak)
    omega = np.asarray(got["omega"])
    ground = state_xas(cache, sec, psi0, omega, settings, offset=offset, e_ref=states["E0"])["total"].values
    for k in (1, 2):
        ref = split_xas(psi0, states["states"][:, k], ground=ground, cache=cache, sec=sec, omega=omega, offset=offset, settings=settings).difference
        # both exhaust the 4-state final sectors: equal to round-off
        assert np.abs(np.asarray(got["unrelaxed"]["dxas"][k - 1]) - ref).max() <= 1e-10 * np.abs(ref).max()


def test_finite_probe_tends_to_the_long_probe_as_it_lengthens():
    """ΔXAS of the finite probe against the long probe's convolved with the probe bandwidth (what a
    stationary population gives): the difference (its short-probe coherences and cross terms)
    shrinks as the probe lengthens (measured 0.032 → 0.014 of the peak from 20 to 40 fs)."""
    long = run("long", [130.0, 200.0])[3]
    diffs = []
    for fwhm, delays in ((20.0, [60.0, 100.0]), (40.0, [130.0, 200.0])):
        finite = run("finite", delays, probe_fwhm=fwhm)[3]
        ref = gaussian_filter1d(np.asarray(long["unrelaxed"]["dxas"][-1]), probe_bandwidth(fwhm) / FWHM_TO_SIGMA / SMALL["probe"]["omega_step"])
        d = np.asarray(finite["unrelaxed"]["dxas"][-1])
        diffs.append(float(np.abs(d - ref).max() / np.abs(ref).max()))
        assert finite["probe_settings"]["probe_bandwidth"] == pytest.approx(probe_bandwidth(fwhm))
    assert diffs[1] < 0.6 * diffs[0] and diffs[1] < 0.03


def test_relaxed_rows_use_the_relaxed_model():
    ctx, _, _, got = run("long", [0.0, 5.0])
    rel = got["relaxation"]
    assert rel is not None and rel["breathing"] == FIT["breathing"] and rel["relaxed_breathing"] != FIT["breathing"]
    for info in got["probe"]["relaxed"]:
        assert info["window_width"] == pytest.approx(0.25 * ctx.cfg.probe.Gamma) and info["halving_change"] <= 1e-3
    assert not np.allclose(got["relaxed"]["dxas"][-1], got["unrelaxed"]["dxas"][-1])
