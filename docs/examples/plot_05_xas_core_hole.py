"""
O K-edge XAS with a core hole
=============================

The O 1s → σ* transition of the oxygen between octahedra i and j puts an electron into their σ*
orbitals; in the final state the O 1s core hole attracts electrons with a potential U\\ :sub:`c`.
:func:`localpairs.solvers.xas` sums over all oxygens and both spins with a Lorentzian of half
width Γ. Where the core hole acts is a choice (``core_hole``): on both octahedra next to the
oxygen, on one of them, or with weights. We compare U\\ :sub:`c` = 0 with U\\ :sub:`c` = −1 eV on
both octahedra and on a single one.
"""

import matplotlib.pyplot as plt
import numpy as np

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import sector, solve, xas

cube = make_cluster("cube", periodic=True)
model = extended_hubbard(cube, t=0.33, U=-1.2, V=0.15, breathing=0.1)
gs = solve(model, sector(electrons=8), n_states=1)
omega = np.linspace(-5.0, 4.0, 901)  # final-state energy above E0, eV (no offset)

fig, ax = plt.subplots(figsize=(6, 3.6))
for U_c, core_hole, style in ((0.0, "both", "k-"), (-1.0, "both", "C0-"), (-1.0, "site", "C3--")):
    ds = xas(model, gs.sector, gs.ground_state, omega, U_c=U_c, Gamma=0.2, core_hole=core_hole, basis=gs.basis)
    curve = ds["total"].values
    print(f"U_c = {U_c:+.1f} eV, core hole on {core_hole}: main peak at {omega[np.argmax(curve)]:.2f} eV, ∫XAS dω = {np.trapezoid(curve, omega):.2f}")
    ax.plot(omega, curve, style, label=f"U_c = {U_c:+.1f} eV ({core_hole})")
ax.set_xlabel("final-state energy above E0 (eV)")
ax.set_ylabel("XAS (1/eV)")
ax.set_title("O K-edge XAS of the LPDW, Γ = 0.2 eV")
ax.legend()
fig.tight_layout()
