"""XFEL study: what the closed cluster says about the measured kinetics τ1, τ2, τ3 (review Fig. 8).

A closed cluster has no τ2 or τ3. After the pulse H is time independent, so the weight on the
ground state, |⟨ψ0|ψ(t)⟩|², and with it the excited weight α = 1 − |⟨ψ0|ψ(t)⟩|², is conserved:
nothing relaxes. A partial recovery (τ2) or a lattice rearrangement (τ3) needs dissipation or a
bath (phonons, a larger system). The lattice time from a damped lattice would be the model's τ3;
the study has no damped-lattice result, so the τ3 row says so.

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
from typing import Any

import numpy as np
from scipy import special

from localpairs.analysis.verdicts import Row
from localpairs.hamiltonians.driven_model import drive
from localpairs.hamiltonians.pulse import Pulse, gaussian_pulse
from localpairs.solvers import solve
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


def pulse_end(pulse: Pulse, *, fraction: float = AFTER_PULSE_INTENSITY) -> float:
    """Time (fs) after which the intensity exp(−(t − t0)²/σ²) stays below ``fraction`` of its peak."""
    return pulse.center + pulse.sigma * math.sqrt(math.log(1.0 / fraction))


def rise_time(t: np.ndarray, y: np.ndarray, final: float) -> float | None:
    """10–90 % rise time of ``y(t)`` towards ``final`` (first crossings, linear interpolation); None if it never gets there."""
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


def rise_trace(ctx: Context, fit: dict[str, Any], fluence: float) -> dict[str, Any]:
    """α(t) and the broken pairs α[D(0) − ⟨χ̂|D|χ̂⟩] through the pulse of one scenario, with their rise times (fs)."""
    cfg, sec = ctx.cfg, ctx.system.sector
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(model, sec)
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
    return {"times": times.tolist(), "alpha": alpha.tolist(), "broken_pairs": broken.tolist(), "pulse_end_fs": end,
            "pulse_center_fs": pulse.center, "sigma_fs": pulse.sigma, "alpha_final": a_final, "broken_final": b_final,
            "alpha_after_spread": float(np.ptp(alpha[after])), "broken_after_spread": float(np.ptp(broken[after])),
            "rise_alpha_fs": t_a, "rise_broken_fs": t_b, "rise_pulse_fs": PULSE_RISE_SIGMAS * pulse.sigma,
            "ground_pairs": d0, "fluence": float(fluence)}


def kinetics_rows(traces: dict[str, dict[str, Any]], tau: dict[str, float]) -> list[Row]:
    """τ1 rows (rise of α and of the broken pairs per scenario, as τ_equiv in ps) and the τ2, τ3 rows that say why there are none."""
    rows = []
    for s, tr in traces.items():
        for key, what, assumption in (("rise_alpha_fs", "excited weight α", "ΔXAS ∝ α"),
                                      ("rise_broken_fs", "broken pairs α[D(0) − ⟨χ̂|D|χ̂⟩]", "a pair = a doubly occupied site, interference with ψ0 left out")):
            t = tr[key]
            note = (f"{assumption}; t₁₀₋₉₀ = {t:.1f} fs (pulse-limited: {tr['rise_pulse_fs']:.1f} fs), τ = t₁₀₋₉₀/{RISE_FACTOR:.2f}"
                    if t is not None else f"{assumption}; no 10–90 % rise (final value {tr['alpha_final' if 'alpha' in key else 'broken_final']:.3g})")
            rows.append(Row(f"τ1 from the rise of the {what} ({s})", None if t is None else t / RISE_FACTOR / 1000.0, tau["tau1"],
                            0.3 * tau["tau1"], "ps", note))
    spread = max(tr["alpha_after_spread"] for tr in traces.values())
    rows.append(Row("τ2 (fast partial recovery)", None, tau["tau2"], None, "ps",
                    f"none in a closed cluster: α is conserved after the pulse (spread {spread:.1g} over the window), recovery needs a bath"))
    rows.append(Row("τ3 (lattice rearrangement)", None, tau["tau3"], None, "ps",
                    "none in a closed cluster; the damped-lattice time is not computed by this study"))
    return rows
