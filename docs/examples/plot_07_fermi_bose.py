"""
The Fermi–Bose mixture of the doped compound
============================================

K doping turns large octahedra into small ones: local pairs (hard-core bosons) remain on the large
octahedra, fermions move on the small ones, and the conversion g turns a pair into two fermions on
a neighbouring small octahedron. On the 2×2×2 cube at x = 0.5 (two large octahedra of eight) we
follow the pair and fermion content of the ground state as g grows.
"""

import matplotlib.pyplot as plt
import numpy as np

from localpairs.hamiltonians import doping_config, fermi_bose_mixture, make_cluster
from localpairs.solvers import measure, sector, solve

cube = make_cluster("cube", periodic=True)
doped = doping_config(cube, x=0.5)  # rock-salt placement: 2 large octahedra
large = np.asarray(doped.large, dtype=bool)
electrons = 2 * int(large.sum())
g_values = np.linspace(0.0, 0.6, 7)  # eV
on_large, energies = [], []
for g in g_values:
    model = fermi_bose_mixture(cube, doped, t_B=0.05, t_F=0.33, E_B=-1.5, g=g)
    gs = solve(model, sector(electrons=electrons), n_states=1)
    obs = measure(model, gs.basis, gs.ground_state)
    on_large.append(float(obs.site_charge[large].sum()))
    energies.append(float(gs.energies[0]))
    print(f"g = {g:.1f} eV: E0 = {gs.energies[0]:+.4f} eV, electrons on large octahedra {on_large[-1]:.3f} of {electrons}")

fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.plot(g_values, on_large, "o-", label="on large octahedra (pairs)")
ax.plot(g_values, electrons - np.array(on_large), "s-", label="on small octahedra (fermions)")
ax.set_xlabel("pair–fermion conversion g (eV)")
ax.set_ylabel("electrons")
ax.set_title(f"Fermi–Bose mixture, 2×2×2, x = 0.5, N = {electrons}")
ax.legend()
fig.tight_layout()
