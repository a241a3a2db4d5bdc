"""XFEL study: what the closed cluster says about the measured kinetics τ1, τ2, τ3 (review Fig. 8).

A closed cluster has no τ2 or τ3. After the pulse H is time independent, so the weight on the
ground state, |⟨ψ0|ψ(t)⟩|², and with it the excited weight α = 1 − |⟨ψ0|ψ(t)⟩|², is conserved:
nothing relaxes. A partial recovery (τ2) or a lattice rearrangement (τ3) needs dissipation or a
bath (phonons, a larger system).

The lattice time comes from a damped lattice (:func:`lattice_trace`): after the pulse an excited
cluster's breathing coordinate is released at rest at the fitted LPDW with its electrons in χ̂, and
moves by damped Ehrenfest dynamics (:mod:`localpairs.solvers.dynamics.breathing_dynamics`; wells
held so that ψ0 stays at the fitted Δ, the surface of the Born–Oppenheimer relaxation). The friction
γ stands for the bath the cluster lacks and is a nuisance parameter, scanned over
:data:`LATTICE_DAMPING` (its source in :mod:`localpairs.hamiltonians.oxygen_lattice`: no measured
width of BaBiO3's 570 cm⁻¹ breathing line was found; optical-phonon widths of oxides are 5–50 cm⁻¹,
1/γ = 0.1–1 ps; the review reports overtones of the breathing line up to the fifth order, a weakly
damped mode). The lattice time is the e-folding time of the approach of Δ(t) to its end value, from
a damped-oscillation fit (:mod:`localpairs.analysis.lattice_time`) over :data:`LATTICE_WINDOW` fs;
γ = 0 gives the closed cluster's own rate. For an underdamped oscillator it is 2/γ: when the fits give
that, the model does not predict τ3, it inherits it from γ.

What the model does give is the rise during the pulse, of

- the excited weight α(t) = 1 − |⟨ψ0|ψ(t)⟩|² (assumption: the ΔXAS amplitude is ∝ α, as in the
  probe step; during the pulse α also holds the reversible, virtual polarisation, which is why
  its final value is read after the pulse);
- the number of broken pairs carried by the excited part, with ψ = c0 ψ0 + χ (χ ⟂ ψ0, the split
  of the probe step): B(t) = α D(0) − ⟨χ|D|χ⟩ = α [D(0) − ⟨χ̂|D|χ̂⟩], D = Σ_i n_i↑ n_i↓
  (assumptions: a local pair is a doubly occupied site, the pairs of the U < 0 model; the
  interference term 2 Re c0*⟨ψ0|D|χ⟩, which oscillates at the excitation frequency, is left out as
  the probe step leaves it out; B still oscillates after the pulse, so its final value is the
  mean after the pulse).

Each is compared with τ1 through its 10–90 % rise time t₁₀₋₉₀ and the τ that gives the same
rise in the review's fit model (1 − e^{−s/τ1})² (:mod:`localpairs.analysis.kinetics`):
τ_equiv = t₁₀₋₉₀ / [ln(1 − √0.1) − ln(1 − √0.9)] = t₁₀₋₉₀ / 2.59. The pulse-limited reference is
resonant one-photon absorption into a discrete level to first order: the amplitude grows as the
integral of the field envelope exp(−τ²/(2σ²)), so α(t) ∝ [1 + erf(τ/(√2σ))]²/4 and
t₁₀₋₉₀ = √2 σ [erf⁻¹(2√0.9 − 1) − erf⁻¹(2√0.1 − 1)] = 2.12 σ (a rate-equation absorber, following
the integrated intensity, would give 1.81 σ).

"After the pulse" means after :func:`pulse_end`: where the intensity has fallen below 10⁻³ of
its peak.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from scipy import special

from localpairs.analysis.lattice_time import fit_damped_oscillation
from localpairs.analysis.verdicts import Row
from localpairs.errors import InputError
from localpairs.hamiltonians.driven_model import drive
from localpairs.hamiltonians.pulse import Pulse, gaussian_pulse
from localpairs.solvers import solve
from localpairs.solvers.dynamics.breathing_dynamics import damped_breathing
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.solvers.ed.observables import occupations
from localpairs.studies.xfel_fit import Context

#: "After the pulse": intensity below this fraction of its peak.
AFTER_PULSE_INTENSITY = 1e-3
#: Time points of the rise trace (memory: dim × this many complex numbers).
N_TIMES = 81
#: Rise-time factor of the review's model (1 − e^{−s/τ})²: t₁₀₋₉₀ = RISE_FACTOR · τ.
RISE_FACTOR = math.log(1.0 - math.sqrt(0.1)) - math.log(1.0 - math.sqrt(0.9))
#: 10–90 % rise of resonant first-order excitation, [1 + erf(τ/(√2σ))]²/4, in units of the pulse's σ.
PULSE_RISE_SIGMAS = math.sqrt(2.0) * float(special.erfinv(2.0 * math.sqrt(0.9) - 1.0) - special.erfinv(2.0 * math.sqrt(0.1) - 1.0))
#: The cited range of the lattice damping γ (1/fs; module docstring), scanned with γ = 0 (the closed cluster).
LATTICE_DAMPING = (1e-3, 1e-2)
#: Window of the damped lattice after the pulse (fs): ≥ 6 periods of the held wells on the 2×2×2 fits (12.6 and 7.8 fs).
LATTICE_WINDOW = 80.0
#: Fixed step of the damped lattice (fs): energy balance 2e-5 eV over 100 fs on the paired 2×2×2 fit, lattice
#: time within 0.1 % of the 0.25 fs run.
LATTICE_STEP = 0.5
#: A damped-lattice run is a clean damped oscillation when the fit's rms misfit is below this fraction of the
#: half swing of Δ(t) (2×2×2 fits: 2 %; the nonadiabatic dimer: 26 %) ...
CLEAN_RMS_FRACTION = 0.05
#: ... and its energy-balance residual below this (eV; 2×2×2 fits: ≤ 8e-5 eV against W_diss ≥ 5e-3 eV at γ = 1e-3/fs).
CLEAN_BALANCE = 1e-3
#: τ·γ/2 within this factor of 1 (both ways) and the γ = 0 rate below this fraction of γ/2 at the low end: τ is 2/γ.
INHERITED_FACTOR = 1.25


def pulse_end(pulse: Pulse, *, fraction: float = AFTER_PULSE_INTENSITY) -> float:
    """Time (fs) after which the intensity exp(−(t − t0)²/σ²) stays below ``fraction`` of its peak.

    Parameters
    ----------
    pulse
        The pump pulse.
    fraction
        Intensity relative to the peak (default 10⁻³: "after the pulse").

    Returns
    -------
    float
        t0 + σ √ln(1/fraction) (fs).
    """
    return pulse.center + pulse.sigma * math.sqrt(math.log(1.0 / fraction))


def rise_time(t: np.ndarray, y: np.ndarray, final: float) -> float | None:
    """10–90 % rise time of ``y(t)`` towards ``final`` (first crossings, linear interpolation).

    Parameters
    ----------
    t
        Times (fs).
    y
        The rising quantity at ``t``.
    final
        The value it rises to (> 0).

    Returns
    -------
    float or None
        The rise time (fs); None if ``y`` never gets there or ``final`` ≤ 0.
    """
    if not final > 0:
        return None
    marks = []
    for level in (0.1 * final, 0.9 * final):
        above = np.flatnonzero(y >= level)
        if above.size == 0 or above[0] == 0:
            return None
        i = int(above[0])
        marks.append(float(np.interp(level, [y[i - 1], y[i]], [t[i - 1], t[i]])))
    return marks[1] - marks[0]


def lattice_trace(ctx: Context, fit: dict[str, Any], basis: Any, psi0: np.ndarray, chi: np.ndarray, *,
                  relaxation: dict[str, Any] | None = None) -> dict[str, Any]:
    """Lattice times of the damped breathing after the pulse over the γ scan (module docstring).

    Parameters
    ----------
    ctx
        The study's context (cluster, sector, doping).
    fit
        The scenario's fit (``U``, ``V``, ``breathing`` in eV).
    basis
        Basis of the study's sector.
    psi0
        Ground state of the fitted model.
    chi
        Excited part of the state after the pulse (any norm).
    relaxation
        The probe step's Born–Oppenheimer relaxation record (``relaxed_breathing``), if any.

    Returns
    -------
    dict
        Per γ (0 and :data:`LATTICE_DAMPING`): rate r (1/fs), lattice time 1/r (fs), 2/γ, the value Δ approaches,
        the fit's rms misfit, the energy-balance residual and the dissipated work (eV); the held wells' period,
        the BO Δ* and the seconds.
    """
    t0 = time.perf_counter()
    model0 = ctx.model(fit["U"], fit["V"], 0.0)
    times = np.linspace(0.0, LATTICE_WINDOW, round(LATTICE_WINDOW / LATTICE_STEP) + 1)
    runs = []
    for gamma in (0.0, *LATTICE_DAMPING):
        tr = damped_breathing(model0, basis, ctx.system.doping.large, fit["breathing"], psi0=psi0, state=chi, damping=gamma, times=times,
                              options=EvolutionOptions(fixed_step=LATTICE_STEP))
        run: dict[str, Any] = {"damping": gamma, "inverse": 2.0 / gamma if gamma else None, "balance": float(np.max(np.abs(tr.balance))),
               "dissipated": float(tr.dissipated[-1]), "period_fs": tr.period, "breathing_range": [float(tr.breathing.min()), float(tr.breathing.max())]}
        try:
            osc = fit_damped_oscillation(tr.times, tr.breathing)
            run.update(rate=osc.rate, time_fs=None if math.isinf(osc.time) else osc.time, final=osc.final, rms=osc.rms_residual, reason="")
        except InputError as err:
            run.update(rate=None, time_fs=None, final=None, rms=None, reason=str(err))
        runs.append(run)
    star = None if relaxation is None else relaxation.get("relaxed_breathing")
    return {"runs": runs, "window_fs": LATTICE_WINDOW, "step_fs": LATTICE_STEP, "breathing": fit["breathing"], "relaxed_breathing": star,
            "end_minus_relaxed": None if star is None or runs[-1]["final"] is None else runs[-1]["final"] - star,
            "seconds": time.perf_counter() - t0}


def rise_trace(ctx: Context, fit: dict[str, Any], fluence: float, *, relaxation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The excited weight α(t) and the broken pairs through the pulse of one scenario, their rises, and the damped lattice after it.

    Parameters
    ----------
    ctx
        The study's context.
    fit
        The scenario's fit (``U``, ``V``, ``breathing``, ``photon_energy``).
    fluence
        Pump fluence (mJ/cm²).
    relaxation
        The probe step's Born–Oppenheimer relaxation record, compared with the damped lattice's end value.

    Returns
    -------
    dict
        Times (fs), α(t), broken pairs α[D(0) − ⟨χ̂|D|χ̂⟩], their final values, spreads after the pulse and
        10–90 % rise times (fs), the pulse-limited rise, and ``lattice`` (:func:`lattice_trace`; None without breathing).
    """
    cfg = ctx.cfg
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(model, ctx.system.sector)
    psi0 = gs.ground_state.astype(np.complex128)
    pulse = gaussian_pulse(photon_energy=fit["photon_energy"], duration=cfg.pump.duration, fluence=fluence, polarization=[1.0, 0.0, 0.0])
    end = pulse_end(pulse)
    times = np.linspace(0.0, end + cfg.pump.duration, N_TIMES)
    states = evolve(DrivenOperator(drive(model, pulse=pulse), gs.basis), psi0, times,
                    options=EvolutionOptions(tol=cfg.pump.evolution_tol)).states
    up, dn = occupations(gs.basis, model.n_sites)
    doubles = (up & dn).sum(axis=1).astype(float)
    prob = np.abs(states) ** 2
    alpha = 1.0 - np.abs(psi0.conj() @ states) ** 2
    d0 = float(doubles @ prob[:, 0])
    chi = states - np.outer(psi0, psi0.conj() @ states)
    broken = alpha * d0 - doubles @ (np.abs(chi) ** 2)
    after = times >= end
    a_final, b_final = float(alpha[after].mean()), float(broken[after].mean())
    t_a, t_b = rise_time(times, alpha, a_final), rise_time(times, broken, b_final)
    lattice = lattice_trace(ctx, fit, gs.basis, psi0, chi[:, -1], relaxation=relaxation) if fit["breathing"] > 0 and a_final > 0 else None
    return {"times": times.tolist(), "alpha": alpha.tolist(), "broken_pairs": broken.tolist(), "pulse_end_fs": end,
            "pulse_center_fs": pulse.center, "sigma_fs": pulse.sigma, "alpha_final": a_final, "broken_final": b_final,
            "alpha_after_spread": float(np.ptp(alpha[after])), "broken_after_spread": float(np.ptp(broken[after])),
            "rise_alpha_fs": t_a, "rise_broken_fs": t_b, "rise_pulse_fs": PULSE_RISE_SIGMAS * pulse.sigma,
            "ground_pairs": d0, "fluence": float(fluence), "lattice": lattice}


