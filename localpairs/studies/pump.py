r"""Pump study: a ground state (LPDW) under an optical pulse and/or a quench; observables against time.

Steps: build the system; the initial state is the ground state of H(0) (with classical oxygens
relaxed to their Born–Oppenheimer equilibrium when a lattice is coupled); the photon energy is
the spec's number or the lowest strong optical transition of that state along the polarization
(:mod:`localpairs.solvers.spectra.optical_transitions`); the pulse is checked against the model's validity before any
evolution; the trajectory is integrated with checkpoints (``outdir/checkpoints``), then written to
``results.nc`` with figures and ``report.md``.

Time-resolved XAS
-----------------
At ``pulse centre + pump.xas_delays`` (``t = 0`` + delays without a pulse) the O K-edge XAS of
the instantaneous state ψ(t) is recorded by the probe of
:mod:`localpairs.solvers.dynamics.transient_xas` (:func:`make_xas_probe`, settings
``[pump.xas]``): a sudden probe with the static Hamiltonian at A = 0 (after a quench time: the
quenched model), the offset fixed once by the ground state (its main peak at ``pre_edge_eV``),
and with ``energy_reference = "split"`` (default) the ground part of ψ(t) measured from E_0 and
its excited part χ from its own mean energy (the long-probe limit of the two-time formula,
Chen et al., PRB 99, 104306 (2019)). A finite probe duration enters only afterwards, as a
Gaussian average of ΔXAS over delays (``probe_fwhm``, :func:`localpairs.analysis.probe.probe_convolution`).
The dataset records, per delay, α = 1 − |⟨ψ0|ψ(t)⟩|², ⟨ψ(t)|H|ψ(t)⟩ − E_0 and the energy spread σ_χ
of the excited part.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse.linalg as spla
import xarray as xr

from localpairs.analysis.dynamics_figures import (
    cumulative_work, current_figure, dxas_map_figure, lattice_figure, overview_figure, site_charge_figure, xas_delays_figure,
)
from localpairs.analysis.figures import save_figure
from localpairs.analysis.probe import dxas_extrema, reported_dxas
from localpairs.analysis.spectral_edges import curve_peak
from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians import Model
from localpairs.hamiltonians.driven_model import Quench, drive, gaussian_pulse
from localpairs.io import write_text_atomic, write_with
from localpairs.solvers import Sector, build_basis
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions
from localpairs.hamiltonians.oxygen_lattice import Lattice, lpdw_displacements, oxygen_lattice, relax_lattice
from localpairs.solvers.spectra.optical_transitions import OpticalTransitions, lowest_strong_transition, optical_transitions
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.dynamics.trajectory import run_trajectory
from localpairs.solvers.dynamics.transient_xas import TransientXasProbe, ground_offset, state_xas
from localpairs.spec import RunSpec, SpecError
from localpairs.units import kelvin_to_ev

from localpairs.studies.common import Checkpoints, System, build_model, build_system, progress, provenance, spec_hash
from localpairs.studies.pump_report import report_text
from localpairs.studies.pump_spec import XasProbeSpec


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
    if not spec.pump.xas_delays:
        return None
    cfg = spec.pump.xas_settings
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
            offset = ground_offset(hamiltonians[0][1], sec, psi0, settings, e_ground=e_ground, grid=LOCATE_GRID, target=cfg.pre_edge_eV, feature=curve_peak)
        ds = state_xas(hamiltonians[0][1], sec, psi0, omega, settings, offset=float(offset), e_ref=e_ground)
        stored = {"offset": float(offset), "ground": ds["total"].values.tolist(),
                  "channels": [int(ds.attrs["n_channels_computed"]), int(ds.attrs["n_channels_all"])]}
        if checkpoints is not None:
            checkpoints.save("xas_ground", stored)
    return TransientXasProbe(psi0=psi0, e_ground=e_ground, sec=sec, hamiltonians=hamiltonians, omega=omega, offset=stored["offset"],
                             ground=np.array(stored["ground"]), settings=settings, energy_reference=cfg.energy_reference,
                             ground_channels=tuple(stored["channels"]))


def _xas_variables(ds: xr.Dataset, probe: TransientXasProbe, delays: np.ndarray, cfg: XasProbeSpec) -> xr.Dataset:
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
    ds["xas"] = (("delay", "omega"), total, {"units": "1/eV", "long_name": f"O K-edge XAS of psi(t) at t = pulse centre + delay ({per}; sudden probe, static H at A = 0)"})
    ds["dxas"] = (("delay", "omega"), dxas, {"units": "1/eV", "long_name": "raw XAS[psi(t)] - XAS[psi0] (whole cluster pumped, instantaneous probe)"})
    ds["dxas_reported"] = (("delay", "omega"), reported, {
        "units": "1/eV", "long_name": "excited_fraction x (Gaussian probe * dxas along delay)",
        "excited_fraction": cfg.excited_fraction, "probe_fwhm_fs": cfg.probe_fwhm,
        "edges": "Gaussian truncated at the first/last delay and renormalized (localpairs.analysis.probe)"})
    ds["xas_excited_population"] = (("delay",), population, {"units": "1", "long_name": "1 - |<psi0|psi(t)>|^2"})
    ds["xas_excess_energy"] = (("delay",), excess, {"units": "eV", "long_name": "<psi(t)|H(A=0)|psi(t)> - E0 (H in force at t)"})
    ds["xas_excited_energy_spread"] = (("delay",), spread, {"units": "eV", "long_name": "energy spread of the excited part chi (its XAS reference is its mean energy; NaN: energy_reference = ground)"})
    for key, text in (("positive_energy", "photon energy of the strongest dxas > 0"), ("positive_amplitude", "strongest dxas > 0"),
                      ("negative_energy", "photon energy of the most negative dxas"), ("negative_amplitude", "most negative dxas"),
                      ("energy_error", "uncertainty of the peak energies sqrt(h^2/12 + (FWHM/2)^2)")):
        unit = "1/eV" if key.endswith("amplitude") else "eV"
        ds[f"dxas_{key}"] = (("delay",), ext[key], {"units": unit, "long_name": f"{text} (NaN: none above {PEAK_FLOOR:g} max XAS_ground)"})
    settings = {**cfg.model_dump(mode="json"), "offset_eV": probe.offset, "e_ref_eV": probe.e_ref,
                "channels_computed": probe.ground_channels[0], "channels_all": probe.ground_channels[1], "peak_floor": PEAK_FLOOR,
                "approximation": "sudden probe; XAS of psi(t) with the static H at A = 0; E_ref = E0 and offset fixed by the ground state; not the two-time formula (Chen et al., PRB 99, 104306 (2019))"}
    ds.attrs["xas_settings"] = json.dumps(settings)
    return ds


def _xas_figures(ds: xr.Dataset, outdir: Path, title: str) -> None:
    """``dxas_map.png`` (ΔXAS(ω, delay), raw and, if different, as reported) and ``xas_delays.png``."""
    omega, delay = ds["omega"].values, ds["delay"].values
    peak = float(curve_peak(omega, ds["xas_ground"].values))
    save_figure(dxas_map_figure(omega, delay, ds["dxas"].values, positive_energy=ds["dxas_positive_energy"].values,
                                negative_energy=ds["dxas_negative_energy"].values, pre_edge=peak, title=f"{title}: ΔXAS = XAS[ψ(t)] − XAS[ψ0]"), outdir / "dxas_map.png")
    rep = ds["dxas_reported"]
    if not np.array_equal(rep.values, ds["dxas"].values):
        label = f"α × (probe ∗ ΔXAS) (1/eV), α = {rep.attrs['excited_fraction']:g}, probe FWHM {rep.attrs['probe_fwhm_fs']:g} fs"
        save_figure(dxas_map_figure(omega, delay, rep.values, pre_edge=peak, colorbar_label="reported ΔXAS (1/eV)", title=label), outdir / "dxas_reported_map.png")
    save_figure(xas_delays_figure(omega, ds["xas_ground"].values, ds["xas"].values, delay, ds["dxas"].values, title=f"{title}: O K-edge XAS of ψ(t)"), outdir / "xas_delays.png")


def _lowest(matrix, *, dense_threshold: int) -> tuple[float, np.ndarray]:
    dim = matrix.shape[0]
    if dim <= dense_threshold:
        w, v = np.linalg.eigh(matrix.toarray())
        return float(w[0]), v[:, 0].astype(np.complex128)
    v0 = np.random.default_rng(12345).standard_normal(dim).astype(np.complex128)
    w, v = spla.eigsh(matrix, k=1, which="SA", v0=v0, tol=0)
    return float(w[0]), v[:, 0] / np.linalg.norm(v[:, 0])


def _lattice(spec: RunSpec, system: System) -> Lattice | None:
    ls = spec.pump.lattice
    if ls is None:
        return None
    return oxygen_lattice(system.cluster, coupling=ls.coupling, barrier=kelvin_to_ev(ls.barrier_K), well_separation=ls.well_separation, mass_u=ls.mass_u, damping=ls.damping)


def _quench(spec: RunSpec, system: System) -> Quench | None:
    qs = spec.pump.quench
    if qs is None:
        return None
    overrides = dict(qs.model)
    if qs.relaxed_lattice:
        if spec.model.kind != "extended_hubbard":
            raise SpecError("pump.quench.relaxed_lattice needs model.kind = 'extended_hubbard' (breathing → 0)")
        overrides.update(breathing=0.0, eps=None)
    try:
        return Quench(build_model(spec, system.cluster, system.doping, **overrides), float(qs.time))
    except TypeError as err:
        raise SpecError(f"pump.quench.model = {qs.model!r} is not allowed: {err}") from None


def _initial_state(op: DrivenOperator, lattice: Lattice | None, spec: RunSpec, system: System) -> tuple[np.ndarray, np.ndarray | None]:
    c0 = op.driven.coefficients_at(0.0, 0)
    threshold = spec.solver.dense_threshold

    def ground(shifts: np.ndarray | None) -> np.ndarray:
        return _lowest(op.assemble(c0, op.shift_diagonal(shifts)), dense_threshold=threshold)[1]

    if lattice is None:
        return ground(None), None
    u_start = lpdw_displacements(system.cluster, system.doping.large, lattice.u0)
    if spec.pump.lattice.relax_initial:
        u0, psi = relax_lattice(lattice, ground, op.site_charge, u_start)
        return psi, u0
    return ground(lattice.site_shifts(u_start)), u_start


def _times(spec: RunSpec) -> np.ndarray:
    ps = spec.pump
    if ps.times is not None:
        return np.array(ps.times, dtype=float)
    n = int(np.floor(ps.t_end / ps.output_step + 1e-9))
    grid = np.arange(n + 1) * ps.output_step
    return grid if abs(grid[-1] - ps.t_end) < 1e-9 else np.append(grid, ps.t_end)


def run(spec: RunSpec, outdir: Path, *, resume: bool = True) -> Path:
    """Run a pump study into ``outdir``; return the path of report.md."""
    start = time.perf_counter()
    if spec.pump is None:
        raise SpecError("study = 'pump' needs a [pump] section")
    ps = spec.pump
    system = build_system(spec)
    key = spec_hash(spec)
    checkpoints = Checkpoints(outdir, key, enabled=resume)
    times = _times(spec)
    lattice = _lattice(spec, system)
    quench = _quench(spec, system)
    progress(f"{system.cluster.describe()}; {system.model.kind}; sector {system.sector.label()}")
    try:  # a weak probe pulse along the polarization: pieces and current at A = 0
        probe = gaussian_pulse(photon_energy=1.0, duration=ps.duration, duration_kind=ps.duration_kind, peak_field=1e-9, polarization=ps.polarization, center=ps.center)
        prep = DrivenOperator(drive(system.model, pulse=probe), build_basis(system.model, system.sector))
    except InputError as err:
        raise SpecError(f"[pump]: {err}") from None
    has_pulse = ps.fluence is not None or ps.peak_field is not None  # else: a quench alone
    center = probe.center if has_pulse else 0.0  # the centre does not depend on the photon energy
    delays = np.array(ps.xas_delays, dtype=float)
    probe_times = center + delays
    if probe_times.size and not (times[0] <= probe_times[0] and probe_times[-1] <= times[-1]):
        raise SpecError(f"pump.xas_delays = {ps.xas_delays} is not allowed: {'pulse centre' if has_pulse else 't = 0'} ({center:g} fs) + delays must lie in "
                        f"[{times[0]:g}, {times[-1]:g}] fs, i.e. delays in [{times[0] - center:g}, {times[-1] - center:g}] fs")
    psi0, u0 = _initial_state(prep, lattice, spec, system)
    shifts0 = lattice.site_shifts(u0) if lattice is not None else None
    e_ground = prep.energy(0.0, psi0, shifts0)
    progress(f"initial state: E = {e_ground:.6f} eV (dimension {prep.dim:,})")
    optical = checkpoints.load("optical_transitions")
    if optical is None:
        try:
            tr = optical_transitions(prep, psi0, site_shifts=shifts0)
            optical = {"omega": tr.omega.tolist(), "weight": tr.weight.tolist()}
        except LocalPairsError as err:  # no linear coupling along the polarization
            if ps.photon_energy == "optical_gap":
                raise SpecError(f"pump.photon_energy = 'optical_gap' is not allowed here: {err}") from None
            optical = {"omega": [], "weight": []}
        checkpoints.save("optical_transitions", optical)
    transitions = OpticalTransitions(np.array(optical["omega"]), np.array(optical["weight"]))
    gap = lowest_strong_transition(transitions, fraction=ps.optical_gap_fraction) if transitions.omega.size else float("nan")
    photon = gap if ps.photon_energy == "optical_gap" else float(ps.photon_energy)
    try:
        pulse = None
        if has_pulse:
            pulse = gaussian_pulse(photon_energy=photon, duration=ps.duration, duration_kind=ps.duration_kind, fluence=ps.fluence,
                                   peak_field=ps.peak_field, polarization=ps.polarization, center=ps.center, refractive_index=ps.refractive_index)
        driven = drive(system.model, pulse=pulse, quench=quench)
    except InputError as err:
        raise SpecError(f"[pump]: {err}") from None
    op = prep.retarget(driven) if quench is None and pulse is not None else DrivenOperator(driven, prep.basis, window=(times[0], times[-1]))
    if pulse is not None:
        progress(f"pulse: ħω = {photon:.4f} eV, E0 = {pulse.peak_field:.4f} V/Å, {pulse.fluence:.3g} mJ/cm², Peierls phase {driven.info['peierls_phase']:.3f}")
    xas = None
    if probe_times.size:
        t0 = time.perf_counter()
        xas = make_xas_probe(system, op, spec, psi0=psi0, e_ground=e_ground, quench=quench, checkpoints=checkpoints)
        progress(f"ground-state XAS: offset {xas.offset:.3f} eV, {time.perf_counter() - t0:.1f} s; probing at {len(delays)} delays")
    ds = run_trajectory(
        op, psi0, times,
        options=EvolutionOptions(tol=ps.tolerance, m_max=ps.max_krylov),
        lattice=lattice, u0=u0, pair_correlations=ps.pair_correlations,
        probes={"xas": xas} if xas is not None else None,
        probe_times=probe_times if xas is not None else (),
        checkpoint=outdir / "checkpoints" / "trajectory.npz", checkpoint_every=ps.checkpoint_every, key=key, resume=resume,
    )
    if xas is not None:
        ds = _xas_variables(ds, xas, delays, ps.xas_settings)
    ds["field_work"] = (("time",), cumulative_work(times, ds["current"].values, ds["electric_field"].values), {"units": "eV", "long_name": "int <j>.E dt (cumulative Simpson on the output grid)"})
    ds.attrs.update(
        title=spec.title, dimension=op.dim, ground_energy_eV=e_ground, optical_gap_eV=gap, photon_energy_eV=photon,
        pulse=json.dumps(pulse.as_dict() if pulse else None), driven=json.dumps({k: v for k, v in driven.info.items()}),
        lattice=json.dumps(lattice.as_dict() if lattice else None), quench=json.dumps(None if quench is None else {"time_fs": quench.time, **dict(quench.model.parameters)}),
        xas="recorded" if xas is not None else "not requested",
        provenance=json.dumps(provenance(spec, system)),
    )
    ds.attrs = {k: (int(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in ds.attrs.items()}
    outdir.mkdir(parents=True, exist_ok=True)
    write_with(outdir / "results.nc", lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    save_figure(overview_figure(ds, title=spec.title), outdir / "dynamics.png")
    save_figure(current_figure(ds), outdir / "current.png")
    save_figure(site_charge_figure(ds, system.doping.large), outdir / "site_charge_vs_time.png")
    if lattice is not None:
        save_figure(lattice_figure(ds), outdir / "lattice.png")
    if xas is not None:
        _xas_figures(ds, outdir, spec.title)
    report = outdir / "report.md"
    write_text_atomic(report, report_text(spec, system, ds, transitions, pulse, driven, lattice, quench, time.perf_counter() - start))
    progress(f"wrote {report}")
    return report
