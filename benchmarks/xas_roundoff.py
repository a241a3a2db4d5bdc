"""How much the O K-edge XAS moves when its state moves by round-off (default Lanczos settings).

    python benchmarks/xas_roundoff.py

On the pump study's 2×2×2 cube (x open) it perturbs (a) the ground state and (b) a spread state
(random, orthogonal to the ground state, the worst case of a pumped excited part) by 1e-15 and
1e-13 in norm and prints max|ΔXAS| / max XAS. It is the reference for comparing XAS results of two
code versions whose states agree only to round-off (see the session note of 2026-11-29).
"""

from __future__ import annotations

import numpy as np

from localpairs.hamiltonians import doping_config, extended_hubbard, make_cluster
from localpairs.solvers import hamiltonian_matrix, sector, solve, xas


def main() -> None:
    cluster = make_cluster("cube", periodic=(False, True, True))
    model = extended_hubbard(cluster, t=0.33, U=-1.2, V=0.15, breathing=0.1, doping=doping_config(cluster, x=0.0))
    sec = sector(electrons=8)
    gs = solve(model, sec, n_states=1)
    h = hamiltonian_matrix(model, gs.basis)
    rng = np.random.default_rng(3)
    spread = rng.normal(size=gs.ground_state.size)
    spread -= np.vdot(gs.ground_state, spread) * gs.ground_state
    spread /= np.linalg.norm(spread)
    omega = np.linspace(-5.0, 10.0, 1501)
    for label, psi in (("ground state", gs.ground_state), ("spread state", spread)):
        e_ref = float(np.vdot(psi, h @ psi).real)
        ref = xas(model, sec, psi, omega, U_c=-1.0, Gamma=0.2, e_ref=e_ref, basis=gs.basis)["total"].values
        for eps in (1e-15, 1e-13):
            d = rng.normal(size=psi.size)
            moved = xas(model, sec, psi + eps * d / np.linalg.norm(d), omega, U_c=-1.0, Gamma=0.2, e_ref=e_ref, basis=gs.basis)["total"].values
            print(f"{label}, perturbed by {eps:g}: max|ΔXAS| / max XAS = {np.max(np.abs(ref - moved)) / np.max(ref):.2e}")


if __name__ == "__main__":
    main()
