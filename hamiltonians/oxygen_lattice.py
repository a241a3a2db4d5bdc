r"""Classical bridging oxygens in a double well, coupled to the octahedra's site energies (Ehrenfest).

Coordinates and coupling
------------------------
Each bond ``b: i → j`` (one bridging oxygen) has a displacement ``u_b`` (Å) along the bond from the
midpoint, positive towards ``j``. Moving the oxygen towards ``j`` shortens the Bi–O distance of
octahedron ``j`` (it shrinks) and lengthens that of ``i`` (it grows). A larger octahedron holds
electrons better, so its level goes down:

.. math:: ε_i \mathrel{+}= λ \sum_{b∋i} s_{ib} u_b,\qquad s_{ib} = -1 \text{ if } i = b.i,\; +1 \text{ if } i = b.j,

with λ > 0 in eV/Å. In the LPDW all oxygens next to a large octahedron move away from it, and
its level is lowered by ``6λu_0`` on the cubic lattice: the model's breathing Δ corresponds to
``λ = Δ/(6 u_0)``.

Double well
-----------
``V(u) = B [(u/u0)² − 1]²`` per oxygen: minima at ``±u0``, barrier ``B`` at ``u = 0``. The review
(Menushenkov et al.) quotes a barrier of 500 K and a "width" d ≈ 0.07 Å, entering the WKB
transparency ``D ≈ (d/ħ)√(2MB)``. That integral runs between the turning points of the
tunnelling motion, which for a particle at the bottom of a quartic double well lie at the two
minima: we take ``d = 2u0`` (well separation), so ``u0 = 0.035 Å``. Small oscillations in a well
have ``ω² = 8B/(M u0²)``: with the defaults (B = 500 K·k_B, u0 = 0.035 Å, M = 16 u) the period
is 15.3 fs.

Equations of motion (Ehrenfest)
-------------------------------
``M ü_b = −V'(u_b) − ∂⟨H⟩/∂u_b − γ M u̇_b`` with ``∂⟨H⟩/∂u_b = λ(⟨n_j⟩ − ⟨n_i⟩)`` (Hellmann–
Feynman). The integrator (:mod:`~localpairs.solvers.dynamics.evolution`) uses a Strang splitting:
damping over h/2 (exact, ``p → e^{−γh/2} p``), kick h/2, drift of ``u`` with the quantum step
over h (``u`` linear in time inside the step), kick h/2, damping h/2. Without damping this is
velocity Verlet: time reversible, with a bounded O(h²) error of the total energy
``⟨H(u)⟩ + Σ p²/2M + Σ V(u)``.

Damping and energy balance
--------------------------
The friction ``−γ M u̇`` removes energy at the rate ``γ Σ p²/M``; with the dissipated work
``W_diss(t) = ∫ γ Σ p²/M dt`` (:meth:`Lattice.dissipated_work`, one step at a time) the balance
is ``⟨H(u)⟩ + Σ p²/2M + Σ V(u) + W_diss = E(0) + W_pump`` with ``W_pump = ∫ ⟨j⟩·E dt``.

Damping rate γ (1/fs): the kinetic energy of a free oscillation decays as e^{−γt}, its amplitude
as e^{−γt/2}, and its line has a full width at half maximum γ (angular frequency), i.e.
``FWHM[cm⁻¹] = γ/(2πc) = 5.3 cm⁻¹ × γ[ps⁻¹]``. We found no measured width of BaBiO3's breathing
line (570 cm⁻¹, Tajima et al. / the review's refs. [21, 51]; not found with the search tools);
the review (Menushenkov et al., EuXFEL tr-XAS) gives a lattice rearrangement time τ3 ≈ 1.5 ps and
reports overtones of the breathing line up to the fifth order (a long-lived, weakly damped
mode). Optical-phonon widths of oxides are typically 5–50 cm⁻¹ (lifetimes 0.1–1 ps). Sensible
range: **γ ≈ 1e-3 – 1e-2 fs⁻¹** (1/γ = 0.1–1 ps; γ = 1/τ3 = 6.7e-4 fs⁻¹ at the slow end). An
order-of-magnitude estimate, not a measurement; treat γ as a nuisance parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians import Cluster
from localpairs.hamiltonians.model import Model, Term, merge_terms
from localpairs.hamiltonians.oxygen_wells import (  # noqa: F401 - the lattice record and its builder are part of this module's API
    AMU_EV_FS2_PER_A2,
    DEFAULT_BARRIER_K,
    DEFAULT_MASS_U,
    DEFAULT_WELL_SEPARATION,
    Lattice,
    bond_signs,
    oxygen_lattice,
)


def lpdw_displacements(cluster: Cluster, large: Sequence[bool], u0: float) -> np.ndarray:
    """Place the oxygens at the LPDW: every oxygen moved away from a large octahedron.

    Parameters
    ----------
    cluster : Cluster
        The cluster.
    large : sequence of bool
        Per site, True for a large octahedron.
    u0 : float
        Half the well separation in Å.

    Returns
    -------
    numpy.ndarray
        (n_bonds,) displacements u_b = ±u0 in Å (0 between octahedra of equal size).
    """
    u = np.zeros(cluster.n_bonds)
    for b in cluster.bonds:
        if large[b.i] and not large[b.j]:
            u[b.id] = u0
        elif large[b.j] and not large[b.i]:
            u[b.id] = -u0
    return u


def bond_minimum(lattice: Lattice, tilt: np.ndarray, u_near: np.ndarray) -> np.ndarray:
    """Find the minimum of ``V(u) + tilt·u`` per bond.

    The minimum is the lower of the two wells (the global minimum); between wells of equal
    energy, the one nearer ``u_near``.

    Parameters
    ----------
    lattice : Lattice
        The oxygen lattice.
    tilt : numpy.ndarray
        (n_bonds,) linear tilt per bond in eV/Å.
    u_near : numpy.ndarray
        (n_bonds,) reference displacements in Å that break ties.

    Returns
    -------
    numpy.ndarray
        (n_bonds,) displacements in Å.
    """
    out = np.empty_like(np.asarray(tilt, dtype=float))
    k = 4.0 * lattice.barrier / lattice.u0
    for b, f in enumerate(tilt):
        roots = np.roots([k, 0.0, -k, f])  # k x³ − k x + f = 0 with x = u/u0, k = 4B/u0
        x = roots[np.abs(roots.imag) < 1e-9].real
        x = x[3 * x**2 - 1 > 0] if np.any(3 * x**2 - 1 > 0) else x
        energy = lattice.barrier * (x**2 - 1) ** 2 + f * lattice.u0 * x
        best = np.flatnonzero(np.isclose(energy, energy.min(), rtol=0, atol=1e-14 * lattice.barrier))
        pick = best[np.argmin(np.abs(x[best] * lattice.u0 - u_near[b]))]
        out[b] = x[pick] * lattice.u0
    return out


def relax_lattice(
    lattice: Lattice,
    ground_state: Callable[[np.ndarray], np.ndarray],
    site_charge: Callable[[np.ndarray], np.ndarray],
    u_start: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Find the Born–Oppenheimer equilibrium ``u`` with zero force in the ground state of H(u).

    Fixed point: ``ψ = ground_state(site_shifts(u))``, then every oxygen goes to the minimum of
    ``V(u) + λ(⟨n_j⟩ − ⟨n_i⟩) u``; repeated until ``max |Δu| < tol·u0``.

    Parameters
    ----------
    lattice : Lattice
        The oxygen lattice.
    ground_state : callable
        Maps (n_sites,) site-energy shifts in eV to the electronic ground state ψ.
    site_charge : callable
        Maps ψ to its (n_sites,) densities ⟨n_i⟩.
    u_start : numpy.ndarray
        (n_bonds,) starting displacements in Å.
    tol : float, optional
        Convergence threshold on ``max |Δu|`` in units of u0.
    max_iter : int, optional
        Maximum number of fixed-point iterations.

    Returns
    -------
    u : numpy.ndarray
        (n_bonds,) equilibrium displacements in Å.
    psi : numpy.ndarray
        The electronic ground state at ``u``.

    Raises
    ------
    LocalPairsError
        When the iteration does not converge in ``max_iter`` steps.
    """
    u = np.array(u_start, dtype=float)
    for _ in range(max_iter):
        psi = ground_state(lattice.site_shifts(u))
        tilt = lattice.coupling * (lattice.signs.T @ site_charge(psi))
        new = bond_minimum(lattice, tilt, u)
        if np.max(np.abs(new - u)) < tol * lattice.u0:
            return new, ground_state(lattice.site_shifts(new))
        u = new
    raise LocalPairsError(f"lattice relaxation did not converge in {max_iter} iterations")


