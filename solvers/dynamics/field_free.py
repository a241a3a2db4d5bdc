r"""Field-free stretches of a driven evolution: where the pulse is negligible, H is constant.

Where the pulse's vector potential is below ``a_max = f·tol·ħ/(S·span)`` (``S`` bounds
``‖H(A) − H(0)‖/|A|``, :meth:`~localpairs.solvers.dynamics.driven_operator.DrivenOperator.field_sensitivity`;
``f`` = :data:`STATIC_SHARE`) — before and after the pulse, and everywhere between quench times
without a pulse — H is treated as constant (error ≤ ``f·tol`` over the whole window). There a
step is one Lanczos basis of up to ``m_max`` vectors, no CFM4 pair and no step doubling: the
step is the longest the basis supports at ``f·tol`` per unit time
(:func:`~localpairs.solvers.dynamics.krylov.propagate_lanczos`), and output times inside it cost no
matrix–vector product (the same basis gives ψ at every time of the step). Where H(0) is real its
products run on a real copy (:func:`~localpairs.solvers.dynamics.length_gauge.static_matrices`:
half the value bytes, the same arithmetic as the complex product). The CFM4 steps inside
the field window then get the rest of the budget, ``(1 − 2f)·tol`` spread over the window's
length rather than over the whole span. Not used with a lattice (u moves) or fixed steps.

"""

from __future__ import annotations

from typing import TYPE_CHECKING

from localpairs.solvers.dynamics.integrator_settings import IntegratorState
from localpairs.solvers.dynamics.krylov import propagate_lanczos
from localpairs.units import HBAR_EV_FS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from localpairs.hamiltonians.driven_model import DrivenModel
    from localpairs.hamiltonians.oxygen_lattice import Lattice
    from localpairs.solvers.dynamics.driven_operator import DrivenOperator
    from localpairs.solvers.dynamics.integrator_settings import EvolutionOptions
    from localpairs.solvers.dynamics.krylov import KrylovWorkspace
    from localpairs.solvers.lanczos import Operator

#: Smallest Krylov tolerance asked for (round-off of the recursion is ~1e-15).
KRYLOV_TOL_FLOOR = 1e-15
#: Share of the tolerance for the field-free stretches: neglecting |A| ≤ a_max there, and the
#: Lanczos error of their steps (each at most this share of ``tol``). Small: those steps are cheap,
#: and Lanczos' a-posteriori estimate is nearly sharp, so their errors do add up.
STATIC_SHARE = 0.01


class FieldFreeStretches:
    """The field-free steps of :class:`~localpairs.solvers.dynamics.cfm4.CFM4Integrator` (a mixin; module docstring)."""

    op: DrivenOperator
    driven: DrivenModel
    options: EvolutionOptions
    lattice: Lattice | None
    t_start: float
    t_end: float
    span: float
    stops: list[float]
    work: KrylovWorkspace
    field_window: tuple[float, float] | None
    static_operators: dict[int, Operator]

    def _field_window(self) -> tuple[tuple[float, float] | None, float]:
        """Where H(t) depends on time, and the length of that part of the window.

        Outside ``[lo, hi]`` the pulse changes H by less than ``‖H(A) − H(0)‖ ≤ S·|A|`` with
        ``|A| ≤ a_max = f·tol·ħ/(S·span)`` (``S`` from :meth:`DrivenOperator.field_sensitivity`,
        ``f`` = :data:`STATIC_SHARE`): neglecting it costs at most ``f·tol`` over the whole window,
        and H is constant there (between quench times). Without a pulse the window is empty.
        Returns ``(None, 0)`` when every step must be a CFM4 step (a lattice moves, or fixed steps).
        """
        opt = self.options
        if self.lattice is not None or opt.fixed_step is not None:
            return None, self.span
        sens = self.op.field_sensitivity() if self.driven.pulse is not None else 0.0
        if self.driven.pulse is None or sens == 0.0:
            return (self.t_start, self.t_start), 0.0
        a_max = STATIC_SHARE * opt.tol * HBAR_EV_FS / (sens * self.span)
        window = self.driven.field_window(a_max)
        assert window is not None  # field_window is None only without a pulse, returned above
        lo, hi = window
        return (lo, hi), max(0.0, min(hi, self.t_end) - max(lo, self.t_start))

    def static_until(self, t: float) -> float | None:
        """End of the field-free stretch that starts at ``t`` (at most the next stop).

        Parameters
        ----------
        t : float
            Time in fs.

        Returns
        -------
        float or None
            End of the stretch in fs, None inside the field window (or when every step is driven).
        """
        if self.field_window is None:
            return None
        lo, hi = self.field_window
        stop = next(s for s in self.stops if s > t + 1e-12 * self.span)
        if t >= hi - 1e-12 * self.span:
            return stop
        if t < lo - 1e-12 * self.span:
            return min(lo, stop)
        return None

    def _static_attempt(self, state: IntegratorState, until: float) -> tuple[bool, IntegratorState] | None:
        """One Lanczos step of a constant H (no step doubling: the only error is Lanczos')."""
        opt = self.options
        h_max = min(until - state.t, opt.h_max)
        segment = self.driven.segment(state.t + 0.5 * h_max)
        static: Operator | None = self.static_operators.get(segment)  # real H(0): the product reads half the bytes
        if static is None:
            self.op.assemble(self.driven.coefficients_at(0.0, segment))
            static = self.op.matvec
        rate = STATIC_SHARE * opt.tol / self.span * HBAR_EV_FS  # error per unit τ = h/ħ
        prop = propagate_lanczos(static, state.psi, h_max / HBAR_EV_FS, error_rate=max(rate, KRYLOV_TOL_FLOOR), work=self.work)
        if prop.tau <= 0.0:
            return None
        h = prop.tau * HBAR_EV_FS
        t_new = until if prop.tau >= h_max / HBAR_EV_FS else state.t + h
        prop.tau = (t_new - state.t) / HBAR_EV_FS
        new = IntegratorState(
            t_new, prop.vector(prop.tau), state.h, None, None, state.steps + 1, state.rejected, state.matvecs + prop.m, 0.0, {"propagator": prop},
        )
        return True, new
