"""
Hubbard dimer against its closed form
=====================================

Two octahedra joined by one oxygen, two electrons: the ground-state energy of the Hubbard dimer is
U/2 − √(U²/4 + 4t²) for either sign of U. We solve the dimer exactly with ``localpairs`` for a range
of U and compare with that closed form.
"""

import matplotlib.pyplot as plt
import numpy as np

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import sector, solve

t = 0.33  # eV
dimer = make_cluster("dimer", periodic=False)
U_values = np.linspace(-3.0, 3.0, 25)  # eV
numeric = [solve(extended_hubbard(dimer, t=t, U=U), sector(electrons=2), n_states=1).energies[0] for U in U_values]
closed = U_values / 2 - np.sqrt(U_values**2 / 4 + 4 * t**2)
print(f"largest difference from the closed form: {np.max(np.abs(numeric - closed)):.1e} eV")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(U_values, closed, "-", label=r"closed form $U/2-\sqrt{U^2/4+4t^2}$")
ax.plot(U_values, numeric, "o", ms=4, label="localpairs (exact diagonalization)")
ax.set_xlabel("on-site interaction U (eV)")
ax.set_ylabel("ground-state energy (eV)")
ax.set_title(f"Hubbard dimer, N = 2, t = {t} eV")
ax.legend()
fig.tight_layout()