def _clean(run: dict[str, Any]) -> bool:
    """Whether a damped-lattice run is a clean damped oscillation (:data:`CLEAN_RMS_FRACTION`, :data:`CLEAN_BALANCE`)."""
    half_swing = 0.5 * (run["breathing_range"][1] - run["breathing_range"][0])
    return run["rms"] is not None and run["rms"] <= CLEAN_RMS_FRACTION * half_swing and run["balance"] <= CLEAN_BALANCE


def _lattice_rows(traces: dict[str, dict[str, Any]], tau3: float) -> tuple[list[Row], str]:
    """τ3 rows, one per scenario and γ > 0 of the scan (no verdict: the number is set by γ), and the verdict over the scan."""
    rows, ratios, own, unclean = [], [], [], []
    lo, hi = LATTICE_DAMPING
    for s, tr in traces.items():
        lat = tr.get("lattice")
        if lat is None:
            continue
        for run in lat["runs"]:
            if not _clean(run):
                rms = "—" if run["rms"] is None else f"{run['rms']:.2g}"
                unclean.append(f"{s} γ = {run['damping']:g}/fs (rms {rms} eV, balance {run['balance']:.2g} eV)")
            if not run["damping"]:
                own.append(run["rate"] if run["rate"] is not None else math.inf)
                continue
            t = run["time_fs"] if _clean(run) else None
            if t is not None:
                ratios.append(t / run["inverse"])
            note = (f"no verdict (set by the nuisance γ); damped Ehrenfest breathing from χ̂ after the pulse, τ = 1/r of the damped-oscillation "
                    f"fit over {lat['window_fs']:g} fs (rms {run['rms']:.2g} eV), 2/γ = {run['inverse'] / 1000.0:.3g} ps" if t is not None
                    else f"γ = {run['damping']:g}/fs: not a clean damped oscillation, no lattice time ({run['reason'] or 'rms or energy balance too large'})")
            rows.append(Row(f"τ3 ← lattice time at γ = {run['damping']:g}/fs ({s})", None if t is None else t / 1000.0, tau3, None, "ps", note))
    if not rows:
        return rows, "no damped-lattice time (no breathing to relax)"
    if unclean:
        return rows, f"no lattice time: the damped lattice is not a clean damped oscillation ({'; '.join(unclean)})"
    inherited = all(abs(math.log(r)) <= math.log(INHERITED_FACTOR) for r in ratios) and max(abs(r) for r in own) <= 0.2 * lo / 2
    if not inherited:
        return rows, f"the lattice time is {min(ratios):.3f}–{max(ratios):.3f} × 2/γ over the cited γ = {lo:g}–{hi:g}/fs: not set by γ alone"
    inside = 2e-3 / hi <= tau3 <= 2e-3 / lo
    return rows, (f"not a prediction: the lattice time is {min(ratios):.3f}–{max(ratios):.3f} × 2/γ over the cited γ = {lo:g}–{hi:g}/fs "
                  f"({2e-3 / hi:.2g}–{2e-3 / lo:.2g} ps), and without damping the amplitude does not decay (|r| ≤ {max(abs(r) for r in own):.2g}/fs, "
                  f"the fit's floor); τ3 = {tau3:g} ps lies {'inside' if inside else 'outside'} that range (at γ = 2/τ3 = {2e-3 / tau3:.2g}/fs): "
                  f"{'the model inherits τ3 from γ' if inside else 'the model cannot reach τ3 within the cited γ'}")


