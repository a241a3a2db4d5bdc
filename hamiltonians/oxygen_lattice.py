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
from dataclasses import dataclass

import numpy as np

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians import Cluster
from localpairs.hamiltonians.model import Model, Term, merge_terms
from localpairs.units import AMU_KG, E_CHARGE_C, kelvin_to_ev

#: One atomic mass unit in eV·fs²/Å² (≈ 103.64).
AMU_EV_FS2_PER_A2 = AMU_KG / (E_CHARGE_C * 1e-30 / 1e-20)
#: Defaults: barrier 500 K·k_B, well separation 2u0 = 0.07 Å, oxygen mass 16 u.
DEFAULT_BARRIER_K = 500.0
DEFAULT_WELL_SEPARATION = 0.07
DEFAULT_MASS_U = 16.0


@dataclass(frozen=True, eq=False)
class Lattice:
    """Oxygen double wells and their coupling; build with :func:`oxygen_lattice`.

    Attributes
    ----------
    signs
        (n_sites, n_bonds) matrix ``s_ib`` (−1 for the bond's tail i, +1 for its head j).
    coupling
        λ in eV/Å.
    barrier
        B in eV.
    u0
        Half the well separation in Å.
    mass
        Oxygen mass in eV·fs²/Å².
    damping
        γ in 1/fs.
    """

    signs: np.ndarray
    coupling: float
    barrier: float
    u0: float
    mass: float
    damping: float = 0.0

    @property
    def n_bonds(self) -> int:
        """Number of oxygens."""
        return int(self.signs.shape[1])

    @property
    def well_period(self) -> float:
        """Period of small oscillations in one well, 2π/√(8B/(M u0²)), in fs."""
        return float(2 * np.pi / np.sqrt(8 * self.barrier / (self.mass * self.u0**2)))

    @property
    def momentum_scale(self) -> float:
        """√(2MB): the momentum of an oxygen with the barrier's kinetic energy (eV·fs/Å)."""
        return float(np.sqrt(2 * self.mass * self.barrier))

    def site_shifts(self, u: np.ndarray) -> np.ndarray:
        """δε_i = λ Σ_b s_ib u_b in eV."""
        return self.coupling * (self.signs @ u)

    def potential(self, u: np.ndarray) -> float:
        """Σ_b V(u_b) in eV."""
        x = np.asarray(u) / self.u0
        return float(self.barrier * np.sum((x**2 - 1.0) ** 2))

    def potential_force(self, u: np.ndarray) -> np.ndarray:
        """−V'(u_b) in eV/Å."""
        x = np.asarray(u) / self.u0
        return -4.0 * self.barrier * x * (x**2 - 1.0) / self.u0

    def force(self, u: np.ndarray, site_charge: np.ndarray) -> np.ndarray:
        """Total force −V'(u) − λ Σ_i s_ib ⟨n_i⟩ on every oxygen (eV/Å); damping excluded."""
        return self.potential_force(u) - self.coupling * (self.signs.T @ np.asarray(site_charge))

    def kinetic(self, p: np.ndarray) -> float:
        """Σ p²/2M in eV."""
        return float(np.sum(np.asarray(p) ** 2) / (2 * self.mass))

    def damp(self, p: np.ndarray, h: float) -> np.ndarray:
        """Exact damping flow over time h: p e^{−γh}."""
        return p * np.exp(-self.damping * h) if self.damping else p

    def dissipated_work(self, p0: np.ndarray, pdot0: np.ndarray, p1: np.ndarray, pdot1: np.ndarray, h: float) -> float:
        """∫ γ Σ p²/M dt over a step of length h (fs) from the momenta and their rates at both ends, in eV.

        Trapezoid with the Euler–Maclaurin end correction, ``h/2 (f0 + f1) + h²/12 (f0' − f1')``
        with ``f = γ Σp²/M`` and ``f' = 2γ Σ p·ṗ/M``: local error O(h⁵), the order of the
        integrator's own energy error. ``ṗ = F − γp`` (:meth:`force` minus the friction).
        """
        if not self.damping:
            return 0.0
        rate = self.damping / self.mass
        f0, f1 = rate * float(np.dot(p0, p0)), rate * float(np.dot(p1, p1))
        g0, g1 = 2 * rate * float(np.dot(p0, pdot0)), 2 * rate * float(np.dot(p1, pdot1))
        return 0.5 * h * (f0 + f1) + h * h / 12.0 * (g0 - g1)

    def as_dict(self) -> dict:
        """Parameters for the record (eV, Å, u, fs)."""
        return {
            "coupling_eV_per_A": self.coupling,
            "barrier_eV": self.barrier,
            "well_separation_A": 2 * self.u0,
            "mass_u": self.mass / AMU_EV_FS2_PER_A2,
            "damping_per_fs": self.damping,
            "well_period_fs": self.well_period,
        }


