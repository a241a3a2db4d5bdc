"""Time-resolved XAS of the pump study: the probe built from ``[pump.xas]``, its variables and figures.

The physics is :mod:`localpairs.solvers.dynamics.transient_xas` (the pipeline the XFEL study
uses too); here the spec's settings become a probe, and the probe's raw output becomes the
``xas*``/``dxas*`` variables of ``results.nc`` (with the reported ΔXAS of
:mod:`localpairs.analysis.probe`) and the ΔXAS figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from localpairs.analysis.dynamics_figures import dxas_map_figure, xas_delays_figure
from localpairs.analysis.figures import save_figure
from localpairs.analysis.probe import dxas_extrema, reported_dxas
from localpairs.analysis.spectral_edges import curve_peak
from localpairs.hamiltonians.driven_model import Quench
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.transient_xas import TransientXasProbe, ground_offset, state_xas
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.spec import RunSpec
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.pump_spec import XasProbeSpec, pump_section

#: Grid (eV, offset 0) on which the ground-state XAS peak is located to fix the offset (as the spectra study).
LOCATE_GRID = np.linspace(-20.0, 20.0, 8001)
#: ΔXAS features below this fraction of max XAS_ground count as absent in the peak table
#: (round-off of a stationary state is ~1e-13 of it).
PEAK_FLOOR = 1e-8


def make_xas_probe(system: System, op: DrivenOperator, spec: RunSpec, *, psi0: np.ndarray, e_ground: float, quench: Quench | None = None,
                   checkpoints: Checkpoints | None = None) -> TransientXasProbe | None:
    """The time-resolved XAS probe of the pump study (``probe(t, psi) -> {key: array}``), or None.

    None when ``pump.xas_delays`` is empty. The offset (the main peak of the XAS of ``psi0`` at
    ``pre_edge_eV``, located on :data:`LOCATE_GRID`, unless ``offset_eV`` is given) and the XAS of
    ``psi0`` (the ground state of ``system.model`` in ``op.basis``, energy ``e_ground``) are
    computed here, once, before any evolution (and checkpointed as ``xas_ground`` when
    ``checkpoints`` are given); every delay shares that energy axis. After ``quench.time`` the
    probe uses ``quench.model``. Settings: ``spec.pump.xas_settings``.
    """
    ps = pump_section(spec)
    if not ps.xas_delays:
        return None
    cfg = ps.xas_settings
    settings, sec = cfg.solver_settings(), system.sector
    psi0 = np.asarray(psi0, dtype=np.complex128) / np.linalg.norm(psi0)
    hamiltonians = []
    for start, model in [(-np.inf, system.model)] + ([(float(quench.time), quench.model)] if quench is not None else []):
        cache = SectorCache(model, memory_budget_gb=spec.solver.memory_budget_gb)
        cache.add(sec, op.basis)
        hamiltonians.append((start, cache))
    omega = cfg.pre_edge_eV + np.linspace(cfg.window[0], cfg.window[1], cfg.n_omega)
    stored = checkpoints.load("xas_ground") if checkpoints is not None else None
    if stored is None:
        offset = cfg.offset_eV
        if offset is None:
            offset = ground_offset(hamiltonians[0][1], sec, psi0, settings, e_ground=e_ground, grid=LOCATE_GRID, target=cfg.pre_edge_eV,
                                   feature=curve_peak)
        ds = state_xas(hamiltonians[0][1], sec, psi0, omega, settings, offset=float(offset), e_ref=e_ground)
        stored = {"offset": float(offset), "ground": ds["total"].values.tolist(),
                  "channels": [int(ds.attrs["n_channels_computed"]), int(ds.attrs["n_channels_all"])]}
        if checkpoints is not None:
            checkpoints.save("xas_ground", stored)
    return TransientXasProbe(psi0=psi0, e_ground=e_ground, sec=sec, hamiltonians=hamiltonians, omega=omega, offset=stored["offset"],
                             ground=np.array(stored["ground"]), settings=settings, energy_reference=cfg.energy_reference,
                             ground_channels=tuple(stored["channels"]))


def xas_variables(ds: xr.Dataset, probe: TransientXasProbe, delays: np.ndarray, cfg: XasProbeSpec) -> xr.Dataset:
    """Replace the raw ``probe_xas_*`` variables by ``xas_ground``, ``xas``, ``dxas``, ``dxas_reported`` and the peaks."""
    total = ds["probe_xas_total"].values
    population = ds["probe_xas_excited_population"].values
    excess = ds["probe_xas_excess_energy"].values
    spread = ds["probe_xas_excited_energy_spread"].values
    probe_times = ds["probe_time"].values
    ds = ds.drop_vars([v for v in ds.data_vars if str(v).startswith("probe_xas_")] + ["probe_time"])
    omega = probe.omega
    dxas = total - probe.ground[None, :]
    reported = reported_dxas(delays, dxas, probe_fwhm=cfg.probe_fwhm, excited_fraction=cfg.excited_fraction)
    ext = dxas_extrema(omega, delays, dxas, broadening_fwhm=float(np.hypot(2 * cfg.Gamma, cfg.gaussian_fwhm)), floor=PEAK_FLOOR * float(probe.ground.max()))
    ds = ds.assign_coords(
        omega=("omega", omega, {"units": "eV", "long_name": "photon energy"}),
        delay=("delay", delays, {"units": "fs", "long_name": "delay after the pump pulse centre"}),
        probe_time=("delay", probe_times, {"units": "fs", "long_name": "time of the (instantaneous) probe"}),
    )
    per = "XAS summed over all oxygens and both spins"
    ds["xas_ground"] = (("omega",), probe.ground, {"units": "1/eV", "long_name": f"O K-edge XAS of the initial state psi0 ({per})"})
    ds["xas"] = (("delay", "omega"), total,
                 {"units": "1/eV", "long_name": f"O K-edge XAS of psi(t) at t = pulse centre + delay ({per}; sudden probe, static H at A = 0)"})
    ds["dxas"] = (("delay", "omega"), dxas, {"units": "1/eV", "long_name": "raw XAS[psi(t)] - XAS[psi0] (whole cluster pumped, instantaneous probe)"})
    ds["dxas_reported"] = (("delay", "omega"), reported, {
        "units": "1/eV", "long_name": "excited_fraction x (Gaussian probe * dxas along delay)",
        "excited_fraction": cfg.excited_fraction, "probe_fwhm_fs": cfg.probe_fwhm,
        "edges": "Gaussian truncated at the first/last delay and renormalized (localpairs.analysis.probe)"})
    ds["xas_excited_population"] = (("delay",), population, {"units": "1", "long_name": "1 - |<psi0|psi(t)>|^2"})
    ds["xas_excess_energy"] = (("delay",), excess, {"units": "eV", "long_name": "<psi(t)|H(A=0)|psi(t)> - E0 (H in force at t)"})
    ds["xas_excited_energy_spread"] = (("delay",), spread, {
        "units": "eV", "long_name": "energy spread of the excited part chi (its XAS reference is its mean energy; NaN: energy_reference = ground)"})
    for key, text in (("positive_energy", "photon energy of the strongest dxas > 0"), ("positive_amplitude", "strongest dxas > 0"),
                      ("negative_energy", "photon energy of the most negative dxas"), ("negative_amplitude", "most negative dxas"),
                      ("energy_error", "uncertainty of the peak energies sqrt(h^2/12 + (FWHM/2)^2)")):
        unit = "1/eV" if key.endswith("amplitude") else "eV"
        ds[f"dxas_{key}"] = (("delay",), ext[key], {"units": unit, "long_name": f"{text} (NaN: none above {PEAK_FLOOR:g} max XAS_ground)"})
    settings = {**cfg.model_dump(mode="json"), "offset_eV": probe.offset, "e_ref_eV": probe.e_ref,
                "channels_computed": probe.ground_channels[0], "channels_all": probe.ground_channels[1], "peak_floor": PEAK_FLOOR,
                "approximation": "sudden probe; XAS of psi(t) with the static H at A = 0; E_ref = E0 and offset fixed by the ground state; "
                                 "not the two-time formula (Chen et al., PRB 99, 104306 (2019))"}
    ds.attrs["xas_settings"] = json.dumps(settings)
    return ds


def xas_figures(ds: xr.Dataset, outdir: Path, title: str) -> list[str]:
    """``dxas_map.png`` (ΔXAS(ω, delay)), ``dxas_reported_map.png`` (if it differs) and ``xas_delays.png``; their names."""
    omega, delay = ds["omega"].values, ds["delay"].values
    peak = float(curve_peak(omega, ds["xas_ground"].values))
    save_figure(dxas_map_figure(omega, delay, ds["dxas"].values, positive_energy=ds["dxas_positive_energy"].values,
                                negative_energy=ds["dxas_negative_energy"].values, pre_edge=peak, title=f"{title}: ΔXAS = XAS[ψ(t)] − XAS[ψ0]"),
                outdir / "dxas_map.png")
    names = ["dxas_map.png"]
    rep = ds["dxas_reported"]
    if not np.array_equal(rep.values, ds["dxas"].values):
        label = f"α × (probe ∗ ΔXAS) (1/eV), α = {rep.attrs['excited_fraction']:g}, probe FWHM {rep.attrs['probe_fwhm_fs']:g} fs"
        save_figure(dxas_map_figure(omega, delay, rep.values, pre_edge=peak, colorbar_label="reported ΔXAS (1/eV)", title=label),
                    outdir / "dxas_reported_map.png")
        names.append("dxas_reported_map.png")
    save_figure(xas_delays_figure(omega, ds["xas_ground"].values, ds["xas"].values, delay, ds["dxas"].values, title=f"{title}: O K-edge XAS of ψ(t)"),
                outdir / "xas_delays.png")
    return [*names, "xas_delays.png"]
