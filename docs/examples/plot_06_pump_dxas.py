"""
A pump pulse and the time-resolved ΔXAS
=======================================

A 30 fs pulse at the optical gap (0.01 mJ/cm², weak: linear regime) drives the LPDW of a 2×2 plaquette of octahedra (x open, along
the polarization). We evolve ψ(t) with the commutator-free Krylov integrator
(:func:`localpairs.solvers.evolve`), then record the O K-edge XAS at a few delays after the pulse
centre with the one pump → XAS pipeline
(:func:`localpairs.solvers.dynamics.transient_xas.split_xas`): the pumped state
ψ = c₀ψ₀ + χ is split into its ground part and its excited part χ, each measured from its own
energy. ΔXAS = XAS[ψ(t)] − XAS[ψ₀] shows the bleach of the ground-state pre-edge and the new
absorption of the excited part.
"""

import matplotlib.pyplot as plt
import numpy as np

from localpairs.analysis.spectral_edges import optical_gap
from localpairs.hamiltonians import drive, extended_hubbard, gaussian_pulse, make_cluster
from localpairs.solvers import DrivenOperator, build_basis, evolve, optical_transitions, sector, solve
from localpairs.solvers.dynamics.transient_xas import XasSettings, split_xas, state_xas
from localpairs.solvers.spectra.spectral_functions import SectorCache

plaquette = make_cluster("plaquette", periodic=[False, True, False])
model = extended_hubbard(plaquette, t=0.33, U=-1.2, V=0.15, breathing=0.1)
sec = sector(electrons=4)
gs = solve(model, sec, n_states=1)
basis = build_basis(model, sec)
psi0, e0 = gs.ground_state.astype(complex), float(gs.energies[0])

# Tune the pulse to the optical gap (the lowest pole with ≥ 10 % of the optical weight).
probe_op = DrivenOperator(drive(model, pulse=gaussian_pulse(photon_energy=1.0, duration=30.0, peak_field=1e-4)), basis)
poles = optical_transitions(probe_op, psi0)
e_gap = optical_gap(poles.omega, poles.absorption)
pulse = gaussian_pulse(photon_energy=e_gap, duration=30.0, fluence=0.01, polarization=(1.0, 0.0, 0.0))
op = DrivenOperator(drive(model, pulse=pulse), basis)
delays = np.array([-20.0, 0.0, 20.0, 40.0, 60.0])  # fs after the pulse centre
result = evolve(op, psi0, np.concatenate([[0.0], pulse.center + delays]))
print(f"optical gap {e_gap:.3f} eV; pulse centre {pulse.center:.1f} fs")

settings = XasSettings(U_c=-1.0, Gamma=0.2)
cache = SectorCache(model)
cache.add(sec, basis)
omega = np.linspace(-3.0, 5.0, 801)  # eV relative to the ground state's main peak
ground = state_xas(cache, sec, psi0, omega, settings, offset=0.0, e_ref=e0)["total"].values
dxas = []
for delay, psi in zip(delays, result.states[:, 1:].T):
    split = split_xas(psi0, psi / np.linalg.norm(psi), ground=ground, cache=cache, sec=sec, omega=omega, offset=0.0, settings=settings)
    dxas.append(split.difference)
    print(f"delay {delay:+5.0f} fs: excited weight α = {split.alpha:.4f}, excited part at {split.excited_energy - e0:.2f} eV above E0")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
ax1.plot(omega, ground, "k")
ax1.set_xlabel("photon energy − offset (eV)")
ax1.set_ylabel("XAS of ψ₀ (1/eV)")
ax1.set_title("ground-state O K-edge XAS")
mesh = ax2.pcolormesh(omega, delays, np.array(dxas), cmap="RdBu_r", shading="nearest",
                      vmin=-np.abs(dxas).max(), vmax=np.abs(dxas).max())
fig.colorbar(mesh, ax=ax2, label="ΔXAS (1/eV)")
ax2.set_xlabel("photon energy − offset (eV)")
ax2.set_ylabel("delay after the pulse centre (fs)")
ax2.set_title("ΔXAS(ω, delay)")
fig.tight_layout()
