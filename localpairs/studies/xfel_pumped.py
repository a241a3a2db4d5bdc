r"""XFEL study, probe step: the pumped states of a scenario from linear response, and its check against the full evolution.

After the pulse the pumped cluster is ``ψ(t) = c₀ e^{−iE₀t/ħ} ψ₀ + χ(t)`` with, to first order in
the field, ``χ(t) = e^{−iH₀(t − t₁)/ħ} χ⁽¹⁾(t₁)`` (:func:`~.xfel_points.pumped_scenario`: one
Lanczos matrix function, the fluence calibrated to the measured α there, α ∝ F exactly). The
states at the study's delays are this free evolution (:func:`free_states`); nothing is time-stepped
through the pulse. On these states the eigen-populations of χ̂ do not change after the pulse, so
the long probe of χ̂ is the same at every delay (the probe step computes it once per lattice) and the
Born–Oppenheimer relaxation of the lattice (:mod:`~localpairs.solvers.dynamics.breathing_relaxation`)
sees one surface: that of χ⁽¹⁾, which carries no pulse-tail populations (the evolved paired χ at the calibrated
fluence holds 2 % at ħω, 96 % on one level at 2ħω and the rest on 3–5ħω, ranks up to ~3,300 of 4,900: kept to 1e-6
its relaxation took 1,400 s; the scan's evolved state drops populations below 0.02, :data:`~.xfel_points.EVOLVED_CAPTURED_TOL`).

The full evolution remains where first order cannot answer: the fluence dependence α(F) (its
exponent is exactly 1 at first order), the rise through the pulse (kinetics) and the finite probe
(ψ(t) on the probe's time grid). Where it is computed at the calibrated fluence, :func:`linear_response_check`
compares the two states: α, the absorbed energy and |⟨χ̂_LR|χ̂_evolved⟩| at the same time.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from scipy.sparse.linalg import expm_multiply

from localpairs.hamiltonians.driven_model import gaussian_pulse
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import LR_PROBE_FLUENCE, POLARIZATION, PumpedScenario, pumped_scenario
from localpairs.units import HBAR_EV_FS

logger = logging.getLogger(__name__)


def free_states(sc: PumpedScenario, times: np.ndarray) -> np.ndarray:
    """The states ψ(t) = √(1 − α) e^{−iE₀t/ħ} ψ₀ + e^{−iH₀(t − t₁)/ħ} χ⁽¹⁾(t₁) at each of ``times`` (fs, after the pulse).

    Parameters
    ----------
    sc
        The pumped scenario (χ⁽¹⁾ at ``sc.time`` = t₁).
    times
        Times in fs.

    Returns
    -------
    numpy.ndarray
        (dim, len(times)) complex states, normalized to first order (‖ψ‖² = 1 exactly: χ ⟂ ψ₀).
    """
    _, cache, _ = sc.model("unrelaxed")
    h = cache.matrix(sc.context.system.sector)
    c0 = np.sqrt(max(0.0, 1.0 - sc.alpha))
    out = np.empty((sc.psi0.size, len(times)), dtype=np.complex128)
    for k, t in enumerate(times):
        chi = expm_multiply((-1j * (float(t) - sc.time) / HBAR_EV_FS) * h, sc.chi) if t != sc.time else sc.chi
        out[:, k] = c0 * np.exp(-1j * sc.e0 * float(t) / HBAR_EV_FS) * sc.psi0 + chi
    return out


def linear_response_run(ctx: Context, fit: dict[str, Any], *, fluence: float | None = None, alpha_target: float | None = None
                        ) -> tuple[dict[str, Any], PumpedScenario]:
    """The states ψ₀ and ψ at the delays of one scenario in linear response, as :func:`~.xfel_probe.pump_states` gives them evolved.

    Parameters
    ----------
    ctx
        The study context.
    fit
        The scenario's fit with ``E_G`` = the pump's photon energy (eV).
    fluence, alpha_target
        Fluence (mJ/cm²), or the excited fraction to calibrate it to; one of the two.

    Returns
    -------
    tuple
        The run (``times``, ``states``, ``E0``, ``population``, ``absorbed``, ``pulse``, ``relax_state`` = χ⁽¹⁾,
        ``free`` = True, ``linear_response`` = the validity record, ``calibration``) and the pumped scenario.
    """
    t0 = time.perf_counter()
    cfg = ctx.cfg
    sc = pumped_scenario(ctx.spec, fit, name=str(fit.get("name", "")), fluence=fluence, alpha=alpha_target)
    pulse = gaussian_pulse(photon_energy=fit["E_G"], duration=cfg.pump.duration, fluence=sc.fluence, polarization=list(POLARIZATION))
    end = pulse.center + cfg.pump.duration
    times = np.concatenate([[0.0], end + np.asarray(cfg.pump.delays, dtype=float)])
    states = np.concatenate([sc.psi0[:, None], free_states(sc, times[1:])], axis=1)
    absorbed = float(sc.validity["absorbed_energy"])
    n = len(times) - 1
    calibration = None if alpha_target is None else {
        "probe_fluence": LR_PROBE_FLUENCE, "probe_population": sc.alpha * LR_PROBE_FLUENCE / sc.fluence, "fluence": sc.fluence,
        "alpha_target": float(alpha_target), "method": "linear response (α ∝ F exactly at first order)"}
    run = {"times": times, "states": states, "E0": sc.e0, "population": [sc.alpha] * n, "absorbed": [absorbed] * n, "relax_state": sc.chi, "free": True,
           "pulse": {"fluence": sc.fluence, "center_fs": float(pulse.center), "end_fs": float(end), "peak_field": float(pulse.peak_field)},
           "linear_response": {**sc.validity, "time_fs": sc.time, "seconds": time.perf_counter() - t0}, "calibration": calibration}
    return run, sc


def linear_response_check(ctx: Context, fit: dict[str, Any], run: dict[str, Any]) -> dict[str, float]:
    """Linear response against the full evolution ``run`` (:func:`~.xfel_probe.pump_states`) at its fluence and last time.

    Parameters
    ----------
    ctx
        The study context.
    fit
        The scenario's fit with ``E_G`` = the pump's photon energy (eV).
    run
        The evolved run (``states[:, 0]`` = ψ₀, ``states[:, -1]`` at ``times[-1]``, ``pulse["fluence"]``).

    Returns
    -------
    dict of float
        ``alpha_lr``, ``alpha_evolved``, ``alpha_ratio`` (LR/evolved), ``absorbed_lr``, ``absorbed_evolved`` (eV),
        ``overlap`` |⟨χ̂_LR|χ̂_evolved⟩| at ``time_fs``, ``fluence``, ``seconds``.
    """
    t0 = time.perf_counter()
    sc = pumped_scenario(ctx.spec, fit, fluence=float(run["pulse"]["fluence"]))
    t_last = float(run["times"][-1])
    chi_lr = free_states(sc, np.array([t_last]))[:, 0]
    psi0, psi = run["states"][:, 0], run["states"][:, -1]
    chi_lr = chi_lr - np.vdot(psi0, chi_lr) * psi0
    chi_ev = psi - np.vdot(psi0, psi) * psi0
    a_ev = float(np.vdot(chi_ev, chi_ev).real)
    overlap = abs(np.vdot(chi_lr, chi_ev)) / np.sqrt(float(np.vdot(chi_lr, chi_lr).real) * a_ev)
    out = {"alpha_lr": sc.alpha, "alpha_evolved": a_ev, "alpha_ratio": sc.alpha / a_ev, "absorbed_lr": float(sc.validity["absorbed_energy"]),
           "absorbed_evolved": float(run["absorbed"][-1]), "overlap": float(overlap), "time_fs": t_last, "fluence": float(run["pulse"]["fluence"]),
           "seconds": time.perf_counter() - t0}
    logger.info("linear response vs evolution at %.4g mJ/cm²: α %.4g vs %.4g, |⟨χ̂_LR|χ̂_ev⟩| = %.5f", out["fluence"], out["alpha_lr"], a_ev, out["overlap"])
    return out


def linear_response_rows(spectra: dict[str, Any], scan: dict[float, Any]) -> dict[str, Any]:
    """Validity of the linear-response pumped states and their agreement with the full evolution.

    Parameters
    ----------
    spectra
        The probe step's records per scenario (``linear_response``: α, two-photon ratio, linear regime, seconds).
    scan
        The fluence scan's records by factor; factor 1 holds ``linear_response_check`` (:func:`~.xfel_pumped.linear_response_check`).

    Returns
    -------
    dict
        ``validity`` per scenario (None where the state was evolved) and ``check`` (None if factor 1 was not evolved).
    """
    keys = ("alpha", "two_photon_ratio", "two_photon_ratio_max", "alpha_linear_max", "linear_regime", "lanczos_converged", "time_fs", "seconds")
    validity = {s: None if spectra[s].get("linear_response") is None else {k: spectra[s]["linear_response"].get(k) for k in keys} for s in spectra}
    return {"validity": validity, "check": scan.get(1.0, {}).get("linear_response_check")}
