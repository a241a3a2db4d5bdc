"""The Markdown report of the pump study (text only; numbers come from the dataset)."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from localpairs.hamiltonians.driven_model import DrivenModel, Pulse, Quench
from localpairs.hamiltonians.oxygen_lattice import Lattice
from localpairs.solvers.spectra.optical_transitions import OpticalTransitions
from localpairs.spec import RunSpec
from localpairs.units import HBAR_EV_FS

from localpairs.studies.common import System, provenance


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


def _f(value: float, fmt: str) -> str:
    return "—" if not np.isfinite(value) else format(value, fmt)


def _xas_section(ds: xr.Dataset, pulse: Pulse | None, quench: Quench | None, n_oxygens: int) -> str:
    """Settings, approximation, per-delay table and figures of the time-resolved XAS."""
    if ds.attrs["xas"] != "recorded":
        return "No time-resolved XAS requested (`pump.xas_delays` is empty)."
    cfg = json.loads(ds.attrs["xas_settings"])
    origin = "the pump pulse centre" if pulse is not None else "t = 0"
    omega = ds["omega"].values
    ground = ds["xas_ground"].values
    peak = float(omega[int(np.argmax(ground))])
    floor = float(np.max(np.abs(ds["dxas"].values)))
    rows = []
    for k, d in enumerate(ds["delay"].values):
        pe, pa = float(ds["dxas_positive_energy"].values[k]), float(ds["dxas_positive_amplitude"].values[k])
        ne, na = float(ds["dxas_negative_energy"].values[k]), float(ds["dxas_negative_amplitude"].values[k])
        rows.append(f"| {d:g} | {ds['probe_time'].values[k]:.1f} | {ds['xas_excited_population'].values[k]:.4f} | {ds['xas_excess_energy'].values[k]:.4f} "
                    f"| {_f(pe, '.3f')} | {_f(pa, '+.4f')} | {_f(ne, '.3f')} | {_f(na, '+.4f')} | {_f(pe - ne, '+.3f')} |")
    channels = f"{cfg['channels_computed']} of {cfg['channels_all']} channels computed for ψ0" if cfg["channels_computed"] >= 0 else "channels as in the checkpoint"
    quench_text = f" After the quench (t ≥ {quench.time:g} fs) H and H_b are those of the quenched model." if quench is not None else ""
    reported = ds["dxas_reported"]
    fwhm, alpha = float(reported.attrs["probe_fwhm_fs"]), float(reported.attrs["excited_fraction"])
    spacing = float(np.max(np.diff(ds["delay"].values))) if ds.sizes["delay"] > 1 else float("inf")
    probe_note = "no probe convolution (`probe_fwhm` = 0)" if fwhm == 0 else (
        f"a Gaussian probe of intensity FWHM {fwhm:g} fs (average over delays, Gaussian truncated and renormalized at the first and last delay)"
        + ("" if spacing <= fwhm / 2 else f"; **the delay grid (spacing up to {spacing:g} fs) does not resolve it (needs ≤ {fwhm / 2:g} fs): the average is under-resolved**"))
    reported_fig = "\n![reported ΔXAS map](dxas_reported_map.png)" if (fwhm > 0 or alpha != 1) else ""
    w_last, e_last = float(ds["xas_excited_population"].values[-1]), float(ds["xas_excess_energy"].values[-1])
    split = cfg.get("energy_reference", "ground") == "split"
    spread = ds["xas_excited_energy_spread"].values if "xas_excited_energy_spread" in ds else np.array([np.nan])
    if split:
        reference = (f"Each part from its own energy (`energy_reference = \"split\"`): ψ(t) = c0 ψ0 + χ, α = ‖χ‖²;"
                     f" XAS_t = (1 − α) XAS[ψ0; E_0] + α XAS[χ̂; ⟨χ̂|H|χ̂⟩] — the long-probe limit of the two-time formula"
                     f" (Chen et al., PRB 99, 104306 (2019)), interference between ψ0 and χ averaged out, one reference energy"
                     f" for the whole excited part, exact within its energy spread σ_χ (largest over the delays:"
                     f" {_f(float(np.nanmax(spread)) if np.isfinite(spread).any() else np.nan, '.3f')} eV, against Γ = {cfg['Gamma']:g} eV).")
        shift_text = ""
    else:
        reference = ("One reference for all of ψ(t) (`energy_reference = \"ground\"`): E_ref = E_0, so an excited component's"
                     " features sit higher by its excitation energy than in the long-probe limit of the two-time formula.")
        shift_text = "" if w_last < 1e-6 else (
            f" At the last delay the excited part has weight {w_last:.3f} and mean excitation energy {e_last / w_last:.2f} eV:"
            " its features lie about that much higher than in the long-probe limit.")
    return f"""O K-edge XAS of the instantaneous state ψ(t) at {origin} + delay, with `solvers.xas.xas`:
