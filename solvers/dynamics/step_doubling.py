r"""Step-doubling error control of a driven step (``EvolutionOptions.error_control = "doubling"``, the default).

Error estimate by step doubling: one step of size h and two of size h/2 from the same state;
for a method of order 4 the error of the two half steps is ``‖ψ_{h/2,h/2} − ψ_h‖/15``
(Richardson). CFM4 is time-symmetric, so its local error has only odd powers of h
(C h⁵ + D h⁷ + …) and the extrapolated state ``(16 ψ_{h/2,h/2} − ψ_h)/15`` is of order 6: it is
kept (``extrapolate = True``, default without a lattice; local extrapolation as in
Dormand–Prince codes), while the step is controlled by the estimate of the 4th-order half-step
error, an upper bound. Measured on the pumped 2×2×2 cube at h = 0.05–0.1 fs (h‖H‖/ħ ≈ 1.2–2.4, ‖H‖ the spectral width):
the extrapolated state is 70–160× closer to a converged reference than the two half steps,
and its norm drifts by < 2e-12 per 5 fs (the combination is not exactly unitary; the drift is
far below the error). The estimate is asymptotic: it holds once a step resolves the time dependence of H. A step
much longer than the carrier period averages the field out at both step sizes alike, and the
estimate misses the (one-photon) error of the weak-field tails — measured: with steps grown to
~3 fs at |A| ≲ 1e-2 A0 the state at 40 fs, before the pulse maximum, was already 5e-7 off at
tol 1e-5. While the field is on, steps are therefore capped at 2π/(ω·steps_per_cycle)
(default 16 steps per cycle for CFM4, 0.13 fs at ħω = 2 eV; 4 for CF6, whose four Gauss nodes
per step still sample the carrier every 1/16 period — measured on the 2×2×2 pump: CF6 at 8, 4, 2
and 1 steps per cycle reached 3.8e-9, 1.1e-8, 2.0e-8 and 4.4e-8 at tol 1e-6).
The step is accepted when the estimate is below
``tol·h/(t_end − t_start)`` ("error per unit step"): a unitary evolution does not amplify earlier
errors, so the errors of all steps add up to at most ``tol`` at the end; in practice the final
error is 10–100 times below ``tol`` because errors of different steps do not add in phase. New
step ``h·min(4, max(1/4, 0.9 (target/err)^{1/4}))``. With a lattice its coordinates are compared
too: ``max(|Δu|/u0, |Δp|/√(2MB))/15`` (u0 half the well separation, √(2MB) the momentum of an
oxygen carrying the barrier energy). Each Lanczos exponential of the two half steps is converged
to a tenth of the step's budget (``ktol``); those of the full step to ``ktol·(2^p − 1)/4``
(:data:`FULL_STEP_KRYLOV_DIVISOR`): the full step enters the estimate and the extrapolated state
only divided by 2^p − 1, so its Lanczos errors weigh there at most a quarter of the half steps'
(measured on the 2×2×2 pump, CF6 at tol 1e-6: 62,785 products instead of 64,787 at 8 mJ/cm² on
0–200 fs, final error 8.7e-9 against 8.0e-9; 37,036 instead of 39,477 at 0.0119 mJ/cm², 9.8e-9 against
9.9e-9; a factor 10 or 30 instead of 63/4 gave 62,473 and 61,516). When an exponential
needs more than ``m_max`` vectors the step is halved, and the step never
grows so far that the last full step used more than ``0.8 m_max`` vectors. Estimates below
:data:`ERROR_FLOOR` (round-off) always pass, so a tolerance below ~1e-14 × (number of steps)
cannot be met: about 1e-10 is the practical limit on windows of a few hundred fs. Steps end
exactly on quench times and at t_end. The scheme of an attempt may be a cheaper rung of the scheme
ladder (:mod:`~localpairs.solvers.dynamics.scheme_ladder`): its own order p then sets the
Richardson factor, the controller exponent and the extrapolation.

Why no cheaper error control helps inside the pulse (measured 2026-11-29, 2×2×2, 0–200 fs, 8 mJ/cm²):
CF6 at fixed steps, i.e. with an error estimate that costs nothing, needs h = 0.125 fs and 65,074
products for 6.8e-9 — as many as adaptive CF6 with step doubling and extrapolation to order 8
(64,787 for 8.0e-9). The step is bounded by ``h·ΔE/ħ`` (ΔE = 15.5 eV, the spectral width): the
Gauss nodes must resolve the static part's frequencies, which any polynomial quadrature of the
field term needs, whatever its order. The embedded estimate
(:mod:`~localpairs.solvers.dynamics.embedded_control`) costs 7 exponentials per step against
doubling's 5 + 10 half-size ones, but keeps order 6 instead of 8 and controls the companion's larger
error: 2.8× the products of doubling at 8 mJ/cm² (179,210 for 1.2e-8) and ≥ 1.8× at the calibrated
0.0119 mJ/cm² (70,362 for 3.7e-8 against 39,477 for 9.9e-9).

Measured dead ends (velocity gauge, 64,787 products for 8.0e-9 then): Lanczos tolerance at 0.3 or
1.0 of the step's budget (63,008; 59,577 but 4.4e-8: Lanczos errors add in phase), 2 steps per
carrier period (66,509 for 6.3e-9), a 3-exponential order-4 scheme on 3 Gauss nodes (82,996 for
9.8e-9) and an 8-exponential order-8 scheme on 4 nodes (86,457–99,074 for 7.6e-9–3.7e-8).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from localpairs.solvers.dynamics.integrator_settings import IntegratorState
from localpairs.solvers.dynamics.krylov import vector_norm

if TYPE_CHECKING:  # pragma: no cover - typing only
    from localpairs.solvers.dynamics.cfet import CommutatorFreeScheme
    from localpairs.solvers.dynamics.cfm4 import CFM4Integrator

#: 2^p − 1 for the Richardson estimate of a method of order p = 4 (CFM4, and the lattice's triple jump).
RICHARDSON = 15.0
#: The full step's Lanczos tolerance is ``ktol·(2^p − 1)/FULL_STEP_KRYLOV_DIVISOR`` (module docstring).
FULL_STEP_KRYLOV_DIVISOR = 4.0
#: Round-off floor of the step-doubling estimate: a step whose estimate is below it is accepted
#: whatever the tolerance (smaller steps would not lower the error, only add round-off).
ERROR_FLOOR = 1e-14


def doubling_attempt(
    integ: CFM4Integrator, state: IntegratorState, h: float, t_new: float, *, target: float, ktol: float, scheme: CommutatorFreeScheme | None = None,
) -> tuple[bool, IntegratorState]:
    """Try one step of ``scheme`` (default ``integ``'s) from ``state``, its error estimated by step doubling (module docstring).

    Parameters
    ----------
    integ : CFM4Integrator
        The integrator.
    state : IntegratorState
        State at the start of the step.
    h : float
        Step in fs (already clipped to the next stop).
    t_new : float
        End of the step in fs (``state.t + h``, exactly the stop when clipped).
    target : float
        Largest accepted estimate (the step's share of the tolerance).
    ktol : float
        Lanczos tolerance of each exponential.
    scheme : CommutatorFreeScheme, optional
        Scheme of the attempt (a rung of the scheme ladder; no lattice): its order p sets the
        Richardson factor 2^p − 1, the controller exponent 1/p and the extrapolation.

    Returns
    -------
    tuple
        ``(accepted, next state)``; when rejected, the next state is ``state`` with a smaller h.
    """
    opt = integ.options
    scheme = scheme or integ.scheme
    richardson = 2.0**scheme.order - 1.0
    full = integ.step(state.t, state.psi, h, u=state.u, p=state.p, ktol=ktol * richardson / FULL_STEP_KRYLOV_DIVISOR, scheme=scheme)
    mv = full[3]
    half = integ.step(state.t, state.psi, 0.5 * h, u=state.u, p=state.p, ktol=ktol, scheme=scheme) if full[0] is not None else (None,) * 5
    mv += half[3] or 0
    two = integ.step(state.t + 0.5 * h, half[0], 0.5 * h, u=half[1], p=half[2], ktol=ktol, scheme=scheme) if half[0] is not None else (None,) * 5
    mv += two[3] or 0
    psi_two, psi_full = two[0], full[0]
    if psi_two is None:  # Lanczos not converged: halve
        integ.check_h(0.5 * h)
        return False, replace(state, h=0.5 * h, rejected=state.rejected + 1, matvecs=state.matvecs + mv)
    assert psi_full is not None  # the half steps run only after the full step converged
    err = float(vector_norm(psi_two - psi_full)) / richardson
    factor = opt.fac_max if err == 0 else opt.step_safety * (target / err) ** (1.0 / scheme.order)
    if integ.lattice is not None:
        lat = integ.lattice
        (_, u_two, p_two, _, _), (_, u_full, p_full, _, _) = two, full
        # with a lattice, every converged step (both were) returns its u and p
        assert u_two is not None and p_two is not None and u_full is not None and p_full is not None
        err_l = max(np.max(np.abs(u_two - u_full)) / lat.u0, np.max(np.abs(p_two - p_full)) / lat.momentum_scale, 0.0) / RICHARDSON
        factor = min(factor, opt.fac_max if err_l == 0 else opt.step_safety * (target / err_l) ** 0.25)
        err = max(err, err_l)
    factor = min(opt.fac_max, max(opt.fac_min, factor))
    if full[4] > opt.m_max // 2:  # keep the Lanczos recursion inside m_max
        factor = min(factor, 0.8 * opt.m_max / full[4])
    new_h = min(h * factor, opt.h_max, integ.h_cycle)
    if err > target:
        integ.check_h(new_h)
        return False, replace(state, h=new_h, rejected=state.rejected + 1, matvecs=state.matvecs + mv, last_error=err)
    psi_new = psi_two
    if opt.extrapolate and integ.lattice is None:
        psi_new = ((richardson + 1.0) * psi_two - psi_full) / richardson
    return True, IntegratorState(t_new, psi_new, new_h, two[1], two[2], state.steps + 1, state.rejected, state.matvecs + mv, err)
