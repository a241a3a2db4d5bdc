r"""Scheme ladder of the adaptive driven steps: a cheaper scheme where the carrier cap, not the error, limits the step.

``EvolutionOptions.scheme_ladder`` (step doubling only, no lattice). In the weak-field tails of a
pulse the step sits at the carrier cap ``2π/(ω·steps_per_cycle)`` (:mod:`~localpairs.solvers.dynamics.step_doubling`)
with an error estimate below its target: where a scheme of lower order passes the same test at
the same step, it does so for fewer exponentials. The ladder of a scheme
(:data:`~localpairs.solvers.dynamics.cfet.LADDERS`) is CF2 (exponential midpoint, 1 exponential,
order 2) – CFM4 (2, order 4) – CF6 (5, order 6), cheapest first, ending at ``options.scheme``.
Every attempt, whatever its rung, is a step-doubling attempt of that rung's scheme with the same
Lanczos tolerance and the same target (a share of it below the top, see below), Richardson factor ``2^p − 1`` of its order p, controller exponent
1/p, and its own extrapolated state (order p + 2: all rungs are time-symmetric) kept: an accepted
step has passed its own doubling estimate, so the error control is the same in kind. The cap is the
top scheme's (``options.cycle_steps``) on every rung; the midpoint rule's half steps then still
sample the carrier every 1/8 period, where Richardson's estimate holds (its quadrature error of the
carrier phase is a series in (ωh)²).

Policy
------
The state carries the rung of the next attempt (``IntegratorState.rung``, checkpointed) and
a wait counter (``IntegratorState.ladder_wait``, checkpointed), so a resumed run repeats the
uninterrupted one bit for bit. With ``cap = min(h_max, h_cycle)``:

* the top rung is judged by the step's target, a lower rung by :data:`LOWER_RUNG_SHARE` of it
  (0.3: a cheap rung's extrapolated state is closer to its estimate than CF6's order-8 one, and
  at the full target the final error grew past the top's);
* an accepted step at the cap whose controller proposes the cap again (the cap, not the error,
  limits the step) steps *down* one rung for the next attempt, unless the wait counter runs;
* a rejected attempt below the top rung (a failed probe) is retried at the same h one rung *up*,
  and the wait counter is set to ``ceil(8·ln q)`` accepted steps (:func:`probe_wait`; q the
  probe's estimate over its target, at most 64): in the weak-field tails the error is linear in
  the field amplitude, which falls by e every few fs in a pulse's trailing edge and only grows in
  its leading edge (each failed probe there waits longer);
* an accepted step below the top rung that is not cap-limited moves *up* one rung at the same h
  and waits 8 steps;
* the top rung behaves exactly as without the ladder (a rejection shrinks h), and every accepted
  step counts the wait down. Field-free steps leave the ladder (the next driven attempt starts at
  the top).

Measured (2×2×2 pump, ``benchmarks/bench_evolution.py``): at the CF6 cap (0.52 fs) in the tails
CFM4's doubling estimate is ~10³ times CF6's and CF2's ~60 times CFM4's, so CFM4 passes only
below |A| ≈ 4e-6 of the peak at 8 mJ/cm² and CF2 below ~3e-8: the ladder pays in the outer tails
(a CF2 step costs ~46 products there against CF6's ~134), not where |A| is 1e-4–1e-6 of the peak.
Products see "Cost" in :mod:`~localpairs.solvers.dynamics.cfm4`. On short pulses (tails of a
few carrier periods) the failed probes can cost more than the cheap steps save (+1 % measured on
a 4 fs pulse on the 2×2×1 plaquette).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from localpairs.solvers.dynamics.step_doubling import doubling_attempt

if TYPE_CHECKING:  # pragma: no cover - typing only
    from localpairs.solvers.dynamics.cfm4 import CFM4Integrator
    from localpairs.solvers.dynamics.integrator_settings import IntegratorState

#: Share of the step's target a rung below the top must meet. Measured on the 2×2×2 pump at tol 1e-6:
#: with 1 the calibrated 0–200 fs case ended at 1.05e-8 (the top alone 9.8e-9: a cheap rung's kept
#: state is closer to its estimate than CF6's extrapolated one); with 0.3 at 9.6e-9.
LOWER_RUNG_SHARE = 0.3
#: Accepted steps to wait per e-fold by which a failed probe missed its target: ``ceil(WAIT_PER_EFOLD·ln q)``
#: (measured on the 2×2×2 pump: 8 and 14 cost the same, 3 or a fixed wait of 8 steps 1–2 % more).
WAIT_PER_EFOLD = 8.0
#: Longest wait (accepted steps) after a failed probe, and the wait after moving up for accuracy.
MAX_WAIT, UP_WAIT = 64, 8
#: Relative slack of "at the cap" (step sizes are compared after clipping arithmetic).
_CAP_SLACK = 1e-9


def probe_wait(q: float) -> int:
    """Accepted steps before the next probe down after a probe that missed its target by the factor ``q``.

    Parameters
    ----------
    q : float
        The failed probe's estimate over its target (> 1 for a rejection; a Lanczos failure may give less).

    Returns
    -------
    int
        ``ceil(WAIT_PER_EFOLD·ln q)`` within ``[1, MAX_WAIT]``: the weak-field error is linear in the
        field amplitude, which falls by e every few fs in a pulse's trailing edge and grows in its
        leading edge (where the waits then grow with each failed probe).
    """
    return int(min(MAX_WAIT, max(1, math.ceil(WAIT_PER_EFOLD * math.log(max(q, 1.0))))))


def ladder_attempt(integ: CFM4Integrator, state: IntegratorState, h: float, t_new: float, *, target: float, ktol: float) -> tuple[bool, IntegratorState]:
    """Try one step-doubling step of the rung ``state.rung`` and choose the next rung (module docstring).

    Parameters
    ----------
    integ : CFM4Integrator
        The integrator (its ``ladder`` set).
    state : IntegratorState
        State at the start of the step.
    h : float
        Step in fs (already clipped to the next stop and to the cap).
    t_new : float
        End of the step in fs.
    target : float
        Largest accepted estimate (the step's share of the tolerance).
    ktol : float
        Lanczos tolerance of each exponential.

    Returns
    -------
    tuple
        ``(accepted, next state)``; the next state carries the rung and wait counter of the next
        attempt, and an accepted one names its scheme in ``extra["scheme"]`` (not checkpointed).
    """
    ladder = integ.ladder
    assert ladder is not None  # attempt() calls this only with a ladder
    top = len(ladder) - 1
    rung = top if state.rung < 0 else min(state.rung, top)
    share = 1.0 if rung == top else LOWER_RUNG_SHARE
    accepted, new = doubling_attempt(integ, state, h, t_new, target=share * target, ktol=ktol, scheme=ladder[rung])
    cap = min(integ.options.h_max, integ.h_cycle) * (1.0 - _CAP_SLACK)
    if not accepted:
        if rung < top:  # the cheap rung failed: the same step one rung up
            return False, replace(new, h=h, rung=rung + 1, ladder_wait=probe_wait(new.last_error / (share * target)))
        return False, replace(new, rung=rung, ladder_wait=state.ladder_wait)
    used = {"scheme": ladder[rung].name}
    wait = max(state.ladder_wait - 1, 0)
    if h >= cap and new.h >= cap:  # the cap, not the error, limits the step: one rung down
        return True, replace(new, rung=rung - 1 if wait == 0 and rung > 0 else rung, ladder_wait=wait, extra=used)
    if rung < top:  # the error limits a cheap rung: one rung up
        return True, replace(new, h=max(new.h, h), rung=rung + 1, ladder_wait=UP_WAIT, extra=used)
    return True, replace(new, rung=rung, ladder_wait=wait, extra=used)
