"""The oxygen lattice as a record: double wells, their coupling to the site energies, and its builder.

The physics (coordinates, the double well and its defaults, the Ehrenfest equations of motion,
damping and the energy balance) is stated in the module docstring of
:mod:`~localpairs.hamiltonians.oxygen_lattice`, which re-exports everything defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localpairs.errors import require
from localpairs.hamiltonians.cluster import Cluster
from localpairs.units import AMU_KG, E_CHARGE_C, kelvin_to_ev

#: One atomic mass unit in eV·fs²/Å² (≈ 103.64).
AMU_EV_FS2_PER_A2 = AMU_KG / (E_CHARGE_C * 1e-30 / 1e-20)
#: Defaults: barrier 500 K·k_B, well separation 2u0 = 0.07 Å, oxygen mass 16 u.
DEFAULT_BARRIER_K = 500.0
DEFAULT_WELL_SEPARATION = 0.07
DEFAULT_MASS_U = 16.0


@dataclass(frozen=True, eq=False)
class Lattice:
    """Oxygen double wells and their coupling.

    Build it with :func:`oxygen_lattice`.

    Parameters
    ----------
    signs : numpy.ndarray
        (n_sites, n_bonds) matrix ``s_ib`` (−1 for the bond's tail i, +1 for its head j).
    coupling : float
        λ in eV/Å.
    barrier : float
        B in eV.
    u0 : float
        Half the well separation in Å.
    mass : float
        Oxygen mass in eV·fs²/Å².
    damping : float, optional
        γ in 1/fs (default 0).
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
        """Compute the site-energy shifts δε_i = λ Σ_b s_ib u_b.

        Parameters
        ----------
        u : numpy.ndarray
            (n_bonds,) oxygen displacements in Å.

        Returns
        -------
        numpy.ndarray
            (n_sites,) shifts in eV.
        """
        return self.coupling * (self.signs @ u)

    def potential(self, u: np.ndarray) -> float:
        """Compute the double-well energy Σ_b V(u_b).

        Parameters
        ----------
        u : numpy.ndarray
            (n_bonds,) oxygen displacements in Å.

        Returns
        -------
        float
            The energy in eV.
        """
        x = np.asarray(u) / self.u0
        return float(self.barrier * np.sum((x**2 - 1.0) ** 2))

    def potential_force(self, u: np.ndarray) -> np.ndarray:
        """Compute the double-well force −V'(u_b) on every oxygen.

        Parameters
        ----------
        u : numpy.ndarray
            (n_bonds,) oxygen displacements in Å.

        Returns
        -------
        numpy.ndarray
            (n_bonds,) forces in eV/Å.
        """
        x = np.asarray(u) / self.u0
        return -4.0 * self.barrier * x * (x**2 - 1.0) / self.u0

    def force(self, u: np.ndarray, site_charge: np.ndarray) -> np.ndarray:
        """Compute the total force −V'(u) − λ Σ_i s_ib ⟨n_i⟩ on every oxygen; damping excluded.

        Parameters
        ----------
        u : numpy.ndarray
            (n_bonds,) oxygen displacements in Å.
        site_charge : numpy.ndarray
            (n_sites,) electron densities ⟨n_i⟩.

        Returns
        -------
        numpy.ndarray
            (n_bonds,) forces in eV/Å.
        """
        return self.potential_force(u) - self.coupling * (self.signs.T @ np.asarray(site_charge))

    def kinetic(self, p: np.ndarray) -> float:
        """Compute the kinetic energy Σ p²/2M.

        Parameters
        ----------
        p : numpy.ndarray
            (n_bonds,) momenta in eV·fs/Å.

        Returns
        -------
        float
            The energy in eV.
        """
        return float(np.sum(np.asarray(p) ** 2) / (2 * self.mass))

    def damp(self, p: np.ndarray, h: float) -> np.ndarray:
        """Apply the exact damping flow over time h: p → p e^{−γh}.

        Parameters
        ----------
        p : numpy.ndarray
            (n_bonds,) momenta in eV·fs/Å.
        h : float
            Time in fs.

        Returns
        -------
        numpy.ndarray
            The damped momenta (``p`` itself when γ = 0).
        """
        return p * np.exp(-self.damping * h) if self.damping else p

    def dissipated_work(self, p0: np.ndarray, pdot0: np.ndarray, p1: np.ndarray, pdot1: np.ndarray, h: float) -> float:
        """Integrate the dissipated power ∫ γ Σ p²/M dt over one step.

        Trapezoid with the Euler–Maclaurin end correction, ``h/2 (f0 + f1) + h²/12 (f0' − f1')``
        with ``f = γ Σp²/M`` and ``f' = 2γ Σ p·ṗ/M``: local error O(h⁵), the order of the
        integrator's own energy error. ``ṗ = F − γp`` (:meth:`force` minus the friction).

        Parameters
        ----------
        p0, pdot0 : numpy.ndarray
            (n_bonds,) momenta (eV·fs/Å) and their rates ṗ (eV/Å) at the start of the step.
        p1, pdot1 : numpy.ndarray
            (n_bonds,) momenta (eV·fs/Å) and their rates ṗ (eV/Å) at the end of the step.
        h : float
            Step length in fs.

        Returns
        -------
        float
            The dissipated work in eV (0 without damping).
        """
        if not self.damping:
            return 0.0
        rate = self.damping / self.mass
        f0, f1 = rate * float(np.dot(p0, p0)), rate * float(np.dot(p1, p1))
        g0, g1 = 2 * rate * float(np.dot(p0, pdot0)), 2 * rate * float(np.dot(p1, pdot1))
        return 0.5 * h * (f0 + f1) + h * h / 12.0 * (g0 - g1)

    def as_dict(self) -> dict:
        """Record the parameters (eV, Å, u, fs).

        Returns
        -------
        dict
            Coupling (eV/Å), barrier (eV), well separation (Å), mass (u), damping (1/fs) and
            well period (fs).
        """
        return {
            "coupling_eV_per_A": self.coupling,
            "barrier_eV": self.barrier,
            "well_separation_A": 2 * self.u0,
            "mass_u": self.mass / AMU_EV_FS2_PER_A2,
            "damping_per_fs": self.damping,
            "well_period_fs": self.well_period,
        }


def bond_signs(cluster: Cluster) -> np.ndarray:
    """Build the site–bond sign matrix ``s_ib``.

    Parameters
    ----------
    cluster : Cluster
        The cluster.

    Returns
    -------
    numpy.ndarray
        (n_sites, n_bonds) matrix: −1 at the bond's tail, +1 at its head.
    """
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
    """Put the oxygens of ``cluster`` in double wells.

    Parameters
    ----------
    cluster : Cluster
        The cluster; one oxygen per bond.
    coupling : float
        λ in eV/Å (≥ 0; 0 decouples the lattice).
    barrier : float or None, optional
        B in eV; default 500 K·k_B = 0.0431 eV.
    well_separation : float, optional
        2u0 in Å (default 0.07 Å, see the module docstring).
    mass_u : float, optional
        Oxygen mass in atomic mass units (default 16).
    damping : float, optional
        γ in 1/fs (≥ 0).

    Returns
    -------
    Lattice
        The oxygen lattice.

    Raises
    ------
    InputError
        When ``coupling`` or ``damping`` is negative or not finite, or ``barrier``,
        ``well_separation`` or ``mass_u`` is not positive.
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
