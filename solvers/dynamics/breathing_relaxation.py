r"""Born–Oppenheimer relaxation of the breathing amplitude Δ on the surface of a pumped state's excited part.

Which surface
-------------
After the pump a cluster is in ``c₀ψ₀ + χ``: with probability ``1 − α`` it stays in the ground
state (the unexcited majority of the film), with probability α it is excited, in the eigenstates
``φ_n`` with the populations ``w_n = |⟨φ_n|χ̂⟩|²``. The oxygens are slow against the electronic
level spacings (breathing period 58.6 fs), so in an excited cluster the populations of the
adiabatic states stay fixed while the oxygens move (adiabatic theorem; phases average out), and
the oxygens of the excited clusters move on

.. math:: \mathcal{E}(u) = V_{\rm lat}(u) + \sum_n w_n E_n(u),

the standard Born–Oppenheimer picture for a photo-excited population
(:mod:`~localpairs.solvers.dynamics.lattice_relaxation`, whose :func:`relax_on_surface` does
the minimisation). The relaxed-lattice probe measures these clusters: their excited part at the
minimum u*, with the final states of H(u*) (:func:`~localpairs.hamiltonians.oxygen_lattice.model_at_geometry`),
never a sudden Δ → 0.

One coordinate: the breathing amplitude
---------------------------------------
A fitted model holds Δ as site energies ∓Δ (large/small octahedra) and no oxygens. The breathing
mode moves every oxygen of the LPDW pattern together, ``u_b = ±u`` (away from the large
octahedron), which shifts the site energies by ``λ u z_i`` with ``λ = Δ/(z u0)`` (the convention
of :func:`~localpairs.hamiltonians.oxygen_lattice.breathing_coupling`; z = 6 on the periodic cube,
5 with one open axis) so that ``u = u0`` is the fitted Δ and ``Δ(u) = Δ u/u0``. The collective
coordinate is a :class:`~localpairs.hamiltonians.oxygen_lattice.Lattice` of one "bond" with the
N_b oxygens' double wells summed: ``V = N_b B [(u/u0)² − 1]²``, mass N_b M.

The ground state is held at the fitted Δ
----------------------------------------
The fit made Δ the ground state's breathing, and the review's oxygen displacement (u0 = 0.035 Å,
half its 0.07 Å "width") is the crystal's equilibrium with its electrons. With the double wells
centred at u0 the ground state's electrons would push the oxygens beyond it (on the paired 8-site
fit by 40 %). The bare wells are therefore centred at ``u_w`` (:func:`held_well_minimum`), chosen
so that the ground state's surface has its minimum at u0: ``V'(u0; u_w) = F₀`` with ``F₀`` the
ground state's Hellmann–Feynman force at u0; barrier and curvature keep the double-well form of
:mod:`~localpairs.hamiltonians.oxygen_lattice` (B = 500 K per oxygen). The relaxation is then
driven by the difference between the excited part's charge order and the ground state's. (A
constant compensating force instead would keep pulling after the coordinate crosses the barrier:
on the paired fit it ran into the other well and "gained" more than the photon energy.)

Cost
----
The populations need the eigenstates up to the highest populated rank only
(:func:`populations_by_rank`: ARPACK for the lowest few, grown until the captured weight is within
``captured_tol`` of 1); a pumped χ at the optical gap of the fitted 8-site clusters sits on the
lowest handful of states, so each surface evaluation of :func:`relax_on_surface` is one small
``eigsh``. A dense diagonalisation of the 4,900-state sector took 182 s on the shared machine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq

from localpairs.errors import require
from localpairs.hamiltonians.driven_model import drive
from localpairs.hamiltonians.model import Model
from localpairs.hamiltonians.oxygen_lattice import (
    DEFAULT_WELL_SEPARATION,
    Lattice,
    bond_signs,
    breathing_coupling,
    lpdw_displacements,
    model_at_geometry,
    oxygen_lattice,
)
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.lattice_relaxation import lowest_states, relax_on_surface

#: Default: the populations found must hold all but this of the state's weight; populations below it
#: are dropped from the surface (they move Δ* by ~this relative). An evolved χ carries ~1e-10 on
#: hundreds of high states (the pulse's tails): keeping them made the paired relaxation of the XFEL
#: study compute 512 eigenstates per step (1,600 s) instead of 8.
DEFAULT_CAPTURED_TOL = 1e-6
#: Eigenstates computed first when looking for the populated ranks (doubled until enough).
FIRST_COUNT = 8
#: Eigenvalues closer than this (eV) are one level (a degenerate multiplet is followed as a whole).
LEVEL_TOL = 1e-8


def breathing_lattice(cluster: Any, large: Sequence[bool], breathing: float, *, well_separation: float = DEFAULT_WELL_SEPARATION) -> Lattice:
    """The breathing mode as a one-coordinate lattice: u = u0 gives the site energies ∓Δ (module docstring).

    Wells centred at u0 (see :func:`held_well_minimum` for the ground state held there). Barrier and mass are the defaults of
    :func:`~localpairs.hamiltonians.oxygen_lattice.oxygen_lattice` times the number N_b of displaced oxygens.

    Parameters
    ----------
    cluster
        The cluster of octahedra.
    large
        Which octahedra are large (the LPDW pattern).
    breathing
        The fitted breathing Δ (eV) that ``u = u0`` reproduces.
    well_separation
        Separation of the double wells (Å), as :func:`~localpairs.hamiltonians.oxygen_lattice.oxygen_lattice`.

    Returns
    -------
    Lattice
        One coordinate: the signed pattern of site-energy shifts, coupling λ, barrier and mass summed over the N_b oxygens.

    Raises
    ------
    InputError
        If the pattern displaces no oxygen (no breathing mode).
    """
    single = oxygen_lattice(cluster, coupling=breathing_coupling(cluster, large, breathing, well_separation=well_separation), well_separation=well_separation)
    u_lpdw = lpdw_displacements(cluster, large, single.u0)
    n_moving = int(np.count_nonzero(u_lpdw))
    require(n_moving > 0, "doping.large", list(large), "a pattern with oxygens between octahedra of different size (a breathing mode)")
    pattern = bond_signs(cluster) @ u_lpdw / single.u0  # −z on large, +z on small octahedra
    return Lattice(signs=pattern[:, None], coupling=single.coupling, barrier=n_moving * single.barrier, u0=single.u0,
                   mass=n_moving * single.mass)


def held_well_minimum(lattice: Lattice, force: float) -> float:
    """The well centre ``u_w`` (Å) at which the wells ``V = B[(u/u_w)² − 1]²`` balance ``force`` at ``lattice.u0``.

    ``V'(u0) = 4B x(x² − 1)/u_w`` with ``x = u0/u_w`` rises from 0 at ``u_w = u0`` to ∞ as
    ``u_w → 0`` (and falls below 0 for ``u_w > u0``), so one root lies in (u0/8, 8u0] for any force
    the bracket admits.

    Parameters
    ----------
    lattice
        The breathing lattice (:func:`breathing_lattice`): barrier B and displacement u0 (Å).
    force
        The ground state's force on the coordinate at u0 (eV/Å, > 0 outwards).

    Returns
    -------
    float
        ``u_w`` in Å (``u0`` when the force is zero).

    Raises
    ------
    InputError
        If no ``u_w`` in (u0/8, 8u0] balances the force (naming the force).
    """
    u0, B = lattice.u0, lattice.barrier

    def residual(uw: float) -> float:
        x = u0 / uw
        return 4.0 * B * x * (x * x - 1.0) / uw - force

    lo, hi = u0 / 8.0, 8.0 * u0
    require(residual(lo) > 0 > residual(hi) or force == 0.0, "ground force", force,
            f"a force the double well can hold at u0 = {u0:g} Å with wells between {lo:g} and {hi:g} Å (eV/Å)")
    return u0 if force == 0.0 else float(brentq(residual, lo, hi, xtol=1e-15, rtol=1e-14))


def populations_by_rank(matrix: sp.spmatrix, state: np.ndarray, *, captured_tol: float = DEFAULT_CAPTURED_TOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The populations ``|⟨φ_n|state⟩|²/‖state‖²`` on the lowest eigenstates, grown until they hold all but ``captured_tol``.

    Parameters
    ----------
    matrix
        The Hamiltonian (sparse, eV).
    state
        The state (any nonzero norm).
    captured_tol
        Weight allowed outside the eigenstates computed.

    Returns
    -------
    tuple of numpy.ndarray
        ``(populations, energies, vectors)`` of the ``k`` lowest eigenstates computed (populations of length k; their sum is
        the captured weight).

    Raises
    ------
    InputError
        If ``state`` is the zero vector.
    """
    state = np.asarray(state)
    norm2 = float(np.vdot(state, state).real)
    require(norm2 > 0, "state", "zero vector", "a nonzero state (the excited part χ of a pumped state)")
    dim, count = matrix.shape[0], FIRST_COUNT
    while True:
        count = min(count, dim)
        energies, vectors = lowest_states(matrix, count)
        pops = np.abs(vectors.conj().T @ state) ** 2 / norm2
        if 1.0 - pops.sum() <= captured_tol or count == dim:
            return pops, energies, vectors
        count *= 2


