"""Time-resolved XAS of the pump study: the probe built from ``[pump.xas]``, its variables and figures.

The physics is :mod:`localpairs.solvers.dynamics.transient_xas` (the pipeline the XFEL study
uses too) and, for ``probe = "finite"``, :mod:`localpairs.solvers.dynamics.finite_probe`; here the
spec's settings become a probe, and the probe's raw output becomes the ``xas*``/``dxas*``
variables of ``results.nc`` (with the reported ΔXAS of :mod:`localpairs.analysis.probe`) and the
ΔXAS figures.

Probe models (``[pump.xas] probe``)
-----------------------------------
- ``"long"``: called during the evolution at each delay; ground part from E_0, excited part by
  energy windows (windowed long-probe limit).
- ``"instantaneous"``: the same call with one reference energy for the excited part.
- ``"finite"``: during the evolution ψ(t) is stored on the probe grid (every ``probe_dt`` fs over
  ±3 ``probe_fwhm`` around each delay, :class:`StateRecorder`); afterwards each delay's
  two-time XAS is computed from them, and the unpumped reference is the same probe on
  e^{−iE_0 t/ħ}ψ_0 (the static XAS broadened by the probe's bandwidth). Memory: 16 × dim bytes
  per stored time; cost per delay: see :mod:`localpairs.solvers.dynamics.finite_probe` (minutes on
  the 2×2×2 cube).
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
from localpairs.solvers.dynamics.finite_probe import DEFAULT_HALF_WIDTH_FWHM, finite_probe_xas, probe_grid
from localpairs.solvers.dynamics.transient_xas import TransientXasProbe, ground_offset, state_xas
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import FULL_REORTH_BUDGET
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.xas import excited_part
from localpairs.spec import RunSpec
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.pump_spec import XasProbeSpec, pump_section
from localpairs.units import HBAR_EV_FS

#: Grid (eV, offset 0) on which the ground-state XAS peak is located to fix the offset (as the spectra study).
LOCATE_GRID = np.linspace(-20.0, 20.0, 8001)
#: ΔXAS features below this fraction of max XAS_ground count as absent in the peak table
#: (round-off of a stationary state is ~1e-13 of it).
PEAK_FLOOR = 1e-8
#: ``reorthogonalize = "auto"`` reorthogonalizes the XAS chains when lanczos_steps² × (largest
#: (N + 1)-electron sector) is at most this, the Lanczos module's own rule
#: (:data:`~localpairs.solvers.lanczos.FULL_REORTH_BUDGET`). Measured on the 2×2×2 cube (3,920-state
#: final sectors, 150 steps: 8.8e7, above it): reorthogonalized chains cost 6× more (34 s against
#: 5.5 s for the 48 channels of a spread state) and are reproducible to 3e-15 of the peak instead of
#: 8e-6 (benchmarks/xas_roundoff.py); the windowed probe of ψ(t) during the pulse takes 11 windows
#: (81 s plain on a loaded machine), so the cube keeps the plain recursion by default.
REORTH_MAX_WORK = FULL_REORTH_BUDGET


def final_sector_dimension(cache: SectorCache, sec: Sector) -> int:
    """Return the largest dimension of the (N + 1)-electron sectors the XAS channels reach (one more ↑ or ↓).

    Parameters
    ----------
    cache : SectorCache
        Bases and Hamiltonians of the sectors reached.
    sec : Sector
        The pumped sector.

    Returns
    -------
    int
        The dimension.
    """
    return max(cache.basis(sec.shifted(1, 0)).Ns, cache.basis(sec.shifted(0, 1)).Ns)


def resolve_reorthogonalize(cfg: XasProbeSpec, cache: SectorCache, sec: Sector) -> bool:
    """Resolve ``cfg.reorthogonalize``, with ``"auto"`` decided by :data:`REORTH_MAX_WORK`.

    Parameters
    ----------
    cfg : XasProbeSpec
        The ``[pump.xas]`` section.
    cache : SectorCache
        Bases and Hamiltonians of the sectors reached.
    sec : Sector
        The pumped sector.

    Returns
    -------
    bool
        Whether the Lanczos chains are reorthogonalized.
    """
    if cfg.reorthogonalize != "auto":
        return bool(cfg.reorthogonalize)
    return cfg.lanczos_steps**2 * final_sector_dimension(cache, sec) <= REORTH_MAX_WORK


def make_xas_probe(system: System, op: DrivenOperator, spec: RunSpec, *, psi0: np.ndarray, e_ground: float, quench: Quench | None = None,
                   checkpoints: Checkpoints | None = None) -> TransientXasProbe | None:
    """Build the time-resolved XAS probe of the pump study (``probe(t, psi) -> {key: array}``).

    The offset (the main peak of the XAS of ``psi0`` at ``pre_edge_eV``, located on
    :data:`LOCATE_GRID`, unless ``offset_eV`` is given) and the XAS of ``psi0`` are computed here,
    once, before any evolution (and checkpointed as ``xas_ground`` when ``checkpoints`` are given);
    every delay shares that energy axis. After ``quench.time`` the probe uses ``quench.model``.
    Settings: ``spec.pump.xas_settings`` (``probe = "finite"`` uses this object for the axis, the
    ground state and the settings; the XAS itself comes from :func:`finite_xas`).

    Parameters
    ----------
    system : System
        The built system.
    op : DrivenOperator
        The driven Hamiltonian (its basis is the states' basis).
    spec : RunSpec
        The validated run spec.
    psi0 : numpy.ndarray
        The ground state of ``system.model`` in ``op.basis``.
    e_ground : float
        Its energy in eV.
    quench : Quench, optional
        A model change at ``quench.time`` (fs).
    checkpoints : Checkpoints, optional
        Where the ground XAS is checkpointed.

    Returns
    -------
    TransientXasProbe or None
        The probe; None when ``pump.xas_delays`` is empty.
    """
    ps = pump_section(spec)
    if not ps.xas_delays:
        return None
    cfg, sec = ps.xas_settings, system.sector
    psi0 = np.asarray(psi0, dtype=np.complex128) / np.linalg.norm(psi0)
    hamiltonians = []
    for start, model in [(-np.inf, system.model)] + ([(float(quench.time), quench.model)] if quench is not None else []):
        cache = SectorCache(model, memory_budget_gb=spec.solver.memory_budget_gb)
        cache.add(sec, op.basis)
        hamiltonians.append((start, cache))
    settings = cfg.solver_settings(reorthogonalize=resolve_reorthogonalize(cfg, hamiltonians[0][1], sec))
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


class StateRecorder:
    """A ``probe(t, psi)`` for ``run_trajectory`` that returns the state itself (``{"state": ψ}``),
    so that ψ(t) on the finite probe's grid is kept in the trajectory's checkpoints and output."""

    def __call__(self, t: float, psi: np.ndarray) -> dict[str, np.ndarray]:
        """``{"state": ψ}`` (a copy, complex)."""
        return {"state": np.array(psi, dtype=np.complex128)}


def finite_grids(probe_times: np.ndarray, cfg: XasProbeSpec) -> list[np.ndarray]:
    """Return the uniform grid (fs, step ``probe_dt``) over ±3 ``probe_fwhm`` around each probe time.

    Parameters
    ----------
    probe_times : numpy.ndarray
        Probe times in fs.
    cfg : XasProbeSpec
        The ``[pump.xas]`` section.

    Returns
    -------
    list of numpy.ndarray
        One grid per probe time, in fs.
    """
    return [probe_grid(float(t), cfg.probe_fwhm, dt=cfg.probe_dt, half_width=DEFAULT_HALF_WIDTH_FWHM) for t in probe_times]


def finite_probe_times(probe_times: np.ndarray, cfg: XasProbeSpec) -> np.ndarray:
    """Return all times of :func:`finite_grids`, sorted, the ones shared by overlapping grids once (to 1e-9 fs).

    Parameters
    ----------
    probe_times : numpy.ndarray
        Probe times in fs.
    cfg : XasProbeSpec
        The ``[pump.xas]`` section.

    Returns
    -------
    numpy.ndarray
        The times in fs.
    """
    return np.unique(np.round(np.concatenate(finite_grids(probe_times, cfg)), 9))


def finite_xas(ds: xr.Dataset, probe: TransientXasProbe, cfg: XasProbeSpec, probe_times: np.ndarray) -> tuple[xr.Dataset, dict[str, np.ndarray]]:
    """Compute the two-time XAS at each probe time from the states :class:`StateRecorder` stored in ``ds``.

    The raw per-delay arrays are those of :func:`xas_variables` (``total``, ``excited_population``,
    ``excess_energy``, ``excited_energy_spread``, ``window_width`` and ``halving_change`` (NaN: no
    windows), and ``ground``, the same probe on the unpumped e^{−iE_0 t/ħ}ψ_0).

    Parameters
    ----------
    ds : xarray.Dataset
        The trajectory with the stored states.
    probe : TransientXasProbe
        The probe (axis, ground state, settings).
    cfg : XasProbeSpec
        The ``[pump.xas]`` section.
    probe_times : numpy.ndarray
        Probe times in fs.

    Returns
    -------
    tuple of (xarray.Dataset, dict)
        ``ds`` without them, and the raw per-delay arrays by name.
    """
    stored_t = np.round(ds["probe_time"].values, 9)
    states = ds["probe_state_state"].values
    ds = ds.drop_vars(["probe_state_state", "probe_time"])
    cache, sec, s = probe.hamiltonians[0][1], probe.sec, probe.settings
    h = cache.matrix(sec)

    def two_time(sampled: np.ndarray, grid: np.ndarray, t_p: float) -> np.ndarray:
        return finite_probe_xas(cache.model, sec, sampled, grid, probe.omega, t_probe=t_p, fwhm=cfg.probe_fwhm, U_c=s.U_c, Gamma=s.Gamma,
                                gaussian_fwhm=s.gaussian_fwhm, offset=probe.offset, use_symmetry=s.use_symmetry, n_steps=s.n_steps,
                                cache=cache)["total"].values

    rows: dict[str, list] = {k: [] for k in ("total", "excited_population", "excess_energy", "excited_energy_spread", "window_width", "halving_change")}
    grids = finite_grids(probe_times, cfg)
    for t_p, grid in zip(probe_times, grids):
        idx = np.searchsorted(stored_t, np.round(grid, 9))
        rows["total"].append(two_time(states[idx], grid, float(t_p)))
        psi = states[idx[grid.size // 2]]
        psi = psi / np.linalg.norm(psi)
        alpha, chi_hat = excited_part(probe.psi0, psi)
        h_chi = h @ chi_hat
        mean = float(np.vdot(chi_hat, h_chi).real)
        rows["excited_population"].append(alpha)
        rows["excess_energy"].append(float(np.vdot(psi, h @ psi).real) - probe.e_ref)
        rows["excited_energy_spread"].append(float(np.sqrt(max(0.0, np.vdot(h_chi, h_chi).real - mean**2))) if alpha > 0 else 0.0)
        rows["window_width"].append(np.nan)
        rows["halving_change"].append(np.nan)
    still = probe.psi0[None, :] * np.exp(-1j * probe.e_ref * (grids[0] - grids[0][grids[0].size // 2]) / HBAR_EV_FS)[:, None]
    ground = two_time(still, grids[0], float(probe_times[0]))
    return ds, {**{k: np.asarray(v) for k, v in rows.items()}, "ground": np.asarray(ground, dtype=float)}


def raw_probe_output(ds: xr.Dataset) -> tuple[xr.Dataset, dict[str, np.ndarray]]:
    """Take the ``probe_xas_*`` variables of the trajectory (``probe = "long"``/``"instantaneous"``) as raw arrays.

    Parameters
    ----------
    ds : xarray.Dataset
        The trajectory.

    Returns
    -------
    tuple of (xarray.Dataset, dict)
        ``ds`` without them, and the raw per-delay arrays by name.
    """
    raw = {str(v)[len("probe_xas_"):]: ds[v].values for v in ds.data_vars if str(v).startswith("probe_xas_")}
    return ds.drop_vars([f"probe_xas_{k}" for k in raw] + ["probe_time"]), raw


def xas_variables(ds: xr.Dataset, probe: TransientXasProbe, delays: np.ndarray, probe_times: np.ndarray, cfg: XasProbeSpec,
                  raw: dict[str, np.ndarray]) -> xr.Dataset:
    """Build the ``xas_ground``, ``xas``, ``dxas``, ``dxas_reported`` variables, the per-delay diagnostics and the peaks.

    Parameters
    ----------
    ds : xarray.Dataset
        The trajectory (time in fs).
    probe : TransientXasProbe
        The probe (its energy axis in eV).
    delays : numpy.ndarray
        Pump–probe delays in fs.
    probe_times : numpy.ndarray
        The matching probe times in fs.
    cfg : XasProbeSpec
        The ``[pump.xas]`` section.
    raw : dict of str to numpy.ndarray
        The raw per-delay arrays (:func:`finite_xas`, :func:`raw_probe_output`).

    Returns
    -------
    xarray.Dataset
        ``ds`` with the XAS variables (spectra in 1/eV).
    """
    total, ground = raw["total"], raw.get("ground", probe.ground)
    omega = probe.omega
    dxas = total - ground[None, :]
    finite = cfg.probe == "finite"
    reported = reported_dxas(delays, dxas, probe_fwhm=0.0 if finite else cfg.probe_fwhm, excited_fraction=cfg.excited_fraction)
    ext = dxas_extrema(omega, delays, dxas, broadening_fwhm=float(np.hypot(2 * cfg.Gamma, cfg.gaussian_fwhm)), floor=PEAK_FLOOR * float(ground.max()))
    ds = ds.assign_coords(
        omega=("omega", omega, {"units": "eV", "long_name": "photon energy"}),
        delay=("delay", delays, {"units": "fs", "long_name": "delay after the pump pulse centre"}),
        probe_time=("delay", probe_times, {"units": "fs", "long_name": "time of the probe (centre of a finite probe)"}),
    )
    per = "XAS summed over all oxygens and both spins"
    model = {"long": "long probe: ground part from E0, excited part by energy windows", "instantaneous": "single reference for the excited part",
             "finite": f"two-time formula, Gaussian probe of intensity FWHM {cfg.probe_fwhm:g} fs"}[cfg.probe]
    ds["xas_ground"] = (("omega",), ground, {"units": "1/eV", "long_name": f"O K-edge XAS of the initial state psi0 ({per}; {model})"})
    ds["xas"] = (("delay", "omega"), total,
                 {"units": "1/eV", "long_name": f"O K-edge XAS of psi(t) at t = pulse centre + delay ({per}; {model}; static H at A = 0)"})
    ds["dxas"] = (("delay", "omega"), dxas, {"units": "1/eV", "long_name": "raw XAS[psi(t)] - XAS[psi0] (whole cluster pumped)"})
    ds["dxas_reported"] = (("delay", "omega"), reported, {
        "units": "1/eV", "long_name": "excited_fraction x (Gaussian probe * dxas along delay)",
        "excited_fraction": cfg.excited_fraction, "probe_fwhm_fs": 0.0 if finite else cfg.probe_fwhm,
        "edges": "Gaussian truncated at the first/last delay and renormalized (localpairs.analysis.probe)"})
    ds["xas_excited_population"] = (("delay",), raw["excited_population"], {"units": "1", "long_name": "1 - |<psi0|psi(t)>|^2"})
    ds["xas_excess_energy"] = (("delay",), raw["excess_energy"], {"units": "eV", "long_name": "<psi(t)|H(A=0)|psi(t)> - E0 (H in force at t)"})
    ds["xas_excited_energy_spread"] = (("delay",), raw["excited_energy_spread"], {
        "units": "eV", "long_name": "energy spread of the excited part chi (NaN: energy_reference = ground)"})
    ds["xas_window_width"] = (("delay",), raw["window_width"], {
        "units": "eV", "long_name": "energy-window width used for the excited part (NaN: no windows, i.e. instantaneous/finite probe or alpha ~ 0)"})
    ds["xas_halving_change"] = (("delay",), raw["halving_change"], {
        "units": "1", "long_name": "max change of the excited part's XAS when the window width is halved, relative to its peak (NaN: no windows)"})
    for key, text in (("positive_energy", "photon energy of the strongest dxas > 0"), ("positive_amplitude", "strongest dxas > 0"),
                      ("negative_energy", "photon energy of the most negative dxas"), ("negative_amplitude", "most negative dxas"),
                      ("energy_error", "uncertainty of the peak energies sqrt(h^2/12 + (FWHM/2)^2)")):
        unit = "1/eV" if key.endswith("amplitude") else "eV"
        ds[f"dxas_{key}"] = (("delay",), ext[key], {"units": unit, "long_name": f"{text} (NaN: none above {PEAK_FLOOR:g} max XAS_ground)"})
    settings = {**cfg.model_dump(mode="json"), "offset_eV": probe.offset, "e_ref_eV": probe.e_ref,
                "reorthogonalized": int(bool(probe.settings.reorthogonalize)),
                "channels_computed": probe.ground_channels[0], "channels_all": probe.ground_channels[1], "peak_floor": PEAK_FLOOR,
                "approximation": f"{model}; static H at A = 0 for the final states; offset fixed by the ground state"}
    ds.attrs["xas_settings"] = json.dumps(settings)
    return ds


def xas_figures(ds: xr.Dataset, outdir: Path, title: str) -> list[str]:
    """Draw ``dxas_map.png`` (ΔXAS(ω, delay)), ``dxas_reported_map.png`` (if it differs) and ``xas_delays.png``.

    Parameters
    ----------
    ds : xarray.Dataset
        The pump study's results.
    outdir : pathlib.Path
        Folder the PNG files are written into.
    title : str
        Figure title.

    Returns
    -------
    list of str
        Names of the files written.
    """
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
