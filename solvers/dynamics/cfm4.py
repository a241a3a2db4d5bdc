r"""Time evolution of driven models: commutator-free Magnus (4th order by default) with Lanczos exponentials.

Scheme
------
One step of size h from t (Alvermann & Fehske, J. Comput. Phys. 230, 5930 (2011)), with
``H_{1,2} = H(t + c_{1,2} h)``, ``c_{1,2} = 1/2 ∓ √3/6``, ``α_{1,2} = (3 ∓ 2√3)/12``:

.. math:: ψ(t+h) = e^{-ih(α_1 H_1 + α_2 H_2)/ħ}\; e^{-ih(α_2 H_1 + α_1 H_2)/ħ}\,ψ(t)

(the right factor acts first). Each generator is assembled once on the shared sparsity pattern
(:class:`~localpairs.solvers.dynamics.driven_operator.DrivenOperator`) and exponentiated by Lanczos
(:func:`~localpairs.solvers.dynamics.krylov.expm_lanczos`).

Other commutator-free schemes (``EvolutionOptions.scheme``, coefficient tables in
:mod:`~localpairs.solvers.dynamics.cfet`; ``"cf6"``: Alvermann–Fehske CF6:5Opt, five exponentials,
order 6) take the same path: the generators are the scheme's weighted sums of H at its nodes, and
the step-size control below uses the scheme's order p (Richardson factor 2^p − 1, controller
exponent 1/p, extrapolated state of order p + 2). A lattice requires CFM4.

With a classical lattice (:mod:`~localpairs.hamiltonians.oxygen_lattice`) the basic step is the Strang
splitting described there, the oxygen coordinates entering the site energies linearly in time
within the step. That step is time-symmetric (CFM4 is, and so is the linear interpolation) but
only of order 2 for the coupled system; three of them with sizes (w1, w0, w1)·h, Yoshida's
triple jump (w1 = 1/(2 − 2^{1/3}), w0 = 1 − 2w1 < 0), make a step of order 4 (Yoshida, Phys.
Lett. A 150, 262 (1990)) at three times the cost: a second-order coupling would force steps of
~1e-3 fs at the tolerances used here.

Step-size control
-----------------
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
oxygen carrying the barrier energy). Each Lanczos exponential is converged to a tenth of the
step's budget; when it needs more than ``m_max`` vectors the step is halved, and the step never
grows so far that the last full step used more than ``0.8 m_max`` vectors. Estimates below
:data:`ERROR_FLOOR` (round-off) always pass, so a tolerance below ~1e-14 × (number of steps)
cannot be met: about 1e-10 is the practical limit on windows of a few hundred fs. Steps end
exactly on quench times and at t_end.

Output at requested times is "dense": a state at ``t_out`` inside an accepted step
``[t_n, t_n + h]`` is one extra CFM4 step of size ``t_out − t_n < h`` from ``ψ(t_n)``, so the
step sequence does not depend on the output grid.

Field-free stretches
--------------------
Where the pulse's vector potential is below ``a_max = f·tol·ħ/(S·span)`` (``S`` bounds
``‖H(A) − H(0)‖/|A|``, :meth:`~localpairs.solvers.dynamics.driven_operator.DrivenOperator.field_sensitivity`;
``f`` = :data:`STATIC_SHARE`) — before and after the pulse, and everywhere between quench times
without a pulse — H is treated as constant (error ≤ ``f·tol`` over the whole window). There a
step is one Lanczos basis of up to ``m_max`` vectors, no CFM4 pair and no step doubling: the
step is the longest the basis supports at ``f·tol`` per unit time
(:func:`~localpairs.solvers.dynamics.krylov.propagate_lanczos`), and output times inside it cost no
matrix–vector product (the same basis gives ψ at every time of the step). The CFM4 steps inside
the field window then get the rest of the budget, ``(1 − 2f)·tol`` spread over the window's
length rather than over the whole span. Not used with a lattice (u moves) or fixed steps.

Cost: inside the pulse CFM4 steps are limited to ``h‖H‖/ħ ≲ 0.4`` at tolerances ~1e-7 by the
size of its error constant (nested commutators of the static part with the field term, see
``benchmarks/bench_evolution.py``), about as short as dop853's; the gain over QuSpin's
``evolve`` comes from the field-free stretches. Higher order helps little there: on the 2×2×2
pump at fixed h = 0.5 fs CF6:5Opt and CF8:11Opt have the same error (8e-5, 7e-5; also with 8
Gauss nodes), so steps of a few tenths of a fs are outside the asymptotic range of any of these
schemes. At final error ≤ 1e-8 (``benchmarks/bench_evolution.py``, 2×2×2) CF6 (step doubling,
extrapolated to order 8) needs 20 % fewer matrix–vector products than CFM4 on 0–200 fs (64,787
against 80,871) and 29 % fewer on 0–600 fs (78,635 against 111,446).

Settings and the checkpointable state live in :mod:`~localpairs.solvers.dynamics.integrator_settings`;
the driver over output times is :func:`~localpairs.solvers.dynamics.evolution.evolve`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.dynamics.cfet import CFM4_ALPHA, CFM4_NODES, SCHEMES, CommutatorFreeScheme  # noqa: F401 (re-exported)
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.embedded_control import embedded_attempt
from localpairs.solvers.dynamics.integrator_settings import EvolutionOptions, IntegratorState
from localpairs.solvers.dynamics.krylov import KrylovWorkspace, expm_lanczos, propagate_lanczos, vector_norm
from localpairs.units import HBAR_EV_FS

#: 2^p − 1 for the Richardson estimate of a method of order p = 4 (CFM4, and the lattice's triple jump).
RICHARDSON = 15.0
#: Yoshida's triple jump (w1, w0, w1): three symmetric 2nd-order steps make one of order 4.
_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
TRIPLE_JUMP = (_W1, 1.0 - 2.0 * _W1, _W1)
#: Smallest Krylov tolerance asked for (round-off of the recursion is ~1e-15).
KRYLOV_TOL_FLOOR = 1e-15
#: Share of the tolerance for the field-free stretches: neglecting |A| ≤ a_max there, and the
#: Lanczos error of their steps (each at most this share of ``tol``). Small: those steps are cheap,
#: and Lanczos' a-posteriori estimate is nearly sharp, so their errors do add up.
STATIC_SHARE = 0.01
#: Round-off floor of the step-doubling estimate: a step whose estimate is below it is accepted
#: whatever the tolerance (smaller steps would not lower the error, only add round-off).
ERROR_FLOOR = 1e-14

#: ``(psi, u, p, matvecs, most_lanczos_steps)`` of one step; ``psi`` None when Lanczos failed.
StepResult = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, int, int]


class CFM4Integrator:
    """Adaptive commutator-free–Lanczos integrator for ``op`` on ``[t_start, t_end]`` (see module
    docstring): CFM4 by default, any scheme of :mod:`~localpairs.solvers.dynamics.cfet` by
    ``options.scheme`` (CFM4 only with a lattice)."""

    def __init__(self, op: DrivenOperator, *, t_start: float, t_end: float, options: EvolutionOptions | None = None, lattice: Lattice | None = None) -> None:
        self.op = op
        self.driven = op.driven
        self.options = (options or EvolutionOptions()).validate()
        require(t_end > t_start, "times", [t_start, t_end], "an end time after the start time (fs)")
        self.t_start, self.t_end = float(t_start), float(t_end)
        self.span = self.t_end - self.t_start
        self.lattice = lattice
        self.scheme: CommutatorFreeScheme = SCHEMES[self.options.scheme]
        require(
            lattice is None or self.scheme.name == "cfm4",
            "scheme", self.options.scheme, "'cfm4' when a lattice is coupled (its triple jump is of order 4)",
        )
        #: 2^p − 1 of the scheme's order p: Richardson's factor of the step-doubling estimate.
        self.richardson = 2.0 ** self.scheme.order - 1.0
        self.work = KrylovWorkspace(op.dim, self.options.m_max)
        self.stops = sorted({b for b in self.driven.breakpoints if self.t_start < b < self.t_end} | {self.t_end})
        self.field_window, self.field_span = self._field_window()
        pulse = self.driven.pulse
        self.h_cycle = 2.0 * math.pi / (pulse.omega * self.options.cycle_steps) if pulse is not None else math.inf

    # -- field-free stretches -------------------------------------------------------------------
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
        """End of the field-free stretch that starts at ``t`` (at most the next stop), or None."""
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
        self.op.assemble(self.driven.coefficients_at(0.0, self.driven.segment(state.t + 0.5 * h_max)))
        rate = STATIC_SHARE * opt.tol / self.span * HBAR_EV_FS  # error per unit τ = h/ħ
        prop = propagate_lanczos(self.op.matvec, state.psi, h_max / HBAR_EV_FS, error_rate=max(rate, KRYLOV_TOL_FLOOR), work=self.work)
        if prop.tau <= 0.0:
            return None
        h = prop.tau * HBAR_EV_FS
        t_new = until if prop.tau >= h_max / HBAR_EV_FS else state.t + h
        prop.tau = (t_new - state.t) / HBAR_EV_FS
        new = IntegratorState(
            t_new, prop.vector(prop.tau), state.h, None, None, state.steps + 1, state.rejected, state.matvecs + prop.m, 0.0, {"propagator": prop},
        )
        return True, new

    # -- one step ----------------------------------------------------------------------------
    def node_values(
        self, t: float, h: float, u0: np.ndarray | None, u1: np.ndarray | None, segment: int,
    ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Piece coefficients (and lattice site shifts) at the scheme's nodes ``t + c_m h``."""
        d, nodes = self.driven, self.scheme.nodes
        coefs = [d.coefficients_at(d.vector_potential(t + c * h), segment) for c in nodes]
        if self.lattice is None:
            return coefs, None
        assert u0 is not None and u1 is not None  # with a lattice, _strang always passes both coordinates
        return coefs, [self.lattice.site_shifts(u0 + c * (u1 - u0)) for c in nodes]

    def _generator(
        self, weights: tuple[float, ...], coefs: list[np.ndarray], shifts: list[np.ndarray] | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``Σ_m g_m c(t + c_m h)`` and the diagonal of ``Σ_m g_m δε(u(t + c_m h))``."""
        total = weights[0] * coefs[0]
        for w, c in zip(weights[1:], coefs[1:]):
            total = total + w * c
        if shifts is None:
            return total, None
        shift = weights[0] * shifts[0]
        for w, s in zip(weights[1:], shifts[1:]):
            shift = shift + w * s
        return total, self.op.shift_diagonal(shift)

    def _quantum(
        self, t: float, psi: np.ndarray, h: float, ktol: float, segment: int, u0: np.ndarray | None = None, u1: np.ndarray | None = None,
    ) -> tuple[np.ndarray | None, int, int]:
        return self.exponentials(self.scheme, self.node_values(t, h, u0, u1, segment), psi, h, ktol)

    def exponentials(
        self, scheme: CommutatorFreeScheme, values: tuple[list[np.ndarray], list[np.ndarray] | None], psi: np.ndarray, h: float, ktol: float,
    ) -> tuple[np.ndarray | None, int, int]:
        """The exponentials of one step of ``scheme`` applied to ``psi``.

        Parameters
        ----------
        scheme : CommutatorFreeScheme
            Scheme whose node weights combine ``values`` (its nodes must be those of ``values``).
        values : tuple
            Piece coefficients (and lattice site shifts, or None) at the nodes, from :meth:`node_values`.
        psi : numpy.ndarray
            State at the start of the step.
        h : float
            Step in fs.
        ktol : float
            Lanczos tolerance of each exponential.

        Returns
        -------
        tuple
            ``(psi, matvecs, most_lanczos_steps)``; ``psi`` is None when a Lanczos exponential did
            not converge within ``m_max`` vectors.
        """
        matvecs, most = 0, 0
        for weights in scheme.weights:  # in the order the exponentials act
            coefs, diag = self._generator(weights, *values)
            self.op.assemble(coefs, diag)
            res = expm_lanczos(self.op.matvec, psi, h / HBAR_EV_FS, tol=ktol, work=self.work)
            matvecs += res.steps
            most = max(most, res.steps)
            if not res.converged:
                return None, matvecs, most
            psi = res.vector
        return psi, matvecs, most

    def step(
        self, t: float, psi: np.ndarray, h: float, *, u: np.ndarray | None = None, p: np.ndarray | None = None, ktol: float | None = None,
    ) -> StepResult:
        """One CFM4 step (with a lattice: a triple jump of Strang steps) without error control.

        Returns ``(psi, u, p, matvecs, most_lanczos_steps)``; ``psi`` is None when a Lanczos
        exponential did not converge within ``m_max`` vectors.
        """
        ktol = self.options.krylov_tol if ktol is None else ktol
        segment = self.driven.segment(t + 0.5 * h)  # a step never crosses a quench: the triple jump's substeps overshoot it
        if self.lattice is None:
            out, mv, most = self._quantum(t, psi, h, ktol, segment)
            return out, None, None, mv, most
        matvecs, most = 0, 0
        for w in TRIPLE_JUMP:
            sub, u, p, mv, m = self._strang(t, psi, w * h, u, p, ktol / 3, segment)
            matvecs, most = matvecs + mv, max(most, m)
            if sub is None:
                return None, None, None, matvecs, most
            psi = sub
            t += w * h
        return psi, u, p, matvecs, most

    def _strang(self, t: float, psi: np.ndarray, h: float, u: np.ndarray | None, p: np.ndarray | None, ktol: float, segment: int) -> StepResult:
        """Damp h/2, kick h/2, drift u with the quantum step h, kick h/2, damp h/2 (symmetric)."""
        lat = self.lattice
        # step() calls this only with a lattice, and a lattice state always carries u and p.
        assert lat is not None and u is not None and p is not None
        p_half = lat.damp(p, 0.5 * h) + 0.5 * h * lat.force(u, self.op.site_charge(psi))
        u_new = u + h * p_half / lat.mass
        out, mv, most = self._quantum(t, psi, h, ktol, segment, u, u_new)
        if out is None:
            return None, None, None, mv, most
        p_new = lat.damp(p_half + 0.5 * h * lat.force(u_new, self.op.site_charge(out)), 0.5 * h)
        return out, u_new, p_new, mv, most

    # -- adaptive stepping -------------------------------------------------------------------
    def _clip(self, t: float, h: float) -> tuple[float, float]:
        stop = next(s for s in self.stops if s > t + 1e-12 * self.span)
        if t + h >= stop - 1e-12 * self.span:
            return stop - t, stop
        return h, t + h

    def attempt(self, state: IntegratorState) -> tuple[bool, IntegratorState]:
        """Try one step from ``state``; return (accepted, next state or state with a smaller h)."""
        opt = self.options
        until = self.static_until(state.t)
        if until is not None:
            done = self._static_attempt(state, until)
            if done is not None:
                return done
        h, t_new = self._clip(state.t, min(state.h, opt.h_max, self.h_cycle) if opt.fixed_step is None else opt.fixed_step)
        if opt.fixed_step is not None:
            psi, u, p, mv, _ = self.step(state.t, state.psi, h, u=state.u, p=state.p)
            if psi is None:
                raise LocalPairsError(f"fixed step {h:g} fs needs more than m_max = {opt.m_max} Lanczos vectors")
            return True, replace(state, t=t_new, psi=psi, u=u, p=p, steps=state.steps + 1, matvecs=state.matvecs + mv)
        target = (1.0 - 2.0 * STATIC_SHARE) * opt.tol * h / self.field_span if self.field_window is not None else opt.tol * h / self.span
        ktol = max(opt.krylov_fraction * target, KRYLOV_TOL_FLOOR)
        target = max(target, ERROR_FLOOR)
        if opt.error_control == "embedded":
            return embedded_attempt(self, state, h, t_new, target=target, ktol=ktol)
        full = self.step(state.t, state.psi, h, u=state.u, p=state.p, ktol=ktol)
        mv = full[3]
        half = self.step(state.t, state.psi, 0.5 * h, u=state.u, p=state.p, ktol=ktol) if full[0] is not None else (None,) * 5
        mv += half[3] or 0
        two = self.step(state.t + 0.5 * h, half[0], 0.5 * h, u=half[1], p=half[2], ktol=ktol) if half[0] is not None else (None,) * 5
        mv += two[3] or 0
        psi_two, psi_full = two[0], full[0]
        if psi_two is None:  # Lanczos not converged: halve
            self.check_h(0.5 * h)
            return False, replace(state, h=0.5 * h, rejected=state.rejected + 1, matvecs=state.matvecs + mv)
        assert psi_full is not None  # the half steps run only after the full step converged
        err = float(vector_norm(psi_two - psi_full)) / self.richardson
        factor = opt.fac_max if err == 0 else opt.step_safety * (target / err) ** (1.0 / self.scheme.order)
        if self.lattice is not None:
            lat = self.lattice
            (_, u_two, p_two, _, _), (_, u_full, p_full, _, _) = two, full
            # with a lattice, every converged step (both were) returns its u and p
            assert u_two is not None and p_two is not None and u_full is not None and p_full is not None
            err_l = max(np.max(np.abs(u_two - u_full)) / lat.u0, np.max(np.abs(p_two - p_full)) / lat.momentum_scale, 0.0) / RICHARDSON
            factor = min(factor, opt.fac_max if err_l == 0 else opt.step_safety * (target / err_l) ** 0.25)
            err = max(err, err_l)
        factor = min(opt.fac_max, max(opt.fac_min, factor))
        if full[4] > opt.m_max // 2:  # keep the Lanczos recursion inside m_max
            factor = min(factor, 0.8 * opt.m_max / full[4])
        new_h = min(h * factor, opt.h_max, self.h_cycle)
        if err > target:
            self.check_h(new_h)
            return False, replace(state, h=new_h, rejected=state.rejected + 1, matvecs=state.matvecs + mv, last_error=err)
        psi_new = psi_two
        if opt.extrapolate and self.lattice is None:
            psi_new = ((self.richardson + 1.0) * psi_two - psi_full) / self.richardson
        return True, IntegratorState(t_new, psi_new, new_h, two[1], two[2], state.steps + 1, state.rejected, state.matvecs + mv, err)

    def check_h(self, h: float) -> None:
        if h < 1e-10 * self.span:
            raise LocalPairsError(f"step size underflow (h = {h:.3g} fs): tolerance {self.options.tol:g} cannot be reached")

    def steps(self, state: IntegratorState) -> Iterator[tuple[IntegratorState, IntegratorState]]:
        """Accepted steps ``(before, after)`` from ``state`` until ``t_end``."""
        while state.t < self.t_end - 1e-12 * self.span:
            accepted, new = self.attempt(state)
            if accepted:
                yield state, new
            state = new

    def interpolate(self, before: IntegratorState, after: IntegratorState, t_out: float) -> IntegratorState:
        """The state at ``t_out`` in ``[before.t, after.t]``: a CFM4 step of size ``t_out − before.t``."""
        if abs(t_out - after.t) <= 1e-12 * self.span:
            return after
        if abs(t_out - before.t) <= 1e-12 * self.span:
            return before
        prop = after.extra.get("propagator")
        if prop is not None and prop.generation == self.work.generation:
            return replace(before, t=t_out, psi=prop.vector((t_out - before.t) / HBAR_EV_FS), extra={})
        h = t_out - before.t
        ktol = self.options.krylov_tol if self.options.fixed_step else max(self.options.krylov_fraction * self.options.tol * h / self.span, KRYLOV_TOL_FLOOR)
        psi, u, p, _, _ = self.step(before.t, before.psi, h, u=before.u, p=before.p, ktol=ktol)
        if psi is None:  # never expected: h is below an accepted step
            mid = self.interpolate(before, after, before.t + 0.5 * h)
            return self.interpolate(mid, after, t_out)
        return replace(before, t=t_out, psi=psi, u=u, p=p)