@dataclass(frozen=True)
class BreathingRelaxation:
    """The relaxed breathing of a pumped state's excited part (built by :func:`relax_breathing`; its parameters are the attributes).

    Parameters
    ----------
    breathing, relaxed_breathing, u0, u, well_minimum, energy_gain, force_u0, captured, n_levels, top_rank
        As the attributes below.
    relaxed_state, relaxed_model, iterations, seconds
        As the attributes below.
    _populations, _levels, _before, _after
        Populations, level energies and eigenvectors before and after the relaxation, kept for :meth:`carry`.

    Attributes
    ----------
    breathing, relaxed_breathing
        Δ of the fit (ground-state equilibrium) and Δ* = Δ u*/u0 at the minimum of the excited surface (eV).
    u0, u, well_minimum
        LPDW displacement, relaxed displacement and the centre u_w of the bare wells (Å).
    energy_gain
        𝓔(u0) − 𝓔(u*) (eV): what the excited clusters' lattice gains by relaxing.
    force_u0
        Force on the coordinate at u0 on the excited surface (eV/Å); the ground state's is 0 by construction.
    captured, n_levels, top_rank
        Weight of χ̂ on the eigenstates used, populated levels (above 1e-12) and the highest populated rank.
    relaxed_state
        χ̂ carried to H(u*): each populated level's component projected onto the same-rank eigenspace of
        H(u*) (adiabatic transport to first order; :meth:`carry` does it for another state).
    relaxed_model
        The model at u* (:func:`~localpairs.hamiltonians.oxygen_lattice.model_at_geometry`, staggered shifts only).
    iterations, seconds
        Minimiser iterations and wall time.
    """

    breathing: float
    relaxed_breathing: float
    u0: float
    u: float
    well_minimum: float
    energy_gain: float
    force_u0: float
    captured: float
    n_levels: int
    top_rank: int
    relaxed_state: np.ndarray
    relaxed_model: Model
    iterations: int
    seconds: float
    _populations: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    _levels: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    _before: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    _after: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))

    def carry(self, state: np.ndarray) -> np.ndarray:
        """Carry another state on the same levels (e.g. χ̂ at another delay) to H(u*) like :attr:`relaxed_state`.

        Parameters
        ----------
        state
            A state on the populated levels (any norm).

        Returns
        -------
        numpy.ndarray
            The normalized state carried level by level to the eigenstates of H(u*).
        """
        state = np.asarray(state, dtype=np.complex128)
        return _carried(state / np.linalg.norm(state), self._populations, self._levels, self._before, self._after)

    def kept_part(self, state: np.ndarray) -> np.ndarray:
        """The normalized ``state`` projected onto the levels of the surface (populations at or above ``captured_tol``), unmoved.

        What the relaxation keeps of a state on the fitted lattice: the dropped populations' effect on a probe is the difference
        between ``state`` and this.

        Parameters
        ----------
        state
            A state on the populated levels (any norm).

        Returns
        -------
        numpy.ndarray
            The projection (norm² = the kept weight, ``captured`` for the state the relaxation was computed on).
        """
        state = np.asarray(state, dtype=np.complex128)
        return _carried(state / np.linalg.norm(state), self._populations, self._levels, self._before, self._before)

    def record(self) -> dict[str, float]:
        """The numbers, for a report (eV, Å).

        Returns
        -------
        dict of float
            Breathing and relaxed breathing, u0, u*, u_w, energy gain, force at u0, captured weight, levels, top rank,
            iterations and seconds.
        """
        return {"breathing": self.breathing, "relaxed_breathing": self.relaxed_breathing, "u0_A": self.u0, "u_A": self.u, "well_minimum_A": self.well_minimum,
                "energy_gain": self.energy_gain, "force_u0": self.force_u0, "captured": self.captured, "n_levels": float(self.n_levels),
                "top_rank": float(self.top_rank), "iterations": float(self.iterations), "seconds": self.seconds}


