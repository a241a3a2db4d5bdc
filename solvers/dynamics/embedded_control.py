r"""Embedded error control of a commutator-free step: the scheme against a lower-order companion on its nodes.

``EvolutionOptions.error_control = "embedded"`` (CF6 only). One step of size h from ψ(t) is taken
twice from the same node values ``H(t + c_m h)``: by the scheme (CF6:5Opt, order 6, kept) and by
its companion of order q = 4 (CF4:2 with its two Legendre moments integrated by CF6's 4-node
Gauss rule, :data:`~localpairs.solvers.dynamics.cfet.CF4_ON_CF6_NODES`). The estimate

.. math:: \mathrm{err} = ‖ψ_{\mathrm{CF6}} − ψ_{\mathrm{CF4}}‖ ≈ ‖ψ_{\mathrm{CF4}} − ψ_{\mathrm{exact}}‖

is the companion's local error (O(h⁵)), an upper bound of the kept CF6 error (O(h⁷)) in the
asymptotic range; the step is accepted when it is below the same error-per-unit-step target as
step doubling's, and the next step is ``h·min(fac_max, max(fac_min, safety·(target/err)^{1/(q+1)}))``.

Cost against step doubling: 5 + 2 exponentials of size h per accepted step instead of 5 of size
h and 10 of size h/2, but the kept state is of order 6, not the extrapolated order 8 of doubling.
It pays where the step is set by the carrier cap (``steps_per_cycle``) rather than by the error,
i.e. at weak fields; in strong fields the estimate (the companion's error) forces shorter steps
than CF6 needs, and step doubling wins (measured in ``benchmarks/bench_evolution.py``).

The carrier: both results see the field at the same four Gauss nodes; their difference contains
the third and fourth Legendre moments of H on the step, which a carrier resolved by the nodes
makes non-zero. A step of several carrier periods aliases the carrier at the nodes and both
results miss it alike (the blind spot shared with step doubling); the carrier cap
(``steps_per_cycle``, 4 per period for CF6) keeps steps out of that range, as for step doubling.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from localpairs.solvers.dynamics.cfet import EMBEDDED
from localpairs.solvers.dynamics.integrator_settings import IntegratorState
from localpairs.solvers.dynamics.krylov import vector_norm

if TYPE_CHECKING:  # pragma: no cover - typing only
    from localpairs.solvers.dynamics.cfm4 import CFM4Integrator


def embedded_attempt(integ: CFM4Integrator, state: IntegratorState, h: float, t_new: float, *, target: float, ktol: float) -> tuple[bool, IntegratorState]:
    """Try one step of ``integ``'s scheme from ``state`` with the embedded estimate (module docstring).

    Parameters
    ----------
    integ : CFM4Integrator
        The integrator (its scheme must have an entry in :data:`~localpairs.solvers.dynamics.cfet.EMBEDDED`;
        no lattice).
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

    Returns
    -------
    tuple
        ``(accepted, next state)``; when rejected, the next state is ``state`` with a smaller h.
    """
    opt = integ.options
    companion = EMBEDDED[integ.scheme.name]
    values = integ.node_values(state.t, h, None, None, integ.driven.segment(state.t + 0.5 * h))
    main, mv, most = integ.exponentials(integ.scheme, values, state.psi, h, ktol)
    low, mv_low, most_low = integ.exponentials(companion, values, state.psi, h, ktol) if main is not None else (None, 0, 0)
    mv, most = mv + mv_low, max(most, most_low)
    if main is None or low is None:  # Lanczos not converged: halve
        integ.check_h(0.5 * h)
        return False, replace(state, h=0.5 * h, rejected=state.rejected + 1, matvecs=state.matvecs + mv)
    err = float(vector_norm(main - low))
    factor = opt.fac_max if err == 0 else opt.step_safety * (target / err) ** (1.0 / (companion.order + 1))
    factor = min(opt.fac_max, max(opt.fac_min, factor))
    if most > opt.m_max // 2:  # keep the Lanczos recursion inside m_max
        factor = min(factor, 0.8 * opt.m_max / most)
    new_h = min(h * factor, opt.h_max, integ.h_cycle)
    if err > target:
        integ.check_h(new_h)
        return False, replace(state, h=new_h, rejected=state.rejected + 1, matvecs=state.matvecs + mv, last_error=err)
    return True, IntegratorState(t_new, main, new_h, None, None, state.steps + 1, state.rejected, state.matvecs + mv, err)
