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
By step doubling (:mod:`~localpairs.solvers.dynamics.step_doubling`, default) or by an embedded
lower-order companion (:mod:`~localpairs.solvers.dynamics.embedded_control`, CF6 only), chosen by
``EvolutionOptions.error_control``; while the field is on, steps are capped at
2π/(ω·steps_per_cycle) in both. Where that cap limits a doubling step, a cheaper scheme at the same
cap may take it, passing its own doubling estimate (``EvolutionOptions.scheme_ladder``, CF2–CFM4–CF6).

Output at requested times is "dense": a state at ``t_out`` inside an accepted step
``[t_n, t_n + h]`` is one extra CFM4 step of size ``t_out − t_n < h`` from ``ψ(t_n)``, so the
step sequence does not depend on the output grid.

Field-free stretches
--------------------
Where the field is negligible at the tolerance, H is constant and a step is one Lanczos basis
(:mod:`~localpairs.solvers.dynamics.field_free`); the driven steps get the rest of the budget.

Gauge: where the length gauge is exact (every axis with a polarization component open, H(0) real;
checked on the matrices, :mod:`~localpairs.solvers.dynamics.length_gauge`) the driven steps
exponentiate ``w H(0) + f D`` (``EvolutionOptions.gauge``): a real matrix and a diagonal, no
refilled Peierls entries; the state is in the velocity gauge at every step end.

Cost: inside the pulse steps are limited to ``h‖H‖/ħ ≲ 0.4`` at tolerances ~1e-7 by the error
constant (nested commutators of the static part with the field term), about as short as dop853's;
higher order helps little (2×2×2 pump, fixed h = 0.5 fs: CF6:5Opt 8e-5, CF8:11Opt 7e-5, also with 8
Gauss nodes). At final error ≤ 1e-8 (``benchmarks/bench_evolution.py``, 2×2×2, 8 mJ/cm²) CF6 (step
doubling, extrapolated to order 8) needs 62,785 products on 0–200 fs and 76,291 on 0–600 fs in the
velocity gauge (CFM4: 80,871 and 111,446 before the full step's looser Lanczos tolerance), and
58,887 and 72,122 in the length gauge (7.9e-9, 8.3e-9), each product reading 12 instead of 20 bytes
per entry: CPU time 0.63–0.66× the velocity gauge's (4.5 s against 7.1 s on 0–200 fs, 5.9 s against
8.9 s on 0–600 fs; one process each, load 7–8, 2026-11-29). Where the time goes in the length gauge
(0–200 fs, cProfile at load 6): 50 % in the real×complex products (64 µs each, 4,900 states, 72,100
entries), 18 % in the Lanczos vector passes (the field's diagonal rides in one of them), 4 % in the
small exponentials of the convergence checks, the rest Python around them; 7.7 products per
exponential (velocity gauge, load 2: products 53 % at 75 µs each, refills 11 %).

Scheme ladder (CF6 default, :mod:`~localpairs.solvers.dynamics.scheme_ladder`): −2 to −8 % products
on the 2×2×2 pump at equal final error (measured in ``benchmarks/bench_evolution.py``); only the
outer weak-field tails gain.

Why no cheaper error control helps inside the pulse, and measured dead ends: :mod:`~localpairs.solvers.dynamics.step_doubling`.

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
from localpairs.solvers.dynamics.cfet import CFM4_ALPHA, CFM4_NODES, LADDERS, SCHEMES, CommutatorFreeScheme  # noqa: F401 (re-exported)
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.embedded_control import embedded_attempt
from localpairs.solvers.dynamics.field_free import KRYLOV_TOL_FLOOR, STATIC_SHARE, FieldFreeStretches
from localpairs.solvers.dynamics.integrator_settings import EvolutionOptions, IntegratorState
from localpairs.solvers.dynamics.krylov import KrylovWorkspace, expm_lanczos
from localpairs.solvers.dynamics.length_gauge import LengthGauge, NodeValues, length_gauge, static_matrices, static_operator, weighted_sum
from localpairs.solvers.dynamics.scheme_ladder import ladder_attempt
from localpairs.solvers.dynamics.step_doubling import ERROR_FLOOR, doubling_attempt
from localpairs.units import HBAR_EV_FS

#: Yoshida's triple jump (w1, w0, w1): three symmetric 2nd-order steps make one of order 4.
_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
TRIPLE_JUMP = (_W1, 1.0 - 2.0 * _W1, _W1)

#: ``(psi, u, p, matvecs, most_lanczos_steps)`` of one step; ``psi`` None when Lanczos failed.
StepResult = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, int, int]


