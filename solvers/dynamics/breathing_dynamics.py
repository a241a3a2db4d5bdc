r"""Damped Ehrenfest motion of the breathing coordinate after the pulse.

What moves
----------
The breathing mode of :mod:`~localpairs.solvers.dynamics.breathing_relaxation`: every oxygen of
the LPDW pattern displaced together, ``u_b = ±u`` (one coordinate, mass N_b M, double wells
N_b B), with the bare wells centred at ``u_w`` so that the ground state ψ₀ stays at the fitted
breathing (:func:`held_breathing_lattice`, the same surface the Born–Oppenheimer relaxation
minimises). An excited cluster starts with its electrons in χ̂ (the normalised excited part of
the pumped state) and its oxygens at rest at the fitted LPDW displacement ``u0``; then

.. math:: M\ddot u = -V'(u) - λ \sum_i s_i ⟨χ̂(t)|n_i|χ̂(t)⟩ - γ M \dot u,\qquad
          iħ\,∂_t χ̂ = H(u(t))\,χ̂

(Ehrenfest, :mod:`~localpairs.hamiltonians.oxygen_lattice`), integrated by the CFM4 integrator's
Strang-split lattice step (:func:`~localpairs.solvers.dynamics.trajectory.run_trajectory`). The
friction ``γ`` stands for the bath a closed cluster lacks (other phonons, the rest of the crystal);
it is a parameter, not a result.

Energy balance
--------------
``⟨H(u)⟩ + M u̇²/2 + V(u) + W_diss(t) = E(0)`` after the pulse, with ``W_diss = ∫γ M u̇² dt``
(:class:`~localpairs.solvers.dynamics.dissipation.Dissipation`);
:attr:`BreathingTrajectory.balance` is the residual.

Cost
----
One CFM4 triple jump per step on the full sector. With fixed steps of 0.25 fs the 100 fs after
the pulse of the paired 2×2×2 fit (dimension 4,900) took 15 s on the shared machine (load ≈ 9)
and stayed within 1.2e-4 u0 of an adaptive run at tol 1e-6 (112 s).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from localpairs.errors import require
from localpairs.hamiltonians.driven_model import drive
from localpairs.hamiltonians.model import Model
from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.dynamics.breathing_relaxation import breathing_lattice, held_well_minimum
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions
from localpairs.solvers.dynamics.trajectory import run_trajectory

#: Default fixed step (fs): 1.2e-4 u0 from a tol = 1e-6 adaptive run over 100 fs on the paired 2×2×2 fit.
DEFAULT_STEP = 0.25


@dataclass(frozen=True)
class BreathingTrajectory:
    """The breathing coordinate and the energies along a damped Ehrenfest run.

    Parameters
    ----------
    times
        Output times after the start (fs).
    u
        Breathing displacement u(t) (Å); ``start`` at t = 0.
    breathing
        Δ(t) = Δ u(t)/start (eV).
    electronic, lattice, dissipated
        ⟨H(u)⟩ of χ̂, the lattice's kinetic + potential energy, and W_diss(t) (eV).
    damping
        γ (1/fs).
    start, well_minimum
        The fitted LPDW displacement u0 and the centre u_w of the held wells (Å).
    period
        Small-oscillation period of the held wells, 2π/√(V''(u_w)/M) (fs).
    steps, seconds
        Integrator steps and wall time.
    """

    times: np.ndarray
    u: np.ndarray
    breathing: np.ndarray
    electronic: np.ndarray
    lattice: np.ndarray
    dissipated: np.ndarray
    damping: float
    start: float
    well_minimum: float
    period: float
    steps: int
    seconds: float

    @property
    def balance(self) -> np.ndarray:
        """E_el + E_lat + W_diss − E(0) at every output (eV): zero up to the integrator's error."""
        total = self.electronic + self.lattice
        return total + self.dissipated - total[0]

    def record(self) -> dict[str, Any]:
        """Numbers for a report (fs, Å, eV).

        Returns
        -------
        dict
            Times and Δ(t) as lists, γ, the displacements, the period, W_diss at the end, the largest
            energy-balance residual, steps and seconds.
        """
        return {"times": self.times.tolist(), "breathing": self.breathing.tolist(), "damping": self.damping, "start_A": self.start,
                "well_minimum_A": self.well_minimum, "period_fs": self.period, "dissipated": float(self.dissipated[-1]),
                "balance": float(np.max(np.abs(self.balance))), "steps": self.steps, "seconds": self.seconds}


