"""What a trajectory records at one state: the observables of :data:`OBSERVABLES` and pair correlations.

Used by :func:`~localpairs.solvers.dynamics.trajectory.run_trajectory` (which re-exports everything
defined here) at every requested time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.integrator_settings import IntegratorState
from localpairs.solvers.ed.observables import measure
from localpairs.solvers.hilbert.basis import operator_matrix

#: name → (dimensions after "time", unit, description)
OBSERVABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "vector_potential": ((), "V fs / angstrom", "A(t) along the polarization"),
    "electric_field": ((), "V / angstrom", "E(t) = -dA/dt along the polarization"),
    "energy": ((), "eV", "<H(t)> of the electrons (with lattice site shifts)"),
    "total_energy": ((), "eV", "<H(t)> + lattice kinetic + lattice potential"),
    "absorbed_energy": ((), "eV", "total_energy(t) - total_energy(t_start)"),
    "current": ((), "e angstrom / fs", "<j> = -<dH/dA> along the polarization"),
    "norm": ((), "1", "||psi(t)||"),
    "double_occupancy": ((), "1", "sum_i <n_i_up n_i_down>"),
    "unpaired": ((), "1", "sum_i <n_i - 2 n_i_up n_i_down> (singly occupied sites)"),
    "lpdw_order": ((), "1", "(1/N) sum_i (-1)^s_i <n_i>"),
    "site_charge": (("site",), "1", "<n_i>"),
    "site_double_occupancy": (("site",), "1", "<n_i_up n_i_down>"),
    "charge_correlation": (("site", "site_j"), "1", "<n_i n_j> - <n_i><n_j>"),
    "pair_correlation_real": (("site", "site_j"), "1", "Re <Delta_i^dag Delta_j>"),
    "pair_correlation_imag": (("site", "site_j"), "1", "Im <Delta_i^dag Delta_j>"),
    "oxygen_displacement": (("bond",), "angstrom", "u_b (positive towards the bond's head j)"),
    "oxygen_momentum": (("bond",), "eV fs / angstrom", "p_b"),
    "lattice_kinetic": ((), "eV", "sum p^2/2M"),
    "lattice_potential": ((), "eV", "sum V(u)"),
    "dissipated_energy": ((), "eV", "W_diss = integral of gamma sum p^2/M dt (total_energy + W_diss - E(0) = pump work)"),
    "steps": ((), "1", "accepted integrator steps so far"),
    "matvecs": ((), "1", "matrix-vector products so far"),
}


class PairOperators:
    """Sparse matrices of ``Δ†_i Δ_j`` (i < j), built once per trajectory.

    :func:`~localpairs.solvers.ed.observables.measure` evaluates them through QuSpin's ``basis.Op``,
    which costs ~30 ms per pair and call whatever the dimension; along a trajectory with
    hundreds of outputs the matrices pay off after the first output. Calling the object with a
    normalised state and its per-site double occupancy returns ``⟨Δ†_i Δ_j⟩`` (L × L, complex;
    diagonal = double occupancy).

    Parameters
    ----------
    op : DrivenOperator
        The driven operator whose model and basis the matrices are built on.
    """

    def __init__(self, op: DrivenOperator) -> None:
        model = op.driven.model
        L = model.n_sites
        self.n_sites = L
        self.pairs = [(i, j) for i in range(L) for j in range(i + 1, L)]
        self.matrices = [operator_matrix(model, op.basis, [["+-|+-", [[1.0, i, j, i, j]]]]) for i, j in self.pairs]

    def __call__(self, psi: np.ndarray, double_occupancy: np.ndarray) -> np.ndarray:
        """⟨Δ†_i Δ_j⟩ (L × L, complex; diagonal = double occupancy) of a normalised state."""
        out = np.diag(np.asarray(double_occupancy, dtype=complex))
        for (i, j), mat in zip(self.pairs, self.matrices):
            out[i, j] = np.vdot(psi, mat @ psi)
            out[j, i] = np.conj(out[i, j])
        return out


def observe(
    op: DrivenOperator, state: IntegratorState, *, lattice: Lattice | None = None, pair_correlations: bool | PairOperators = True
) -> dict[str, Any]:
    """Measure all observables of :data:`OBSERVABLES` at one state (``absorbed_energy`` left at 0).

    Parameters
    ----------
    op : DrivenOperator
        The driven operator (model, basis, field and current).
    state : IntegratorState
        The state: time (fs), state vector and, with a lattice, oxygen coordinates.
    lattice : Lattice or None, optional
        The oxygen lattice, if any (adds the lattice observables and its energy).
    pair_correlations : bool or PairOperators, optional
        False skips ``⟨Δ†_i Δ_j⟩``; True builds a :class:`PairOperators` here; a prebuilt one is
        used as given.

    Returns
    -------
    dict of str to Any
        Observable name → value in the units of :data:`OBSERVABLES` (eV, fs, Å, V/Å).
    """
    t, psi = state.t, state.psi
    driven = op.driven
    norm = float(np.linalg.norm(psi))
    obs = measure(driven.model, op.basis, psi, with_pairs=False)
    shifts = lattice.site_shifts(state.lattice_state()[0]) if lattice is not None else None
    energy = op.energy(t, psi, shifts)
    out: dict[str, Any] = {
        "vector_potential": driven.vector_potential(t),
        "electric_field": driven.electric_field(t),
        "energy": energy,
        "current": op.current(t, psi),
        "norm": norm,
        "double_occupancy": float(obs.double_occupancy.sum()),
        "unpaired": obs.unpaired,
        "lpdw_order": obs.lpdw_order,
        "site_charge": obs.site_charge,
        "site_double_occupancy": obs.double_occupancy,
        "charge_correlation": obs.charge_correlations,
        "steps": state.steps,
        "matvecs": state.matvecs,
        "absorbed_energy": 0.0,
    }
    total = energy
    if pair_correlations is not False:
        pairs = PairOperators(op) if pair_correlations is True else pair_correlations
        corr = pairs(psi / norm, obs.double_occupancy)
        out["pair_correlation_real"] = corr.real
        out["pair_correlation_imag"] = corr.imag
    if lattice is not None:
        out.update(
            oxygen_displacement=state.u, oxygen_momentum=state.p,
            lattice_kinetic=lattice.kinetic(state.lattice_state()[1]), lattice_potential=lattice.potential(state.lattice_state()[0]),
        )
        total += out["lattice_kinetic"] + out["lattice_potential"]
    out["total_energy"] = total
    return out