def model_at_geometry(model: Model, lattice: Lattice, u: np.ndarray) -> Model:
    """Add the site energies of the oxygens at ``u`` to ``model``: H(u) as a static model.

    The final-state Hamiltonian of a probe of the lattice at a given geometry (e.g. the
    Born–Oppenheimer geometry of an excited state): ``ε_i → ε_i + λ Σ_b s_ib u_b``
    (:meth:`Lattice.site_shifts`). The shifts are recorded in the parameters as
    ``lattice_site_shifts`` (eV).

    Parameters
    ----------
    model : Model
        An extended Hubbard model on the lattice's cluster.
    lattice : Lattice
        The oxygen lattice.
    u : numpy.ndarray
        (n_bonds,) oxygen displacements in Å.

    Returns
    -------
    Model
        The model with the shifts added as on-site terms.

    Raises
    ------
    InputError
        If the model is not an extended Hubbard model, or ``u`` does not have one entry per bond.
    """
    require(model.kind == "extended_hubbard", "model.kind", model.kind, "'extended_hubbard' (site energies n_i on every site)")
    u = np.asarray(u, dtype=float)
    require(u.shape == (lattice.n_bonds,) and bool(np.all(np.isfinite(u))), "u", list(np.shape(u)), f"{lattice.n_bonds} finite displacements (Å)")
    require(lattice.signs.shape[0] == model.n_sites, "lattice", f"{lattice.signs.shape[0]} sites", f"a lattice of the model's {model.n_sites} sites")
    shifts = lattice.site_shifts(u)
    site = tuple((float(e), i) for i, e in enumerate(shifts))
    terms = merge_terms([*list(model.terms), Term("n|", site), Term("|n", site)])
    return model.with_terms(terms, lattice_site_shifts=shifts.tolist())