class CFM4Integrator(FieldFreeStretches):
    """Adaptive commutator-free–Lanczos integrator for ``op`` on ``[t_start, t_end]`` (module docstring).

    CFM4 by default, any scheme of :mod:`~localpairs.solvers.dynamics.cfet` by ``options.scheme``
    (CFM4 only with a lattice).

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices.
    t_start, t_end : float
        The window in fs.
    options : EvolutionOptions, optional
        Integrator settings.
    lattice : Lattice, optional
        Classical oxygens coupled to the site energies.

    Raises
    ------
    InputError
        Bad options, an empty window, or a scheme other than CFM4 with a lattice.
    """

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
        require(lattice is None or not self.options.ladder, "scheme_ladder", self.options.scheme_ladder, "False with a lattice (its triple jump needs CFM4)")
        self.ladder: tuple[CommutatorFreeScheme, ...] | None = LADDERS[self.scheme.name] if self.options.ladder and not self.options.fixed_step else None
        self.work = KrylovWorkspace(op.dim, self.options.m_max)
        self.stops = sorted({b for b in self.driven.breakpoints if self.t_start < b < self.t_end} | {self.t_end})
        self.field_window, self.field_span = self._field_window()
        #: Real H(0) per segment (field-free steps) and the length gauge of the driven steps, or None (velocity gauge).
        self.statics = static_matrices(op)
        self.static_operators = {s: static_operator(m) for s, m in self.statics.items()}
        gauge = self.options.gauge
        self.gauge: LengthGauge | None = None if gauge == "velocity" else length_gauge(op, statics=self.statics, required=gauge == "length")
        pulse = self.driven.pulse
        self.h_cycle = 2.0 * math.pi / (pulse.omega * self.options.cycle_steps) if pulse is not None else math.inf

    # -- one step ----------------------------------------------------------------------------
    def node_values(
        self, t: float, h: float, u0: np.ndarray | None, u1: np.ndarray | None, segment: int, *, scheme: CommutatorFreeScheme | None = None,
    ) -> NodeValues:
        """What the exponentials of a step need at the nodes ``t + c_m h`` of ``scheme`` (default: the integrator's).

        Parameters
        ----------
        t, h : float
            Start and size of the step in fs.
        u0, u1 : numpy.ndarray or None
            Lattice displacements (Å) at the start and end of the step (None without a lattice).
        segment : int
            Quench segment of the step.
        scheme : CommutatorFreeScheme, optional
            Scheme whose nodes are used.

        Returns
        -------
        NodeValues
            Length gauge: fields E at the nodes and A at both ends; velocity gauge: piece
            coefficients at the nodes. Lattice site shifts (eV) per node in both, or None.
        """
        d, nodes = self.driven, (scheme or self.scheme).nodes
        shifts = None
        if self.lattice is not None:
            assert u0 is not None and u1 is not None  # with a lattice, _strang always passes both coordinates
            shifts = [self.lattice.site_shifts(u0 + c * (u1 - u0)) for c in nodes]
        if self.gauge is not None:
            return NodeValues(None, shifts, [d.electric_field(t + c * h) for c in nodes], (d.vector_potential(t), d.vector_potential(t + h)), segment)
        return NodeValues([d.coefficients_at(d.vector_potential(t + c * h), segment) for c in nodes], shifts, None, (0.0, 0.0), segment)

    def _generator(self, weights: tuple[float, ...], values: NodeValues) -> tuple[np.ndarray, np.ndarray | None]:
        """Velocity gauge: ``Σ_m g_m c(t + c_m h)`` and the diagonal of ``Σ_m g_m δε(u(t + c_m h))``."""
        assert values.coefs is not None  # node_values fills them in the velocity gauge
        total = weighted_sum(weights, values.coefs)
        return total, None if values.shifts is None else self.op.shift_diagonal(weighted_sum(weights, values.shifts))

    def _quantum(
        self, t: float, psi: np.ndarray, h: float, ktol: float, segment: int, u0: np.ndarray | None = None, u1: np.ndarray | None = None,
        scheme: CommutatorFreeScheme | None = None,
    ) -> tuple[np.ndarray | None, int, int]:
        """One step of ``scheme`` (default the integrator's) for the electrons: ``(psi, matvecs, most_lanczos_steps)``."""
        return self.exponentials(scheme or self.scheme, self.node_values(t, h, u0, u1, segment, scheme=scheme), psi, h, ktol)

    def exponentials(self, scheme: CommutatorFreeScheme, values: NodeValues, psi: np.ndarray, h: float, ktol: float) -> tuple[np.ndarray | None, int, int]:
        """The exponentials of one step of ``scheme`` applied to ``psi`` (in the length gauge where :attr:`gauge` is set).

        Parameters
        ----------
        scheme : CommutatorFreeScheme
            Scheme whose node weights combine ``values`` (its nodes must be those of ``values``).
        values : NodeValues
            The step's values at the nodes, from :meth:`node_values`.
        psi : numpy.ndarray
            State at the start of the step (velocity gauge, as the result).
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
        if values.fields is not None:
            assert self.gauge is not None  # node_values gives fields only in the length gauge
            return self.gauge.exponentials(scheme.weights, values, psi, h, ktol, self.work)
        matvecs, most = 0, 0
        for weights in scheme.weights:  # in the order the exponentials act
            coefs, diag = self._generator(weights, values)
            scale = self.op.assemble_scaled(coefs, diag)  # generator = scale × matrix; only the field's entries are refilled
            # Lanczos' estimate β₀β_m|e_mᵀe^{−iτT}e₁| scales with the matrix: divide the tolerance by |scale|
            res = expm_lanczos(self.op.matvec, psi, scale * h / HBAR_EV_FS, tol=ktol / abs(scale), work=self.work)
            matvecs += res.steps
            most = max(most, res.steps)
            if not res.converged:
                return None, matvecs, most
            psi = res.vector
        return psi, matvecs, most

    def step(
        self, t: float, psi: np.ndarray, h: float, *, u: np.ndarray | None = None, p: np.ndarray | None = None, ktol: float | None = None,
        scheme: CommutatorFreeScheme | None = None,
    ) -> StepResult:
        """One step of the scheme (with a lattice: a triple jump of Strang steps) without error control.

        Parameters
        ----------
        t, h : float
            Start and size of the step in fs.
        psi : numpy.ndarray
            State at ``t``.
        u, p : numpy.ndarray, optional
            Lattice displacements (Å) and momenta (eV·fs/Å) at ``t``.
        ktol : float, optional
            Lanczos tolerance (default ``options.krylov_tol``).
        scheme : CommutatorFreeScheme, optional
            Scheme of the step without a lattice (default the integrator's; a rung of the scheme
            ladder, :mod:`~localpairs.solvers.dynamics.scheme_ladder`).

        Returns
        -------
        tuple
            ``(psi, u, p, matvecs, most_lanczos_steps)``; ``psi`` is None when a Lanczos
            exponential did not converge within ``m_max`` vectors.
        """
        ktol = self.options.krylov_tol if ktol is None else ktol
        segment = self.driven.segment(t + 0.5 * h)  # a step never crosses a quench: the triple jump's substeps overshoot it
        if self.lattice is None:
            out, mv, most = self._quantum(t, psi, h, ktol, segment, scheme=scheme)
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
        """Try one step from ``state``.

        Parameters
        ----------
        state : IntegratorState
            State at the start of the step.

        Returns
        -------
        tuple
            ``(accepted, next state)``; when rejected, the next state is ``state`` with a smaller h.

        Raises
        ------
        LocalPairsError
            When a fixed step needs more than ``m_max`` Lanczos vectors, or the step underflows.
        """
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
        if self.ladder is not None:
            return ladder_attempt(self, state, h, t_new, target=target, ktol=ktol)
        return doubling_attempt(self, state, h, t_new, target=target, ktol=ktol)

    def check_h(self, h: float) -> None:
        """Refuse a step too small to make progress.

        Parameters
        ----------
        h : float
            Proposed step in fs.

        Raises
        ------
        LocalPairsError
            When ``h`` is below 1e-10 of the window: the tolerance cannot be reached.
        """
        if h < 1e-10 * self.span:
            raise LocalPairsError(f"step size underflow (h = {h:.3g} fs): tolerance {self.options.tol:g} cannot be reached")

    def steps(self, state: IntegratorState) -> Iterator[tuple[IntegratorState, IntegratorState]]:
        """Accepted steps from ``state`` until ``t_end``.

        Parameters
        ----------
        state : IntegratorState
            Where to start (the initial state, or a checkpoint).

        Yields
        ------
        tuple of IntegratorState
            ``(before, after)`` of each accepted step.
        """
        while state.t < self.t_end - 1e-12 * self.span:
            accepted, new = self.attempt(state)
            if accepted:
                yield state, new
            state = new

    def interpolate(self, before: IntegratorState, after: IntegratorState, t_out: float) -> IntegratorState:
        """The state at ``t_out`` in ``[before.t, after.t]``: a step of size ``t_out − before.t`` from ``before``.

        Parameters
        ----------
        before, after : IntegratorState
            The accepted step's ends.
        t_out : float
            Output time in fs.

        Returns
        -------
        IntegratorState
            The state at ``t_out`` (the Lanczos basis of a field-free step is reused).
        """
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
