"""Settings (:class:`EvolutionOptions`) and the checkpointable state (:class:`IntegratorState`) of the
commutator-free–Lanczos integrator (:mod:`~localpairs.solvers.dynamics.cfm4`; schemes in
:mod:`~localpairs.solvers.dynamics.cfet`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from localpairs.errors import LocalPairsError, require
from localpairs.solvers.dynamics.cfet import EMBEDDED, LADDER_DEFAULT, LADDERS, SCHEMES

#: Values of :attr:`EvolutionOptions.gauge`.
GAUGES = ("auto", "velocity", "length")


@dataclass(frozen=True)
class EvolutionOptions:
    """Settings of :class:`~localpairs.solvers.dynamics.cfm4.CFM4Integrator`.

    Parameters
    ----------
    scheme
        Commutator-free scheme of the driven steps, a key of
        :data:`~localpairs.solvers.dynamics.cfet.SCHEMES`: ``"cfm4"`` (4th order, two
        exponentials; default, and the only one with a lattice) or ``"cf6"`` (6th order, five
        exponentials, Alvermann–Fehske CF6:5Opt).
    tol
        Target error ‖ψ(t_end) − ψ_exact(t_end)‖ for a normalised state (adaptive mode).
    fixed_step
        Step in fs: no error control (convergence studies); Lanczos converged to ``krylov_tol``.
    h_init, h_max
        First and largest step in fs.
    m_max
        Most Lanczos vectors per exponential (memory: (m_max + 1) vectors).
    krylov_fraction
        Lanczos tolerance as a fraction of the step's error budget.
    krylov_tol
        Lanczos tolerance in fixed-step mode.
    steps_per_cycle
        Fewest steps per period 2π/ω of the pulse's carrier while the field is on (see
        "Step-size control" in :mod:`~localpairs.solvers.dynamics.cfm4`); None: the scheme's
        default (16 for cfm4, 4 for cf6).
    safety
        Safety factor of the step-size controller, ``h_new = h·safety·(target/err)^{1/p}``; None:
        the scheme's default (0.9 for cfm4, 0.8 for cf6).
    extrapolate
        Keep the Richardson-extrapolated (6th-order) state of each adaptive step (module
        docstring); not applied with a lattice.
    error_control
        Local error estimate of the adaptive driven steps: ``"doubling"`` (default; one step of h
        against two of h/2, Richardson) or ``"embedded"`` (the scheme against its lower-order
        companion on the same nodes, :mod:`~localpairs.solvers.dynamics.embedded_control`;
        ``"cf6"`` only, no lattice).
    fac_min, fac_max
        Bounds of the step-size change factor per attempt.
    scheme_ladder
        Let the adaptive driven steps switch to a cheaper scheme of lower order where the carrier
        cap, not the error, limits the step (:mod:`~localpairs.solvers.dynamics.scheme_ladder`;
        step doubling only, no lattice, not for ``"cf2"``); None: the scheme's default
        (:data:`~localpairs.solvers.dynamics.cfet.LADDER_DEFAULT`).
    gauge
        Gauge of the driven steps: ``"auto"`` (default: the length gauge ``H(0) + E(t)·D`` where it
        is exact and H(0) is real, else the velocity gauge; logged), ``"velocity"`` (Peierls phases
        ``H(A(t))``) or ``"length"`` (refused where it is not exact). The state is in the velocity
        gauge at every step end either way (:mod:`~localpairs.solvers.dynamics.length_gauge`).
    """

    tol: float = 1e-8
    scheme: str = "cfm4"
    fixed_step: float | None = None
    h_init: float = 0.02
    h_max: float = math.inf
    m_max: int = 40
    krylov_fraction: float = 0.1
    krylov_tol: float = 1e-13
    extrapolate: bool = True
    steps_per_cycle: int | None = None
    safety: float | None = None
    fac_min: float = 0.25
    fac_max: float = 4.0
    error_control: str = "doubling"
    scheme_ladder: bool | None = None
    gauge: str = "auto"

    def validate(self) -> EvolutionOptions:
        """Check the settings.

        Returns
        -------
        EvolutionOptions
            Self.

        Raises
        ------
        InputError
            For a non-physical setting, naming the field, the value and what is allowed.
        """
        require(isinstance(self.tol, (int, float)) and math.isfinite(self.tol) and 0 < self.tol < 1, "tolerance", self.tol, "a number in (0, 1), e.g. 1e-8")
        if self.fixed_step is not None:
            require(math.isfinite(self.fixed_step) and self.fixed_step > 0, "fixed_step", self.fixed_step, "a positive step in fs")
        require(math.isfinite(self.h_init) and self.h_init > 0, "h_init", self.h_init, "a positive step in fs")
        require(self.h_max > 0, "h_max", self.h_max, "a positive step in fs")
        require(isinstance(self.m_max, int) and 4 <= self.m_max <= 200, "m_max", self.m_max, "an integer in [4, 200]")
        require(0 < self.krylov_fraction <= 1 and self.krylov_tol > 0, "krylov_fraction", self.krylov_fraction, "a fraction in (0, 1]")
        require(self.safety is None or 0 < self.safety <= 1, "safety", self.safety, "a factor in (0, 1], or None for the scheme's default")
        require(self.scheme in SCHEMES, "scheme", self.scheme, f"one of {sorted(SCHEMES)}")
        require(self.error_control in ("doubling", "embedded"), "error_control", self.error_control, "'doubling' or 'embedded'")
        require(self.error_control == "doubling" or self.scheme in EMBEDDED, "error_control", self.error_control,
                f"'doubling' for scheme {self.scheme!r} (an embedded companion exists for {sorted(EMBEDDED)})")
        require(self.gauge in GAUGES, "gauge", self.gauge, f"one of {list(GAUGES)}")
        require(self.steps_per_cycle is None or (isinstance(self.steps_per_cycle, int) and self.steps_per_cycle >= 1), "steps_per_cycle", self.steps_per_cycle,
                "an integer ≥ 1, or None for the scheme's default (16 for cfm4, 4 for cf6)")
        require(self.scheme_ladder in (None, True, False), "scheme_ladder", self.scheme_ladder, "True, False or None for the scheme's default")
        if self.scheme_ladder:
            require(self.error_control == "doubling" and self.scheme in LADDERS, "scheme_ladder", self.scheme_ladder,
                    f"False unless error_control is 'doubling' and the scheme is one of {sorted(LADDERS)} (got {self.error_control!r}, {self.scheme!r})")
        return self

    @property
    def ladder(self) -> bool:
        """Whether the adaptive driven steps use the scheme ladder: :attr:`scheme_ladder` or the scheme's default."""
        if self.scheme_ladder is not None:
            return self.scheme_ladder
        return self.error_control == "doubling" and LADDER_DEFAULT.get(self.scheme, False)

    @property
    def step_safety(self) -> float:
        """:attr:`safety` or the scheme's default."""
        return self.safety if self.safety is not None else SCHEMES[self.scheme].safety

    @property
    def cycle_steps(self) -> int:
        """Steps per carrier period: :attr:`steps_per_cycle` or the scheme's default."""
        return self.steps_per_cycle if self.steps_per_cycle is not None else SCHEMES[self.scheme].steps_per_cycle