class _RealHamiltonian:
    """The operator :func:`relax_on_surface` needs, with H(t; shifts) as a real matrix when it is real.

    A DrivenOperator stores complex matrices (for the Peierls phases); at A = 0 they are real, and
    ARPACK on the complex matrix took 100 s against 1.7 s on the real one for the 4,900-state
    sector on the shared machine with two OpenMP threads (0.8 s vs 0.5 s with one).
    """

    def __init__(self, op: DrivenOperator) -> None:
        self.op, self.dim = op, op.dim

    def hamiltonian(self, t: float, site_shifts: np.ndarray | None = None) -> sp.csr_matrix:
        h = self.op.hamiltonian(t, site_shifts)
        return h.real.tocsr() if np.iscomplexobj(h.data) and not np.any(h.data.imag) else h

    def site_charge(self, psi: np.ndarray) -> np.ndarray:
        return self.op.site_charge(psi)


def _carried(state: np.ndarray, pops: np.ndarray, e_old: np.ndarray, v_old: np.ndarray, v_new: np.ndarray) -> np.ndarray:
    """χ̂ carried level by level: ``Σ_E √w_E normalize(P'_E P_E χ̂)`` with P'_E the same ranks of H(u*)."""
    out = np.zeros_like(state, dtype=np.complex128)
    start = 0
    while start < pops.size:
        stop = start + 1
        while stop < pops.size and e_old[stop] - e_old[start] < LEVEL_TOL:
            stop += 1
        weight = float(pops[start:stop].sum())
        if weight > 1e-14:
            comp = v_old[:, start:stop] @ (v_old[:, start:stop].conj().T @ state)
            moved = v_new[:, start:stop] @ (v_new[:, start:stop].conj().T @ comp)
            out += np.sqrt(weight) * moved / np.linalg.norm(moved)
        start = stop
    return out


