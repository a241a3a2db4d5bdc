"""Time evolution of driven models over output times: :func:`evolve`.

The default backend is the adaptive commutator-free Magnus integrator with Lanczos exponentials,
:class:`~localpairs.solvers.dynamics.cfm4.CFM4Integrator` (4th-order CFM4 by default; CF6 and other
schemes of :mod:`~localpairs.solvers.dynamics.cfet` by ``EvolutionOptions.scheme``; step-size control
and field-free stretches in :mod:`~localpairs.solvers.dynamics.cfm4`); its output at requested
times is dense (one extra step inside an accepted one). Reference backend: QuSpin's
``hamiltonian.evolve`` (scipy's dop853) on the same matrices,
:func:`~localpairs.solvers.dynamics.quspin_reference.evolve_quspin`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from localpairs.errors import InputError, require
from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.dynamics.cfm4 import CFM4Integrator
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.integrator_settings import EvolutionOptions, IntegratorState

__all__ = ["CFM4Integrator", "EvolutionOptions", "EvolutionResult", "IntegratorState", "check_state", "check_times", "evolve"]


def check_times(times: ArrayLike) -> np.ndarray:
    """Output times as a float array: finite and strictly increasing.

    Parameters
    ----------
    times : array_like
        Output times in fs.

    Returns
    -------
    numpy.ndarray
        The times as floats.

    Raises
    ------
    InputError
        Fewer than two times, non-finite ones, or a grid that goes backwards or repeats.
    """
    arr = np.asarray(times, dtype=float)
    require(
        arr.ndim == 1 and arr.size >= 2 and bool(np.all(np.isfinite(arr))),
        "times", times if arr.size < 8 else f"{arr.size} times", "at least two finite times in fs",
    )
    bad = np.flatnonzero(np.diff(arr) <= 0)
    if bad.size:
        raise InputError("times", f"... {arr[bad[0]]:g}, {arr[bad[0] + 1]:g} ...", "strictly increasing times (the grid goes backwards or repeats)")
    return arr


def check_state(psi0: np.ndarray, dim: int) -> np.ndarray:
    """``psi0`` as a complex vector of length ``dim`` with unit norm.

    Parameters
    ----------
    psi0 : numpy.ndarray
        The initial state.
    dim : int
        Dimension of the Hilbert space.

    Returns
    -------
    numpy.ndarray
        ``psi0`` as complex128.

    Raises
    ------
    InputError
        Wrong shape, non-finite entries or a norm off 1 by more than 1e-8.
    """
    psi = np.asarray(psi0, dtype=np.complex128)
    require(psi.shape == (dim,) and bool(np.all(np.isfinite(psi))), "psi0", f"shape {psi.shape}", f"a finite vector of length {dim}")
    norm = float(np.linalg.norm(psi))
    require(abs(norm - 1.0) < 1e-8, "psi0", f"norm {norm:.12g}", "a normalised state (norm 1 to 1e-8)")
    return psi


@dataclass
class EvolutionResult:
    """States at the requested times.

    Parameters
    ----------
    times : numpy.ndarray
        Output times in fs.
    states : numpy.ndarray
        ``states[:, k]`` is the state at ``times[k]``.
    u, p : numpy.ndarray or None
        Lattice displacements (Å) and momenta (eV·fs/Å) per time, None without a lattice.
    stats : dict
        Accepted and rejected steps and matrix–vector products of the integrator.
    """

    times: np.ndarray
    states: np.ndarray
    u: np.ndarray | None
    p: np.ndarray | None
    stats: dict


def evolve(
    op: DrivenOperator,
    psi0: np.ndarray,
    times: ArrayLike,
    *,
    backend: str = "cfm4",
    options: EvolutionOptions | None = None,
    lattice: Lattice | None = None,
    u0: np.ndarray | None = None,
    p0: np.ndarray | None = None,
    rtol: float | None = None,
    atol: float | None = None,
) -> EvolutionResult:
    """Evolve ``psi0`` (given at ``times[0]``) and return the states at all ``times``.

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices.
    psi0 : numpy.ndarray
        Normalised initial state at ``times[0]``.
    times : array_like
        Strictly increasing output times in fs.
    backend : str
        ``"cfm4"`` (default): :class:`CFM4Integrator` with ``options`` (its scheme and error control);
        ``"quspin"``: QuSpin's ``hamiltonian.evolve`` (dop853) at ``rtol``/``atol``, without lattice.
    options : EvolutionOptions, optional
        Integrator settings (default :class:`EvolutionOptions`).
    lattice : Lattice, optional
        Classical oxygens coupled to the site energies.
    u0, p0 : numpy.ndarray, optional
        Initial lattice displacements (Å, needed with a lattice) and momenta (eV·fs/Å, default 0).
    rtol, atol : float, optional
        QuSpin's tolerances (default ``options.tol``).

    Returns
    -------
    EvolutionResult
        States (and lattice coordinates) at ``times`` and the integrator's statistics.

    Raises
    ------
    InputError
        Bad times, state, options, backend or lattice coordinates.
    """
    times = check_times(times)
    psi = check_state(psi0, op.dim)
    options = (options or EvolutionOptions()).validate()
    require(backend in ("cfm4", "quspin"), "backend", backend, "'cfm4' or 'quspin'")
    if backend == "quspin":
        require(lattice is None, "backend", backend, "'cfm4' when a lattice is coupled")
        from localpairs.solvers.dynamics.quspin_reference import evolve_quspin

        states = evolve_quspin(op, psi, times, rtol=rtol or options.tol, atol=atol or options.tol)
        return EvolutionResult(times, states, None, None, {})
    if lattice is not None:
        require(
            u0 is not None and np.shape(u0) == (lattice.n_bonds,),
            "u0", None if u0 is None else np.shape(u0), f"{lattice.n_bonds} oxygen displacements (Å)",
        )
        p0 = np.zeros(lattice.n_bonds) if p0 is None else np.asarray(p0, dtype=float)
    integ = CFM4Integrator(op, t_start=times[0], t_end=times[-1], options=options, lattice=lattice)
    state = IntegratorState(times[0], psi, options.h_init, None if lattice is None else np.array(u0, float), None if lattice is None else p0)
    out = np.empty((op.dim, times.size), dtype=np.complex128)
    out[:, 0] = psi
    us = np.empty((times.size, lattice.n_bonds)) if lattice else None
    ps = np.empty_like(us) if lattice else None
    if us is not None and ps is not None:  # exactly when a lattice is coupled
        us[0], ps[0] = state.u, state.p
    k = 1
    for before, after in integ.steps(state):
        while k < times.size and times[k] <= after.t + 1e-12 * integ.span:
            at = integ.interpolate(before, after, times[k])
            out[:, k] = at.psi
            if us is not None and ps is not None:
                us[k], ps[k] = at.u, at.p
            k += 1
        state = after
    stats = {"steps": state.steps, "rejected": state.rejected, "matvecs": state.matvecs}
    return EvolutionResult(times, out, us, ps, stats)
