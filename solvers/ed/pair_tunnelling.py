"""ED of one local pair tunnelling between two bosonic sites through N fermionic sites."""

from __future__ import annotations

import numpy as np

from localpairs.hamiltonians import fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import sector, solve


def pair_tunnelling_splittings(
    n_barrier: list[int], *, t_F: float, g: float, E_B: float, U_F: float = 0.0, V_BF: float = 0.0
) -> dict[str, np.ndarray]:
    """Compute the splitting of the two lowest one-pair states on the open chain B F…F B.

    The two bosonic (large) end sites hold the pair; the N fermionic sites between them are the
    barrier. Each chain is a :func:`~localpairs.hamiltonians.fermi_bose_mixture` in the
    two-electron sector.

    Parameters
    ----------
    n_barrier : list of int
        Barrier lengths N (fermionic sites between the two bosonic ones).
    t_F : float
        Fermion hopping in eV.
    g : float
        Boson–fermion conversion amplitude in eV.
    E_B : float
        Boson (local-pair) level in eV.
    U_F : float, optional
        Hubbard interaction on fermionic sites in eV.
    V_BF : float, optional
        Boson–fermion nearest-neighbour interaction in eV.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{"n": N, "splitting": Δ(N), "ground_energy": E0(N)}``, energies in eV.
    """
    split, e0 = [], []
    for n in n_barrier:
        large = (True,) + (False,) * n + (True,)
        chain = make_cluster((n + 2, 1, 1), periodic=False)
        config = DopingConfig(x=0.0, large=large, placement="rock_salt", seed=None)
        model = fermi_bose_mixture(chain, config, t_F=t_F, g=g, E_B=E_B, U_F=U_F, V_BF=V_BF)
        res = solve(model, sector(electrons=2), n_states=2)
        split.append(res.energies[1] - res.energies[0])
        e0.append(res.energies[0])
    return {"n": np.asarray(n_barrier), "splitting": np.asarray(split), "ground_energy": np.asarray(e0)}