def bond_signs(cluster: Cluster) -> np.ndarray:
    """(n_sites, n_bonds) matrix ``s_ib``: −1 at the bond's tail, +1 at its head."""
    s = np.zeros((cluster.n_sites, cluster.n_bonds))
    for b in cluster.bonds:
        s[b.i, b.id] -= 1.0
        s[b.j, b.id] += 1.0
    return s


def oxygen_lattice(
    cluster: Cluster,
    *,
    coupling: float,
    barrier: float | None = None,
    well_separation: float = DEFAULT_WELL_SEPARATION,
    mass_u: float = DEFAULT_MASS_U,
    damping: float = 0.0,
) -> Lattice:
    """The oxygens of ``cluster`` in double wells.

    Parameters
    ----------
    coupling
        λ in eV/Å (≥ 0; 0 decouples the lattice).
    barrier
        B in eV; default 500 K·k_B = 0.0431 eV.
    well_separation
        2u0 in Å (default 0.07 Å, see the module docstring).
    mass_u
        Oxygen mass in atomic mass units.
    damping
        γ in 1/fs (≥ 0).
    """
    barrier = kelvin_to_ev(DEFAULT_BARRIER_K) if barrier is None else barrier
    for name, value in (("lattice.coupling", coupling), ("lattice.damping", damping)):
        require(bool(np.isfinite(value) and value >= 0), name, value, "a finite number ≥ 0")
    for name, value in (("lattice.barrier", barrier), ("lattice.well_separation", well_separation), ("lattice.mass_u", mass_u)):
        require(bool(np.isfinite(value) and value > 0), name, value, "a positive number")
    return Lattice(
        signs=bond_signs(cluster),
        coupling=float(coupling),
        barrier=float(barrier),
        u0=0.5 * float(well_separation),
        mass=float(mass_u) * AMU_EV_FS2_PER_A2,
        damping=float(damping),
    )


def lpdw_displacements(cluster: Cluster, large: Sequence[bool], u0: float) -> np.ndarray:
    """u_b = ±u0 with every oxygen moved away from a large octahedron (0 between equal ones)."""
    u = np.zeros(cluster.n_bonds)
    for b in cluster.bonds:
        if large[b.i] and not large[b.j]:
            u[b.id] = u0
        elif large[b.j] and not large[b.i]:
            u[b.id] = -u0
    return u


def bond_minimum(lattice: Lattice, tilt: np.ndarray, u_near: np.ndarray) -> np.ndarray:
    """Minimum of ``V(u) + tilt·u`` per bond: the lower of the two wells (the one near ``u_near``
    when only one survives the tilt, i.e. the global minimum)."""
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
    """Born–Oppenheimer equilibrium: ``u`` with zero force in the electronic ground state of H(u).

    Fixed point: ``ψ = ground_state(site_shifts(u))``, then every oxygen goes to the minimum of
    ``V(u) + λ(⟨n_j⟩ − ⟨n_i⟩) u``; repeated until ``max |Δu| < tol·u0``.

    Returns
    -------
    (u, ψ)
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
    """``model`` with the site energies of the oxygens at ``u`` (Å) added: H(u) as a static model.

    The final-state Hamiltonian of a probe of the lattice at a given geometry (e.g. the
    Born–Oppenheimer geometry of an excited state): ``ε_i → ε_i + λ Σ_b s_ib u_b``
    (:meth:`Lattice.site_shifts`). The shifts are recorded in the parameters as
    ``lattice_site_shifts`` (eV).

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
    """λ (eV/Å) for which the oxygens at the LPDW (±u0) give the site energies ∓Δ of ``breathing``.

    ``λ = Δ/(z u0)`` with z the number of bonds of a site to octahedra of the other size: 6 on the
    periodic cube (module docstring), 5 with one open axis. Then H(u) of the Δ = 0 model
    (:func:`model_at_geometry`) is the model at Δ for u = LPDW, and at Δ = 0 for u = 0.

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
