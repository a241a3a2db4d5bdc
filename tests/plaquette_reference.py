"""A pumped 2×2×1 plaquette and its DOP853 reference state, shared by the integrator tests."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import Pulse, drive
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.units import HBAR_EV_FS


def pumped_plaquette(pulse: Pulse, **params: float) -> tuple[DrivenOperator, np.ndarray, float, np.ndarray]:
    """The 2×2×1 plaquette (x open, 4 electrons, 36 states) driven by ``pulse``, and DOP853's state at ``2·centre``.

    Parameters
    ----------
    pulse : Pulse
        The pump pulse.
    **params : float
        Couplings of :func:`~localpairs.hamiltonians.extended_hubbard` (eV).

    Returns
    -------
    tuple
        The driven operator, the ground state (complex), the window end ``2·centre`` (fs) and the
        state there by scipy's DOP853 at rtol 1e-13, atol 1e-15 (the independent reference).
    """
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, **params)
    basis = build_basis(model, sector(electrons=4))
    op = DrivenOperator(drive(model, pulse=pulse), basis)
    psi0 = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())[1][:, 0].astype(complex)
    t_end = 2 * pulse.center

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return -1j / HBAR_EV_FS * (op.assemble(op.driven.coefficients(t)) @ y)

    ref = solve_ivp(rhs, (0.0, t_end), psi0, method="DOP853", rtol=1e-13, atol=1e-15).y[:, -1]
    return op, psi0, t_end, ref
