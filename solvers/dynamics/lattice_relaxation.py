r"""Born–Oppenheimer relaxation of the oxygens on an excited-state energy surface.

After the pump the electrons sit in a superposition of eigenstates φ_n(u) of H(u). When the
oxygens move slowly against the electronic level spacings, the populations ``w_n`` of the
adiabatic eigenstates stay fixed (adiabatic theorem; phases average out), and the lattice moves
on the surface

.. math:: \mathcal{E}(u) = \sum_b V(u_b) + \sum_n w_n E_n(u),\qquad H(u)\,φ_n = E_n φ_n,

whose gradient is Hellmann–Feynman's, ``∂E_n/∂u_b = λ Σ_i s_ib ⟨n_i⟩_n``. The adiabatic states are
followed by their rank in energy: through an avoided crossing that is exactly the adiabatic
continuation; through a true crossing (states of different symmetry) it is not, and the
surface has a kink there. In a dense excited manifold the kinks are everywhere: on the 2×2×2
cube (x open) at the XFEL study's paired fit (U = −2.49 eV, Δ = 0.36 eV, λ = 2.07 eV/Å) the lowest
excited levels lie 1.749, 1.760, 1.857 … eV above E0 and the minimiser stops at a kink with a
force of 1 eV/Å (:class:`~localpairs.errors.LocalPairsError`, never a silent answer); the ground
surface relaxes there in 42 s to 1.25 × the LPDW displacements. ``w = e_1`` is the lowest excited state; the populations of a
pumped state's excited part χ are :func:`surface_populations`.

:func:`relax_on_surface` minimises 𝓔 from a start geometry by BFGS with the analytic gradient:
the local minimum of the basin the lattice starts in (the double wells allow several). The
relaxed-lattice probe then uses H(u*) as the final-state Hamiltonian
(:func:`~localpairs.hamiltonians.oxygen_lattice.model_at_geometry`), never a sudden Δ → 0.

Cost: per evaluation (a few tens, plus 2 × n_bonds per Newton step of the final polish) the
eigenstates up to the highest populated rank: ARPACK for the lowest few states of a large sector,
a dense diagonalisation otherwise (measured 135 s for dimension 4900 on the shared machine: a
pumped χ spread over the whole spectrum of the 8-site cube is out of reach this way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.linalg import eigsh

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.dynamics.driven_operator import DrivenOperator

#: Largest sector dimension diagonalised densely; above it the lowest states come from ARPACK.
DENSE_UP_TO = 1500
#: Populations below this are dropped from the surface (they change 𝓔 by less than 1e-12 × a level).
POPULATION_CUTOFF = 1e-12


@dataclass(frozen=True)
class RelaxedGeometry:
    """The minimum of an excited-state surface.

    Parameters
    ----------
    u
        Oxygen displacements (Å).
    energy
        𝓔(u) = Σ V(u) + Σ_n w_n E_n(u) in eV.
    force
        Residual force −∂𝓔/∂u (eV/Å).
    site_shifts
        λ Σ_b s_ib u_b (eV): the site energies the final-state Hamiltonian gets.
    iterations
        BFGS iterations.
    """

    u: np.ndarray
    energy: float
    force: np.ndarray
    site_shifts: np.ndarray
    iterations: int


def surface_populations(op: DrivenOperator, lattice: Lattice, u: np.ndarray, state: np.ndarray, *, t: float = 0.0) -> np.ndarray:
    """Weights ``|⟨φ_n(u)|state⟩|² / ‖state‖²`` on the eigenstates of H(t; u), ordered by energy.

    Parameters
    ----------
    op
        The electrons' operator.
    lattice
        The oxygens (their site shifts).
    u
        Oxygen displacements (Å).
    state
        The state (any norm, nonzero).
    t
        Time of H (fs; default 0: no field).

    Returns
    -------
    numpy.ndarray
        One weight per eigenstate (dense diagonalisation), by energy rank.

    Raises
    ------
    InputError
        For a zero state.
    """
    vectors = np.linalg.eigh(op.hamiltonian(t, lattice.site_shifts(np.asarray(u, dtype=float))).toarray())[1]
    state = np.asarray(state)
    norm2 = float(np.vdot(state, state).real)
    require(norm2 > 0, "state", "zero vector", "a nonzero state (e.g. the excited part χ of a pumped state)")
    return np.abs(vectors.conj().T @ state) ** 2 / norm2


def lowest_states(matrix: sp.spmatrix, count: int, *, dense_up_to: int = DENSE_UP_TO) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` lowest eigenpairs (ascending) of a Hermitian sparse matrix.

    Dense ``eigh`` up to dimension ``dense_up_to`` or when more than a quarter of the spectrum is
    asked for; otherwise ARPACK (``eigsh``, smallest algebraic, converged to machine precision,
    deterministic start vector).

    Parameters
    ----------
    matrix
        The Hermitian matrix.
    count
        How many eigenpairs.
    dense_up_to
        Largest dimension diagonalised densely.

    Returns
    -------
    tuple of numpy.ndarray
        Eigenvalues (ascending) and eigenvectors (columns).
    """
    dim = matrix.shape[0]
    if dim <= dense_up_to or 4 * count > dim:
        energies, vectors = np.linalg.eigh(matrix.toarray())
        return energies[:count], vectors[:, :count]
    energies, vectors = eigsh(matrix, k=count, which="SA", tol=0.0, v0=np.full(dim, 1.0 / np.sqrt(dim), dtype=matrix.dtype))
    order = np.argsort(energies)
    return energies[order], vectors[:, order]