XAS_t(ω) = Σ_(oxygen b, octahedron s ∈ b, σ) ⟨ψ(t)| c_sσ δ_Γ(ω − offset − (H_b − E_0)) c†_sσ |ψ(t)⟩, H_b = H + U_c (n_i + n_j).

**Approximation.** Sudden (instantaneous) probe: the spectrum is that of ψ(t) frozen at the probe
time, the core-hole lifetime (ħ/Γ = {HBAR_EV_FS / cfg['Gamma']:.1f} fs) being short against the valence dynamics.
H and H_b are the *static* Hamiltonian at A = 0 (no pump field, also during the pulse).{quench_text}
The offset is fixed once by the ground state ({cfg['offset_eV']:.4f} eV, main peak of XAS[ψ0] at {peak:.2f} eV;
E_0 = {cfg['e_ref_eV']:.6f} eV), the same for every delay. {reference}{shift_text}
The columns "excited" (1 − |⟨ψ0|ψ(t)⟩|²) and "⟨H⟩ − E_0" give the weight and energy of the excited part.

Settings: U_c = {cfg['U_c']:g} eV, Γ = {cfg['Gamma']:g} eV (Lorentzian half width), Gaussian FWHM {cfg['gaussian_fwhm']:g} eV,
{cfg['coherence']} sum over the two octahedra of an oxygen, {cfg['lanczos_steps']} Lanczos steps per channel
({channels}); {ds.sizes['omega']} photon energies from {omega[0]:.2f} to {omega[-1]:.2f} eV.
Stored in `results.nc`: `xas_ground(omega)`, `xas(delay, omega)`, raw `dxas(delay, omega)` = XAS[ψ(t)] − XAS[ψ0]
(largest |ΔXAS| {floor:.3e} 1/eV), and `dxas_reported` = α × (probe ∗ dxas) with excited fraction α = {alpha:g} and
{probe_note}. XAS is summed over all {n_oxygens} oxygens and both spins (1/eV).

Strongest positive and negative raw ΔXAS per delay (parabolic refinement, `analysis.xas_peaks`; "—": none
above {cfg['peak_floor']:g} of max XAS[ψ0]):

| delay (fs) | probe time (fs) | excited | ⟨H⟩ − E_0 (eV) | ΔXAS > 0 at (eV) | max ΔXAS (1/eV) | ΔXAS < 0 at (eV) | min ΔXAS (1/eV) | E₊ − E₋ (eV) |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

![ΔXAS map](dxas_map.png){reported_fig}
![XAS at selected delays](xas_delays.png)"""


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
    photon_note = "the optical gap of the initial state (below)" if spec.pump.photon_energy == "optical_gap" else "set in the spec"
    lattice_text = "No classical lattice." if lattice is None else "Bridging oxygens in double wells: " + ", ".join(f"{k} = {v:.4g}" for k, v in lattice.as_dict().items())
    quench_text = "No quench." if quench is None else f"Quench at t = {quench.time:g} fs to: " + ", ".join(f"{k} = {v}" for k, v in quench.model.parameters.items() if k != "eps")
    xas_text = _xas_section(ds, pulse, quench, system.cluster.n_bonds)
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
Optical gap (lowest pole with ≥ {spec.pump.optical_gap_fraction:g} of ∫σ dω, `analysis.spectral_edges.optical_gap`): **{gap:.4f} eV**.

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

## Time-resolved O K-edge XAS
{xas_text}

## Figures
![dynamics](dynamics.png)
![current](current.png)
![site charges](site_charge_vs_time.png){lattice_fig}

## Provenance
Results: `results.nc` (attributes `provenance`, `pulse`, `driven`, `lattice`, `quench`, `xas_settings`). Versions: {vers}. Wall time {seconds:.1f} s.
"""