def breathing_coupling(cluster: Cluster, large: Sequence[bool], breathing: float, *, well_separation: float = DEFAULT_WELL_SEPARATION) -> float:
    """Find the coupling λ for which the oxygens at the LPDW (±u0) give site energies ∓Δ.

    ``λ = Δ/(z u0)`` with z the number of bonds of a site to octahedra of the other size: 6 on the
    periodic cube (module docstring), 5 with one open axis. Then H(u) of the Δ = 0 model
    (:func:`model_at_geometry`) is the model at Δ for u = LPDW, and at Δ = 0 for u = 0.

    Parameters
    ----------
    cluster : Cluster
        The cluster.
    large : sequence of bool
        Per site, True for a large octahedron.
    breathing : float
        Breathing amplitude Δ in eV.
    well_separation : float, optional
        2u0 in Å (default 0.07 Å).

    Returns
    -------
    float
        λ in eV/Å.

    Raises
    ------
    InputError
        If the sites have different numbers of such bonds (no single λ reproduces a uniform Δ).
    """
    u0 = 0.5 * well_separation
    per_unit = bond_signs(cluster) @ lpdw_displacements(cluster, large, u0)  # site shifts at λ = 1 eV/Å
    z = np.abs(per_unit) / u0
    require(bool(np.allclose(z, z[0], rtol=0, atol=1e-12)) and z[0] > 0, "cluster", cluster.describe(),
            f"a cluster where every octahedron has the same number of bonds to the other size (here {sorted(set(np.round(z, 6)))})")
    return float(breathing / (z[0] * u0))