def relax_breathing(model0: Model, basis: Any, large: Sequence[bool], breathing: float, *, psi0: np.ndarray, state: np.ndarray,
                    captured_tol: float = DEFAULT_CAPTURED_TOL, force_tol: float = 1e-7) -> BreathingRelaxation:
    """Relax the breathing amplitude on the surface of ``state``'s populations, the ground state held at Δ.

    Parameters
    ----------
    model0
        The fitted model at Δ = 0 (extended Hubbard): H(u) = H(model0) + the breathing shifts.
    basis
        Basis of the sector of the states.
    large, breathing
        Which octahedra are large and the fitted Δ (eV).
    psi0
        Ground state of the fitted model (normalized).
    state
        The excited part χ (any norm): its populations by rank define the surface.
    captured_tol
        Weight of χ̂ allowed outside the eigenstates computed.
    force_tol
        Residual force on the coordinate (eV/Å) of :func:`relax_on_surface`.

    Returns
    -------
    BreathingRelaxation
        The relaxed breathing, the carried state, the model at u* and the diagnostics.
    """
    t0 = time.perf_counter()
    op = cast(DrivenOperator, _RealHamiltonian(DrivenOperator(drive(model0), basis)))
    stag = breathing_lattice(model0.cluster, large, breathing)
    u0 = np.array([stag.u0])
    held = replace(stag, u0=held_well_minimum(stag, float(stag.force(u0, op.site_charge(np.asarray(psi0)))[0])))
    pops, e_old, v_old = populations_by_rank(op.hamiltonian(0.0, stag.site_shifts(u0)), state, captured_tol=captured_tol)
    pops = np.where(pops >= captured_tol, pops, 0.0)
    full = np.zeros(op.dim)
    full[: pops.size] = pops
    res = relax_on_surface(op, held, full, u0, force_tol=force_tol)
    top = int(np.flatnonzero(pops > 1e-12)[-1])
    _, v_new = lowest_states(op.hamiltonian(0.0, stag.site_shifts(res.u)), pops.size)
    chi = _carried(np.asarray(state, dtype=np.complex128) / np.linalg.norm(state), pops, e_old, v_old, v_new)
    w = pops / pops.sum()
    charge_chi = sum(wn * op.site_charge(v_old[:, n]) for n, wn in enumerate(w) if wn > 1e-12)
    force = float(held.force(u0, charge_chi)[0])
    gain = _surface(op, held, w, u0) - res.energy
    levels = int(np.count_nonzero(np.concatenate([[True], np.diff(e_old) > LEVEL_TOL]) & (pops > 1e-12)))
    return BreathingRelaxation(float(breathing), float(breathing * res.u[0] / stag.u0), float(stag.u0), float(res.u[0]), float(held.u0), float(gain), force,
                               float(pops.sum()), levels, top, chi, model_at_geometry(model0, stag, res.u), int(res.iterations),
                               time.perf_counter() - t0, pops, e_old, v_old, v_new)


def _surface(op: DrivenOperator, lattice: Lattice, weights: np.ndarray, u: np.ndarray) -> float:
    """𝓔(u) on the populations ``weights`` (by rank, normalised)."""
    energies, _ = lowest_states(op.hamiltonian(0.0, lattice.site_shifts(u)), weights.size)
    return lattice.potential(u) + float(weights @ energies)
