"""
Optical conductivity σ(ω) and the optical gap
=============================================

The real part of the optical conductivity of the LPDW on the 2×2×2 cube with x open (along the
polarization), by a Lanczos continued fraction of the current operator
(:func:`localpairs.solvers.optical_conductivity`). The optical gap E\\ :sub:`G` is the lowest pole
carrying at least 10 % of ∫σ dω (:func:`localpairs.analysis.spectral_edges.optical_gap`, the one
definition every study uses); the pump studies tune their pulse to it.
"""

import matplotlib.pyplot as plt
import numpy as np

from localpairs.analysis.spectral_edges import optical_gap
from localpairs.hamiltonians import drive, extended_hubbard, gaussian_pulse, make_cluster
from localpairs.solvers import DrivenOperator, build_basis, optical_conductivity, optical_transitions, sector, solve

cube = make_cluster("cube", periodic=[False, True, True])
model = extended_hubbard(cube, t=0.33, U=-1.2, V=0.15, breathing=0.1)
sec = sector(electrons=8)
gs = solve(model, sec, n_states=1)
omega = np.linspace(0.01, 5.0, 1000)  # eV
sigma = optical_conductivity(model, sec, omega, eta=0.05, polarization=(1.0, 0.0, 0.0), psi=gs.ground_state, basis=gs.basis)

basis = build_basis(model, sec)
probe = DrivenOperator(drive(model, pulse=gaussian_pulse(photon_energy=2.0, duration=30.0, peak_field=1e-4)), basis)
poles = optical_transitions(probe, gs.ground_state)
e_gap = optical_gap(poles.omega, poles.absorption)
print(f"optical gap E_G = {e_gap:.3f} eV; strongest pole at {poles.omega[np.argmax(poles.absorption)]:.3f} eV")

curve = sigma["sigma"]
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(omega, curve, label="Re σ(ω), η = 0.05 eV")
ax.axvline(e_gap, color="C3", ls="--", label=f"E_G = {e_gap:.2f} eV")
ax.set_xlabel("photon energy ħω (eV)")
ax.set_ylabel(f"Re σ ({curve.attrs.get('units', 'S/cm')})")
ax.set_title("optical conductivity of the LPDW (2×2×2, x open)")
ax.legend()
fig.tight_layout()