def kinetics_rows(traces: dict[str, dict[str, Any]], tau: dict[str, float]) -> list[Row]:
    """The kinetics rows: τ1 from the rises, τ3 from the damped lattice per γ, and the τ2, τ3 verdict rows.

    Parameters
    ----------
    traces
        :func:`rise_trace` per scenario.
    tau
        The review's ``tau1``, ``tau2``, ``tau3`` (ps).

    Returns
    -------
    list of Row
        τ1 rows (rise of α and of the broken pairs per scenario, as τ_equiv in ps), τ3 rows per scenario and
        γ of the scan, then the τ2 row (none in a closed cluster) and the τ3 row whose note gives the verdict
        over the γ scan (no number: the lattice time is set by γ).
    """
    rows = []
    for s, tr in traces.items():
        for key, what, assumption in (("rise_alpha_fs", "excited weight α", "ΔXAS ∝ α"),
                                      ("rise_broken_fs", "broken pairs α[D(0) − ⟨χ̂|D|χ̂⟩]", "a pair = a doubly occupied site, interference with ψ0 left out")):
            t = tr[key]
            note = (f"{assumption}; t₁₀₋₉₀ = {t:.1f} fs (pulse-limited: {tr['rise_pulse_fs']:.1f} fs), τ = t₁₀₋₉₀/{RISE_FACTOR:.2f}"
                    if t is not None else f"{assumption}; no 10–90 % rise (final value {tr['alpha_final' if 'alpha' in key else 'broken_final']:.3g})")
            rows.append(Row(f"τ1 from the rise of the {what} ({s})", None if t is None else t / RISE_FACTOR / 1000.0, tau["tau1"],
                            0.3 * tau["tau1"], "ps", note))
    lattice_rows, lattice_verdict = _lattice_rows(traces, tau["tau3"])
    rows += lattice_rows
    spread = max(tr["alpha_after_spread"] for tr in traces.values())
    rows.append(Row("τ2 (fast partial recovery)", None, tau["tau2"], None, "ps",
                    f"none in a closed cluster: α is conserved after the pulse (spread {spread:.1g} over the window), recovery needs a bath"))
    rows.append(Row("τ3 (lattice rearrangement), over the γ scan", None, tau["tau3"], None, "ps",
                    f"none in a closed cluster without damping; damped-lattice verdict: {lattice_verdict}"))
    return rows
