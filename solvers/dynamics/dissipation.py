"""The lattice's dissipated work along a trajectory: W_diss(t) = ∫ γ Σ p²/M dt over accepted steps.

With damping, the energy balance of a pumped trajectory with classical oxygens is
E_el + E_lat + W_diss = E(0) + W_pump (:mod:`localpairs.hamiltonians.oxygen_lattice`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.dynamics.integrator_settings import IntegratorState


class Dissipation:
    """The lattice's dissipated work W_diss(t) along the accepted steps (:meth:`Lattice.dissipated_work`).

    ``last`` is the state of the last accepted step and ``total`` W_diss there; :meth:`at` gives
    W_diss at a state inside the next step (an output time) or at its end.

    Parameters
    ----------
    lattice
        The oxygens (their damping γ).
    site_charge
        ⟨n_i⟩ of an electronic state (the force's input).
    state
        The integrator state to start from.
    total
        W_diss at ``state`` (eV).
    """

    def __init__(self, lattice: Lattice, site_charge: Callable[[np.ndarray], np.ndarray], state: IntegratorState, total: float = 0.0) -> None:
        self.lattice, self.site_charge = lattice, site_charge
        self.reset(state, total)

    def reset(self, state: IntegratorState, total: float) -> None:
        """Continue from ``state`` with W_diss = ``total``.

        Parameters
        ----------
        state
            The integrator state.
        total
            W_diss there (eV).
        """
        self.last, self.total = state, float(total)
        self._pdot = self._rate(state) if self.lattice.damping else np.zeros(0)  # only used with damping

    def _rate(self, state: IntegratorState) -> np.ndarray:
        """ṗ = F(u, ⟨n⟩) − γp."""
        u, p = state.lattice_state()
        return self.lattice.force(u, self.site_charge(state.psi)) - self.lattice.damping * p

    def at(self, state: IntegratorState) -> float:
        """W_diss at ``state``, at or after ``last`` within one step.

        Parameters
        ----------
        state
            A state inside the step after ``last``, or at its end.

        Returns
        -------
        float
            W_diss (eV).
        """
        if not self.lattice.damping or state.t == self.last.t:
            return self.total
        last_p, p = self.last.lattice_state()[1], state.lattice_state()[1]
        return self.total + self.lattice.dissipated_work(last_p, self._pdot, p, self._rate(state), state.t - self.last.t)

    def advance(self, state: IntegratorState) -> IntegratorState:
        """Move to the next accepted step's end ``state``.

        Parameters
        ----------
        state
            The end of the next accepted step.

        Returns
        -------
        IntegratorState
            ``state`` itself.
        """
        self.reset(state, self.at(state))
        return state