@dataclass
class IntegratorState:
    """Everything needed to continue an evolution exactly (checkpointed by trajectories).

    Parameters
    ----------
    t : float
        Time in fs.
    psi : numpy.ndarray
        State at ``t``.
    h : float
        Next step in fs.
    u, p : numpy.ndarray or None
        Lattice displacements (Å) and momenta (eV·fs/Å), None without a lattice.
    steps, rejected, matvecs : int
        Accepted and rejected steps, matrix–vector products so far.
    last_error : float
        Error estimate of the last step.
    extra : dict
        Non-checkpointed helpers (the Lanczos propagator of a field-free step, the scheme of a
        driven step with the scheme ladder).
    rung : int
        Index into the scheme ladder (cheapest first) of the next driven attempt; −1: the top,
        ``options.scheme`` (:mod:`~localpairs.solvers.dynamics.scheme_ladder`).
    ladder_wait : int
        Accepted steps before the ladder may step down again.
    """

    t: float
    psi: np.ndarray
    h: float
    u: np.ndarray | None = None
    p: np.ndarray | None = None
    steps: int = 0
    rejected: int = 0
    matvecs: int = 0
    last_error: float = 0.0
    extra: dict = field(default_factory=dict)
    rung: int = -1
    ladder_wait: int = 0

    def lattice_state(self) -> tuple[np.ndarray, np.ndarray]:
        """``(u, p)`` of the coupled lattice.

        Returns
        -------
        tuple of numpy.ndarray
            Displacements (Å) and momenta (eV·fs/Å).

        Raises
        ------
        LocalPairsError
            When the state carries no lattice coordinates.
        """
        if self.u is None or self.p is None:
            raise LocalPairsError("this integrator state carries no lattice coordinates (no lattice is coupled)")
        return self.u, self.p

    def arrays(self) -> dict[str, np.ndarray | np.generic]:
        """The state as named arrays (for ``np.savez``).

        Returns
        -------
        dict
            Name → array.
        """
        out: dict[str, np.ndarray | np.generic] = {
            "t": np.float64(self.t), "psi": self.psi, "h": np.float64(self.h), "steps": np.int64(self.steps),
            "rejected": np.int64(self.rejected), "matvecs": np.int64(self.matvecs), "last_error": np.float64(self.last_error),
            "rung": np.int64(self.rung), "ladder_wait": np.int64(self.ladder_wait),
        }
        if self.u is not None:
            # u and p are set together: both with a coupled lattice, neither without one.
            assert self.p is not None
            out["u"], out["p"] = self.u, self.p
        return out

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> IntegratorState:
        """Inverse of :meth:`arrays`.

        Parameters
        ----------
        data : Mapping
            Arrays written by :meth:`arrays`.

        Returns
        -------
        IntegratorState
            The state.
        """
        has_lattice = "u" in data
        return cls(
            t=float(data["t"]), psi=np.array(data["psi"]), h=float(data["h"]),
            u=np.array(data["u"]) if has_lattice else None, p=np.array(data["p"]) if has_lattice else None,
            steps=int(data["steps"]), rejected=int(data["rejected"]), matvecs=int(data["matvecs"]), last_error=float(data["last_error"]),
            rung=int(data.get("rung", -1)), ladder_wait=int(data.get("ladder_wait", 0)),
        )