def surface_energy(op: DrivenOperator, lattice: Lattice, populations: np.ndarray, u: np.ndarray, *, t: float = 0.0,
                   dense_up_to: int = DENSE_UP_TO) -> tuple[float, np.ndarray]:
    """𝓔(u) (eV) and its gradient ∂𝓔/∂u (eV/Å) on the surface of ``populations`` (by energy rank).

    Only the eigenstates up to the highest populated rank are computed (:func:`lowest_states`).

    Parameters
    ----------
    op
        The electrons' operator.
    lattice
        The oxygens.
    populations
        ``w_n`` by energy rank (normalised here; those below :data:`POPULATION_CUTOFF` dropped).
    u
        Oxygen displacements (Å).
    t
        Time of H (fs).
    dense_up_to
        Largest dimension diagonalised densely.

    Returns
    -------
    tuple of (float, numpy.ndarray)
        𝓔(u) and ∂𝓔/∂u (Hellmann–Feynman).
    """
    u = np.asarray(u, dtype=float)
    ranks = np.flatnonzero(populations > POPULATION_CUTOFF)
    energies, vectors = lowest_states(op.hamiltonian(t, lattice.site_shifts(u)), int(ranks[-1]) + 1, dense_up_to=dense_up_to)
    weights = populations[ranks] / populations[ranks].sum()
    charge = sum(w * op.site_charge(vectors[:, n]) for n, w in zip(ranks, weights))
    return lattice.potential(u) + float(weights @ energies[ranks]), -lattice.force(u, charge)


def relax_on_surface(
    op: DrivenOperator,
    lattice: Lattice,
    populations: np.ndarray,
    u_start: np.ndarray,
    *,
    t: float = 0.0,
    force_tol: float = 1e-9,
    max_iter: int = 500,
    dense_up_to: int = DENSE_UP_TO,
) -> RelaxedGeometry:
    """The oxygen geometry minimising Σ V(u) + Σ_n w_n E_n(u), from ``u_start`` (Å).

    Parameters
    ----------
    op
        The electrons' operator; H(t) at ``t`` with the lattice's site shifts.
    lattice
        The oxygens (λ, double wells).
    populations
        ``w_n`` per eigenstate of the sector, by energy rank (length = dimension); normalised here.
        E.g. ``e_1`` (the lowest excited state) or :func:`surface_populations` of χ.
    u_start
        Start geometry (Å); the minimum found is the one of its basin.
    t
        Time of H (fs; default 0: no field).
    force_tol
        Largest residual |force| in eV/Å (the well curvature 8B/u0² ≈ 280 eV/Å² turns 1e-9 eV/Å into
        ~4e-12 Å).
    max_iter
        Most BFGS iterations.
    dense_up_to
        Largest dimension diagonalised densely (:func:`lowest_states`).

    Returns
    -------
    RelaxedGeometry
        The minimum, its energy, residual force, site shifts and iterations.

    Raises
    ------
    InputError
        For populations of the wrong length, negative, or all zero.
    LocalPairsError
        If the minimiser stops with a force above ``force_tol``.
    """
    w = np.asarray(populations, dtype=float)
    require(w.shape == (op.dim,) and bool(np.all(w >= 0)) and w.sum() > POPULATION_CUTOFF, "populations", f"shape {w.shape}",
            f"{op.dim} non-negative weights (one per eigenstate, by energy), not all zero")
    u_start = np.asarray(u_start, dtype=float)
    require(u_start.shape == (lattice.n_bonds,), "u_start", list(u_start.shape), f"{lattice.n_bonds} displacements (Å)")
    # scale u by u0 so that the gradient tolerance is in eV and the problem is O(1)
    scale = lattice.u0

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        energy, grad = surface_energy(op, lattice, w, x * scale, t=t, dense_up_to=dense_up_to)
        return energy, grad * scale

    res = minimize(fun, u_start / scale, jac=True, method="BFGS", options={"gtol": force_tol * scale, "maxiter": max_iter})
    x, newton = _newton_polish(lambda y: fun(y)[1], res.x, force_tol * scale)
    u = x * scale
    energy, grad = surface_energy(op, lattice, w, u, t=t, dense_up_to=dense_up_to)
    if np.max(np.abs(grad)) > force_tol:
        raise LocalPairsError(f"relaxation on the excited surface stopped with |force| = {np.max(np.abs(grad)):.3g} eV/Å > "
                              f"force_tol = {force_tol:g} after {res.nit} BFGS iterations ({res.message}) and {newton} Newton steps")
    return RelaxedGeometry(u=u, energy=energy, force=-grad, site_shifts=lattice.site_shifts(u), iterations=int(res.nit) + newton)


def _newton_polish(gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray, tol: float, *,
                  max_steps: int = 20, delta: float = 1e-5) -> tuple[np.ndarray, int]:
    """Newton steps on ∇𝓔 = 0 from BFGS's end point (scaled coordinates); return (x, steps).

    BFGS's line search stops once energy differences reach round-off (|∇𝓔|² / curvature ~ 1e-16 eV),
    long before the gradient does; the gradient (Hellmann–Feynman, no differences of energies)
    is accurate to round-off, so Newton on it converges further. The Hessian comes from central
    differences of the gradient (step ``delta``); a Hessian that is not positive definite (a saddle)
    stops the polish.
    """
    g = gradient(x)
    for step in range(max_steps):
        if np.max(np.abs(g)) <= tol:
            return x, step
        eye = np.eye(x.size)
        hess = np.array([(gradient(x + delta * e) - gradient(x - delta * e)) / (2 * delta) for e in eye])
        hess = 0.5 * (hess + hess.T)
        if np.min(np.linalg.eigvalsh(hess)) <= 0:
            return x, step
        x = x - np.linalg.solve(hess, g)
        g = gradient(x)
    return x, max_steps
