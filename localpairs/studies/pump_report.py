"""The Markdown report of the pump study (text only; numbers come from the dataset)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from localpairs.hamiltonians.pump import DrivenModel, Pulse, Quench
from localpairs.solvers.lattice import Lattice
from localpairs.solvers.optical import OpticalTransitions
from localpairs.spec import RunSpec

from .common import System, provenance


def _pulse_rows(pulse: Pulse | None, driven: DrivenModel) -> str:
    if pulse is None:
        return "No pulse (quench only)."
    info = driven.info
    rows = [
        ("photon energy ħω", f"{pulse.photon_energy:.4f} eV (period {2 * np.pi / pulse.omega:.3f} fs)"),
        ("intensity FWHM / σ of A", f"{pulse.intensity_fwhm:.2f} fs / {pulse.sigma:.2f} fs"),
        ("centre t0", f"{pulse.center:.2f} fs"),
        ("peak field E0 = ωA0", f"{pulse.peak_field:.4f} V/Å"),
        ("fluence (n = {:g})".format(pulse.refractive_index), f"{pulse.fluence:.3f} mJ/cm²"),
        ("peak Peierls phase e·A0·a/ħ", f"{info['peierls_phase']:.4f}"),
        ("e·E0·a against band width W", f"{info['field_times_a_eV']:.3f} eV of {info['bandwidth_eV']:.3f} eV (limit: 1)"),
        ("polarization", ", ".join(f"{x:.3f}" for x in pulse.polarization)),
    ]
    return "| quantity | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


def _transition_rows(tr: OpticalTransitions, gap: float) -> str:
    if tr.omega.size == 0:
        return "None: the current operator along the polarization annihilates the initial state."
    absorption = tr.absorption
    order = np.argsort(-absorption)[:8]
    lines = [f"| {tr.omega[k]:.4f} | {tr.weight[k]:.4e} | {absorption[k] / absorption.max():.3f} |{' ← chosen' if abs(tr.omega[k] - gap) < 1e-12 else ''}" for k in sorted(order, key=lambda k: tr.omega[k])]
    return "| ω_n (eV) | \\|⟨n\\|j\\|0⟩\\|² ((e·Å/fs)²) | relative absorption |\n|---|---|---|\n" + "\n".join(lines)


def report_text(
    spec: RunSpec, system: System, ds: xr.Dataset, transitions: OpticalTransitions, pulse: Pulse | None,
    driven: DrivenModel, lattice: Lattice | None, quench: Quench | None, seconds: float,
) -> str:
    """The report as Markdown."""
    t = ds["time"].values
    absorbed = ds["absorbed_energy"].values
    work = ds["field_work"].values
    norm = ds["norm"].values
    after = t >= (pulse.center + 6 * pulse.sigma if pulse else t[0])  # field envelope below 1.5e-8 E0
    drift = float(np.ptp(ds["total_energy"].values[after])) if after.sum() > 1 else float("nan")
    params = "\n".join(f"| {k} | {v if not isinstance(v, list) else ', '.join(f'{x:g}' for x in v)} |" for k, v in system.model.parameters.items())
    gap = float(ds.attrs["optical_gap_eV"])
    pulse_energy = pulse.photon_energy if pulse is not None else float("nan")
    photon_note = "the lowest strong optical transition of the initial state (below)" if spec.pump.photon_energy == "optical_gap" else "set in the spec"
    lattice_text = "No classical lattice." if lattice is None else "Bridging oxygens in double wells: " + ", ".join(f"{k} = {v:.4g}" for k, v in lattice.as_dict().items())
    quench_text = "No quench." if quench is None else f"Quench at t = {quench.time:g} fs to: " + ", ".join(f"{k} = {v}" for k, v in quench.model.parameters.items() if k != "eps")
    xas_text = {
        "recorded": "Time-resolved XAS recorded at the requested delays (variables `probe_xas_*`).",
        "not requested": "No XAS delays requested.",
    }.get(ds.attrs["xas"], "XAS delays were requested but the XAS hook (`make_xas_probe` in localpairs/studies/pump.py) is not connected yet: no spectra recorded.")
    lattice_fig = "\n![lattice](lattice.png)" if lattice is not None else ""
    vers = ", ".join(f"{k} {v}" for k, v in provenance(spec, system)["versions"].items())
    return f"""# {spec.title}

{spec.description}

## System
- Cluster: {system.cluster.describe()}
- Model: `{system.model.kind}`; sector {system.sector.label()}, Hilbert-space dimension {int(ds.attrs['dimension']):,}
- Initial state: ground state of H(0), E = {ds.attrs['ground_energy_eV']:.6f} eV; LPDW order {ds['lpdw_order'].values[0]:+.4f}, double occupancy {ds['double_occupancy'].values[0]:.4f}, unpaired sites {ds['unpaired'].values[0]:.4f}
- {lattice_text}
- {quench_text}

| parameter (eV) | value |
|---|---|
{params}

## Pulse
Photon energy: {photon_note}. Vector potential A(t) = A0 exp[−(t−t0)²/(2σ²)] cos[ω(t−t0)] along the
polarization, E = −∂A/∂t, Peierls phase exp[i q e A·(r_j − r_i)/ħ] on every hop moving q electrons
from j to i. Fluence F = ½ c ε0 n E0² σ √π (Gaussian envelope, cycle-averaged intensity).

{_pulse_rows(pulse, driven)}

## Optical transitions of the initial state (current along the polarization)
Lowest strong transition (absorption ≥ {spec.pump.optical_gap_fraction:g} of the strongest): **{gap:.4f} eV**.

{_transition_rows(transitions, gap)}

## Dynamics
- Absorbed energy at t = {t[-1]:g} fs: {absorbed[-1]:.6f} eV ({absorbed[-1] / pulse_energy:.3f} photons); largest during the pulse {absorbed.max():.6f} eV
- Field work ∫⟨j⟩·E dt (cumulative Simpson on the {np.diff(t).max():g} fs output grid; j·E oscillates at 2ω, so this is a check to ~(2ω·dt)⁴/180): {work[-1]:.6f} eV
- Double occupancy: {ds['double_occupancy'].values[0]:.4f} → {ds['double_occupancy'].values[-1]:.4f} (min {ds['double_occupancy'].values.min():.4f}); unpaired sites: {ds['unpaired'].values[0]:.4f} → {ds['unpaired'].values[-1]:.4f} (max {ds['unpaired'].values.max():.4f})
- LPDW order: {ds['lpdw_order'].values[0]:+.4f} → {ds['lpdw_order'].values[-1]:+.4f} (min {ds['lpdw_order'].values.min():+.4f})
- Norm: max |‖ψ‖ − 1| = {np.max(np.abs(norm - 1)):.1e}; total energy spread after the pulse (t > t0 + 6σ): {drift:.1e} eV
- An absorbed energy that rises and falls during the pulse is coherent (Rabi-like) driving of the cluster's discrete optical
  transition: a finite cluster has no continuum to dephase into, so a strong resonant pulse can return energy to the field.
- Integrator: CFM4 + Lanczos, tolerance {ds.attrs['tolerance']:g}, {ds.attrs['steps']} steps ({ds.attrs['rejected_steps']} rejected), {ds.attrs['matvecs']:,} matrix–vector products

{xas_text}

## Figures
![dynamics](dynamics.png)
![current](current.png)
![site charges](site_charge_vs_time.png){lattice_fig}

## Provenance
Results: `results.nc` (attributes `provenance`, `pulse`, `driven`, `lattice`, `quench`). Versions: {vers}. Wall time {seconds:.1f} s.
"""