def held_breathing_lattice(op: DrivenOperator, large: Sequence[bool], breathing: float, psi0: np.ndarray, *,
                           damping: float = 0.0, mass_scale: float = 1.0) -> tuple[Lattice, float]:
    """The breathing coordinate with its wells held so that ``psi0`` stays at the fitted Δ.

    Parameters
    ----------
    op
        The electrons at Δ = 0 (the breathing comes from the lattice's site shifts).
    large
        Which octahedra are large.
    breathing
        The fitted Δ (eV), > 0.
    psi0
        The ground state at the fitted Δ.
    damping
        γ (1/fs, ≥ 0).
    mass_scale
        Factor on the oxygens' mass (> 0; default 1: N_b × 16 u). The Born–Oppenheimer surface does not depend
        on it; a large factor makes the lattice slow against the electrons (the adiabatic limit).

    Returns
    -------
    tuple of (Lattice, float)
        The lattice (its ``u0`` is the well centre u_w, :func:`~localpairs.solvers.dynamics.breathing_relaxation.held_well_minimum`)
        and the fitted LPDW displacement (Å), where the ground state's force balances the wells.

    Raises
    ------
    InputError
        For Δ ≤ 0 (no breathing mode to move), a negative γ, a mass factor ≤ 0, or a force the wells cannot hold.
    """
    require(bool(np.isfinite(breathing) and breathing > 0), "breathing", breathing, "a fitted breathing Δ > 0 (eV)")
    require(bool(np.isfinite(mass_scale) and mass_scale > 0), "mass_scale", mass_scale, "a positive factor")
    require(bool(np.isfinite(damping) and damping >= 0), "damping", damping, "a finite γ ≥ 0 (1/fs)")
    bare = breathing_lattice(op.driven.model.cluster, large, breathing)
    force = float(bare.force(np.array([bare.u0]), op.site_charge(np.asarray(psi0)))[0])
    return replace(bare, u0=held_well_minimum(bare, force), damping=float(damping), mass=bare.mass * float(mass_scale)), float(bare.u0)


def damped_breathing(model0: Model, basis: Any, large: Sequence[bool], breathing: float, *, psi0: np.ndarray, state: np.ndarray,
                     damping: float, times: Sequence[float] | np.ndarray, options: EvolutionOptions | None = None,
                     mass_scale: float = 1.0) -> BreathingTrajectory:
    """Damped Ehrenfest motion of the breathing coordinate from the fitted LPDW, electrons in ``state`` (module docstring).

    Parameters
    ----------
    model0
        The fitted model at Δ = 0 (extended Hubbard); H(u) adds the breathing shifts.
    basis
        Basis of the sector of the states.
    large
        Which octahedra are large.
    breathing
        The fitted Δ (eV).
    psi0
        Ground state of the fitted model (holds the wells).
    state
        The electrons at t = 0, e.g. the excited part χ of a pumped state (any norm; normalised here).
    damping
        γ (1/fs).
    times
        Increasing output times (fs), the first is the start.
    options
        Integrator settings; default fixed steps of :data:`DEFAULT_STEP` fs.
    mass_scale
        Factor on the oxygens' mass (:func:`held_breathing_lattice`).

    Returns
    -------
    BreathingTrajectory
        u(t), Δ(t) and the energies at ``times``.

    Raises
    ------
    InputError
        For a zero state, Δ ≤ 0, γ < 0, a mass factor ≤ 0 or bad times.
    """
    t0 = time.perf_counter()
    state = np.asarray(state, dtype=np.complex128)
    norm = float(np.linalg.norm(state))
    require(norm > 0, "state", "zero vector", "a nonzero electronic state (e.g. the excited part χ)")
    op = DrivenOperator(drive(model0), basis)
    lat, start = held_breathing_lattice(op, large, breathing, psi0, damping=damping, mass_scale=mass_scale)
    times = np.asarray(times, dtype=float)
    ds = run_trajectory(op, state / norm, times, options=options or EvolutionOptions(fixed_step=DEFAULT_STEP), lattice=lat,
                        u0=np.array([start]), pair_correlations=False, progress=False)
    u = ds.oxygen_displacement.values[:, 0]
    return BreathingTrajectory(times=times - times[0], u=u, breathing=breathing * u / start, electronic=ds.energy.values,
                               lattice=ds.lattice_kinetic.values + ds.lattice_potential.values, dissipated=ds.dissipated_energy.values,
                               damping=float(damping), start=start, well_minimum=lat.u0, period=lat.well_period, steps=int(ds.attrs["steps"]),
                               seconds=time.perf_counter() - t0)
